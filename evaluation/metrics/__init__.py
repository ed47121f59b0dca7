"""Evaluation metrics, one per module, each defined in its docstring exactly as its source does.

All of them are pure functions over plain values (strings, spans, lists), so they import
nothing heavy and can be tested with hand-computed examples.
"""

from .abstention import abstention_scores
from .citation_precision import citation_precision
from .citation_recall import citation_recall
from .exact_match import exact_match
from .f1 import f1
from .latency import percentile
from .mrr import mean_reciprocal_rank, reciprocal_rank
from .quote_verification import quote_verification_rate, verified_count
from .recall_at_k import recall_at_k
from .spans import Span, locate

__all__ = [
    "Span",
    "abstention_scores",
    "citation_precision",
    "citation_recall",
    "exact_match",
    "f1",
    "locate",
    "mean_reciprocal_rank",
    "percentile",
    "quote_verification_rate",
    "recall_at_k",
    "reciprocal_rank",
    "verified_count",
]
