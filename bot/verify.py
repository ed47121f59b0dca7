"""The quote verifier: a quote is shown only if it is the normalised source at its offsets,
where the source is the original file, as it was indexed (`Originals`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from quotebot.index.corpus import CorpusError, read_document
from quotebot.index.records import Document, Passage
from quotebot.index.text import normalise

from .records import Citation


def verify(citation: Citation, source: str) -> bool:
    """Return True when `citation.quote` is exactly `normalise(source[start:end])`.

    No fuzzy matching: one changed character (a "not", a digit) fails the check.
    """
    if not (0 <= citation.start < citation.end <= len(source)):
        return False
    quote = citation.quote
    return bool(quote) and quote == normalise(source[citation.start : citation.end])


def stored_quote(passage: Passage, first: int, last: int, source: str) -> str:
    """Return the text the index stored for sentences `first..last` of `passage`: the words of
    `passage.text` those sentences cover. The source only says which words (how many come
    before the run, how many are in it); the text is the index's, so a stored text that
    differs from the source fails `verify`."""
    start, end = passage.sentences[first][0], passage.sentences[last][1]
    before = len(source[passage.start : start].split())
    words = passage.text.split(" ")
    return " ".join(words[before : before + len(source[start:end].split())])


class Originals:
    """The original text of each indexed document, as its file holds it now.

    A file is read again (by its reader) and its text hashed only when its size, modification
    time or inode changed since it was last checked; if its text is no longer the one indexed
    (same sha256), or it is gone, it has no original text and no quote from it can be verified.
    """

    def __init__(self, documents: Mapping[str, Document]) -> None:
        self._documents = dict(documents)
        self._checked: dict[str, tuple[int, int, int, int]] = {}  # doc -> file stat when checked

    def text(self, doc: str) -> str | None:
        """Return the text of `doc` if its file still holds what was indexed, else None."""
        document = self._documents.get(doc)
        if document is None:
            return None
        try:
            st = os.stat(document.path)
        except OSError:
            return None
        stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if self._checked.get(doc) != stamp:
            try:
                current = read_document(Path(document.path), doc)
            except CorpusError:
                return None
            if current.sha256 != document.sha256:
                return None
            self._checked[doc] = stamp
        return document.text

    def verify(self, citation: Citation) -> bool:
        """Return True when `citation` verifies against its document's original file."""
        source = self.text(citation.doc)
        return source is not None and verify(citation, source)
