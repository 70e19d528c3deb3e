"""The documented example (README, docs/testing.md): a seller tool's test using the `solicitations_emulator`
fixture and an unmodified python-amazon-sp-api client. Keep it in step with the docs: it is their proof."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sp_api.api import Solicitations
from sp_api.auth import AccessTokenClient
from sp_api.base import Marketplaces, SellingApiForbiddenException

from solicitations.testing import Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]  # the emulator always runs its own SQLite store

OUTSIDE_WINDOW = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)


def solicitations_client(emu: Emulator) -> Solicitations:
    """python-amazon-sp-api pointed at the emulator: its token client and its endpoint."""

    class EmulatorTokens(AccessTokenClient):
        scheme, host = "http://", urlsplit(emu.token_url).netloc

    client = Solicitations(Marketplaces.US, credentials=emu.credentials, auth_token_client_class=EmulatorTokens)
    client.endpoint = emu.url
    return client


def delivered(emu: Emulator, order_id: str, days_ago: int, buyer: str) -> dict[str, object]:
    when = emu.now() - timedelta(days=days_ago)

    def iso(value: datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")

    return emu.add_order(
        {
            "AmazonOrderId": order_id,
            "MarketplaceId": emu.marketplace_id,
            "OrderStatus": "Shipped",
            "PurchaseDate": iso(when - timedelta(days=3)),
            "EarliestDeliveryDate": iso(when),
            "LatestDeliveryDate": iso(when),
            "BuyerInfo": {"BuyerEmail": buyer},
        }
    )


def test_review_requests_in_the_window_and_after_it(solicitations_emulator: Emulator) -> None:
    emu = solicitations_emulator
    delivered(emu, "111-0000000-0000001", days_ago=6, buyer="first@example.com")
    delivered(emu, "111-0000000-0000002", days_ago=6, buyer="second@example.com")
    client = solicitations_client(emu)

    created = client.create_product_review_and_seller_feedback_solicitation(
        "111-0000000-0000001", marketplaceIds=emu.marketplace_id
    )
    assert created.payload == {}  # 201
    (mail,) = emu.mailbox()
    assert mail["To"] == "first@example.com"

    emu.advance(days=25)  # the second order, untouched, is now 31 days past its delivery
    with pytest.raises(SellingApiForbiddenException) as refused:
        client.create_product_review_and_seller_feedback_solicitation(
            "111-0000000-0000002", marketplaceIds=emu.marketplace_id
        )
    assert refused.value.message == OUTSIDE_WINDOW
    assert len(emu.mailbox()) == 1
