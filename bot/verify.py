"""The quote verifier: a quote is shown only if it is the normalised source at its offsets."""

from __future__ import annotations

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
