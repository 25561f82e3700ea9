"""Percentiles and the latency summary: pure, so the numbers the demo prints are unit-tested."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) by linear interpolation between closest ranks (numpy's
    default), or None for no values. Interpolating keeps p95 of a small sample honest: it moves
    with every sample instead of jumping to the maximum."""
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(samples_ms: Sequence[float], resolution_ms: float) -> dict[str, Any]:
    """`{p50, p95, p99, max, samples, resolution_ms}` in whole milliseconds (None: no samples)."""

    def rounded(value: float | None) -> int | None:
        return None if value is None else round(value)

    return {
        "p50": rounded(percentile(samples_ms, 50)),
        "p95": rounded(percentile(samples_ms, 95)),
        "p99": rounded(percentile(samples_ms, 99)),
        "max": rounded(max(samples_ms)) if samples_ms else None,
        "samples": len(samples_ms),
        "resolution_ms": round(resolution_ms),
    }
