"""The Orders API v0 read side: getOrders' parameter rules and paging, and orders as its operations shape them.

Pure: the caller passes the request's parameters and the time; the store is asked with an `OrdersQuery`.
Paging is by key (the filtered date, then the order id), so a page never repeats or skips an order that was
there when the first page was asked, whatever is added meanwhile; the NextToken carries the whole query and
the last key, so a later page needs nothing but the token (the model: NextToken "doesn't affect any filters").
"""

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson

from solicitations.domain import errors
from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.orders import FULFILLMENT_CHANNELS, ORDER_STATUSES, Order, format_timestamp

MAX_PAGE = 100  # MaxResultsPerPage: "Value must be 1 - 100. Default 100."
MAX_MARKETPLACES = 50  # the model's maxItems
ITEMS_PAGE = 20  # order items per getOrderItems page (our choice: the model names no size)
# "...must be ... at least two minutes before current time" (the model, for CreatedBefore and LastUpdatedBefore).
SETTLING = timedelta(minutes=2)

# Observed answers to requests that break a rule (models#974, models#2233) and to dates that do not parse
# (models#1437).
INVALID = errors.Failure(
    400, "InvalidInput", "The input you have submitted is not valid. Please check your input and try again."
)
INVALID_DATE = errors.Failure(400, "InvalidInput", "This is an invalid input")

Field = Literal["created", "updated"]
_AFTER = {"created": "CreatedAfter", "updated": "LastUpdatedAfter"}
_BEFORE = {"created": "CreatedBefore", "updated": "LastUpdatedBefore"}


def _invalid() -> errors.ApiError:
    return errors.ApiError(INVALID)


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """A stored order with the time it last changed in the store: the Orders API's LastUpdateDate."""

    order: Order
    last_update: datetime


@dataclass(frozen=True, slots=True)
class OrdersQuery:
    """One getOrders question, for one seller: orders of these marketplaces whose `field` date lies in
    [after, before], optionally of these statuses and channels, in pages of `page_size` after `position`."""

    seller_id: str
    marketplace_ids: tuple[str, ...]
    field: Field
    after: datetime
    before: datetime
    statuses: tuple[str, ...] | None
    channels: tuple[str, ...] | None
    page_size: int
    position: tuple[datetime, str] | None = None  # the key of the last order already returned

    def next_token(self, last: tuple[datetime, str]) -> str:
        """The opaque NextToken of the page after `last`; the seller is not in it (the caller is)."""
        state = {
            "m": self.marketplace_ids,
            "f": self.field,
            "a": _epoch(self.after),
            "b": _epoch(self.before),
            "s": self.statuses,
            "c": self.channels,
            "n": self.page_size,
            "k": [_epoch(last[0]), last[1]],
        }
        return base64.urlsafe_b64encode(orjson.dumps(state)).decode()

    def before_field(self) -> str:
        """The response names the upper bound it used: CreatedBefore or LastUpdatedBefore."""
        return _BEFORE[self.field]


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str] | None:
    """An array parameter, repeated or comma-separated (clients send both); None when absent."""
    raw = params.get(name)
    if not raw:
        return None
    return [value for item in raw for value in item.split(",")]


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    raw = params.get(name)
    if not raw:
        return None
    if len(raw) > 1:
        raise _invalid()
    return raw[0]


