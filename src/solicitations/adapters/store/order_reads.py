"""The Orders API's reads of stored orders: one order with its LastUpdateDate, and getOrders' pages.

A page is one statement on an index that starts (seller_id, date, amazon_order_id): the seller's orders in
the date range, from the key after the last one returned, in key order, one more than the page holds.
Use cases run them through `Store.read`, which keeps PostgreSQL's waits off the event loop.
"""

from typing import Any

from sqlalchemy import and_, select, tuple_

from solicitations.adapters.store import schema
from solicitations.adapters.store.connection import Session, epoch, instant
from solicitations.adapters.store.orders import ORDER_COLUMNS, order_from_row
from solicitations.domain.order_queries import ListedOrder, OrdersQuery

_orders = schema.orders
_DATES = {"created": _orders.c.purchase_date, "updated": _orders.c.updated_at}
_SELECT = select(*ORDER_COLUMNS, _orders.c.updated_at)


def _listed(row: Any) -> ListedOrder:
    last_update = instant(row[len(ORDER_COLUMNS)])
    assert last_update is not None
    return ListedOrder(order_from_row(row), last_update)


class SqlOrderQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def find(self, amazon_order_id: str) -> ListedOrder | None:
        row = self._session.execute(_SELECT.where(_orders.c.amazon_order_id == amazon_order_id)).first()
        return None if row is None else _listed(row)

    def page(self, query: OrdersQuery) -> list[ListedOrder]:
        """Up to page_size + 1 orders after the query's position, in (date, order id) order."""
        date = _DATES[query.field]
        where = [
            _orders.c.seller_id == query.seller_id,
            date.between(epoch(query.after), epoch(query.before)),
            _orders.c.marketplace_id.in_(query.marketplace_ids),
        ]
        if query.statuses is not None:
            where.append(_orders.c.order_status.in_(query.statuses))
        if query.channels is not None:
            where.append(_orders.c.fulfillment_channel.in_(query.channels))
        if query.position is not None:
            last_date, last_id = query.position
            where.append(tuple_(date, _orders.c.amazon_order_id) > tuple_(epoch(last_date), last_id))
        statement = _SELECT.where(and_(*where)).order_by(date, _orders.c.amazon_order_id).limit(query.page_size + 1)
        return [_listed(row) for row in self._session.execute(statement)]
