"""Latency histograms: HdrHistogram when installed, else a log-bucketed one of our own.

Values are recorded in microseconds; both kinds answer ``percentile`` with a relative error
below 1 %, which is plenty for p50/p99/p99.9 of delivery latency.
"""

from __future__ import annotations

import math
from typing import Protocol

LOWEST_US = 1
HIGHEST_US = 120_000_000  # two minutes: anything slower is recorded as this


class Histogram(Protocol):
    """What the load generator needs from a histogram."""

    def record(self, value_us: int) -> None: ...

    def percentile(self, p: float) -> float: ...

    def maximum(self) -> int: ...

    def count(self) -> int: ...


class LogHistogram:
    """Log-bucketed histogram with 128 buckets per power of two (~0.5 % relative error)."""

    SUB = 128

    def __init__(self) -> None:
        self._buckets: dict[int, int] = {}
        self._count = 0
        self._max = 0

    def record(self, value_us: int) -> None:
        v = min(max(value_us, LOWEST_US), HIGHEST_US)
        key = int(math.log2(v) * self.SUB)
        self._buckets[key] = self._buckets.get(key, 0) + 1
        self._count += 1
        self._max = max(self._max, v)

    def percentile(self, p: float) -> float:
        if not self._count:
            return 0.0
        target = math.ceil(self._count * p / 100.0)
        seen = 0
        for key in sorted(self._buckets):
            seen += self._buckets[key]
            if seen >= target:
                return float(min(2 ** ((key + 1) / self.SUB), self._max))
        return float(self._max)

    def maximum(self) -> int:
        return self._max

    def count(self) -> int:
        return self._count


class HdrHistogram:
    """``hdrh.histogram.HdrHistogram`` behind the ``Histogram`` protocol."""

    def __init__(self) -> None:
        from hdrh.histogram import HdrHistogram as _Hdr

        self._h = _Hdr(LOWEST_US, HIGHEST_US, 3)

    def record(self, value_us: int) -> None:
        self._h.record_value(min(max(value_us, LOWEST_US), HIGHEST_US))

    def percentile(self, p: float) -> float:
        return float(self._h.get_value_at_percentile(p)) if self._h.get_total_count() else 0.0

    def maximum(self) -> int:
        return int(self._h.get_max_value()) if self._h.get_total_count() else 0

    def count(self) -> int:
        return int(self._h.get_total_count())


def new_histogram() -> Histogram:
    """An HdrHistogram when the package is installed, else ``LogHistogram``."""
    try:
        return HdrHistogram()
    except ImportError:
        return LogHistogram()


def summary_ms(h: Histogram) -> dict[str, float | int]:
    """count, p50, p99, p99.9 and max in milliseconds."""
    return {
        "count": h.count(),
        "p50_ms": round(h.percentile(50) / 1000, 3),
        "p99_ms": round(h.percentile(99) / 1000, 3),
        "p999_ms": round(h.percentile(99.9) / 1000, 3),
        "max_ms": round(h.maximum() / 1000, 3),
    }
