"""Wires settings, store and use cases together: the one place that chooses the adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from solicitations.adapters.ratelimit.memory import InProcessBuckets
from solicitations.adapters.store.sql import SqlStore
from solicitations.config import Settings
from solicitations.service.admin import AdminService
from solicitations.service.authentication import Authenticator
from solicitations.service.identity import IdentityService
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
    identity: IdentityService

    async def aclose(self) -> None:
        await self.throttle.buckets.close()
        self.store.close()

    def close(self) -> None:
        self.store.close()


def bootstrap(
    settings: Settings | None = None, clock: Callable[[], datetime] = utc_now, migrate: bool = True
) -> Container:
    settings = settings or Settings()
    store = SqlStore(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.database_pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    if migrate:
        store.migrate()
    cache_for = timedelta(seconds=settings.token_cache_seconds)
    buckets: Buckets
    if settings.redis_url:
        from solicitations.adapters.ratelimit.redis_buckets import RedisBuckets

        buckets = RedisBuckets(settings.redis_url)
    else:
        buckets = InProcessBuckets()
    return Container(
        settings=settings,
        store=store,
        clock=clock,
        authenticator=Authenticator(store, clock, cache_for),
        solicitations=SolicitationService(store, clock),
        admin=AdminService(store, clock, timedelta(seconds=settings.access_token_ttl_seconds)),
        throttle=Throttle(store, buckets, default_plans(settings.plan_rate, settings.plan_burst), clock, cache_for),
        identity=IdentityService(store, buckets, clock, timedelta(seconds=settings.access_token_ttl_seconds)),
    )
