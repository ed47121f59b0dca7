"""The quote verifier: a quote is shown only if it is the normalised source at its offsets."""

from __future__ import annotations

from quotebot.index.records import Passage
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
