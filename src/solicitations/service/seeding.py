"""`solicitations seed`: realistic orders in bulk, to try the service (and client code) on more than a demo.

Orders spread over every marketplace, order status and fulfilment channel; shipped ones fall before, in and
after the solicitation window relative to the clock, so a run shows every eligibility outcome. The same seed
and the same clock give the same orders (ids included), so a second run upserts rather than adds. They are
written through the import path (`import_orders`): whatever `solicitations import` accepts, and nothing else.
"""

import json
import random
import string
from datetime import datetime, timedelta
from typing import Any

from solicitations.domain.marketplaces import MARKETPLACES, Marketplace
from solicitations.domain.orders import format_timestamp
from solicitations.service.importing import ImportReport, import_orders
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store

# Weights: mostly shipped orders, as on a real seller account; every status still turns up.
_STATUSES = {
    "Shipped": 60,
    "Unshipped": 8,
    "PartiallyShipped": 4,
    "Pending": 8,
    "PendingAvailability": 2,
    "Canceled": 10,
    "InvoiceUnconfirmed": 4,
    "Unfulfillable": 4,
}
# Where a shipped order's delivery lies, in days before now (earliest, latest), against the 5-30 day window.
_DELIVERIES = {
    "not yet delivered": (-5, -1),
    "too early": (0, 4),
    "in the window": (6, 27),
    "too late": (31, 120),
}
_BIG_MARKETPLACES = {"ATVPDKIKX0DER": 6, "A1PA6795UKMFR9": 3, "A1F83G8C2ARO7P": 3, "A1VC38T7YXB528": 2}
_ORDER_ID_PREFIXES = {"NA": ("111", "112", "113", "114", "701", "702"), "EU": ("202", "203", "302", "304", "403")}
_FAR_EAST_PREFIXES = ("249", "250", "503")
_OTHER_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "ja_JP")
_CATALOGUE = (
    ("B07PGL2ZSL", "MUG-350-WHT", "Ceramic coffee mug, 350 ml, white"),
    ("B08L5M9BTJ", "BTL-750-STL", "Insulated steel water bottle, 750 ml"),
    ("B09JQMJHXY", "CBL-USBC-2M", "USB-C charging cable, braided, 2 m"),
    ("B07XJ8C8F5", "HDP-BT-BLK", "Wireless over-ear headphones, black"),
    ("B01N5IB20Q", "NTB-A5-DOT", "A5 dotted notebook, 160 pages"),
    ("B0BSHF7WHW", "LMP-DESK-LED", "LED desk lamp with dimmer"),
    ("B086PKMZ1Q", "YGA-MAT-6MM", "Yoga mat, 6 mm, non-slip"),
    ("B0C1H26C46", "PAN-28-CER", "Ceramic frying pan, 28 cm"),
    ("B07FZ8S74R", "SPK-MINI-BT", "Portable Bluetooth speaker"),
    ("B09B8V1LZ3", "TWL-BATH-2P", "Cotton bath towels, set of 2"),
)
_EMAIL_ALPHABET = string.ascii_lowercase + string.digits


def generate_orders(count: int, seed: int, now: datetime, seller_id: str) -> list[dict[str, Any]]:
    """`count` order documents in the import format, drawn from `random.Random(seed)` around `now`."""
    rng = random.Random(seed)
    marketplaces = list(MARKETPLACES.values())
    weights = [_BIG_MARKETPLACES.get(m.marketplace_id, 1) for m in marketplaces]
    ids: set[str] = set()
    orders = []
    for _ in range(count):
        marketplace = rng.choices(marketplaces, weights)[0]
        order_id = _order_id(rng, marketplace)
        while order_id in ids:
            order_id = _order_id(rng, marketplace)
        ids.add(order_id)
        orders.append(_order(rng, order_id, marketplace, now, seller_id))
    return orders


def _order_id(rng: random.Random, marketplace: Marketplace) -> str:
    prefix = rng.choice(_ORDER_ID_PREFIXES.get(marketplace.region, _FAR_EAST_PREFIXES))
    return f"{prefix}-{rng.randrange(10**7):07d}-{rng.randrange(10**7):07d}"


def _order(
    rng: random.Random, order_id: str, marketplace: Marketplace, now: datetime, seller_id: str
) -> dict[str, Any]:
    status = rng.choices(list(_STATUSES), list(_STATUSES.values()))[0]
    # Only shipped orders can be delivered already; the others are due within the coming days.
    low, high = rng.choice(list(_DELIVERIES.values())) if status == "Shipped" else _DELIVERIES["not yet delivered"]
    latest = now - timedelta(days=rng.uniform(low, high))
    earliest = latest - timedelta(days=rng.uniform(0, 3))
    purchased = earliest - timedelta(days=rng.uniform(1, 7))
    locale = marketplace.default_locale if rng.random() < 0.85 else rng.choice(_OTHER_LOCALES)
    mailbox = "".join(rng.choices(_EMAIL_ALPHABET, k=15))
    items = rng.sample(_CATALOGUE, rng.choices((1, 2, 3), (70, 20, 10))[0])
    return {
        "AmazonOrderId": order_id,
        "SellerId": seller_id,
        "MarketplaceId": marketplace.marketplace_id,
        "OrderStatus": status,
        "FulfillmentChannel": rng.choices(("AFN", "MFN"), (55, 45))[0],
        "PurchaseDate": format_timestamp(purchased),
        "EarliestDeliveryDate": format_timestamp(earliest),
        "LatestDeliveryDate": format_timestamp(latest),
        "BuyerInfo": {"BuyerEmail": f"{mailbox}@marketplace.amazon.{marketplace.tld}"},
        "BuyerLocale": locale,
        "BuyerOptedOut": rng.random() < 0.02,
        "OrderItems": [
            {"ASIN": asin, "SellerSKU": sku, "Title": title, "QuantityOrdered": rng.choices((1, 2, 3), (80, 15, 5))[0]}
            for asin, sku, title in items
        ],
    }


async def seed_orders(store: Store, clock: Clock, count: int, seed: int, seller_id: str) -> ImportReport:
    """Generate and import; the report says how many were written (and would name any the import refused)."""
    documents = generate_orders(count, seed, clock(), seller_id)
    return await import_orders(store, "\n".join(json.dumps(doc) for doc in documents), clock)
