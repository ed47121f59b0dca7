"""SQuAD 2.0 exact match (official `evaluate-v2.0.py`).

    compute_exact(a_gold, a_pred) = 1 if normalize_answer(a_gold) == normalize_answer(a_pred)
                                    else 0
    exact_match(question) = max over gold answers g of compute_exact(g, prediction)

with `normalize_answer` and the no-answer rule of `bot.metrics.squad`: an unanswerable
question's only gold answer is "", and an abstention is the prediction "". A run's exact match
is the mean over all questions, answerable or not.
"""

from __future__ import annotations

from collections.abc import Sequence

from .squad import gold_answers, normalize_answer


def compute_exact(a_gold: str, a_pred: str) -> int:
    """Return 1 when the two answers are equal after SQuAD normalisation, else 0."""
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def exact_match(prediction: str, answers: Sequence[str]) -> int:
    """Return the best `compute_exact` of `prediction` over the gold `answers` (no-answer rule
    applied: no surviving gold answer means the gold is "")."""
    return max(compute_exact(a, prediction) for a in gold_answers(answers))