def _marketplaces(params: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    values = _values(params, "MarketplaceIds")
    if not values or len(values) > MAX_MARKETPLACES or any(v not in MARKETPLACES for v in values):
        raise _invalid()
    return tuple(sorted(set(values)))


def _members(params: Mapping[str, Sequence[str]], name: str, allowed: frozenset[str]) -> tuple[str, ...] | None:
    values = _values(params, name)
    if values is None:
        return None
    if any(v not in allowed for v in values):
        raise _invalid()
    return tuple(sorted(set(values)))


def parse_date(value: str) -> datetime | None:
    """An ISO 8601 date or date-time; one without a zone is UTC (Amazon reads it so). None: not a date."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        instant = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return instant if 1970 <= instant.year <= 9000 else None


def _dates(params: Mapping[str, Sequence[str]], names: Sequence[str]) -> dict[str, datetime | None]:
    """The named date parameters, parsed; 400 naming every one that is not a date."""
    raw = {name: _one(params, name) for name in names}
    parsed = {name: None if text is None else parse_date(text) for name, text in raw.items()}
    bad = [name for name in names if raw[name] is not None and parsed[name] is None]
    if bad:
        fields = ", ".join(name[0].lower() + name[1:] for name in bad)
        raise errors.ApiError(INVALID_DATE.with_details(f"Invalid date-time field(s) [{fields}]."))
    return parsed


def _page_size(params: Mapping[str, Sequence[str]]) -> int:
    text = _one(params, "MaxResultsPerPage")
    if text is None:
        return MAX_PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise _invalid()
    return int(text)


def orders_query(params: Mapping[str, Sequence[str]], seller_id: str, now: datetime) -> OrdersQuery:
    """getOrders' parameters read by the model's rules, or the 400 Amazon answers.

    With a NextToken the token's query holds and the other filters are not read again; MarketplaceIds stays
    required, as the model says."""
    _marketplaces(params)
    token = _one(params, "NextToken")
    if token is not None:
        return _from_token(token, seller_id)
    dates = _dates(params, ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"))
    created = dates["CreatedAfter"] is not None or dates["CreatedBefore"] is not None
    updated = dates["LastUpdatedAfter"] is not None or dates["LastUpdatedBefore"] is not None
    if created == updated:  # neither, or both kinds: exactly one of CreatedAfter and LastUpdatedAfter
        raise _invalid()
    field: Field = "created" if created else "updated"
    after, before = dates[_AFTER[field]], dates[_BEFORE[field]]
    latest = now - SETTLING
    if after is None or after > latest or (before is not None and not after <= before <= latest):
        raise _invalid()
    return OrdersQuery(
        seller_id=seller_id,
        marketplace_ids=_marketplaces(params),
        field=field,
        after=after,
        before=latest if before is None else before,
        statuses=_members(params, "OrderStatuses", ORDER_STATUSES),
        channels=_members(params, "FulfillmentChannels", FULFILLMENT_CHANNELS),
        page_size=_page_size(params),
    )


def _from_token(token: str, seller_id: str) -> OrdersQuery:
    """The query a NextToken carries, checked as strictly as the parameters it stands for: a client may send
    anything. 400 when it is not a token this service wrote."""
    try:
        state = orjson.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        marketplaces, statuses, channels = state["m"], state["s"], state["c"]
        last_date, last_id = state["k"]
        query = OrdersQuery(
            seller_id=seller_id,
            marketplace_ids=tuple(marketplaces),
            field=state["f"],
            after=datetime.fromtimestamp(state["a"], UTC),
            before=datetime.fromtimestamp(state["b"], UTC),
            statuses=None if statuses is None else tuple(statuses),
            channels=None if channels is None else tuple(channels),
            page_size=state["n"],
            position=(datetime.fromtimestamp(last_date, UTC), last_id),
        )
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        raise _invalid() from None
    if not (
        query.field in _AFTER
        and 1 <= len(query.marketplace_ids) <= MAX_MARKETPLACES
        and set(query.marketplace_ids) <= MARKETPLACES.keys()
        and (query.statuses is None or set(query.statuses) <= ORDER_STATUSES)
        and (query.channels is None or set(query.channels) <= FULFILLMENT_CHANNELS)
        and isinstance(query.page_size, int)
        and 1 <= query.page_size <= MAX_PAGE
        and isinstance(last_id, str)
    ):
        raise _invalid()
    return query


def page_of(query: OrdersQuery, found: Sequence[ListedOrder]) -> tuple[Sequence[ListedOrder], str | None]:
    """The page and its NextToken from up to page_size + 1 orders read in key order (one more: there is more)."""
    if len(found) <= query.page_size:
        return found, None
    page = found[: query.page_size]
    last = page[-1]
    return page, query.next_token((sort_date(last, query.field), last.order.amazon_order_id))


def sort_date(listed: ListedOrder, field: Field) -> datetime:
    """The date an order is filtered and paged by. An order stored without PurchaseDate answers its LastUpdateDate
    there (the model requires one); the store's date filter never finds it by creation."""
    if field == "updated":
        return listed.last_update
    return listed.order.purchase_date or listed.last_update


def order_document(listed: ListedOrder, buyer_info: bool) -> dict[str, Any]:
    """An Order as getOrders and getOrder answer it; BuyerInfo only for a restricted data token that grants it."""
    order = listed.order
    doc: dict[str, Any] = {
        "AmazonOrderId": order.amazon_order_id,
        "PurchaseDate": format_timestamp(sort_date(listed, "created")),
        "LastUpdateDate": format_timestamp(listed.last_update),
        "OrderStatus": order.order_status,
    }
    if order.fulfillment_channel is not None:
        doc["FulfillmentChannel"] = order.fulfillment_channel
    doc["MarketplaceId"] = order.marketplace_id
    for key, value in (
        ("EarliestDeliveryDate", order.earliest_delivery_date),
        ("LatestDeliveryDate", order.latest_delivery_date),
    ):
        if value is not None:
            doc[key] = format_timestamp(value)
    if buyer_info and order.buyer_email is not None:
        doc["BuyerInfo"] = {"BuyerEmail": order.buyer_email}
    return doc


def buyer_info_document(order: Order, restricted: bool) -> dict[str, Any]:
    """getOrderBuyerInfo's payload: the buyer's email only with a restricted data token for this path."""
    doc: dict[str, Any] = {"AmazonOrderId": order.amazon_order_id}
    if restricted and order.buyer_email is not None:
        doc["BuyerEmail"] = order.buyer_email
    return doc


def order_item_id(amazon_order_id: str, index: int) -> str:
    """A stable 14-digit OrderItemId (stored items have none): derived from the order and the item's place."""
    digest = int(hashlib.sha256(amazon_order_id.encode("utf-8", "surrogatepass")).hexdigest()[:12], 16)
    return f"{digest % 10**12:012d}{index:02d}"


def items_page(order: Order, token: str | None) -> dict[str, Any]:
    """getOrderItems' payload: ITEMS_PAGE items from where `token` says (the first when None); 400 for a token
    that is not this order's."""
    start = 0
    if token is not None:
        prefix = order.amazon_order_id + ":"
        try:
            decoded = base64.urlsafe_b64decode(token.encode("ascii")).decode()
        except (ValueError, UnicodeError):
            raise _invalid() from None
        offset = decoded.removeprefix(prefix)
        if offset == decoded or not offset.isdigit() or not 0 < int(offset) < len(order.items):
            raise _invalid()
        start = int(offset)
    end = start + ITEMS_PAGE
    items = []
    for index, item in enumerate(order.items[start:end], start):
        doc = item.to_document()
        items.append({"ASIN": doc.pop("ASIN"), "OrderItemId": order_item_id(order.amazon_order_id, index), **doc})
    payload: dict[str, Any] = {"OrderItems": items}
    if end < len(order.items):
        payload["NextToken"] = base64.urlsafe_b64encode(f"{order.amazon_order_id}:{end}".encode()).decode()
    payload["AmazonOrderId"] = order.amazon_order_id
    return payload
