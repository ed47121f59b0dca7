"""Records that cross stage boundaries: a loaded document and its passages."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

ROLES = ("title", "statement", "question", "answer", "moderator")


@dataclass(frozen=True)
class Document:
    """One statement file. `text` is what its reader extracted (for .txt/.md files the content as
    written, less front matter); passages' offsets index it and `sha256` is its hash. `title`,
    `date` (YYYY-MM-DD) and `source` (a URL) come from front matter, page metadata or the header.
    """

    doc: str
    path: str
    text: str
    sha256: str
    title: str | None = None
    date: str | None = None
    source: str | None = None


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
        """Return a JSON-ready dict of this passage (the sentence spans as tuples, which JSON
        writes as lists)."""
        # its __dict__ holds exactly its fields, in order (asdict deep-copies): 0.4 us a passage
        # against 1.2 for reading the fields one by one (32,800 passages of 1,000 statements)
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict) -> Passage:
        """Return the passage that `to_json` produced `data` from; TypeError unless `data` has
        exactly its fields, in order."""
        if tuple(data) != _PASSAGE_FIELDS:
            raise TypeError(f"a passage's fields are {', '.join(_PASSAGE_FIELDS)}, in order")
        # its fields set as __init__ would set them (it checks nothing more): 1.7 us a passage
        # against 3 through __init__, of the 32,800 a re-index of 1,000 statements takes over
        passage = object.__new__(cls)
        vars(passage).update(data, sentences=tuple(map(tuple, data["sentences"])))
        return passage

    @property
    def speaker_label(self) -> str:
        """Return who says this passage, as shown to people."""
        return speaker_label(self.role, self.speaker)


_PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))


def speaker_label(role: str, speaker: str | None) -> str:
    """Return who says a text of `role`, as shown to people: a question is labelled as the
    asker's (a journalist's unless a named member asks), never as the answering speaker's."""
    if role == "question":
        return f"{speaker or 'Journalist'} (question)"
    if role == "title":
        return "Title"
    if role == "moderator":
        return speaker or "Moderator"
    return speaker or "Unknown speaker"
