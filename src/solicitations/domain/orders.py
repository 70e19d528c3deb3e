"""Orders as the Orders API shapes them, reduced to the fields the solicitation rules read."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from solicitations.domain.identifiers import InvalidIdentifier, identifier
from solicitations.domain.marketplaces import MARKETPLACES

ORDER_STATUSES = frozenset(
    {
        "PendingAvailability",
        "Pending",
        "Unshipped",
        "PartiallyShipped",
        "Shipped",
        "InvoiceUnconfirmed",
        "Canceled",
        "Unfulfillable",
    }
)
FULFILLMENT_CHANNELS = frozenset({"AFN", "MFN"})
# Dates are stored as epoch seconds, and the solicitation window adds 30 days: keep far from both ends.
MIN_YEAR, MAX_YEAR = 1970, 9000
MAX_ITEMS = 100
MAX_TITLE_LENGTH = 500
_LOCALE = re.compile(r"[a-z]{2,3}_[A-Z]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_ASIN = re.compile(r"[A-Z0-9]{10}")


class InvalidOrder(ValueError):
    """An order document that cannot be stored; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line of the order, as getOrderItems shapes it (the fields the buyer's email shows)."""

    asin: str
    quantity_ordered: int
    seller_sku: str | None = None
    title: str | None = None

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"ASIN": self.asin}
        if self.seller_sku is not None:
            doc["SellerSKU"] = self.seller_sku
        if self.title is not None:
            doc["Title"] = self.title
        doc["QuantityOrdered"] = self.quantity_ordered
        return doc


