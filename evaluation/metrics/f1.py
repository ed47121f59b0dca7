"""SQuAD 2.0 token F1 (official `evaluate-v2.0.py`).

For gold tokens G and predicted tokens P (`get_tokens`, i.e. `normalize_answer(s).split()`):
    if G or P is empty: F1 = 1 if G == P else 0   (no-answer agreement)
    common = |multiset(G) ∩ multiset(P)|; if common == 0: F1 = 0
    precision = common / |P|, recall = common / |G|, F1 = 2·precision·recall / (precision + recall)
    f1(question) = max over gold answers g of compute_f1(g, prediction)

with the no-answer rule of `bot.metrics.squad` (unanswerable: gold ""; abstention: prediction
""). A run's F1 is the mean over all questions, answerable or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .squad import get_tokens, gold_answers


def compute_f1(a_gold: str, a_pred: str) -> float:
    """Return the SQuAD token F1 of one predicted answer against one gold answer."""
    gold_toks = get_tokens(a_gold)
    pred_toks = get_tokens(a_pred)
    if not gold_toks or not pred_toks:
        return float(gold_toks == pred_toks)
    num_same = sum((Counter(gold_toks) & Counter(pred_toks)).values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_toks)
    recall = num_same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def f1(prediction: str, answers: Sequence[str]) -> float:
    """Return the best `compute_f1` of `prediction` over the gold `answers` (no-answer rule
    applied)."""
    return max(compute_f1(a, prediction) for a in gold_answers(answers))
