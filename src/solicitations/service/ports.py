"""What the use cases need from the world, as protocols the adapters fulfil."""

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol, TypeVar

from solicitations.domain.callers import Caller
from solicitations.domain.messages import MessageState
from solicitations.domain.orders import Order
from solicitations.domain.usage_plans import Decision, UsagePlan

R = TypeVar("R")


class Clock(Protocol):
    """Business time, read only through the clock the composition root owns: now, timezone-aware UTC."""

    def __call__(self) -> datetime: ...


class StoreUnavailable(Exception):
    """The store cannot be reached or answered with a transient failure; the client gets a 503."""


class BucketsUnavailable(Exception):
    """The rate-limit buckets cannot be reached; the request is refused with 503, never let through."""


class SecretHasherBusy(Exception):
    """Every secret-hashing thread is taken and the waiting line is full: 503 at once, not an unbounded wait."""


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
    client_id: str | None = None
    secret_hash: str | None = None  # argon2; None for applications made by the token shortcut
    state: str = "active"  # active | suspended
    redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Authorization:
    authorization_id: str
    seller_id: str
    application_id: str
    revoked: bool


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    seller_id: str
    application_id: str
    redirect_uri: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One solicitation's email in the outbox, as operators see it."""

    outbox_id: int
    amazon_order_id: str
    message_id: str
    state: MessageState
    attempts: int
    due_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """The outbox at a glance, for operators: messages per state (every state, 0 when none) and when the
    oldest pending one's solicitation was recorded (None: nothing pending)."""

    by_state: Mapping[MessageState, int]
    oldest_pending_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message leased to one worker; `attempts` already counts the attempt about to be made."""

    outbox_id: int
    amazon_order_id: str
    message_id: str
    attempts: int


@dataclass(frozen=True, slots=True)
class MessageUpdate:
    """A worker's verdict on a claimed message, written back in one batch."""

    outbox_id: int
    state: MessageState
    due_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class OptOutToken:
    """What an opt-out link's token stands for; the token itself is kept only as a hash."""

    token_hash: str
    buyer_key: str
    amazon_order_id: str


class DeliveryFailed(Exception):
    """A message could not be delivered. Permanent failures are not retried; the reason names no buyer."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message on for delivery, or raise DeliveryFailed."""
        ...


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
        self,
        token_hash: str,
        seller_id: str,
        application_id: str,
        expires_at: datetime,
        now: datetime,
        authorization_id: str | None = None,
    ) -> None: ...

    def remove_access_token(self, token_hash: str) -> None: ...

    def find_application_by_client_id(self, client_id: str) -> Application | None: ...

    def list_applications(self) -> list[Application]: ...

    def update_application(
        self, application_id: str, *, secret_hash: str | None = None, state: str | None = None
    ) -> bool: ...

    def add_authorization(self, authorization: Authorization, refresh_token_hash: str, now: datetime) -> None:
        """Record it, revoking any earlier authorization of the same seller and application."""
        ...

    def find_authorization(self, refresh_token_hash: str) -> Authorization | None: ...

    def revoke_authorizations(self, seller_id: str, application_id: str, now: datetime) -> int: ...

    def add_authorization_code(self, code_hash: str, code: AuthorizationCode) -> None: ...

    def use_authorization_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        """The code if it exists and was never used; it is marked used in the same step."""
        ...

    def set_seller_password(self, seller_id: str, password_hash: str) -> bool: ...

    def find_seller_password(self, seller_id: str) -> str | None: ...

    def add_message(self, amazon_order_id: str, message_id: str, now: datetime) -> None:
        """Queue the order's email, due now: the outbox row written with the solicitation."""
        ...

    def claim_messages(self, worker_id: str, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedMessage]:
        """Lease up to `limit` due pending messages whose lease is free or expired, counting an attempt."""
        ...

    def record_messages(self, worker_id: str, updates: Sequence[MessageUpdate]) -> None:
        """Write verdicts and free the leases; a verdict on a lease since taken by another worker is dropped,
        except SENT, which is true whoever holds the lease."""
        ...

    def requeue_messages(self, outbox_id: int | None, now: datetime) -> int:
        """Make dead messages (one, or all when None) pending and due now with fresh attempts; how many."""
        ...

    def find_message(self, outbox_id: int) -> OutboxMessage | None: ...

    def add_opt_out_tokens(self, tokens: Sequence[OptOutToken], now: datetime) -> None: ...

    def opt_out_buyer(self, buyer_key: str, now: datetime) -> None:
        """Remember the buyer's opt-out and mark every stored order of theirs."""
        ...

    def opted_out_buyers(self, buyer_keys: Collection[str]) -> set[str]:
        """Those of `buyer_keys` that opted out."""
        ...

    def reset_orders(self, amazon_order_ids: Collection[str], buyer_keys: Collection[str]) -> None:
        """Forget what happened to these orders and buyers: their solicitations, outbox messages, opt-out
        tokens and opt-outs. The orders themselves stay; the demo re-seeds them."""
        ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        """A write transaction that takes the write lock up front, so concurrent writers queue."""
        ...

    def write(self, work: Callable[[UnitOfWork], R]) -> Awaitable[R]:
        """Run `work` in a write transaction off the event loop; await its result (or its exception) once
        committed. Must be awaited on the loop that asked: the caller's loop never waits on the database."""
        ...

    def read(self, work: Callable[[], R]) -> Awaitable[R]:
        """Run `work` (reads of this store) where the database's waits do not stall the event loop: inline
        where reads never wait (SQLite), off the loop where they may (PostgreSQL, behind another session's lock).
        Await its result on the loop that asked."""
        ...

    def find_order(self, amazon_order_id: str) -> StoredOrder | None:
        """The hot read, outside any explicit transaction."""
        ...

    def find_caller(self, token_hash: str) -> Caller | None: ...

    def find_message_for_order(self, amazon_order_id: str) -> OutboxMessage | None: ...

    def list_messages(self, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        """Messages in one state (or all), oldest first."""
        ...

    def find_opt_out_token(self, token_hash: str) -> OptOutToken | None: ...

    def outbox_counts(self) -> OutboxCounts:
        """Messages per state and the oldest pending one, in one aggregate read (for /metrics)."""
        ...

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


class SecretHasher(Protocol):
    """Slow, salted hashes of client secrets and passwords, awaited: the hashing never runs on the event loop."""

    async def hash(self, secret: str) -> str: ...

    async def verify(self, stored_hash: str | None, secret: str) -> bool:
        """Whether `secret` matches; as costly when no hash is stored (an unknown client or seller), so a miss
        cannot be told from a hit by its time. Either method may raise SecretHasherBusy."""
        ...


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
