"""Wires settings, store and use cases together: the one place that chooses the adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from solicitations.adapters.metrics import PrometheusMetrics
from solicitations.adapters.ratelimit.memory import InProcessBuckets
from solicitations.adapters.store.sql import SqlStore
from solicitations.config import Settings
from solicitations.service.admin import AdminService
from solicitations.service.authentication import Authenticator
from solicitations.service.health import Readiness
from solicitations.service.observing import Observer
from solicitations.service.ports import Buckets
from solicitations.service.solicitations import SolicitationService
from solicitations.service.throttling import Throttle, default_plans


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    store: SqlStore
    clock: Callable[[], datetime]
    authenticator: Authenticator
    solicitations: SolicitationService
    admin: AdminService
    throttle: Throttle
    readiness: Readiness
    metrics: PrometheusMetrics | None  # None: metrics off

    async def aclose(self) -> None:
        await self.throttle.buckets.close()
        self.store.close()

    def close(self) -> None:
        self.store.close()


def bootstrap(
    settings: Settings | None = None, clock: Callable[[], datetime] = utc_now, migrate: bool = True
) -> Container:
    settings = settings or Settings()
    store = SqlStore(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if migrate:
        store.migrate()
    cache_for = timedelta(seconds=settings.token_cache_seconds)
    buckets: Buckets
    if settings.redis_url:
        from solicitations.adapters.ratelimit.redis_buckets import RedisBuckets

        buckets = RedisBuckets(settings.redis_url)
    else:
        buckets = InProcessBuckets()
    metrics = PrometheusMetrics() if settings.metrics else None
    observer = metrics or Observer()
    plans = default_plans(settings.plan_rate, settings.plan_burst)
    return Container(
        settings=settings,
        store=store,
        clock=clock,
        authenticator=Authenticator(store, clock, cache_for),
        solicitations=SolicitationService(store, clock, observer),
        admin=AdminService(store, clock, timedelta(seconds=settings.access_token_ttl_seconds)),
        throttle=Throttle(store, buckets, plans, clock, cache_for, observer),
        readiness=Readiness(store, buckets, shared_buckets=bool(settings.redis_url)),
        metrics=metrics,
    )
