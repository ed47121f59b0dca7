"""Retrieval recall@k: the share of gold quotes whose passage is among the top k retrieved.

For one answerable question with gold quotes q_1..q_n, let R_i be the retrieval units
(passages for quotebot, chunks for the baselines) that hold q_i (`spans.relevant_units`: the
units containing an occurrence of q_i whole). With `retrieved` the system's ranked unit ids
(`answer.retrieved`, best first):
    recall@k = |{ i : R_i ∩ retrieved[:k] ≠ ∅ }| / n
A run's recall@k is the macro average over answerable questions; unanswerable ones are left
out.
"""

from __future__ import annotations

from collections.abc import Sequence


def recall_at_k(relevant: Sequence[set[str]], retrieved: Sequence[str], k: int) -> float | None:
    """Return the share of gold quotes with a relevant unit in `retrieved[:k]`; None when
    there is no gold quote."""
    if not relevant:
        return None
    top = set(retrieved[:k])
    return sum(1 for r in relevant if r & top) / len(relevant)
