"""Usage plans applied: which plan holds for a caller and operation, and whether its bucket admits."""

import logging
from datetime import datetime, timedelta
from functools import partial

from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.usage_plans import DEFAULT_PLANS, UsagePlan
from solicitations.service.observing import Observer
from solicitations.service.ports import BucketKey, Buckets, Clock, Store

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
        clock: Clock,
        cache_for: timedelta,
        observer: Observer | None = None,
    ) -> None:
        self._store = store
        self.buckets = buckets
        self._defaults = defaults
        self._clock = clock
        self._cache_for = cache_for
        self._observer = observer or Observer()
        self._plans: dict[BucketKey, tuple[UsagePlan, bool, datetime]] = {}  # plan, granted, trusted until

    def _cached(self, key: BucketKey) -> tuple[UsagePlan, bool] | None:
        cached = self._plans.get(key)
        if cached is not None and self._clock() < cached[2]:
            return cached[0], cached[1]
        return None

    def _remember(self, key: BucketKey, granted: UsagePlan | None) -> tuple[UsagePlan, bool]:
        plan = granted or self._defaults[key.operation]
        if len(self._plans) >= _CACHE_LIMIT:
            self._plans.clear()
        self._plans[key] = (plan, granted is not None, self._clock() + self._cache_for)
        return plan, granted is not None

    def plan(self, key: BucketKey) -> UsagePlan:
        """The plan, read inline on a cache miss: for operators' tools, not the request path."""
        return (self._cached(key) or self._remember(key, self._store.find_usage_plan(key)))[0]

    async def admit(self, caller: Caller, operation: str) -> UsagePlan:
        """The plan that admitted the request; 429 when its bucket is empty."""
        key = BucketKey(caller.seller_id, caller.application_id, operation)
        found = self._cached(key)
        if found is None:  # only a miss awaits the store, off the loop where reads may wait
            found = self._remember(key, await self._store.read(partial(self._store.find_usage_plan, key)))
        plan, granted = found
        decision = await self.buckets.take(key, plan)
        if not decision.admitted:
            self._observer.throttled(operation, granted)
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
