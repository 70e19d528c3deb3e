"""Unit tests of callers and their roles, usage plans and the marketplace table."""

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest

from solicitations.adapters.ratelimit.memory import InProcessBuckets
from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.marketplaces import MARKETPLACES, Marketplace, is_known
from solicitations.domain.usage_plans import BucketKey, UsagePlan
from solicitations.service.throttling import Throttle, default_plans

R = TypeVar("R")

EXPIRES = datetime(2026, 11, 27, 13, 0, 0, tzinfo=UTC)


def caller(*roles: str, expires_at: datetime = EXPIRES) -> Caller:
    return Caller("A1TESTSELLER", "amzn1.sp.solution.test-app", frozenset(roles), expires_at)


# --- roles -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (("Buyer Solicitation",), True),
        (("Product Listing",), True),
        (("Buyer Solicitation", "Product Listing"), True),
        (("Product Listing", "Pricing", "Inventory and Order Tracking"), True),
        ((), False),
        (("Pricing",), False),
        (("Inventory and Order Tracking", "Finance and Accounting"), False),
        (("buyer solicitation",), False),
        (("Buyer Solicitations",), False),
        (("ProductListing",), False),
        ((" Product Listing",), False),
        (("Buyer Communication",), False),
    ],
)
def test_may_solicit_with_either_role(roles: tuple[str, ...], allowed: bool) -> None:
    assert caller(*roles).may_solicit() is allowed


# --- expiry ----------------------------------------------------------------------------------------------------------


def test_not_expired_one_microsecond_before_the_instant() -> None:
    assert caller("Buyer Solicitation").is_expired(EXPIRES - timedelta(microseconds=1)) is False


def test_not_expired_one_second_before_the_instant() -> None:
    assert caller("Buyer Solicitation").is_expired(EXPIRES - timedelta(seconds=1)) is False


def test_expired_exactly_at_the_instant() -> None:
    assert caller("Buyer Solicitation").is_expired(EXPIRES) is True


def test_expired_after_the_instant() -> None:
    assert caller("Buyer Solicitation").is_expired(EXPIRES + timedelta(seconds=1)) is True
    assert caller("Buyer Solicitation").is_expired(EXPIRES + timedelta(days=365)) is True


def test_expiry_compares_instants_not_wall_clocks() -> None:
    paris = timezone(timedelta(hours=1))
    # 14:00 in UTC+01:00 is 13:00 UTC: the expiry instant itself.
    assert caller("Buyer Solicitation").is_expired(datetime(2026, 11, 27, 14, 0, 0, tzinfo=paris)) is True
    assert caller("Buyer Solicitation").is_expired(datetime(2026, 11, 27, 13, 59, 59, tzinfo=paris)) is False


def test_a_token_issued_for_an_hour_expires_after_3600_seconds() -> None:
    issued = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    hour = caller("Product Listing", expires_at=issued + timedelta(seconds=3600))
    assert hour.is_expired(issued) is False
    assert hour.is_expired(issued + timedelta(seconds=3599)) is False
    assert hour.is_expired(issued + timedelta(seconds=3600)) is True


# --- usage plans -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "header"),
    [
        (1.0, "1.0"),
        (1, "1.0"),
        (0.5, "0.5"),
        (20.0, "20.0"),
        (20, "20.0"),
        (2.0, "2.0"),
        (0.0167, "0.0167"),
        (5, "5.0"),
    ],
)
def test_header_value_is_the_rate_as_a_decimal_string(rate: float, header: str) -> None:
    assert UsagePlan(rate=rate, burst=5).header_value() == header


def test_header_value_is_always_a_plain_decimal() -> None:
    for rate in (0.5, 1, 1.0, 2.0, 5, 20, 0.0167, 100, 1000):
        assert re.fullmatch(r"\d+\.\d+", UsagePlan(rate=rate, burst=1).header_value())


class NoGrantedPlans:
    """The Store calls a Throttle makes: no partner has been granted a plan; reads run inline, as on SQLite."""

    usage_plans = property(lambda self: self)  # the store, its unit of work and its one repository at once

    def find(self, key: BucketKey) -> None:
        return None

    async def read(self, work: Callable[[Any], R], *, scan: bool = False) -> R:
        return work(self)


class Micros:
    """A settable clock in microseconds, for the buckets."""

    def __init__(self) -> None:
        self.now = 10**12

    def __call__(self) -> int:
        return self.now


ADMITTED = "1.0"  # an admitted request's x-amzn-RateLimit-Limit: the default plan's rate
THROTTLED = "429 QuotaExceeded"


def answer(throttle: Throttle, operation: str, who: Caller) -> str:
    """The rate-limit header of an admitted request, or the status and code of a refused one."""
    try:
        return asyncio.run(throttle.admit(who, operation)).header_value()
    except errors.ApiError as refused:
        return f"{refused.failure.status} {refused.failure.code}"


