"""Orders and their one solicitation, on SQL."""

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, select

from solicitations.adapters.store import schema
from solicitations.adapters.store.connection import Prepared, Session, chunks, epoch, instant, upsert
from solicitations.domain.messages import buyer_key
from solicitations.domain.orders import Order, OrderItem, Solicitation, StoredOrder

ORDER_COLUMNS = (
    schema.orders.c.amazon_order_id,
    schema.orders.c.seller_id,
    schema.orders.c.marketplace_id,
    schema.orders.c.order_status,
    schema.orders.c.purchase_date,
    schema.orders.c.earliest_delivery_date,
    schema.orders.c.latest_delivery_date,
    schema.orders.c.fulfillment_channel,
    schema.orders.c.buyer_email,
    schema.orders.c.buyer_locale,
    schema.orders.c.buyer_opted_out,
    schema.orders.c.order_items,
)
_SOLICITATION_COLUMNS = (
    schema.solicitations.c.action,
    schema.solicitations.c.seller_id,
    schema.solicitations.c.application_id,
    schema.solicitations.c.marketplace_id,
    schema.solicitations.c.created_at,
    schema.solicitations.c.request_id,
)
_FIND_ORDER = (
    select(*ORDER_COLUMNS, *_SOLICITATION_COLUMNS)
    .select_from(
        schema.orders.outerjoin(
            schema.solicitations,
            schema.solicitations.c.amazon_order_id == schema.orders.c.amazon_order_id,
        )
    )
    .where(schema.orders.c.amazon_order_id == bindparam("order_id"))
)
_SOLICITATION_ROW: dict[str, Any] = {column.name: bindparam(column.name) for column in schema.solicitations.c}


class OrderStatements:
    """The orders' hot statements, compiled once per engine."""

    def __init__(self, engine: Engine, insert: Any) -> None:
        self.find = Prepared(engine, _FIND_ORDER)
        self.add_solicitation = Prepared(
            engine,
            insert(schema.solicitations)
            .values(_SOLICITATION_ROW)
            .on_conflict_do_nothing(index_elements=["amazon_order_id"]),
        )


def _items_json(items: tuple[OrderItem, ...]) -> str | None:
    return json.dumps([item.to_document() for item in items]) if items else None


def _items(text: str | None) -> tuple[OrderItem, ...]:
    if text is None:
        return ()
    return tuple(
        OrderItem(
            asin=doc["ASIN"],
            quantity_ordered=doc["QuantityOrdered"],
            seller_sku=doc.get("SellerSKU"),
            title=doc.get("Title"),
        )
        for doc in json.loads(text)
    )


def order_from_row(row: Sequence[Any]) -> Order:
    """An order from a row that starts with ORDER_COLUMNS (the Orders API's reads share it)."""
    return Order(
        amazon_order_id=row[0],
        seller_id=row[1],
        marketplace_id=row[2],
        order_status=row[3],
        purchase_date=instant(row[4]),
        earliest_delivery_date=instant(row[5]),
        latest_delivery_date=instant(row[6]),
        fulfillment_channel=row[7],
        buyer_email=row[8],
        buyer_locale=row[9],
        buyer_opted_out=bool(row[10]),
        items=_items(row[11]),
    )


def _stored_order(row: Sequence[Any]) -> StoredOrder:
    order = order_from_row(row)
    solicitation = None
    if row[12] is not None:
        created_at = instant(row[16])
        assert created_at is not None
        solicitation = Solicitation(
            amazon_order_id=order.amazon_order_id,
            action=row[12],
            seller_id=row[13],
            application_id=row[14],
            marketplace_id=row[15],
            created_at=created_at,
            request_id=row[17],
        )
    return StoredOrder(order, solicitation)


class SqlOrders:
    """The OrderRepository."""

    def __init__(self, session: Session, statements: OrderStatements) -> None:
        self._session = session
        self._statements = statements

    def find(self, amazon_order_id: str) -> StoredOrder | None:
        row = self._session.fetch_one(self._statements.find, {"order_id": amazon_order_id})
        return None if row is None else _stored_order(row)

    def add_solicitation(self, solicitation: Solicitation) -> bool:
        added = self._session.run(
            self._statements.add_solicitation,
            {
                "amazon_order_id": solicitation.amazon_order_id,
                "action": solicitation.action,
                "seller_id": solicitation.seller_id,
                "application_id": solicitation.application_id,
                "marketplace_id": solicitation.marketplace_id,
                "created_at": epoch(solicitation.created_at),
                "request_id": solicitation.request_id,
            },
        )
        return added == 1

    def upsert(self, orders: Sequence[Order], now: datetime) -> None:
        upsert(
            self._session,
            schema.orders,
            "amazon_order_id",
            [
                {
                    "amazon_order_id": o.amazon_order_id,
                    "seller_id": o.seller_id,
                    "marketplace_id": o.marketplace_id,
                    "order_status": o.order_status,
                    "purchase_date": epoch(o.purchase_date),
                    "earliest_delivery_date": epoch(o.earliest_delivery_date),
                    "latest_delivery_date": epoch(o.latest_delivery_date),
                    "fulfillment_channel": o.fulfillment_channel,
                    "buyer_email": o.buyer_email,
                    "buyer_locale": o.buyer_locale,
                    "buyer_opted_out": o.buyer_opted_out,
                    "updated_at": epoch(now),
                    "buyer_key": None if o.buyer_email is None else buyer_key(o.buyer_email),
                    "order_items": _items_json(o.items),
                }
                for o in orders
            ],
        )

    def forget_solicitations(self, amazon_order_ids: Collection[str]) -> None:
        table = schema.solicitations
        for chunk in chunks(amazon_order_ids):
            self._session.execute(delete(table).where(table.c.amazon_order_id.in_(chunk)))
