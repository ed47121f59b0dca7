"""Abstention precision, recall and F1: abstaining as a binary classifier of unanswerability.

Positive class = the system abstained; gold positive = the question is unanswerable
(`answerable: false`). Over a set of questions:
    TP = abstained on unanswerable, FP = abstained on answerable, FN = answered an unanswerable
    precision = TP / (TP + FP)      (None when the system never abstained)
    recall    = TP / (TP + FN)      (None when no question is unanswerable)
    F1        = 2·TP / (2·TP + FP + FN)   (= 2PR/(P+R) where both exist; None when
                                           TP + FP + FN = 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AbstentionScores:
    """Precision, recall and F1 of abstaining, each None when undefined."""

    precision: float | None
    recall: float | None
    f1: float | None


def abstention_scores(pairs: Iterable[tuple[bool, bool]]) -> AbstentionScores:
    """Return the scores for `(abstained, answerable)` pairs, one per question."""
    tp = fp = fn = 0
    for abstained, answerable in pairs:
        tp += abstained and not answerable
        fp += abstained and answerable
        fn += not abstained and not answerable
    return AbstentionScores(
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
        f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
    )
