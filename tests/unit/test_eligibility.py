"""Unit tests of the solicitation eligibility rules (domain/eligibility.py): pure, no I/O, time passed in."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solicitations.domain.eligibility import (
    Ineligible,
    Window,
    assess,
    refusal,
    window,
)
from solicitations.domain.orders import InvalidOrder, Order, order_from_document

US = "ATVPDKIKX0DER"
EARLIEST = datetime(2026, 11, 10, 9, 30, 15, tzinfo=UTC)
LATEST = datetime(2026, 11, 14, 18, 45, 5, tzinfo=UTC)
OPENS = EARLIEST + timedelta(days=5)
CLOSES = LATEST + timedelta(days=30)
INSIDE = OPENS + timedelta(days=3)
SECOND = timedelta(seconds=1)

# The statuses an order can have in the Orders API (getOrders OrderStatus enum).
ALL_ORDERS_API_STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)

OUTSIDE_WINDOW_MESSAGE = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)
NOT_AVAILABLE_MESSAGE = "The requested solicitation is not available for this amazonOrderId."


def make_order(
    *,
    status: str = "Shipped",
    earliest: datetime | None = EARLIEST,
    latest: datetime | None = LATEST,
    opted_out: bool = False,
) -> Order:
    return Order(
        amazon_order_id="111-1111111-1111111",
        seller_id="A1TESTSELLER",
        marketplace_id=US,
        order_status=status,
        purchase_date=EARLIEST - timedelta(days=3) if earliest else None,
        earliest_delivery_date=earliest,
        latest_delivery_date=latest,
        fulfillment_channel="MFN",
        buyer_email="buyer@example.com",
        buyer_opted_out=opted_out,
    )


# --- the window itself ---------------------------------------------------------------------------------------------


def test_window_opens_five_days_after_earliest_and_closes_thirty_days_after_latest() -> None:
    assert window(make_order()) == Window(OPENS, CLOSES)
    assert window(make_order()) == Window(
        datetime(2026, 11, 15, 9, 30, 15, tzinfo=UTC), datetime(2026, 12, 14, 18, 45, 5, tzinfo=UTC)
    )


@pytest.mark.parametrize(("earliest", "latest"), [(None, LATEST), (EARLIEST, None), (None, None)])
def test_window_is_none_without_both_delivery_dates(earliest: datetime | None, latest: datetime | None) -> None:
    assert window(make_order(earliest=earliest, latest=latest)) is None


# --- the happy case --------------------------------------------------------------------------------------------------


def test_shipped_order_inside_the_window_is_eligible() -> None:
    assert assess(make_order(), already_solicited=False, now=INSIDE) is None


# --- Shipped only ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ALL_ORDERS_API_STATUSES)
def test_every_orders_api_status_is_read_and_only_shipped_is_eligible(status: str) -> None:
    """Every status getOrders can return is read from an order document; the rules then admit Shipped only."""
    document = {
        "AmazonOrderId": "111-1111111-1111111",
        "SellerId": "A1TESTSELLER",
        "MarketplaceId": US,
        "OrderStatus": status,
        "EarliestDeliveryDate": "2026-11-10T09:30:15Z",
        "LatestDeliveryDate": "2026-11-14T18:45:05Z",
    }
    order = order_from_document(document)
    assert order.order_status == status
    expected = None if status == "Shipped" else Ineligible.NOT_SHIPPED
    assert assess(order, already_solicited=False, now=INSIDE) is expected


@pytest.mark.parametrize("status", ["Delivered", "shipped", "Cancelled", ""])
def test_a_status_getorders_never_returns_is_refused_when_read(status: str) -> None:
    document = {"AmazonOrderId": "111-1111111-1111111", "SellerId": "A1", "MarketplaceId": US, "OrderStatus": status}
    with pytest.raises(InvalidOrder):
        order_from_document(document)


@pytest.mark.parametrize("status", [s for s in ALL_ORDERS_API_STATUSES if s != "Shipped"])
def test_every_status_but_shipped_is_not_shipped(status: str) -> None:
    order = make_order(status=status)
    assert assess(order, already_solicited=False, now=INSIDE) is Ineligible.NOT_SHIPPED
    # Neither edge of the window, nor its middle, rescues an order that is not shipped.
    for now in (OPENS, CLOSES, INSIDE):
        assert assess(order, already_solicited=False, now=now) is Ineligible.NOT_SHIPPED


@pytest.mark.parametrize("status", ["shipped", "SHIPPED", " Shipped", "Shipped ", "Delivered", ""])
def test_shipped_is_matched_exactly(status: str) -> None:
    assert assess(make_order(status=status), already_solicited=False, now=INSIDE) is Ineligible.NOT_SHIPPED


# --- opted out, already solicited, no dates --------------------------------------------------------------------------


def test_buyer_opted_out_gets_no_solicitation() -> None:
    assert assess(make_order(opted_out=True), already_solicited=False, now=INSIDE) is Ineligible.BUYER_OPTED_OUT


def test_already_solicited_order_gets_no_second_solicitation() -> None:
    assert assess(make_order(), already_solicited=True, now=INSIDE) is Ineligible.ALREADY_SOLICITED


@pytest.mark.parametrize(("earliest", "latest"), [(None, LATEST), (EARLIEST, None), (None, None)])
def test_order_without_delivery_dates_is_not_eligible(earliest: datetime | None, latest: datetime | None) -> None:
    order = make_order(earliest=earliest, latest=latest)
    for now in (INSIDE, OPENS, CLOSES, EARLIEST, LATEST + timedelta(days=400)):
        assert assess(order, already_solicited=False, now=now) is Ineligible.NO_DELIVERY_DATES


# --- too early / too late, to the second -----------------------------------------------------------------------------


def test_eligible_exactly_five_days_after_earliest_delivery() -> None:
    assert assess(make_order(), already_solicited=False, now=EARLIEST + timedelta(days=5)) is None


def test_one_second_before_the_window_opens_is_too_early() -> None:
    now = EARLIEST + timedelta(days=5) - SECOND
    assert assess(make_order(), already_solicited=False, now=now) is Ineligible.TOO_EARLY


def test_one_microsecond_before_the_window_opens_is_too_early() -> None:
    now = OPENS - timedelta(microseconds=1)
    assert assess(make_order(), already_solicited=False, now=now) is Ineligible.TOO_EARLY


def test_eligible_exactly_thirty_days_after_latest_delivery() -> None:
    assert assess(make_order(), already_solicited=False, now=LATEST + timedelta(days=30)) is None


def test_one_second_after_the_window_closes_is_too_late() -> None:
    now = LATEST + timedelta(days=30) + SECOND
    assert assess(make_order(), already_solicited=False, now=now) is Ineligible.TOO_LATE


def test_one_microsecond_after_the_window_closes_is_too_late() -> None:
    now = CLOSES + timedelta(microseconds=1)
    assert assess(make_order(), already_solicited=False, now=now) is Ineligible.TOO_LATE


@pytest.mark.parametrize(
    "now",
    [
        EARLIEST - timedelta(days=30),
        EARLIEST,
        LATEST,
        EARLIEST + timedelta(days=4, hours=23, minutes=59, seconds=59),
    ],
)
def test_before_the_window_is_too_early(now: datetime) -> None:
    assert assess(make_order(), already_solicited=False, now=now) is Ineligible.TOO_EARLY


@pytest.mark.parametrize(
    "now",
    [
        LATEST + timedelta(days=30, seconds=1),
        LATEST + timedelta(days=31),
        LATEST + timedelta(days=365),
    ],
)
def test_after_the_window_is_too_late(now: datetime) -> None:
    assert assess(make_order(), already_solicited=False, now=now) is Ineligible.TOO_LATE


def test_window_edges_are_compared_as_instants_across_time_zones() -> None:
    # The same instants written in a UTC+09:00 zone answer the same way.
    jst = timezone(timedelta(hours=9))
    order = make_order()
    assert assess(order, already_solicited=False, now=OPENS.astimezone(jst)) is None
    assert assess(order, already_solicited=False, now=(OPENS - SECOND).astimezone(jst)) is Ineligible.TOO_EARLY
    assert assess(order, already_solicited=False, now=CLOSES.astimezone(jst)) is None
    assert assess(order, already_solicited=False, now=(CLOSES + SECOND).astimezone(jst)) is Ineligible.TOO_LATE


def test_same_day_delivery_range_has_a_window_of_thirty_five_days_less_five() -> None:
    order = make_order(earliest=EARLIEST, latest=EARLIEST)
    assert assess(order, already_solicited=False, now=EARLIEST + timedelta(days=5)) is None
    assert assess(order, already_solicited=False, now=EARLIEST + timedelta(days=30)) is None
    assert assess(order, already_solicited=False, now=EARLIEST + timedelta(days=30) + SECOND) is Ineligible.TOO_LATE


def test_long_delivery_range_lets_the_window_open_before_latest_delivery() -> None:
    # Earliest + 5 days may fall before LatestDeliveryDate; the order is eligible from then on.
    order = make_order(earliest=EARLIEST, latest=EARLIEST + timedelta(days=20))
    assert assess(order, already_solicited=False, now=EARLIEST + timedelta(days=6)) is None


# --- precedence ------------------------------------------------------------------------------------------------------


# The order the rules are checked in (docs/behaviour.md): an order breaking several gets the first.
PRECEDENCE = (
    Ineligible.ALREADY_SOLICITED,
    Ineligible.BUYER_OPTED_OUT,
    Ineligible.NOT_SHIPPED,
    Ineligible.NO_DELIVERY_DATES,
    Ineligible.TOO_EARLY,
    Ineligible.TOO_LATE,
)
# Rules no order can break together: without delivery dates there is no window to be early or late for.
EXCLUSIVE = {
    frozenset({Ineligible.NO_DELIVERY_DATES, Ineligible.TOO_EARLY}),
    frozenset({Ineligible.NO_DELIVERY_DATES, Ineligible.TOO_LATE}),
    frozenset({Ineligible.TOO_EARLY, Ineligible.TOO_LATE}),
}


def assess_breaking(*broken: Ineligible) -> Ineligible | None:
    """What `assess` answers for an order (and instant) breaking exactly the rules given."""
    dateless = Ineligible.NO_DELIVERY_DATES in broken
    order = make_order(
        status="Unshipped" if Ineligible.NOT_SHIPPED in broken else "Shipped",
        earliest=None if dateless else EARLIEST,
        latest=None if dateless else LATEST,
        opted_out=Ineligible.BUYER_OPTED_OUT in broken,
    )
    now = INSIDE
    if Ineligible.TOO_EARLY in broken:
        now = OPENS - SECOND
    elif Ineligible.TOO_LATE in broken:
        now = CLOSES + SECOND
    return assess(order, already_solicited=Ineligible.ALREADY_SOLICITED in broken, now=now)


@pytest.mark.parametrize("reason", PRECEDENCE)
def test_each_rule_broken_alone_is_the_reason_given(reason: Ineligible) -> None:
    assert assess_breaking(reason) is reason


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (first, second)
        for i, first in enumerate(PRECEDENCE)
        for second in PRECEDENCE[i + 1 :]
        if frozenset({first, second}) not in EXCLUSIVE
    ],
)
def test_of_two_rules_broken_the_one_checked_first_is_the_reason_given(first: Ineligible, second: Ineligible) -> None:
    assert assess_breaking(first, second) is first
    assert assess_breaking(second, first) is first


@pytest.mark.parametrize("now", [EARLIEST, INSIDE, CLOSES + timedelta(days=1)])
def test_already_solicited_wins_over_every_other_reason(now: datetime) -> None:
    worst = make_order(status="Canceled", earliest=None, latest=None, opted_out=True)
    assert assess(worst, already_solicited=True, now=now) is Ineligible.ALREADY_SOLICITED
    assert assess(make_order(opted_out=True), already_solicited=True, now=now) is Ineligible.ALREADY_SOLICITED
    assert assess(make_order(status="Pending"), already_solicited=True, now=now) is Ineligible.ALREADY_SOLICITED
    assert assess(make_order(), already_solicited=True, now=now) is Ineligible.ALREADY_SOLICITED


@pytest.mark.parametrize("now", [EARLIEST, INSIDE, CLOSES + timedelta(days=1)])
def test_opted_out_wins_over_status_dates_and_window(now: datetime) -> None:
    worst = make_order(status="Unshipped", earliest=None, latest=None, opted_out=True)
    assert assess(worst, already_solicited=False, now=now) is Ineligible.BUYER_OPTED_OUT
    assert assess(make_order(status="Canceled", opted_out=True), already_solicited=False, now=now) == (
        Ineligible.BUYER_OPTED_OUT
    )


@pytest.mark.parametrize("now", [EARLIEST, INSIDE, CLOSES + timedelta(days=1)])
def test_not_shipped_wins_over_dates_and_window(now: datetime) -> None:
    no_dates = make_order(status="Unshipped", earliest=None, latest=None)
    assert assess(no_dates, already_solicited=False, now=now) is Ineligible.NOT_SHIPPED
    assert assess(make_order(status="PartiallyShipped"), already_solicited=False, now=now) is Ineligible.NOT_SHIPPED


# --- refusal ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [Ineligible.TOO_EARLY, Ineligible.TOO_LATE])
def test_outside_the_window_is_refused_with_the_observed_window_message(reason: Ineligible) -> None:
    failure = refusal(reason)
    assert (failure.status, failure.code, failure.message, failure.details) == (
        403,
        "Unauthorized",
        OUTSIDE_WINDOW_MESSAGE,
        "",
    )


@pytest.mark.parametrize(
    "reason",
    [
        Ineligible.ALREADY_SOLICITED,
        Ineligible.BUYER_OPTED_OUT,
        Ineligible.NOT_SHIPPED,
        Ineligible.NO_DELIVERY_DATES,
    ],
)
def test_every_other_reason_is_refused_as_not_available(reason: Ineligible) -> None:
    failure = refusal(reason)
    assert (failure.status, failure.code, failure.message, failure.details) == (
        403,
        "Unauthorized",
        NOT_AVAILABLE_MESSAGE,
        "",
    )


def test_refusal_covers_every_reason() -> None:
    assert {refusal(reason).message for reason in Ineligible} == {OUTSIDE_WINDOW_MESSAGE, NOT_AVAILABLE_MESSAGE}


def test_second_post_outside_the_window_is_refused_as_not_available() -> None:
    # The already-solicited rule is checked first, so a repeat is refused as "not available" even when late.
    reason = assess(make_order(), already_solicited=True, now=CLOSES + timedelta(days=10))
    assert reason is not None
    assert refusal(reason).message == NOT_AVAILABLE_MESSAGE


# --- property: eligible iff earliest + 5d <= now <= latest + 30d ----------------------------------------------------

_BASE = datetime(2020, 1, 1, tzinfo=UTC)
_instants = st.integers(min_value=0, max_value=3 * 365 * 86400).map(lambda s: _BASE + timedelta(seconds=s))


@given(earliest=_instants, span=st.integers(min_value=0, max_value=60 * 86400), now=_instants)
def test_property_eligible_iff_inside_the_window(earliest: datetime, span: int, now: datetime) -> None:
    latest = earliest + timedelta(seconds=span)
    order = make_order(earliest=earliest, latest=latest)
    expected = earliest + timedelta(days=5) <= now <= latest + timedelta(days=30)
    reason = assess(order, already_solicited=False, now=now)
    assert (reason is None) == expected
    if not expected:
        assert reason is (Ineligible.TOO_EARLY if now < earliest + timedelta(days=5) else Ineligible.TOO_LATE)


@given(
    earliest=_instants,
    span=st.integers(min_value=0, max_value=60 * 86400),
    offset=st.integers(min_value=-2, max_value=2),
)
def test_property_edges_to_the_second(earliest: datetime, span: int, offset: int) -> None:
    latest = earliest + timedelta(seconds=span)
    order = make_order(earliest=earliest, latest=latest)
    opens = earliest + timedelta(days=5) + timedelta(seconds=offset)
    closes = latest + timedelta(days=30) + timedelta(seconds=offset)
    # The window is at least 25 days long, so a few seconds around one edge never reach the other edge.
    assert (assess(order, already_solicited=False, now=opens) is None) == (offset >= 0)
    assert (assess(order, already_solicited=False, now=closes) is None) == (offset <= 0)


@given(
    earliest=_instants,
    span=st.integers(min_value=0, max_value=60 * 86400),
    now=_instants,
    status=st.sampled_from(ALL_ORDERS_API_STATUSES),
    opted_out=st.booleans(),
    solicited=st.booleans(),
)
def test_property_any_broken_precondition_makes_the_order_ineligible(
    earliest: datetime, span: int, now: datetime, status: str, opted_out: bool, solicited: bool
) -> None:
    order = replace(make_order(earliest=earliest, latest=earliest + timedelta(seconds=span)), order_status=status)
    order = replace(order, buyer_opted_out=opted_out)
    reason = assess(order, already_solicited=solicited, now=now)
    if solicited:
        assert reason is Ineligible.ALREADY_SOLICITED
    elif opted_out:
        assert reason is Ineligible.BUYER_OPTED_OUT
    elif status != "Shipped":
        assert reason is Ineligible.NOT_SHIPPED
    else:
        assert reason in (None, Ineligible.TOO_EARLY, Ineligible.TOO_LATE)
