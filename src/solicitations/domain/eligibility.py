"""When an order may receive a solicitation: Amazon's rules, decided for one instant passed in."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from solicitations.domain import errors
from solicitations.domain.orders import Order

WINDOW_OPENS_AFTER = timedelta(days=5)  # after EarliestDeliveryDate
WINDOW_CLOSES_AFTER = timedelta(days=30)  # after LatestDeliveryDate


class Ineligible(StrEnum):
    """Why an order may not be solicited now, in the order the rules are checked."""

    ALREADY_SOLICITED = "already_solicited"
    BUYER_OPTED_OUT = "buyer_opted_out"
    NOT_SHIPPED = "not_shipped"
    NO_DELIVERY_DATES = "no_delivery_dates"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"


@dataclass(frozen=True, slots=True)
class Window:
    opens: datetime
    closes: datetime


def window(order: Order) -> Window | None:
    """The instants between which a solicitation may be sent, both inclusive."""
    if order.earliest_delivery_date is None or order.latest_delivery_date is None:
        return None
    return Window(
        order.earliest_delivery_date + WINDOW_OPENS_AFTER,
        order.latest_delivery_date + WINDOW_CLOSES_AFTER,
    )


def assess(order: Order, *, already_solicited: bool, now: datetime) -> Ineligible | None:
    """None when the order may be solicited at `now`, else the first rule it breaks."""
    if already_solicited:
        return Ineligible.ALREADY_SOLICITED
    if order.buyer_opted_out:
        return Ineligible.BUYER_OPTED_OUT
    if order.order_status != "Shipped":
        return Ineligible.NOT_SHIPPED
    span = window(order)
    if span is None:
        return Ineligible.NO_DELIVERY_DATES
    if now < span.opens:
        return Ineligible.TOO_EARLY
    if now > span.closes:
        return Ineligible.TOO_LATE
    return None


def refusal(reason: Ineligible) -> errors.Failure:
    """The 403 a POST gets for an ineligible order: the window has its own observed message."""
    if reason in (Ineligible.TOO_EARLY, Ineligible.TOO_LATE):
        return errors.OUTSIDE_WINDOW
    return errors.NOT_AVAILABLE
