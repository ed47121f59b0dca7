"""The scoring configuration: every weight, penalty, range, slope and threshold of answering.

One frozen record, read from a versioned JSON file (the shipped `scoring.v1.json`, or the file
`settings.scoring_file` names) and passed to the stages that use it; `python -m bench.tune`
writes such a file. No stage keeps a tuned number of its own. The shipped threshold (0.45) and
margin (0.03) were chosen on the dev split of evals/statement.jsonl. bench.tune (2026-11-25):
margin 0.0 scores 0.846 on dev, 0.03 scores 0.829; 0.03 is kept so that near-tied evidence
from another turn is shown.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from importlib.resources import files
from pathlib import Path

SCORING_VERSION = 1
SHIPPED = "scoring.v1.json"


class ScoringError(ValueError):
    """A scoring file is unreadable, of another version, or has missing or unknown fields."""


@dataclass(frozen=True)
class Weights:
    """How a sentence's score mixes its own similarity to the question, its passage's (or its
    journalist's question's) similarity, and the share of the question's content words."""

    sentence: float
    context: float
    lexical: float


@dataclass(frozen=True)
class ScoringConfig:
    """The tuned numbers of retrieval, selection and confidence (see scoring.v1.json)."""

    # retrieval (bot/retriever.py)
    rrf_k: int  # reciprocal rank fusion: 1 / (rrf_k + rank)
    follow_up_weight: float  # weight of the earlier turn in a follow-up's query
    carry_bonus: float  # dense-score bonus for passages the earlier answer cited
    search_factor: int  # passages searched per candidate ...
    search_min: int  # ... and at least this many
    sentence_search_factor: int  # sentences searched per passage searched
    # selection (bot/selector.py)
    weights: Weights  # an English question: dense and lexical evidence
    dense_only_weights: Weights  # another language: an English corpus gives no lexical evidence
    route_weight: float  # share of a matched journalist's question given to its answer
    unknown_name_penalty: float  # a name the corpus never mentions lowers every score
    title_penalty: float
    type_penalty: float  # a sentence that cannot hold the kind of answer asked for
    short_sentence_words: int  # a shorter sentence is quoted with the one before it
    cosine_range: dict[str, tuple[float, float]]  # embedder -> cosines mapped to 0 and 1
    abstain_threshold: float  # answer only when the best sentence scores at least this
    quote_margin: float  # also quote sentences within this of the best
    # confidence (bot/pipeline.py)
    confidence_slope: float  # logistic slope of the best score's margin over the threshold

    def cosine_scale(self, embedder: str, cosine: float) -> float:
        """Return `cosine` mapped to [0, 1] by the range of `embedder` (raw when it has none)."""
        lo, hi = self.cosine_range.get(embedder, (0.0, 1.0))
        return min(1.0, max(0.0, (cosine - lo) / (hi - lo)))

    def to_json(self) -> dict:
        """Return the versioned JSON form that `from_json` reads."""
        data = asdict(self)
        data["cosine_range"] = {k: list(v) for k, v in self.cosine_range.items()}
        return {"version": SCORING_VERSION, **data}

    @classmethod
    def from_json(cls, data: dict) -> ScoringConfig:
        """Return the configuration in `data`; raise ScoringError when it does not fit."""
        if not isinstance(data, dict) or data.get("version") != SCORING_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            raise ScoringError(f"scoring version {version}, this quotebot reads {SCORING_VERSION}")
        names = {f.name for f in fields(cls)}
        given = set(data) - {"version"}
        if given != names:
            missing, unknown = sorted(names - given), sorted(given - names)
            raise ScoringError(f"scoring fields missing {missing}, unknown {unknown}")
        try:
            values = {
                **data,
                "weights": Weights(**data["weights"]),
                "dense_only_weights": Weights(**data["dense_only_weights"]),
                "cosine_range": {k: (lo, hi) for k, (lo, hi) in data["cosine_range"].items()},
            }
            del values["version"]
            return cls(**values)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ScoringError(f"bad scoring field ({exc})") from exc


def load_scoring(path: Path | None = None) -> ScoringConfig:
    """Return the configuration in `path`, or the shipped one. Raises ScoringError."""
    source = Path(path) if path else files(__package__).joinpath(SHIPPED)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScoringError(f"{path}: cannot read the scoring file ({exc.strerror})") from exc
    except ValueError as exc:
        raise ScoringError(f"{path or SHIPPED}: not valid JSON ({exc})") from exc
    try:
        return ScoringConfig.from_json(data)
    except ScoringError as exc:
        raise ScoringError(f"{path or SHIPPED}: {exc}") from exc


def save_scoring(config: ScoringConfig, path: Path) -> Path:
    """Write `config` to `path` as JSON; return `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config.to_json(), indent=2) + "\n", encoding="utf-8")
    return path
