"""Citation recall: how much of the gold quotes the cited spans cover, in source characters.

For one answerable question with gold quotes q_1..q_n, each found at one or more occurrences
(spans of the original source, `spans.locate`), and cited spans C = union of the answer's
citation spans:
    for each q_i pick the occurrence o_i that C covers most (the first on a tie);
    G = union(o_1, ..., o_n)
    citation recall = |G ∩ C| / |G|           (characters of the original text)
A run's citation recall is the macro average over answerable questions; an abstention or an
answer without citations scores 0. Unanswerable questions have no gold and are left out.
This is the character-overlap form of ALCE's citation recall (Gao et al. 2023), which the
issue asks for instead of ALCE's NLI judgement.
"""

from __future__ import annotations

from collections.abc import Sequence

from .spans import Span, covered, union


def citation_recall(gold: Sequence[Sequence[Span]], cited: Sequence[Span]) -> float | None:
    """Return the share of gold-quote characters covered by the cited spans.

    `gold` holds the occurrences of each gold quote; None when there is no gold quote.
    """
    if not gold:
        return None
    cover = union(cited)
    chosen = [max(occ, key=lambda o: covered(o, cover)) for occ in gold if occ]
    spans = union(chosen)
    total = sum(len(s) for s in spans)
    return sum(covered(s, cover) for s in spans) / total if total else None
