"""Wires settings, store and use cases together: the one place that chooses the adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from solicitations.adapters.store.sql import SqlStore
from solicitations.config import Settings
from solicitations.service.admin import AdminService
from solicitations.service.authentication import Authenticator
from solicitations.service.solicitations import SolicitationService


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

    def close(self) -> None:
        self.store.close()


def bootstrap(
    settings: Settings | None = None, clock: Callable[[], datetime] = utc_now, migrate: bool = True
) -> Container:
    settings = settings or Settings()
    store = SqlStore(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if migrate:
        store.migrate()
    return Container(
        settings=settings,
        store=store,
        clock=clock,
        authenticator=Authenticator(store, clock, timedelta(seconds=settings.token_cache_seconds)),
        solicitations=SolicitationService(store, clock),
        admin=AdminService(store, clock, timedelta(seconds=settings.access_token_ttl_seconds)),
    )
