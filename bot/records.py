"""Records that leave the answering pipeline: citations, answers and stream events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Literal

from quotebot.index.records import speaker_label


@dataclass(frozen=True)
class Citation:
    """A verified quote: `quote == normalise(source(doc)[start:end])` always holds."""

    passage_id: str
    doc: str
    speaker: str | None
    role: str
    start: int
    end: int
    quote: str

    @property
    def speaker_label(self) -> str:
        """Return who said the quote, as shown to people (a question is never Ushakov's)."""
        return speaker_label(self.role, self.speaker)


@dataclass
class Answer:
    """A cited answer, or an abstention (`abstained`, no citations). Answering returns an
    `ExtractedAnswer` (its text is a lead-in) or a `GeneratedAnswer` (its text was written by
    the LLM and grounded); code that only shows an answer can take either as an `Answer`."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    confidence: float = 0.0
    retrieved: list[tuple[str, float]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    language: str = "en"
    notice: str | None = None
    rejected_quotes: int = 0
    query: str = ""

    def to_json(self) -> dict:
        """Return the `ask --json` contract for this answer."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "citations": [asdict(c) for c in self.citations],
            "retrieved": [{"passage_id": p, "score": round(s, 4)} for p, s in self.retrieved],
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "language": self.language,
            "notice": self.notice,
            "rejected_quotes": self.rejected_quotes,
            "query": self.query,
        }

    @property
    def full_text(self) -> str:
        """Return the lead-in followed by the quotes, as plain text (what EM/F1 score)."""
        # plain ASCII quote marks: SQuAD normalisation strips them, so EM/F1 see the words
        quotes = " ".join(f'"{c.quote}"' for c in self.citations)
        return f"{self.text} {quotes}".strip()


@dataclass
class ExtractedAnswer(Answer):
    """An answer whose text is the lead-in to its verified quotes (no generated text)."""


@dataclass
class GeneratedAnswer(Answer):
    """An answer whose text the LLM wrote: a draft while streaming, grounded when final."""

    @classmethod
    def of(cls, answer: Answer, **changes) -> GeneratedAnswer:
        """Return `answer` as a generated answer, with `changes` applied."""
        return cls(**{**{f.name: getattr(answer, f.name) for f in fields(answer)}, **changes})


@dataclass(frozen=True)
class StreamEvent:
    """One step of a streamed answer: `quote` (the verified quotes, before an LLM writes),
    `token` (the generated draft grew; not yet checked) or `final` (the answer to keep; always
    last)."""

    kind: Literal["quote", "token", "final"]
    answer: Answer
