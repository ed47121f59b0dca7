"""Citation precision: how much of what was cited is gold, in source characters.

For one answerable question, with G_all = union of every occurrence of every gold quote
(spans of the original source) and C = union of the answer's citation spans:
    citation precision = |C ∩ G_all| / |C|     (characters of the original text)
undefined when C is empty (nothing cited). A run's citation precision is the macro average over
answerable questions that cite something; unanswerable questions are left out (citing anything
for them is measured by the abstention metrics). This is the character-overlap form of ALCE's
citation precision (Gao et al. 2023), which the issue asks for instead of ALCE's NLI judgement.
"""

from __future__ import annotations

from collections.abc import Sequence

from .spans import Span, covered, union


def citation_precision(gold: Sequence[Sequence[Span]], cited: Sequence[Span]) -> float | None:
    """Return the share of cited characters that lie inside a gold quote's span.

    `gold` holds the occurrences of each gold quote; None when nothing is cited or there is
    no gold quote.
    """
    cover = union(cited)
    total = sum(len(c) for c in cover)
    if not gold or not total:
        return None
    gold_spans = union(o for occ in gold for o in occ)
    return sum(covered(c, gold_spans) for c in cover) / total
