"""Operator use cases: sellers, orders, access tokens and a look at one order's state."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from solicitations.adapters import tokens
from solicitations.domain import errors, oauth
from solicitations.domain.eligibility import Ineligible, Window, assess, window
from solicitations.domain.orders import Order
from solicitations.domain.usage_plans import UsagePlan
from solicitations.service.opt_outs import save_orders
from solicitations.service.ports import (
    Application,
    BucketKey,
    Clock,
    OutboxMessage,
    Seller,
    Store,
    StoredOrder,
    UnitOfWork,
)
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
    if uow.find_application(application_id) is None:
        uow.add_application(Application(application_id, application_id, frozenset(roles)), now)
    uow.add_access_token(tokens.token_hash(token), seller_id, application_id, expires_at, now)


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
    def __init__(self, store: Store, clock: Clock, token_ttl: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._token_ttl = token_ttl

    def put_seller(self, seller: Seller) -> None:
        with self._store.transaction() as uow:
            uow.upsert_seller(seller, self._clock())

    def put_order(self, order: Order) -> Order:
        """Store the order; what comes back may differ (a buyer who opted out before stays opted out)."""
        with self._store.transaction() as uow:
            (stored,) = save_orders(uow, [order], self._clock())
        return stored

    def issue(self, seller_id: str, application_id: str, roles: Iterable[str]) -> IssuedToken:
        """Mint an access token for a seller and application, creating the application if it is new."""
        now = self._clock()
        token = tokens.mint(oauth.ACCESS_TOKEN_PREFIX)
        with self._store.transaction() as uow:
            add_access_token(uow, token, seller_id, application_id, roles, now + self._token_ttl, now)
        return IssuedToken(token, int(self._token_ttl.total_seconds()))

    def put_usage_plan(self, key: BucketKey, plan: UsagePlan) -> None:
        """Grant a plan to one seller, application and operation; every node applies it within its cache bound."""
        with self._store.transaction() as uow:
            uow.put_usage_plan(key, plan, self._clock())

    def describe_order(self, amazon_order_id: str) -> OrderReport:
        """The order, whether it may be solicited now and why not, its solicitation and its email if any."""
        stored = find_order(self._store.find_order, amazon_order_id)
        if stored is None:
            raise errors.not_found(f"order {amazon_order_id}")
        now = self._clock()
        reason = assess(stored.order, already_solicited=stored.solicitation is not None, now=now)
        message = self._store.find_message_for_order(amazon_order_id)
        return OrderReport(stored, reason, window(stored.order), now, message)
