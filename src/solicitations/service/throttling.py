"""Usage plans applied: which plan holds for a caller and operation, and whether its bucket admits."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.usage_plans import DEFAULT_PLANS, UsagePlan
from solicitations.service.ports import BucketKey, Buckets, Store

log = logging.getLogger("solicitations.throttling")
_CACHE_LIMIT = 100_000


def default_plans(rate: float | None, burst: int | None) -> dict[str, UsagePlan]:
    """Amazon's defaults, or one override for every operation (test suites, benchmarks)."""
    return {
        operation: UsagePlan(rate if rate is not None else plan.rate, burst if burst is not None else plan.burst)
        for operation, plan in DEFAULT_PLANS.items()
    }


class Throttle:
    """Admits a request or raises 429 QuotaExceeded; a granted plan is trusted for `cache_for`."""

    def __init__(
        self,
        store: Store,
        buckets: Buckets,
        defaults: dict[str, UsagePlan],
        clock: Callable[[], datetime],
        cache_for: timedelta,
    ) -> None:
        self._store = store
        self.buckets = buckets
        self._defaults = defaults
        self._clock = clock
        self._cache_for = cache_for
        self._plans: dict[BucketKey, tuple[UsagePlan, datetime]] = {}

    def plan(self, key: BucketKey) -> UsagePlan:
        now = self._clock()
        cached = self._plans.get(key)
        if cached is not None and now < cached[1]:
            return cached[0]
        plan = self._store.find_usage_plan(key) or self._defaults[key.operation]
        if len(self._plans) >= _CACHE_LIMIT:
            self._plans.clear()
        self._plans[key] = (plan, now + self._cache_for)
        return plan

    async def admit(self, caller: Caller, operation: str) -> UsagePlan:
        """The plan that admitted the request; 429 when its bucket is empty."""
        key = BucketKey(caller.seller_id, caller.application_id, operation)
        plan = self.plan(key)
        decision = await self.buckets.take(key, plan)
        if not decision.admitted:
            log.info(
                "throttled",
                extra={
                    "seller_id": caller.seller_id,
                    "application_id": caller.application_id,
                    "operation": operation,
                    "retry_after_s": round(decision.retry_after, 3),
                },
            )
            raise errors.ApiError(errors.QUOTA_EXCEEDED)
        return plan

    def forget(self) -> None:
        """Drop cached plans, so a plan changed on this node applies to its next request."""
        self._plans.clear()
