"""The Redis buckets under a burst: more concurrent requests than pooled connections wait, never fail."""

import asyncio
import uuid

from solicitations.adapters.ratelimit.redis_buckets import RedisBuckets
from solicitations.domain.usage_plans import BucketKey, UsagePlan


def test_a_burst_larger_than_the_pool_is_admitted_exactly_to_the_burst(redis_url: str) -> None:
    """150 takes at once, several times the pool's connections (and more than redis-py's default pool of 100
    allows): each answers, exactly the bucket's 100 are admitted."""
    plan = UsagePlan(rate=0.000001, burst=100)
    key = BucketKey(f"A{uuid.uuid4().hex[:12].upper()}", "amzn1.sp.solution.burst", "getSolicitationActionsForOrder")

    async def burst() -> list[bool]:
        buckets = RedisBuckets(redis_url)
        try:
            decisions = await asyncio.gather(*(buckets.take(key, plan) for _ in range(150)))
        finally:
            await buckets.close()
        return [d.admitted for d in decisions]

    admitted = asyncio.run(burst())
    assert (admitted.count(True), admitted.count(False)) == (100, 50)
