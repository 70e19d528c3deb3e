"""Operator use cases: sellers, orders, access tokens and a look at one order's state."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from solicitations.domain import errors, oauth
from solicitations.domain.eligibility import Ineligible, Window, assess, window
from solicitations.domain.identity import Application, Seller
from solicitations.domain.orders import Order, StoredOrder
from solicitations.domain.outbox import OutboxMessage
from solicitations.domain.tokens import token_hash
from solicitations.domain.usage_plans import BucketKey, UsagePlan
from solicitations.service.opt_outs import save_orders
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store
from solicitations.service.ports.tokens import TokenSource
from solicitations.service.ports.unit_of_work import UnitOfWork
from solicitations.service.solicitations import find_order


def add_access_token(
    uow: UnitOfWork,
    token: str,
    seller_id: str,
    application_id: str,
    roles: Iterable[str],
    expires_at: datetime,
    now: datetime,
) -> None:
    """Store the token's hash, creating the application with `roles` if it is new."""
    if uow.identity.find_application(application_id) is None:
        uow.identity.add_application(Application(application_id, application_id, frozenset(roles)), now)
    uow.identity.add_access_token(token_hash(token), seller_id, application_id, expires_at, now)


@dataclass(frozen=True, slots=True)
class OrderReport:
    """One order as an operator inspects it: eligibility as assessed `at`, and the email queued for it."""

    stored: StoredOrder
    reason: Ineligible | None  # None: eligible
    window: Window | None
    at: datetime
    message: OutboxMessage | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


class AdminService:
    def __init__(self, store: Store, clock: Clock, tokens: TokenSource, token_ttl: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._tokens = tokens
        self._token_ttl = token_ttl

    async def put_seller(self, seller: Seller) -> None:
        await self._store.write(lambda uow: uow.identity.upsert_seller(seller, self._clock()))

    async def put_order(self, order: Order) -> Order:
        """Store the order; what comes back may differ (a buyer who opted out before stays opted out)."""
        (stored,) = await self._store.write(lambda uow: save_orders(uow, [order], self._clock()))
        return stored

    async def issue(self, seller_id: str, application_id: str, roles: Iterable[str]) -> IssuedToken:
        """Mint an access token for a seller and application, creating the application if it is new."""
        now = self._clock()
        token = self._tokens.mint(oauth.ACCESS_TOKEN_PREFIX)
        await self._store.write(
            lambda uow: add_access_token(uow, token, seller_id, application_id, roles, now + self._token_ttl, now)
        )
        return IssuedToken(token, int(self._token_ttl.total_seconds()))

    async def put_usage_plan(self, key: BucketKey, plan: UsagePlan) -> None:
        """Grant a plan to one seller, application and operation; every node applies it within its cache bound."""
        await self._store.write(lambda uow: uow.usage_plans.put(key, plan, self._clock()))

    async def describe_order(self, amazon_order_id: str) -> OrderReport:
        """The order, whether it may be solicited now and why not, its solicitation and its email if any."""

        def read(uow: UnitOfWork) -> tuple[StoredOrder | None, OutboxMessage | None]:
            stored = find_order(uow.orders, amazon_order_id)
            return stored, None if stored is None else uow.outbox.find_for_order(amazon_order_id)

        stored, message = await self._store.read(read)
        if stored is None:
            raise errors.not_found(f"order {amazon_order_id}")
        now = self._clock()
        reason = assess(stored.order, already_solicited=stored.solicitation is not None, now=now)
        return OrderReport(stored, reason, window(stored.order), now, message)
