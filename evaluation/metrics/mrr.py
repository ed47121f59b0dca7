"""Mean reciprocal rank (Voorhees 1999, TREC QA).

For one answerable question, rank = the 1-based position in the system's ranked list
(`answer.retrieved`, best first) of the first unit that holds any gold quote
(`spans.relevant_units`); the reciprocal rank is 1/rank, or 0 when no retrieved unit holds one.
    MRR = mean of the reciprocal ranks over answerable questions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def reciprocal_rank(relevant: Sequence[set[str]], retrieved: Sequence[str]) -> float | None:
    """Return 1/rank of the first retrieved unit holding a gold quote (0 if none); None when
    there is no gold quote."""
    if not relevant:
        return None
    wanted = set().union(*relevant)
    for rank, unit in enumerate(retrieved, 1):
        if unit in wanted:
            return 1.0 / rank
    return 0.0


def mean_reciprocal_rank(ranks: Iterable[float | None]) -> float | None:
    """Return the mean of the reciprocal ranks that are defined, or None if none is."""
    values = [r for r in ranks if r is not None]
    return sum(values) / len(values) if values else None
