"""Per-key token buckets in a dict: a ``RateLimiter`` for one process.

The production adapter as well as the one for tests: budgets are per process (a server
with several processes grants each user its budget in each of them), which is enough to
stop one client from flooding; nothing is shared, so nothing is waited for on a post.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Buckets kept at most; beyond, the full ones (those that would start full anyway) go.
MAX_BUCKETS = 100_000


class InMemoryRateLimiter:
    """Token buckets by key: key -> (tokens, when they were counted)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._now = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, burst: float, cost: float = 1.0) -> float:
        now = self._now()
        bucket = self._buckets.get(key)
        if bucket is None:
            tokens = burst
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now, rate, burst)
        else:
            tokens = min(burst, bucket[0] + (now - bucket[1]) * rate)
        # The slack: who waited the seconds they were told must get through, rounding or not.
        if tokens + 1e-9 < cost:
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / rate
        self._buckets[key] = (max(0.0, tokens - cost), now)
        return 0.0

    def _forget_full(self, now: float, rate: float, burst: float) -> None:
        # A bucket untouched for as long as the burst takes to refill is full again: the same
        # as no bucket. (Buckets of other rates are judged by this one's; close enough.)
        idle = burst / rate
        for key, (_, at) in list(self._buckets.items()):
            if now - at >= idle:
                del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS // 2:
            # All busy: the least recently used half goes (they restart full), so that
            # pruning stays rare.
            by_age = sorted(self._buckets.items(), key=lambda kv: kv[1][1])
            for key, _ in by_age[: len(by_age) // 2]:
                del self._buckets[key]
