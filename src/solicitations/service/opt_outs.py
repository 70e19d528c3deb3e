"""Buyers opting out of solicitations, through the link in every email; and orders that respect it."""

from collections.abc import Sequence
from datetime import datetime

from solicitations.adapters.tokens import token_hash
from solicitations.domain import errors
from solicitations.domain.messages import buyer_key, respecting_opt_outs
from solicitations.domain.orders import Order
from solicitations.service.ports import Clock, OptOutToken, Store, UnitOfWork

MAX_TOKEN_LENGTH = 128


def save_orders(uow: UnitOfWork, orders: Sequence[Order], now: datetime) -> list[Order]:
    """Upsert orders as stored: a buyer who opted out stays opted out whatever a document says."""
    keys = {buyer_key(o.buyer_email) for o in orders if o.buyer_email is not None}
    stored = respecting_opt_outs(orders, uow.opted_out_buyers(keys) if keys else set())
    uow.upsert_orders(stored, now)
    return stored


class OptOutService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def _token(self, token: str) -> OptOutToken:
        found = self._store.find_opt_out_token(token_hash(token)) if len(token) <= MAX_TOKEN_LENGTH else None
        if found is None:
            raise errors.ApiError(errors.NOT_FOUND)
        return found

    def _locale(self, found: OptOutToken) -> str:
        stored = self._store.find_order(found.amazon_order_id)
        assert stored is not None, "orders are never deleted"
        return stored.order.locale()

    def locale(self, token: str) -> str:
        """The locale of the order whose email carried the token: the opt-out page speaks it. 404 if unknown."""
        return self._locale(self._token(token))

    def opt_out(self, token: str) -> str:
        """Opt the token's buyer out of every later solicitation; idempotent. The page's locale."""
        found = self._token(token)
        with self._store.transaction() as uow:
            uow.opt_out_buyer(found.buyer_key, self._clock())
        return self._locale(found)
