"""The scoring configuration: every tuned number of answering, and the learned models.

One frozen record, read from a versioned JSON file (the shipped `scoring.v5.json`, or the file
`settings.scoring_file` names) and passed to the stages that use it; `python -m bench.tune`
fits the models on the dev documents of evals/transcripts.jsonl and writes such a file. No
stage keeps a tuned number of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from importlib.resources import files
from pathlib import Path

from .features import BOTH_FEATURES
from .reader import ReaderModel
from .scorer import Scorer

SCORING_VERSION = 5  # 3: model_both; 4: reader; 5: the abstention model
SHIPPED = "scoring.v5.json"


class ScoringError(ValueError):
    """A scoring file is unreadable, of another version, or has missing or unknown fields."""


@dataclass(frozen=True)
class ScoringConfig:
    """The tuned numbers of retrieval and selection, and the learned models (see the
    shipped scoring.v5.json, written by `python -m bench.tune`)."""

    # retrieval (bot/retriever.py)
    rrf_k: int  # reciprocal rank fusion: 1 / (rrf_k + rank)
    # the first passages of each ranking (dense passages, dense sentences, BM25, routes) stay
    # candidates whatever their fused rank (retriever.shortlist): on dev one more near miss
    # abstains, and set 7 gains an answer; 2 or 3 change nothing more
    ranking_keep: int
    follow_up_weight: float  # weight of the earlier turn in a follow-up's query
    carry_bonus: float  # dense-score bonus for passages the earlier answer cited
    search_factor: int  # passages searched per candidate ...
    search_min: int  # ... and at least this many
    sentence_search_factor: int  # sentences searched per passage searched
    # selection (bot/features.py, bot/selector.py)
    cosine_range: dict[str, tuple[float, float]]  # embedder -> cosines mapped to 0 and 1
    # the question turns a reporter's name may introduce (features.introduced); names that
    # introduce more are a topic ("What numbers did the reporter cite about Sunday's ICE
    # arrests?" took "Sunday" and "ICE" for a reporter's name). On dev, 4 gains that answer and
    # loses none; 2 loses "What did Mike Allen from Axios ask?"
    caller_turns: int
    # an earlier answer in its own words (a history from elsewhere) reports the candidate
    # sentences sharing at least reported_words content words with it, at least reported_share
    # of the sentence's content, idf-weighted (features.reported_before): a follow-up's answer
    # often comes next
    reported_share: float
    reported_words: int
    short_sentence_words: int  # a shorter sentence is quoted with the one before (or after) it
    extra_quote_ratio: float  # also quote sentences at least this share of the best's probability
    # ... when the question asks for several things (selector.ASKS_LIST): on the 12 such dev
    # questions of evals/transcripts.jsonl, 0.5 quotes 0.305 of the gold against 0.208 at 0.9
    list_quote_ratio: float
    # ... and quotes first the items of a spoken list ("First, ...", "Secondly, ...") that one of
    # the best sentences opens or belongs to, items at most this many sentences apart (room for
    # a paragraph per item; over dev, test and evals/others.jsonl, 3 and 5 gain the same one
    # answer, 5 reorders two more to no effect: `selector.enumeration`)
    list_item_gap: int
    summary_sentences: int  # sentences an extractive summary quotes ...
    summary_min_words: int  # ... each of at least this many words (else "Yeah." sums it up) ...
    summary_max_similarity: float  # ... and below this scaled cosine to the others chosen
    # the confidence of an answer about the document's own date, time or place, quoted from the
    # lines that state it (bot/setting.py): the share of such dev questions it answers right
    setting_confidence: float
    setting_max_words: int  # a longer unlabelled line is no record's own ("The Committee met ...")
    # the confidence of an answer quoting the question of the asker the user names, when the
    # answerability model would abstain (bot/selector.py): on dev, 1 of 2 such answers is right
    # (Laplace-smoothed: 0.5); on test, 1 of 1
    asked_confidence: float
    # the confidence of saying the document does not say when the question asks for a kind of
    # answer (a number, duration, date, time or name) that none of the quotes holds: on dev, 7
    # of the 11 such questions are unanswerable (Laplace: 8/13), 3 more were answered wrong.
    # Also when it asks how many of something and no quote gives a number of it (`counts`): on
    # dev that abstains on 18 more questions, 12 of them unanswerable (Laplace: 13/20 = 0.65)
    mistyped_confidence: float
    # the confidence of quoting the sentences that say, verbatim, a phrase the question puts in
    # quotes ("Who said “She knows how to find me”?"): on dev, 8 of 8 such answers are right
    # (Laplace: 9/10) ...
    phrase_confidence: float
    # ... and of saying "does not say" when asked who said a phrase of three words or more that
    # no sentence says: on dev, 4 of 4 are unanswerable (Laplace: 5/6)
    misquoted_confidence: float
    # asked what a named person said whom no speaker or title of the documents names
    # (features.unquoted_person): 'does not say', this sure (the 7 dev questions it decides are
    # all unanswerable: (7 + 1) / (7 + 2))
    unquoted_confidence: float
    # a yes/no answer is led by "Yes." or "No." (its first quote's own first word) only at this
    # confidence or more: when it is more likely right than not (bot/composer.py)
    verdict_confidence: float
    # the learned sentence, answerability and abstention models and the answer threshold
    # (bot/scorer.py):
    # over one embedder's features, and over both embedders' (an English question when the
    # index has the multilingual vectors too: features.SECOND_FEATURES appended)
    model: Scorer
    model_both: Scorer
    # with an LLM reader (Settings.reader, bot/reader.py): the sentences it reads and its
    # weight in their ranking (`python -m bench.reader`)
    reader: ReaderModel

    def cosines(self, embedder: str) -> tuple[float, float]:
        """Return the cosines of `embedder` that mean unrelated and strongly related."""
        return self.cosine_range.get(embedder, (0.0, 1.0))

    def to_json(self) -> dict:
        """Return the versioned JSON form that `from_json` reads."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["model"] = self.model.to_json()
        data["model_both"] = self.model_both.to_json()
        data["reader"] = self.reader.to_json()
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
            values = {k: v for k, v in data.items() if k != "version"}
            values["model"] = Scorer.from_json(data["model"])
            values["model_both"] = Scorer.from_json(data["model_both"], BOTH_FEATURES)
            values["reader"] = ReaderModel.from_json(data["reader"])
            values["cosine_range"] = {
                name: (float(lo), float(hi)) for name, (lo, hi) in data["cosine_range"].items()
            }
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
