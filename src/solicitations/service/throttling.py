"""Usage plans applied: which plan holds for a caller and operation, and whether its bucket admits."""

import logging
from datetime import datetime, timedelta

from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.usage_plans import DEFAULT_PLANS, BucketKey, UsagePlan
from solicitations.service.observing import Observer
from solicitations.service.ports.buckets import Buckets
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store

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

    async def plan(self, key: BucketKey) -> UsagePlan:
        """The plan that holds for the key: granted or the operation's default."""
        return (self._cached(key) or await self._fetch(key))[0]

    async def _fetch(self, key: BucketKey) -> tuple[UsagePlan, bool]:
        """A cache miss: (plan, granted) read from the store, off the loop where reads may wait."""
        return self._remember(key, await self._store.read(lambda uow: uow.usage_plans.find(key)))

    async def admit(self, caller: Caller, operation: str) -> UsagePlan:
        """The plan that admitted the request; 429 when its bucket is empty."""
        key = BucketKey(caller.seller_id, caller.application_id, operation)
        plan, granted = self._cached(key) or await self._fetch(key)
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