@pytest.mark.parametrize(
    "operation", ["getSolicitationActionsForOrder", "createProductReviewAndSellerFeedbackSolicitation"]
)
def test_amazons_default_plan_admits_a_burst_of_five_then_one_request_per_second(operation: str) -> None:
    clock = Micros()
    throttle = Throttle(
        NoGrantedPlans(),  # type: ignore[arg-type]
        InProcessBuckets(clock_us=clock),
        default_plans(None, None),
        lambda: EXPIRES,
        timedelta(seconds=1),
    )
    who = caller("Buyer Solicitation")
    assert [answer(throttle, operation, who) for _ in range(6)] == [ADMITTED] * 5 + [THROTTLED]
    clock.now += 999_999
    assert answer(throttle, operation, who) == THROTTLED
    clock.now += 1  # a second after the burst: one token
    assert [answer(throttle, operation, who) for _ in range(2)] == [ADMITTED, THROTTLED]
    clock.now += 10_000_000  # ten idle seconds refill the burst, never more
    assert [answer(throttle, operation, who) for _ in range(6)] == [ADMITTED] * 5 + [THROTTLED]
    # Another partner has a bucket of its own.
    other = Caller("A2OTHERSELLER", "amzn1.sp.solution.test-app", frozenset({"Buyer Solicitation"}), EXPIRES)
    assert [answer(throttle, operation, other) for _ in range(6)] == [ADMITTED] * 5 + [THROTTLED]


# --- marketplaces ----------------------------------------------------------------------------------------------------

# developer-docs.amazon.com/sp-api/docs/marketplace-ids: (id, country code, region, default locale, website).
PUBLIC_MARKETPLACES = [
    ("A2EUQ1WTGCTBG2", "CA", "NA", "en_CA", "https://www.amazon.ca"),
    ("ATVPDKIKX0DER", "US", "NA", "en_US", "https://www.amazon.com"),
    ("A1AM78C64UM0Y8", "MX", "NA", "es_MX", "https://www.amazon.com.mx"),
    ("A2Q3Y263D00KWC", "BR", "NA", "pt_BR", "https://www.amazon.com.br"),
    ("A28R8C7NBKEWEA", "IE", "EU", "en_IE", "https://www.amazon.ie"),
    ("A1RKKUPIHCS9HS", "ES", "EU", "es_ES", "https://www.amazon.es"),
    ("A1F83G8C2ARO7P", "GB", "EU", "en_GB", "https://www.amazon.co.uk"),
    ("A13V1IB3VIYZZH", "FR", "EU", "fr_FR", "https://www.amazon.fr"),
    ("AMEN7PMS3EDWL", "BE", "EU", "fr_BE", "https://www.amazon.com.be"),
    ("A1805IZSGTT6HS", "NL", "EU", "nl_NL", "https://www.amazon.nl"),
    ("A1PA6795UKMFR9", "DE", "EU", "de_DE", "https://www.amazon.de"),
    ("APJ6JRA9NG5V4", "IT", "EU", "it_IT", "https://www.amazon.it"),
    ("A2NODRKZP88ZB9", "SE", "EU", "sv_SE", "https://www.amazon.se"),
    ("AE08WJ6YKNBMC", "ZA", "EU", "en_ZA", "https://www.amazon.co.za"),
    ("A1C3SOZRARQ6R3", "PL", "EU", "pl_PL", "https://www.amazon.pl"),
    ("ARBP9OOSHTCHU", "EG", "EU", "ar_EG", "https://www.amazon.eg"),
    ("A33AVAJ2PDY3EV", "TR", "EU", "tr_TR", "https://www.amazon.com.tr"),
    ("A17E79C6D8DWNP", "SA", "EU", "ar_SA", "https://www.amazon.sa"),
    ("A2VIGQ35RCS4UG", "AE", "EU", "ar_AE", "https://www.amazon.ae"),
    ("A21TJRUUN4KGV", "IN", "EU", "en_IN", "https://www.amazon.in"),
    ("A19VAU5U5O7RUS", "SG", "FE", "en_SG", "https://www.amazon.sg"),
    ("A39IBJ37TRP1C6", "AU", "FE", "en_AU", "https://www.amazon.com.au"),
    ("A1VC38T7YXB528", "JP", "FE", "ja_JP", "https://www.amazon.co.jp"),
]


@pytest.mark.parametrize(("marketplace_id", "country", "region", "locale", "website"), PUBLIC_MARKETPLACES)
def test_every_public_marketplace_is_known_with_its_region_locale_and_website(
    marketplace_id: str, country: str, region: str, locale: str, website: str
) -> None:
    assert is_known(marketplace_id)
    known = MARKETPLACES[marketplace_id]
    assert (known.marketplace_id, known.country, known.region, known.default_locale) == (
        marketplace_id,
        country,
        region,
        locale,
    )
    assert known.website == website


def test_the_table_is_exactly_the_public_marketplaces() -> None:
    assert sorted(MARKETPLACES) == sorted(row[0] for row in PUBLIC_MARKETPLACES)


@pytest.mark.parametrize("marketplace", list(MARKETPLACES.values()), ids=lambda m: m.country)
def test_every_default_locale_is_well_formed_and_matches_the_country(marketplace: Marketplace) -> None:
    assert re.fullmatch(r"[a-z]{2,3}_[A-Z]{2}", marketplace.default_locale)
    assert marketplace.default_locale.endswith("_" + marketplace.country)


@pytest.mark.parametrize(
    "unknown", ["", "atvpdkikx0der", "ATVPDKIKX0DE", "ATVPDKIKX0DER ", "US", "A38D8NSA03LJTC", "A1VC38T7YXB52"]
)
def test_unknown_marketplace_ids_are_not_known(unknown: str) -> None:
    assert not is_known(unknown)
