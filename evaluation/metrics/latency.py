"""Latency percentiles by the nearest-rank method.

For N latencies sorted ascending x_1 <= ... <= x_N, the p-th percentile (0 < p <= 100) is
    x_r  with  r = ceil(p/100 · N),
the smallest value such that at least p% of the values are at or below it. p50 and p95 are
reported in milliseconds, measured by the evaluator around each `answer()` call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def percentile(values: Sequence[float], p: float) -> float | None:
    """Return the nearest-rank p-th percentile of `values`, or None when there are none."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    if not values:
        return None
    ordered = sorted(values)
    # exact arithmetic: 0.95 * 20 must give rank 19, not 20 through rounding
    return ordered[math.ceil(Fraction(str(p)) * len(ordered) / 100) - 1]
