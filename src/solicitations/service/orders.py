"""The Orders API v0 read operations as use cases: a seller's own orders, nobody else's."""

from collections.abc import Mapping, Sequence
from typing import Any

from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.order_queries import (
    ListedOrder,
    buyer_info_document,
    items_page,
    order_document,
    orders_query,
    page_of,
)
from solicitations.domain.orders import could_exist, format_timestamp
from solicitations.domain.restricted_data import BUYER_INFO
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store


class OrdersService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def orders(
        self, caller: Caller, params: Mapping[str, Sequence[str]], data_elements: frozenset[str]
    ) -> dict[str, Any]:
        """getOrders' payload: one page of the caller's orders the parameters select."""
        query = orders_query(params, caller.seller_id, self._clock())
        page, next_token = page_of(query, await self._store.read(lambda uow: uow.order_queries.page(query)))
        payload: dict[str, Any] = {"Orders": [order_document(o, BUYER_INFO in data_elements) for o in page]}
        if next_token is not None:
            payload["NextToken"] = next_token
        payload[query.before_field()] = format_timestamp(query.before)
        return payload

    async def order(self, caller: Caller, amazon_order_id: str, data_elements: frozenset[str]) -> dict[str, Any]:
        """getOrder's payload."""
        return order_document(await self._visible(caller, amazon_order_id), BUYER_INFO in data_elements)

    async def items(self, caller: Caller, amazon_order_id: str, next_token: str | None) -> dict[str, Any]:
        """getOrderItems' payload: one page of the order's items."""
        return items_page((await self._visible(caller, amazon_order_id)).order, next_token)

    async def buyer_info(self, caller: Caller, amazon_order_id: str, restricted: bool) -> dict[str, Any]:
        """getOrderBuyerInfo's payload; the buyer's email only when `restricted` (an RDT for this path)."""
        return buyer_info_document((await self._visible(caller, amazon_order_id)).order, restricted)

    async def _visible(self, caller: Caller, amazon_order_id: str) -> ListedOrder:
        """The caller's own order; 404 alike for another seller's and for none."""
        found = None
        if could_exist(amazon_order_id):  # ids no order can have are not asked about
            found = await self._store.read(lambda uow: uow.order_queries.find(amazon_order_id))
        if found is None or found.order.seller_id != caller.seller_id:
            raise errors.ApiError(errors.NOT_FOUND)
        return found
