"""Latency figures: nearest-rank percentiles of one path's presses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank *pct* percentile: the smallest value with pct% at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """One path's presses: how many, and p50, p99 and max in seconds."""

    presses: int
    p50: float
    p99: float
    max: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def __str__(self) -> str:
        return (f"p50 {self.p50 * 1e6:.0f} µs, p99 {self.p99 * 1e6:.0f} µs, "
                f"max {self.max * 1e6:.0f} µs over {self.presses} presses")


def summarize(latencies: Sequence[float]) -> Summary:
    """p50, p99 and max of *latencies* (seconds)."""
    return Summary(len(latencies), percentile(latencies, 50), percentile(latencies, 99),
                   max(latencies))
