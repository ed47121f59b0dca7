"""Records that cross stage boundaries: a loaded document and its passages."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

ROLES = ("title", "statement", "question", "answer")


@dataclass(frozen=True)
class Document:
    """One statement file: `text` is the original file content, decoded, unchanged."""

    doc: str
    path: str
    text: str
    sha256: str


@dataclass(frozen=True)
class Passage:
    """A few sentences of one speaker turn; `start`/`end` index the original `Document.text`.

    `text == normalise(source[start:end])` holds, and so does it for every sentence span.
    """

    id: str
    doc: str
    speaker: str | None
    role: str
    turn: int
    question_id: str | None
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        """Return a JSON-ready dict of this passage."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict deep-copies: slow
        data["sentences"] = [list(s) for s in self.sentences]
        return data

    @classmethod
    def from_json(cls, data: dict) -> Passage:
        """Return the passage that `to_json` produced `data` from."""
        return cls(**{**data, "sentences": tuple(tuple(s) for s in data["sentences"])})

    @property
    def speaker_label(self) -> str:
        """Return who says this passage, as shown to people."""
        return speaker_label(self.role, self.speaker)


def speaker_label(role: str, speaker: str | None) -> str:
    """Return who says a text of `role`, as shown to people: a journalist's question is
    labelled as the journalist's, never as the answering speaker's."""
    if role == "question":
        return "Journalist (question)"
    if role == "title":
        return "Title"
    return speaker or "Unknown speaker"