@dataclass(frozen=True, slots=True)
class Order:
    amazon_order_id: str
    seller_id: str
    marketplace_id: str
    order_status: str
    purchase_date: datetime | None = None
    earliest_delivery_date: datetime | None = None
    latest_delivery_date: datetime | None = None
    fulfillment_channel: str | None = None
    buyer_email: str | None = None
    buyer_locale: str | None = None
    buyer_opted_out: bool = False
    items: tuple[OrderItem, ...] = ()

    def locale(self) -> str:
        """The language the buyer reads: their own, else the marketplace's."""
        return self.buyer_locale or MARKETPLACES[self.marketplace_id].default_locale

    def to_document(self) -> dict[str, Any]:
        """The Orders-API-shaped JSON object this order was read from (normalised)."""
        doc: dict[str, Any] = {
            "AmazonOrderId": self.amazon_order_id,
            "SellerId": self.seller_id,
            "MarketplaceId": self.marketplace_id,
            "OrderStatus": self.order_status,
        }
        for key, value in (
            ("PurchaseDate", self.purchase_date),
            ("EarliestDeliveryDate", self.earliest_delivery_date),
            ("LatestDeliveryDate", self.latest_delivery_date),
        ):
            if value is not None:
                doc[key] = format_timestamp(value)
        if self.fulfillment_channel is not None:
            doc["FulfillmentChannel"] = self.fulfillment_channel
        if self.buyer_email is not None:
            doc["BuyerInfo"] = {"BuyerEmail": self.buyer_email}
        if self.buyer_locale is not None:
            doc["BuyerLocale"] = self.buyer_locale
        doc["BuyerOptedOut"] = self.buyer_opted_out
        if self.items:
            doc["OrderItems"] = [item.to_document() for item in self.items]
        return doc


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as the Orders API writes dates."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: object, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise InvalidOrder(f"{field} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError as exc:
        raise InvalidOrder(f"{field} is not an ISO 8601 date-time: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        raise InvalidOrder(f"{field} must carry a time zone (for example Z)")
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise InvalidOrder(f"{field} must lie between the years {MIN_YEAR} and {MAX_YEAR}")
    # Whole seconds, as the Orders API writes them and the store keeps them.
    return instant.replace(microsecond=0)


def _text(doc: Mapping[str, Any], field: str, *, required: bool, where: str = "") -> str | None:
    name = f"{where}.{field}" if where else field
    value = doc.get(field)
    if value is None:
        if required:
            raise InvalidOrder(f"{name} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidOrder(f"{name} must be a non-empty string")
    return value


def order_item_from_document(doc: object, where: str) -> OrderItem:
    """One element of `OrderItems`; `where` names it in the error (e.g. `OrderItems[2]`)."""
    if not isinstance(doc, Mapping):
        raise InvalidOrder(f"{where} must be an object")
    asin = doc.get("ASIN")
    if not isinstance(asin, str) or not _ASIN.fullmatch(asin):
        raise InvalidOrder(f"{where}.ASIN must be 10 upper-case letters or digits")
    quantity = doc.get("QuantityOrdered")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= 1_000_000:
        raise InvalidOrder(f"{where}.QuantityOrdered must be a whole number from 0 to 1000000")
    sku = _text(doc, "SellerSKU", required=False, where=where)
    if sku is not None and len(sku) > 200:
        raise InvalidOrder(f"{where}.SellerSKU is longer than 200 characters")
    title = _text(doc, "Title", required=False, where=where)
    if title is not None and len(title) > MAX_TITLE_LENGTH:
        raise InvalidOrder(f"{where}.Title is longer than {MAX_TITLE_LENGTH} characters")
    return OrderItem(asin=asin, quantity_ordered=quantity, seller_sku=sku, title=title)


def _items(doc: Mapping[str, Any]) -> tuple[OrderItem, ...]:
    items = doc.get("OrderItems")
    if items is None:
        return ()
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise InvalidOrder(f"OrderItems must be an array of at most {MAX_ITEMS} items")
    return tuple(order_item_from_document(item, f"OrderItems[{i}]") for i, item in enumerate(items))


def could_exist(order_id: str) -> bool:
    """Whether a stored order could have this id; others are 404 without asking the store (PostgreSQL text
    cannot even hold a NUL)."""
    try:
        validate_order_id(order_id)
    except InvalidOrder:
        return False
    return True


def _identifier(value: object, field: str) -> str:
    try:
        return identifier(value, field)
    except InvalidIdentifier as exc:
        raise InvalidOrder(str(exc)) from None


def validate_order_id(order_id: object) -> str:
    """An identifier without "/" (it is a path segment of the Solicitations API)."""
    checked = _identifier(order_id, "AmazonOrderId")
    if "/" in checked:
        raise InvalidOrder("AmazonOrderId must not contain '/'")
    return checked


def order_from_document(doc: object, *, default_seller_id: str | None = None) -> Order:
    """Read one Orders-API-shaped object (plus SellerId, BuyerLocale, BuyerOptedOut, OrderItems) or say why not."""
    if not isinstance(doc, Mapping):
        raise InvalidOrder("an order must be a JSON object")
    order_id = validate_order_id(doc.get("AmazonOrderId"))
    seller_id = _identifier(_text(doc, "SellerId", required=default_seller_id is None) or default_seller_id, "SellerId")
    marketplace_id = _text(doc, "MarketplaceId", required=True)
    if marketplace_id not in MARKETPLACES:
        raise InvalidOrder(f"MarketplaceId {str(marketplace_id)[:40]!r} is not a known marketplace")
    status = _text(doc, "OrderStatus", required=True)
    if status not in ORDER_STATUSES:
        raise InvalidOrder(f"OrderStatus {str(status)[:40]!r} is not an Orders API status")
    channel = _text(doc, "FulfillmentChannel", required=False)
    if channel is not None and channel not in FULFILLMENT_CHANNELS:
        raise InvalidOrder("FulfillmentChannel must be AFN or MFN")
    dates = {
        field: parse_timestamp(doc[field], field) if doc.get(field) is not None else None
        for field in ("PurchaseDate", "EarliestDeliveryDate", "LatestDeliveryDate")
    }
    earliest, latest = dates["EarliestDeliveryDate"], dates["LatestDeliveryDate"]
    if earliest is not None and latest is not None and latest < earliest:
        raise InvalidOrder("LatestDeliveryDate is before EarliestDeliveryDate")
    buyer_info = doc.get("BuyerInfo")
    if buyer_info is not None and not isinstance(buyer_info, Mapping):
        raise InvalidOrder("BuyerInfo must be an object")
    email = _text(buyer_info, "BuyerEmail", required=False) if buyer_info else None
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise InvalidOrder("BuyerInfo.BuyerEmail is not an email address")
    locale = _text(doc, "BuyerLocale", required=False)
    if locale is not None and not _LOCALE.fullmatch(locale):
        raise InvalidOrder("BuyerLocale must look like de_DE")
    opted_out = doc.get("BuyerOptedOut", False)
    if not isinstance(opted_out, bool):
        raise InvalidOrder("BuyerOptedOut must be true or false")
    return Order(
        amazon_order_id=order_id,
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        order_status=status,
        purchase_date=dates["PurchaseDate"],
        earliest_delivery_date=earliest,
        latest_delivery_date=latest,
        fulfillment_channel=channel,
        buyer_email=email,
        buyer_locale=locale,
        buyer_opted_out=opted_out,
        items=_items(doc),
    )


@dataclass(frozen=True, slots=True)
class Solicitation:
    """The one solicitation an order may receive, as recorded: who sent it, where, when, by which request."""

    amazon_order_id: str
    action: str
    seller_id: str
    application_id: str
    marketplace_id: str
    created_at: datetime
    request_id: str


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order with its solicitation, if it has one: all the eligibility rules read."""

    order: Order
    solicitation: Solicitation | None
