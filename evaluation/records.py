"""The records of an evaluation: a question, a system, one result, and a whole run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from quotebot.errors import UserError

from .metrics.spans import Span

SPLITS = ("dev", "test")
UNSPLIT = "unsplit"  # the label of a question without a split: never tuned on, not "test"


class QuestionSetError(UserError):
    """A user mistake in a question set or an eval run: the message names the file, the line
    and the field, or the question id."""


@dataclass(frozen=True)
class Question:
    """One evaluation question; `gold` holds the source spans of each gold quote (within `doc`
    when the question names one)."""

    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    quotes: tuple[str, ...]
    history: tuple[dict, ...] = ()
    category: str = "uncategorised"
    split: str = UNSPLIT
    doc: str | None = None
    line: int = 0
    gold: tuple[tuple[Span, ...], ...] = field(default=(), repr=False)


class Answerer(Protocol):
    """Anything that answers: quotebot's Bot, or a baseline."""

    def answer(self, question: str, history: Sequence[dict] = (), doc: str | None = None): ...


@dataclass(frozen=True)
class System:
    """A named answerer and its retrieval units (passage or chunk id -> source span)."""

    name: str
    answerer: Answerer
    units: Mapping[str, Span]


@dataclass(frozen=True)
class Result:
    """One system's answer to one question, scored: a line of results.jsonl
    (`$defs.result` in quotebot/answer.schema.json)."""

    system: str
    id: str
    category: str
    split: str
    doc: str | None
    question: str
    history: tuple[dict, ...]
    answerable: bool
    answer: dict | None  # the ask --json contract; None when the question was refused
    full_text: str
    abstained: bool
    latency_ms: float
    scores: dict
    error: str | None = None

    def to_json(self) -> dict:
        """Return the results.jsonl line."""
        data = asdict(self)
        data["history"] = list(self.history)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Result:
        """Return the result in a results.jsonl line (KeyError/TypeError if incomplete)."""
        return cls(**{**data, "history": tuple(data["history"])})


@dataclass(frozen=True)
class Run:
    """A finished evaluation: what was asked, each result, the summary, and where the files
    are (`out_dir` holds results.jsonl, summary.json and report.html)."""

    question_set: Path
    split: str
    questions: tuple[Question, ...]
    results: tuple[Result, ...]
    summary: dict
    out_dir: Path | None = None

    def result(self, system: str, question_id: str) -> Result | None:
        """Return the result of `system` for the question `question_id`, if there is one."""
        return next((r for r in self.results if r.system == system and r.id == question_id), None)
