"""Unit tests of Orders-API-shaped order documents (domain/orders.py): reading, validating, writing back."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import DE, SELLER, T0, US, order_doc
from solicitations.domain.identifiers import MAX_LENGTH as MAX_ID_LENGTH
from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.orders import (
    ORDER_STATUSES,
    InvalidOrder,
    Order,
    format_timestamp,
    order_from_document,
    parse_timestamp,
)

ORDER_ID = "111-1111111-1111111"


def full_document() -> dict[str, Any]:
    """Every field the reader knows, as the Orders API (plus our SellerId/BuyerLocale/BuyerOptedOut) writes them."""
    return {
        "AmazonOrderId": ORDER_ID,
        "SellerId": SELLER,
        "MarketplaceId": DE,
        "OrderStatus": "Shipped",
        "PurchaseDate": "2026-11-01T08:15:30Z",
        "EarliestDeliveryDate": "2026-11-05T00:00:00Z",
        "LatestDeliveryDate": "2026-11-08T23:59:59Z",
        "FulfillmentChannel": "AFN",
        "BuyerInfo": {"BuyerEmail": "abc123@marketplace.amazon.de"},
        "BuyerLocale": "fr_FR",
        "BuyerOptedOut": True,
        # Fields the Orders API sends that we do not read are ignored.
        "OrderTotal": {"CurrencyCode": "EUR", "Amount": "19.99"},
        "NumberOfItemsShipped": 1,
        "IsPrime": False,
    }


def without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != key}


def with_(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**doc, **changes}


def assert_rejected(doc: object, *words: str, **kwargs: Any) -> InvalidOrder:
    with pytest.raises(InvalidOrder) as info:
        order_from_document(doc, **kwargs)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return info.value


# --- accepting -------------------------------------------------------------------------------------------------------


def test_full_document_is_read_field_by_field() -> None:
    order = order_from_document(full_document())
    assert order == Order(
        amazon_order_id=ORDER_ID,
        seller_id=SELLER,
        marketplace_id=DE,
        order_status="Shipped",
        purchase_date=datetime(2026, 11, 1, 8, 15, 30, tzinfo=UTC),
        earliest_delivery_date=datetime(2026, 11, 5, 0, 0, 0, tzinfo=UTC),
        latest_delivery_date=datetime(2026, 11, 8, 23, 59, 59, tzinfo=UTC),
        fulfillment_channel="AFN",
        buyer_email="abc123@marketplace.amazon.de",
        buyer_locale="fr_FR",
        buyer_opted_out=True,
    )


def test_minimal_document_fills_defaults() -> None:
    order = order_from_document(
        {"AmazonOrderId": ORDER_ID, "SellerId": SELLER, "MarketplaceId": US, "OrderStatus": "Pending"}
    )
    assert order == Order(ORDER_ID, SELLER, US, "Pending")
    assert order.purchase_date is None
    assert order.earliest_delivery_date is None
    assert order.latest_delivery_date is None
    assert order.fulfillment_channel is None
    assert order.buyer_email is None
    assert order.buyer_locale is None
    assert order.buyer_opted_out is False


def test_helper_order_document_is_accepted() -> None:
    order = order_from_document(order_doc("902-3159896-1390916"))
    assert order.amazon_order_id == "902-3159896-1390916"
    assert order.earliest_delivery_date == T0 - timedelta(days=10)
    assert order.buyer_email == "buyer@example.com"


@pytest.mark.parametrize("status", sorted(ORDER_STATUSES))
def test_every_orders_api_status_is_accepted(status: str) -> None:
    assert order_from_document(with_(full_document(), OrderStatus=status)).order_status == status


@pytest.mark.parametrize("marketplace_id", sorted(MARKETPLACES))
def test_every_known_marketplace_is_accepted(marketplace_id: str) -> None:
    assert order_from_document(with_(full_document(), MarketplaceId=marketplace_id)).marketplace_id == marketplace_id


@pytest.mark.parametrize("channel", ["AFN", "MFN"])
def test_both_fulfillment_channels_are_accepted(channel: str) -> None:
    assert order_from_document(with_(full_document(), FulfillmentChannel=channel)).fulfillment_channel == channel


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-05T00:00:00Z", datetime(2026, 11, 5, tzinfo=UTC)),
        ("2026-11-05T00:00:00+00:00", datetime(2026, 11, 5, tzinfo=UTC)),
        ("2026-11-05T09:00:00+09:00", datetime(2026, 11, 5, tzinfo=UTC)),
        ("2026-11-04T19:00:00-05:00", datetime(2026, 11, 5, tzinfo=UTC)),
        # Fractions are dropped: the store keeps whole seconds, as the Orders API writes them.
        ("2026-11-05T00:00:00.250Z", datetime(2026, 11, 5, 0, 0, 0, tzinfo=UTC)),
    ],
)
def test_dates_with_any_offset_are_read_as_utc_instants(text: str, expected: datetime) -> None:
    order = order_from_document(with_(full_document(), EarliestDeliveryDate=text, LatestDeliveryDate=text))
    assert order.earliest_delivery_date == expected
    assert order.earliest_delivery_date is not None
    assert order.earliest_delivery_date.utcoffset() == timedelta(0)


def test_latest_equal_to_earliest_is_accepted() -> None:
    doc = with_(full_document(), LatestDeliveryDate=full_document()["EarliestDeliveryDate"])
    order = order_from_document(doc)
    assert order.earliest_delivery_date == order.latest_delivery_date


@pytest.mark.parametrize("field", ["PurchaseDate", "EarliestDeliveryDate", "LatestDeliveryDate"])
def test_null_dates_are_absent(field: str) -> None:
    order = order_from_document(with_(full_document(), **{field: None}))
    assert order.to_document().get(field) is None


def test_empty_buyer_info_means_no_email() -> None:
    assert order_from_document(with_(full_document(), BuyerInfo={})).buyer_email is None


def test_buyer_opted_out_defaults_to_false() -> None:
    assert order_from_document(without(full_document(), "BuyerOptedOut")).buyer_opted_out is False


def test_order_id_of_maximum_length_is_accepted() -> None:
    long_id = "9" * MAX_ID_LENGTH
    assert order_from_document(with_(full_document(), AmazonOrderId=long_id)).amazon_order_id == long_id


@pytest.mark.parametrize("order_id", ["123 456", "a?b#c&d=e%f", "S02-1234567-1234567"])
def test_order_ids_with_unusual_but_harmless_characters_are_accepted(order_id: str) -> None:
    assert order_from_document(with_(full_document(), AmazonOrderId=order_id)).amazon_order_id == order_id


@pytest.mark.parametrize("order_id", ["Bestellung-ä-ß", "订单-1", "\u0430pple-1"])  # the last a Cyrillic look-alike
def test_order_ids_beyond_ascii_are_rejected(order_id: str) -> None:
    with pytest.raises(InvalidOrder, match="printable ASCII"):
        order_from_document(with_(full_document(), AmazonOrderId=order_id))


# --- SellerId and default_seller_id ----------------------------------------------------------------------------------


def test_default_seller_id_fills_a_missing_seller_id() -> None:
    order = order_from_document(without(full_document(), "SellerId"), default_seller_id="A9DEFAULT")
    assert order.seller_id == "A9DEFAULT"


def test_default_seller_id_fills_a_null_seller_id() -> None:
    order = order_from_document(with_(full_document(), SellerId=None), default_seller_id="A9DEFAULT")
    assert order.seller_id == "A9DEFAULT"


def test_seller_id_in_the_document_wins_over_the_default() -> None:
    assert order_from_document(full_document(), default_seller_id="A9DEFAULT").seller_id == SELLER


def test_missing_seller_id_without_a_default_is_rejected() -> None:
    assert_rejected(without(full_document(), "SellerId"), "SellerId")


@pytest.mark.parametrize("bad", ["", "   ", 42, ["A1"], {"id": "A1"}, True])
def test_bad_seller_id_is_rejected_even_with_a_default(bad: object) -> None:
    assert_rejected(with_(full_document(), SellerId=bad), "SellerId", default_seller_id="A9DEFAULT")


def test_too_long_seller_id_is_rejected() -> None:
    assert_rejected(with_(full_document(), SellerId="S" * (MAX_ID_LENGTH + 1)), "SellerId", str(MAX_ID_LENGTH))


def test_too_long_default_seller_id_is_rejected() -> None:
    assert_rejected(without(full_document(), "SellerId"), "SellerId", default_seller_id="S" * (MAX_ID_LENGTH + 1))


# --- rejecting -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", [None, [], [full_document()], "order", 42, 4.2, True, b"{}"])
def test_a_document_that_is_not_an_object_is_rejected(doc: object) -> None:
    assert_rejected(doc, "object")


def test_missing_order_id_is_rejected() -> None:
    assert_rejected(without(full_document(), "AmazonOrderId"), "AmazonOrderId")


@pytest.mark.parametrize("bad", [None, 1111111, 1.5, True, ["111"], {"id": "111"}, "", "   "])
def test_non_string_or_empty_order_id_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), AmazonOrderId=bad), "AmazonOrderId")


def test_order_id_one_longer_than_the_maximum_is_rejected() -> None:
    assert_rejected(with_(full_document(), AmazonOrderId="9" * (MAX_ID_LENGTH + 1)), "AmazonOrderId", "64")


@pytest.mark.parametrize("bad", ["111/222", "/", "../etc", "111-1111111-1111111/"])
def test_order_id_with_a_slash_is_rejected(bad: str) -> None:
    assert_rejected(with_(full_document(), AmazonOrderId=bad), "AmazonOrderId", "/")


@pytest.mark.parametrize("bad", ["111\n222", "111\x00", "\t111", "111\r"])
def test_order_id_with_control_characters_is_rejected(bad: str) -> None:
    assert_rejected(with_(full_document(), AmazonOrderId=bad), "AmazonOrderId")


def test_missing_marketplace_is_rejected() -> None:
    assert_rejected(without(full_document(), "MarketplaceId"), "MarketplaceId")


@pytest.mark.parametrize("bad", ["ATVPDKIKX0DE", "atvpdkikx0der", "A1F83G8C2ARO7", "XXXXXXXX", "US"])
def test_unknown_marketplace_is_rejected(bad: str) -> None:
    assert_rejected(with_(full_document(), MarketplaceId=bad), "MarketplaceId", bad)


@pytest.mark.parametrize("bad", [123, ["ATVPDKIKX0DER"], {"id": "ATVPDKIKX0DER"}, ""])
def test_non_string_marketplace_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), MarketplaceId=bad), "MarketplaceId")


def test_missing_order_status_is_rejected() -> None:
    assert_rejected(without(full_document(), "OrderStatus"), "OrderStatus")


@pytest.mark.parametrize("bad", ["shipped", "SHIPPED", "Delivered", "Cancelled", "Shipped "])
def test_unknown_order_status_is_rejected(bad: str) -> None:
    assert_rejected(with_(full_document(), OrderStatus=bad), "OrderStatus")


@pytest.mark.parametrize("bad", [1, ["Shipped"], True])
def test_non_string_order_status_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), OrderStatus=bad), "OrderStatus")


@pytest.mark.parametrize("bad", ["FBA", "afn", "", 1])
def test_unknown_fulfillment_channel_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), FulfillmentChannel=bad), "FulfillmentChannel")


@pytest.mark.parametrize("field", ["PurchaseDate", "EarliestDeliveryDate", "LatestDeliveryDate"])
@pytest.mark.parametrize(
    "bad",
    [
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-11-05T25:00:00Z",
        "05/11/2026 10:00",
        "",
        20261105,
        1762300800.0,
        True,
        ["2026-11-05T00:00:00Z"],
        {"date": "2026-11-05T00:00:00Z"},
    ],
)
def test_bad_dates_are_rejected_naming_the_field(field: str, bad: object) -> None:
    assert_rejected(with_(full_document(), **{field: bad}), field)


@pytest.mark.parametrize("field", ["PurchaseDate", "EarliestDeliveryDate", "LatestDeliveryDate"])
@pytest.mark.parametrize("naive", ["2026-11-05T00:00:00", "2026-11-05 00:00:00", "2026-11-05"])
def test_dates_without_a_time_zone_are_rejected(field: str, naive: str) -> None:
    # Keep the delivery range ordered so that only the missing zone can be the reason.
    doc = with_(full_document(), **{field: naive})
    assert_rejected(doc, field, "time zone")


def test_latest_before_earliest_is_rejected() -> None:
    doc = with_(full_document(), EarliestDeliveryDate="2026-11-08T00:00:00Z", LatestDeliveryDate="2026-11-07T23:59:59Z")
    assert_rejected(doc, "LatestDeliveryDate", "EarliestDeliveryDate")


def test_latest_one_second_before_earliest_in_another_zone_is_rejected() -> None:
    # 2026-11-08T08:59:59+09:00 is 2026-11-07T23:59:59Z: before the earliest date as an instant.
    doc = with_(
        full_document(), EarliestDeliveryDate="2026-11-08T00:00:00Z", LatestDeliveryDate="2026-11-08T08:59:59+09:00"
    )
    assert_rejected(doc, "LatestDeliveryDate")


@pytest.mark.parametrize("bad", [[], ["buyer@example.com"], "buyer@example.com", 42, True])
def test_buyer_info_that_is_not_an_object_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), BuyerInfo=bad), "BuyerInfo")


@pytest.mark.parametrize(
    "bad",
    [
        "not-an-email",
        "two@@example.com",
        "a@b@c",
        "@example.com",
        "buyer@",
        "buy er@example.com",
        "buyer@exa mple.com",
        "buyer@example.com\n",
        "\nbuyer@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_bad_email_is_rejected(bad: str) -> None:
    assert_rejected(with_(full_document(), BuyerInfo={"BuyerEmail": bad}), "BuyerEmail")


@pytest.mark.parametrize("bad", [42, ["a@b"], "", "  "])
def test_non_string_email_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), BuyerInfo={"BuyerEmail": bad}), "BuyerEmail")


def test_email_of_254_characters_is_accepted() -> None:
    email = "x" * (254 - len("@example.com")) + "@example.com"
    assert len(email) == 254
    assert order_from_document(with_(full_document(), BuyerInfo={"BuyerEmail": email})).buyer_email == email


@pytest.mark.parametrize("good", ["de_DE", "en_US", "fil_PH", "zh_CN"])
def test_locales_like_de_de_are_accepted(good: str) -> None:
    assert order_from_document(with_(full_document(), BuyerLocale=good)).buyer_locale == good


@pytest.mark.parametrize(
    "bad",
    ["de-DE", "DE_de", "de", "german", "de_DEU", "d_DE", "de_de", "deDE", "de_DE ", "de_DE\n", 42, ["de_DE"], ""],
)
def test_bad_locale_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), BuyerLocale=bad), "BuyerLocale")


@pytest.mark.parametrize("bad", ["true", "false", 1, 0, None, "yes", [], {}])
def test_non_bool_opted_out_is_rejected(bad: object) -> None:
    assert_rejected(with_(full_document(), BuyerOptedOut=bad), "BuyerOptedOut")


def test_invalid_order_is_a_value_error() -> None:
    assert issubclass(InvalidOrder, ValueError)


# --- timestamps ------------------------------------------------------------------------------------------------------


def test_format_timestamp_writes_utc_with_z() -> None:
    assert format_timestamp(datetime(2026, 11, 5, 9, 0, 0, tzinfo=timezone(timedelta(hours=9)))) == (
        "2026-11-05T00:00:00Z"
    )


def test_parse_timestamp_names_the_field_it_is_given() -> None:
    with pytest.raises(InvalidOrder, match="SomeField"):
        parse_timestamp("nope", "SomeField")
    assert parse_timestamp("2026-11-05T00:00:00Z", "SomeField") == datetime(2026, 11, 5, tzinfo=UTC)


# --- writing back ----------------------------------------------------------------------------------------------------


def test_to_document_round_trips_a_full_document() -> None:
    order = order_from_document(full_document())
    document = order.to_document()
    assert order_from_document(document) == order
    assert document == {
        "AmazonOrderId": ORDER_ID,
        "SellerId": SELLER,
        "MarketplaceId": DE,
        "OrderStatus": "Shipped",
        "PurchaseDate": "2026-11-01T08:15:30Z",
        "EarliestDeliveryDate": "2026-11-05T00:00:00Z",
        "LatestDeliveryDate": "2026-11-08T23:59:59Z",
        "FulfillmentChannel": "AFN",
        "BuyerInfo": {"BuyerEmail": "abc123@marketplace.amazon.de"},
        "BuyerLocale": "fr_FR",
        "BuyerOptedOut": True,
    }


def test_to_document_round_trips_a_minimal_document() -> None:
    order = Order(ORDER_ID, SELLER, US, "Unshipped")
    document = order.to_document()
    assert document == {
        "AmazonOrderId": ORDER_ID,
        "SellerId": SELLER,
        "MarketplaceId": US,
        "OrderStatus": "Unshipped",
        "BuyerOptedOut": False,
    }
    assert order_from_document(document) == order


def test_to_document_normalises_offsets_to_utc() -> None:
    doc = with_(
        full_document(),
        EarliestDeliveryDate="2026-11-05T09:00:00+09:00",
        LatestDeliveryDate="2026-11-07T19:00:00-05:00",
    )
    document = order_from_document(doc).to_document()
    assert document["EarliestDeliveryDate"] == "2026-11-05T00:00:00Z"
    assert document["LatestDeliveryDate"] == "2026-11-08T00:00:00Z"
    assert order_from_document(document) == order_from_document(doc)


_seconds = st.integers(min_value=0, max_value=20 * 365 * 86400).map(
    lambda s: datetime(2015, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)


@given(
    order_id=st.text(
        alphabet=st.characters(min_codepoint=32, blacklist_characters="/", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=MAX_ID_LENGTH,
    ).filter(lambda s: s.strip() and s.isascii() and s.isprintable()),
    marketplace_id=st.sampled_from(sorted(MARKETPLACES)),
    status=st.sampled_from(sorted(ORDER_STATUSES)),
    purchase=st.none() | _seconds,
    earliest=st.none() | _seconds,
    span=st.integers(min_value=0, max_value=90 * 86400),
    has_latest=st.booleans(),
    channel=st.none() | st.sampled_from(["AFN", "MFN"]),
    email=st.none() | st.from_regex(r"\A[a-z0-9.+]{1,20}@[a-z0-9.-]{1,20}\Z"),
    locale=st.none() | st.from_regex(r"\A[a-z]{2,3}_[A-Z]{2}\Z"),
    opted_out=st.booleans(),
)
def test_property_to_document_round_trips(
    order_id: str,
    marketplace_id: str,
    status: str,
    purchase: datetime | None,
    earliest: datetime | None,
    span: int,
    has_latest: bool,
    channel: str | None,
    email: str | None,
    locale: str | None,
    opted_out: bool,
) -> None:
    latest = earliest + timedelta(seconds=span) if earliest is not None and has_latest else None
    order = Order(
        amazon_order_id=order_id,
        seller_id=SELLER,
        marketplace_id=marketplace_id,
        order_status=status,
        purchase_date=purchase,
        earliest_delivery_date=earliest,
        latest_delivery_date=latest,
        fulfillment_channel=channel,
        buyer_email=email,
        buyer_locale=locale,
        buyer_opted_out=opted_out,
    )
    document = order.to_document()
    assert order_from_document(document) == order
    assert order_from_document(document).to_document() == document


# --- locale ----------------------------------------------------------------------------------------------------------


def test_locale_falls_back_to_the_marketplace_default() -> None:
    assert Order(ORDER_ID, SELLER, DE, "Shipped").locale() == "de_DE"
    assert Order(ORDER_ID, SELLER, US, "Shipped").locale() == "en_US"
    assert Order(ORDER_ID, SELLER, "A1VC38T7YXB528", "Shipped").locale() == "ja_JP"


def test_buyer_locale_wins_over_the_marketplace_default() -> None:
    assert Order(ORDER_ID, SELLER, DE, "Shipped", buyer_locale="en_GB").locale() == "en_GB"
    assert order_from_document(full_document()).locale() == "fr_FR"
    assert order_from_document(without(full_document(), "BuyerLocale")).locale() == "de_DE"


@pytest.mark.parametrize("marketplace_id", sorted(MARKETPLACES))
def test_every_marketplace_gives_its_default_locale(marketplace_id: str) -> None:
    order = Order(ORDER_ID, SELLER, marketplace_id, "Shipped")
    assert order.locale() == MARKETPLACES[marketplace_id].default_locale
