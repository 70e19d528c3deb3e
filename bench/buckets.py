"""Cost per request of the usage-plan buckets: in-process (target < 5 µs) and in Redis (one round trip).

Usage: `python bench/buckets.py [--redis redis://127.0.0.1:6379/0]`. Medians of several repeats; the
Redis figure is dominated by the loopback round trip and the Lua script, so it is also shown as req/s.
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from solicitations.adapters.ratelimit.memory import InProcessBuckets
from solicitations.adapters.ratelimit.redis_buckets import RedisBuckets
from solicitations.domain.callers import Caller
from solicitations.domain.usage_plans import GET_ACTIONS, BucketKey, UsagePlan
from solicitations.service.ports.buckets import Buckets, BucketsUnavailable
from solicitations.service.throttling import Throttle, default_plans

# Plans that never refuse at the call rates here, so every call takes the admitting path in full.
IN_PROCESS_PLAN = UsagePlan(1e9, 9000)
REDIS_PLAN = UsagePlan(100_000.0, 9000)  # the admin API's maximum; Redis's doubles stay exact


async def per_call_us(step: object, calls: int, repeats: int) -> tuple[float, float]:
    """Median and minimum µs per awaited call of `step()` over `repeats` runs of `calls` calls."""
    runs = []
    for _ in range(repeats + 1):  # the first run warms up
        started = time.perf_counter()
        for _ in range(calls):
            await step()  # type: ignore[operator]
        runs.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(runs[1:]), min(runs[1:])


R = TypeVar("R")


class _NoPlans:
    """A store that grants no plan: Throttle falls back to its defaults (cached anyway)."""

    usage_plans = property(lambda self: self)  # the store, its unit of work and its one repository at once

    def find(self, key: BucketKey) -> None:
        return None

    async def read(self, work: Callable[[Any], R], *, scan: bool = False) -> R:
        return work(self)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    key = BucketKey("ABENCHSELLER1", "amzn1.sp.solution.bench", GET_ACTIONS)

    memory = InProcessBuckets()
    median, best = await per_call_us(lambda: memory.take(key, IN_PROCESS_PLAN), 100_000, args.repeats)
    verdict = "met" if median < 5 else "MISSED"
    print(f"in-process bucket take      {median:6.2f} µs/request (min {best:.2f}; target < 5 µs: {verdict})")

    caller = Caller(
        key.seller_id, key.application_id, frozenset({"Buyer Solicitation"}), datetime(2100, 1, 1, tzinfo=UTC)
    )
    throttle = Throttle(
        _NoPlans(),  # type: ignore[arg-type]
        memory,
        default_plans(IN_PROCESS_PLAN.rate, IN_PROCESS_PLAN.burst),
        lambda: datetime.now(UTC),
        timedelta(seconds=1),
    )
    median, best = await per_call_us(lambda: throttle.admit(caller, GET_ACTIONS), 100_000, args.repeats)
    print(f"in-process Throttle.admit   {median:6.2f} µs/request (min {best:.2f}; plan lookup cached, as served)")

    redis: Buckets = RedisBuckets(args.redis)
    try:
        await redis.ping()
    except BucketsUnavailable as exc:
        print(f"Redis bucket: not reachable at {args.redis} ({exc}); start redis-server to measure it")
        return
    try:
        median, best = await per_call_us(lambda: redis.take(key, REDIS_PLAN), 2_000, args.repeats)
        print(
            f"Redis bucket take (1 round trip, Lua) {median:6.1f} µs/request (min {best:.1f}), "
            f"~{1e6 / median:,.0f} sequential req/s"
        )
    finally:
        await redis.close()


if __name__ == "__main__":
    asyncio.run(main())
