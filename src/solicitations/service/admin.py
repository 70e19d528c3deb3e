"""Operator use cases: sellers, orders, access tokens and a look at one order's state."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from solicitations.domain import errors, oauth
from solicitations.domain.eligibility import assess, window
from solicitations.domain.identity import Application, Seller
from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.orders import InvalidOrder, Order, StoredOrder, format_timestamp, order_from_document
from solicitations.domain.outbox import OutboxMessage
from solicitations.domain.tokens import token_hash
from solicitations.domain.usage_plans import DEFAULT_PLANS, BucketKey, UsagePlan
from solicitations.service.opt_outs import save_orders
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store
from solicitations.service.ports.tokens import TokenSource
from solicitations.service.ports.unit_of_work import UnitOfWork
from solicitations.service.solicitations import find_order

DEFAULT_ROLES = ("Buyer Solicitation",)
_MAX_NAME = 200
_MAX_ID = 64
# Bucket levels must stay exact integers in a double (Redis's Lua): capacity * 1e12 < 2**53.
MAX_BURST = 9000
MIN_RATE, MAX_RATE = 0.000001, 100_000.0


def invalid(details: str) -> errors.ApiError:
    return errors.ApiError(errors.INVALID_INPUT.with_details(details))


def identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_ID:
        raise invalid(f"{field} must be a non-empty string of at most {_MAX_ID} characters")
    return value


def known_operation(operation: str) -> str:
    """The operation id if a usage plan can name it; 404 naming it otherwise."""
    if operation not in DEFAULT_PLANS:
        raise errors.not_found(f"operation {operation}")
    return operation


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


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def message_document(message: OutboxMessage) -> dict[str, Any]:
    """An outbox message as the admin API and the CLI show it: ids and state, never the address."""
    return {
        "id": message.outbox_id,
        "amazonOrderId": message.amazon_order_id,
        "messageId": message.message_id,
        "state": message.state.value,
        "attempts": message.attempts,
        "lastError": message.last_error,
        "nextAttemptAt": _timestamp(message.due_at),
        "sentAt": _timestamp(message.sent_at),
        "createdAt": _timestamp(message.created_at),
    }


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

    async def put_seller(self, seller_id: str, body: object) -> Seller:
        identifier(seller_id, "sellerId")
        if not isinstance(body, Mapping):
            raise invalid("the body must be a JSON object")
        name = body.get("name", seller_id)
        if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME:
            raise invalid(f"name must be a non-empty string of at most {_MAX_NAME} characters")
        marketplace_ids = body.get("marketplaceIds", [])
        if not isinstance(marketplace_ids, list) or not all(
            isinstance(m, str) and m in MARKETPLACES for m in marketplace_ids
        ):
            raise invalid("marketplaceIds must be a list of known marketplace ids")
        seller = Seller(seller_id, name, tuple(dict.fromkeys(marketplace_ids)))
        await self._store.write(lambda uow: uow.identity.upsert_seller(seller, self._clock()))
        return seller

    async def put_order(self, amazon_order_id: str, body: object) -> Order:
        if isinstance(body, Mapping):
            body = {"AmazonOrderId": amazon_order_id, **body}
            if body["AmazonOrderId"] != amazon_order_id:
                raise invalid("AmazonOrderId in the body differs from the one in the path")
        try:
            order = order_from_document(body)
        except InvalidOrder as exc:
            raise invalid(str(exc)) from exc
        (stored,) = await self._store.write(lambda uow: save_orders(uow, [order], self._clock()))
        return stored

    async def issue_access_token(self, body: object) -> IssuedToken:
        """Mint an access token for a seller and application, creating the application if it is new."""
        if not isinstance(body, Mapping):
            raise invalid("the body must be a JSON object")
        seller_id = identifier(body.get("sellerId"), "sellerId")
        application_id = identifier(body.get("applicationId"), "applicationId")
        roles = body.get("roles", list(DEFAULT_ROLES))
        if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
            raise invalid("roles must be a list of role names")
        return await self.issue(seller_id, application_id, roles)

    async def issue(self, seller_id: str, application_id: str, roles: list[str]) -> IssuedToken:
        now = self._clock()
        token = self._tokens.mint(oauth.ACCESS_TOKEN_PREFIX)
        await self._store.write(
            lambda uow: add_access_token(uow, token, seller_id, application_id, roles, now + self._token_ttl, now)
        )
        return IssuedToken(token, int(self._token_ttl.total_seconds()))

    async def put_usage_plan(self, key: BucketKey, body: object) -> UsagePlan:
        """Grant a plan to one seller, application and operation; every node applies it within its cache bound."""
        identifier(key.seller_id, "sellerId")
        identifier(key.application_id, "applicationId")
        known_operation(key.operation)
        if not isinstance(body, Mapping):
            raise invalid("the body must be a JSON object")
        rate, burst = body.get("rate"), body.get("burst")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not MIN_RATE <= rate <= MAX_RATE:
            raise invalid(f"rate must be a number of requests per second from {MIN_RATE} to {MAX_RATE}")
        if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= MAX_BURST:
            raise invalid(f"burst must be a whole number from 1 to {MAX_BURST}")
        plan = UsagePlan(float(rate), burst)
        await self._store.write(lambda uow: uow.usage_plans.put(key, plan, self._clock()))
        return plan

    async def describe_order(self, amazon_order_id: str) -> dict[str, Any]:
        """The order, whether it may be solicited now and why not, its solicitation and its email if any."""

        def read(uow: UnitOfWork) -> tuple[StoredOrder | None, OutboxMessage | None]:
            stored = find_order(uow.orders, amazon_order_id)
            return stored, None if stored is None else uow.outbox.find_for_order(amazon_order_id)

        stored, message = await self._store.read(read)
        if stored is None:
            raise errors.not_found(f"order {amazon_order_id}")
        now = self._clock()
        reason = assess(stored.order, already_solicited=stored.solicitation is not None, now=now)
        span = window(stored.order)
        solicitation = stored.solicitation
        return {
            "order": stored.order.to_document(),
            "eligibility": {
                "eligible": reason is None,
                "reason": None if reason is None else reason.value,
                "at": format_timestamp(now),
                "window": None
                if span is None
                else {"opens": format_timestamp(span.opens), "closes": format_timestamp(span.closes)},
            },
            "solicitation": None
            if solicitation is None
            else {
                "action": solicitation.action,
                "applicationId": solicitation.application_id,
                "marketplaceId": solicitation.marketplace_id,
                "createdAt": format_timestamp(solicitation.created_at),
                "requestId": solicitation.request_id,
            },
            "message": None if message is None else message_document(message),
        }
