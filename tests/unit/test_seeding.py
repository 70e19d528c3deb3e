"""The seed generator: reproducible per seed and clock, every status, channel, marketplace and window, all valid."""

from collections import Counter
from datetime import timedelta

from helpers import SELLER, T0
from solicitations.domain.eligibility import Ineligible, assess
from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.orders import FULFILLMENT_CHANNELS, ORDER_STATUSES, order_from_document
from solicitations.service.seeding import generate_orders


def test_the_same_seed_and_clock_give_the_same_orders() -> None:
    assert generate_orders(300, 7, T0, SELLER) == generate_orders(300, 7, T0, SELLER)
    assert generate_orders(300, 8, T0, SELLER) != generate_orders(300, 7, T0, SELLER)
    later = generate_orders(300, 7, T0 + timedelta(days=1), SELLER)
    assert [o["AmazonOrderId"] for o in later] == [o["AmazonOrderId"] for o in generate_orders(300, 7, T0, SELLER)]
    assert later != generate_orders(300, 7, T0, SELLER)  # dates follow the clock


def test_enough_orders_cover_every_status_channel_marketplace_and_outcome() -> None:
    documents = generate_orders(3000, 1, T0, SELLER)
    orders = [order_from_document(doc) for doc in documents]  # raises on any invalid one
    assert len({o.amazon_order_id for o in orders}) == 3000
    assert {o.order_status for o in orders} == ORDER_STATUSES
    assert {o.fulfillment_channel for o in orders} == FULFILLMENT_CHANNELS
    assert {o.marketplace_id for o in orders} == set(MARKETPLACES)
    assert {o.seller_id for o in orders} == {SELLER}
    outcomes = Counter(assess(o, already_solicited=False, now=T0) for o in orders)
    for outcome in (None, Ineligible.TOO_EARLY, Ineligible.TOO_LATE, Ineligible.NOT_SHIPPED):
        assert outcomes[outcome] > 50, outcome  # None: eligible
    assert all(o.items and o.buyer_email and o.buyer_locale for o in orders)
    assert len({o.buyer_locale for o in orders}) > 10
