"""What the use cases need from the world, as protocols the adapters fulfil."""

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from solicitations.domain.callers import Caller
from solicitations.domain.orders import Order
from solicitations.domain.usage_plans import Decision, UsagePlan


class StoreUnavailable(Exception):
    """The store cannot be reached or answered with a transient failure; the client gets a 503."""


class BucketsUnavailable(Exception):
    """The rate-limit buckets cannot be reached; the request is refused with 503, never let through."""


@dataclass(frozen=True, slots=True)
class BucketKey:
    seller_id: str
    application_id: str
    operation: str


@dataclass(frozen=True, slots=True)
class Solicitation:
    amazon_order_id: str
    action: str
    seller_id: str
    application_id: str
    marketplace_id: str
    created_at: datetime
    request_id: str


@dataclass(frozen=True, slots=True)
class StoredOrder:
    order: Order
    solicitation: Solicitation | None


@dataclass(frozen=True, slots=True)
class Seller:
    seller_id: str
    name: str
    marketplace_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Application:
    application_id: str
    name: str
    roles: frozenset[str]


class UnitOfWork(Protocol):
    """Reads and writes of one transaction; it commits when the `with` block ends without error."""

    def find_order(self, amazon_order_id: str) -> StoredOrder | None: ...

    def add_solicitation(self, solicitation: Solicitation) -> bool:
        """Record it; False when the order already has one (the store's unique key decides)."""
        ...

    def upsert_orders(self, orders: Sequence[Order], now: datetime) -> None: ...

    def upsert_seller(self, seller: Seller, now: datetime) -> None: ...

    def find_seller(self, seller_id: str) -> Seller | None: ...

    def find_application(self, application_id: str) -> Application | None: ...

    def add_application(self, application: Application, now: datetime) -> None: ...

    def put_usage_plan(self, key: BucketKey, plan: UsagePlan, now: datetime) -> None: ...

    def add_access_token(
        self, token_hash: str, seller_id: str, application_id: str, expires_at: datetime, now: datetime
    ) -> None: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        """A write transaction that takes the write lock up front, so concurrent writers queue."""
        ...

    def find_order(self, amazon_order_id: str) -> StoredOrder | None:
        """The hot read, outside any explicit transaction."""
        ...

    def find_caller(self, token_hash: str) -> Caller | None: ...

    def find_usage_plan(self, key: BucketKey) -> UsagePlan | None:
        """The plan granted to this seller, application and operation, if it differs from the default."""
        ...

    def ping(self) -> None:
        """Return when the store answers; StoreUnavailable otherwise."""
        ...

    def schema_is_current(self) -> bool:
        """True when the store's schema stands at the newest migration this code knows."""
        ...

    def close(self) -> None: ...


class Buckets(Protocol):
    """Token buckets, one per BucketKey, each step atomic wherever the buckets live."""

    async def take(self, key: BucketKey, plan: UsagePlan) -> Decision: ...

    async def level(self, key: BucketKey, plan: UsagePlan) -> float:
        """Tokens in the bucket now, without taking one."""
        ...

    async def ping(self) -> None:
        """Return when the buckets are reachable; BucketsUnavailable otherwise."""
        ...

    async def close(self) -> None: ...
