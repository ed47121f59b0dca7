"""Quote verification rate: the share of citations whose quote is the source at its offsets.

A citation (doc, start, end, quote) is verified when `0 <= start < end <= len(source)` and
    quote == normalise(source(doc)[start:end])
exactly (`index.text.normalise`), where `source` is the original document text read by the
evaluator itself, not by the system under test. The rate over a run is micro-averaged:
    verified citations / all citations,
undefined (None) when no answer cites anything. quotebot must score 1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from quotebot.index.text import normalise


def is_verified(citation: Mapping, sources: Mapping[str, str]) -> bool:
    """Return True when the citation's quote is the normalised source at its offsets."""
    source = sources.get(citation.get("doc"))
    start, end, quote = citation.get("start"), citation.get("end"), citation.get("quote")
    if source is None or not isinstance(start, int) or not isinstance(end, int):
        return False
    if not (0 <= start < end <= len(source)):
        return False
    return bool(quote) and quote == normalise(source[start:end])


def verified_count(citations: Iterable[Mapping], sources: Mapping[str, str]) -> int:
    """Return how many of `citations` (JSON dicts with doc/start/end/quote) verify."""
    return sum(is_verified(c, sources) for c in citations)


def quote_verification_rate(verified: int, cited: int) -> float | None:
    """Return `verified / cited`, or None when nothing was cited."""
    return verified / cited if cited else None
