"""Character spans in the original source text, and how gold quotes are found in it.

A gold quote is written normalised (`index.text.normalise`: NFC, whitespace runs as one
space), while the source keeps its own whitespace (non-breaking spaces, line breaks). `locate`
maps the quote back to original offsets by matching its words separated by any whitespace run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from quotebot.index.text import normalise


@dataclass(frozen=True, order=True)
class Span:
    """Characters `start:end` of the original text of document `doc`."""

    doc: str
    start: int
    end: int

    def __len__(self) -> int:
        return max(0, self.end - self.start)

    def contains(self, other: Span) -> bool:
        """Return True when `other` lies wholly inside this span."""
        return self.doc == other.doc and self.start <= other.start and other.end <= self.end

    def overlap(self, other: Span) -> int:
        """Return how many characters this span shares with `other`."""
        if self.doc != other.doc:
            return 0
        return max(0, min(self.end, other.end) - max(self.start, other.start))


def locate(quote: str, sources: Mapping[str, str]) -> list[Span]:
    """Return every span of `sources` (doc -> original text) whose normalised text is
    `normalise(quote)`, in document order; empty when the quote is not in the source."""
    words = normalise(quote).split(" ")
    if words == [""]:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    target = " ".join(words)
    return [
        Span(doc, m.start(), m.end())
        for doc, text in sources.items()
        for m in pattern.finditer(text)
        if normalise(text[m.start() : m.end()]) == target
    ]


def union(spans: Iterable[Span]) -> list[Span]:
    """Return `spans` merged into disjoint, sorted spans (overlapping or touching ones join)."""
    merged: list[Span] = []
    for s in sorted(s for s in spans if len(s)):
        last = merged[-1] if merged else None
        if last and last.doc == s.doc and s.start <= last.end:
            merged[-1] = Span(s.doc, last.start, max(last.end, s.end))
        else:
            merged.append(s)
    return merged


def covered(span: Span, disjoint: Sequence[Span]) -> int:
    """Return how many characters of `span` lie inside the disjoint spans `disjoint`."""
    return sum(span.overlap(d) for d in disjoint)


def relevant_units(occurrences: Sequence[Span], units: Mapping[str, Span]) -> set[str]:
    """Return the ids of the retrieval units (passages, chunks) that hold a gold quote.

    A unit holds it when it contains one of the quote's `occurrences` whole; when no unit
    does (the quote crosses a unit boundary), every unit overlapping an occurrence counts.
    """
    whole = {uid for uid, u in units.items() if any(u.contains(o) for o in occurrences)}
    if whole:
        return whole
    return {uid for uid, u in units.items() if any(u.overlap(o) for o in occurrences)}
