"""Buckets in this process's memory: the default, for one node. Each step is atomic because the
event loop runs one request at a time between awaits."""

import time
from collections.abc import Callable

from solicitations.domain.usage_plans import TOKEN, BucketKey, Decision, UsagePlan, level_at, take

_SWEEP_AT = 100_000  # buckets kept before refilled ones (indistinguishable from new) are dropped


def monotonic_us() -> int:
    return time.monotonic_ns() // 1000


class InProcessBuckets:
    def __init__(self, clock_us: Callable[[], int] = monotonic_us) -> None:
        self._clock_us = clock_us
        self._buckets: dict[BucketKey, tuple[int, int, int]] = {}  # key -> (level, updated_us, full_at_us)

    def take_now(self, key: BucketKey, plan: UsagePlan) -> Decision:
        now = self._clock_us()
        state = self._buckets.get(key)
        decision = take(None, 0, now, plan) if state is None else take(state[0], state[1], now, plan)
        if state is None and len(self._buckets) >= _SWEEP_AT:
            self._buckets = {k: v for k, v in self._buckets.items() if v[2] > now}
        missing = plan.burst * TOKEN - decision.level
        full_at = now + (-(-missing // plan.rate_micro) if plan.rate_micro > 0 else 2**62)
        self._buckets[key] = (decision.level, now, full_at)
        return decision

    async def take(self, key: BucketKey, plan: UsagePlan) -> Decision:
        return self.take_now(key, plan)

    async def level(self, key: BucketKey, plan: UsagePlan) -> float:
        state = self._buckets.get(key)
        now = self._clock_us()
        units = level_at(None, 0, now, plan) if state is None else level_at(state[0], state[1], now, plan)
        return units / TOKEN

    async def ping(self) -> None:
        """In this process's memory: always reachable."""

    async def close(self) -> None:
        self._buckets.clear()
