"""Buyers opting out of solicitations, through the link in every email; and orders that respect it."""

from collections.abc import Sequence
from datetime import datetime

from solicitations.domain import errors
from solicitations.domain.messages import OptOutToken, buyer_key, respecting_opt_outs
from solicitations.domain.orders import Order
from solicitations.domain.tokens import token_hash
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store
from solicitations.service.ports.unit_of_work import UnitOfWork

MAX_TOKEN_LENGTH = 128


def save_orders(uow: UnitOfWork, orders: Sequence[Order], now: datetime) -> list[Order]:
    """Upsert orders as stored: a buyer who opted out stays opted out whatever a document says."""
    keys = {buyer_key(o.buyer_email) for o in orders if o.buyer_email is not None}
    stored = respecting_opt_outs(orders, uow.opt_outs.opted_out_buyers(keys) if keys else set())
    uow.orders.upsert(stored, now)
    return stored


def _token(token: str, uow: UnitOfWork) -> OptOutToken:
    found = uow.opt_outs.find_token(token_hash(token)) if len(token) <= MAX_TOKEN_LENGTH else None
    if found is None:
        raise errors.ApiError(errors.NOT_FOUND)
    return found


def _locale(found: OptOutToken, uow: UnitOfWork) -> str:
    stored = uow.orders.find(found.amazon_order_id)
    assert stored is not None, "orders are never deleted"
    return stored.order.locale()


class OptOutService:
    """The buyer's pages: every store call awaited, so a locked store never holds up the event loop."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def locale(self, token: str) -> str:
        """The locale of the order whose email carried the token: the opt-out page speaks it. 404 if unknown."""
        return await self._store.read(lambda uow: _locale(_token(token, uow), uow))

    async def opt_out(self, token: str) -> str:
        """Opt the token's buyer out of every later solicitation; idempotent. The page's locale."""
        found = await self._store.read(lambda uow: _token(token, uow))

        def opt_out(uow: UnitOfWork) -> str:
            uow.opt_outs.opt_out_buyer(found.buyer_key, self._clock())
            return _locale(found, uow)

        return await self._store.write(opt_out)
