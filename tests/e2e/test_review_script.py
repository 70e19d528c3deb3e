"""Issue 13's proof: a review-request script written only against python-amazon-sp-api (getOrders → actions →
create) runs against the emulator with its credentials and base URL, asks exactly the orders in their window,
the next batch after the clock moves, never one twice; and the same asking code runs unchanged against
`serve --sandbox` with the sandbox's order id."""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sp_api.api import Orders, Solicitations
from sp_api.auth import AccessTokenClient
from sp_api.base import Marketplaces

from helpers import US, ServerProcess, fresh_database_url
from solicitations.testing import Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]  # the emulator always runs its own SQLite store


# The seller tool's script: nothing in it knows it is not talking to Amazon.
def shipped_orders(orders: Orders, marketplace_id: str, created_after: str) -> Iterator[str]:
    """Every shipped order created since `created_after`, across getOrders' pages."""
    page = orders.get_orders(CreatedAfter=created_after, MarketplaceIds=[marketplace_id], OrderStatuses=["Shipped"])
    while True:
        yield from (order["AmazonOrderId"] for order in page.payload["Orders"])
        next_token = page.payload.get("NextToken")
        if not next_token:
            return
        page = orders.get_orders(NextToken=next_token, MarketplaceIds=[marketplace_id])


def ask_for_reviews(solicitations: Solicitations, marketplace_id: str, order_ids: Iterable[str]) -> list[str]:
    """Ask each order's buyer when the action is offered; the orders asked."""
    asked = []
    for order_id in order_ids:
        offered = solicitations.get_solicitation_actions_for_order(order_id, marketplaceIds=marketplace_id)
        names = [action["name"] for action in offered.payload.get("_links", {}).get("actions", [])]
        if "productReviewAndSellerFeedback" in names:
            solicitations.create_product_review_and_seller_feedback_solicitation(
                order_id, marketplaceIds=marketplace_id
            )
            asked.append(order_id)
    return asked


# The test around it.
def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pointed_at(kind: type[Orders] | type[Solicitations], emu: Emulator) -> Orders | Solicitations:
    class EmulatorTokens(AccessTokenClient):
        scheme, host = "http://", urlsplit(emu.token_url).netloc

    client = kind(Marketplaces.US, credentials=emu.credentials, auth_token_client_class=EmulatorTokens)
    client.endpoint = emu.url
    return client


def _order(emu: Emulator, order_id: str, delivered_days_ago: int, status: str = "Shipped") -> None:
    delivered = emu.now() - timedelta(days=delivered_days_ago)
    emu.add_order(
        {
            "AmazonOrderId": order_id,
            "MarketplaceId": emu.marketplace_id,
            "OrderStatus": status,
            "PurchaseDate": _iso(delivered - timedelta(days=3)),
            "EarliestDeliveryDate": _iso(delivered),
            "LatestDeliveryDate": _iso(delivered),
            "BuyerInfo": {"BuyerEmail": f"{order_id}@example.com"},
        }
    )


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Plans wide enough for a script that does not pace itself (Amazon's 1/s burst 5 would throttle it)."""
    with Emulator(settings={"PLAN_RATE": "100", "PLAN_BURST": "100"}) as emulator:
        yield emulator


def test_the_script_asks_each_order_in_its_window_once(emu: Emulator) -> None:
    _order(emu, "111-0000000-0000001", delivered_days_ago=6)  # in its window
    _order(emu, "111-0000000-0000002", delivered_days_ago=20)  # in its window
    _order(emu, "111-0000000-0000003", delivered_days_ago=2)  # opens in 3 days
    _order(emu, "111-0000000-0000004", delivered_days_ago=40)  # closed 10 days ago
    _order(emu, "111-0000000-0000005", delivered_days_ago=6, status="Unshipped")
    orders, solicitations = _pointed_at(Orders, emu), _pointed_at(Solicitations, emu)

    def run() -> list[str]:
        since = _iso(emu.now() - timedelta(days=90))
        return ask_for_reviews(solicitations, emu.marketplace_id, shipped_orders(orders, emu.marketplace_id, since))

    assert sorted(run()) == ["111-0000000-0000001", "111-0000000-0000002"]
    assert run() == []  # nobody twice
    emu.advance(days=4)
    assert run() == ["111-0000000-0000003"]
    assert sorted(mail["To"] for mail in emu.mailbox()) == [f"111-0000000-000000{n}@example.com" for n in (1, 2, 3)]


def test_the_same_asking_code_runs_against_the_sandbox(tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = tmp_path_factory.mktemp("sandbox")
    server = ServerProcess(fresh_database_url(directory), args=["--sandbox"], log_path=directory / "server.log")
    server.start()
    try:
        # Amazon's sandbox takes any well-formed token; the script is handed one as Amazon's LWA would mint it.
        sandbox = Solicitations(
            Marketplaces.US,
            credentials={"lwa_app_id": "unused", "lwa_client_secret": "unused"},
            restricted_data_token="Atza|sandbox",
        )
        sandbox.endpoint = server.base_url
        assert ask_for_reviews(sandbox, US, ["123-1234567-1234567"]) == ["123-1234567-1234567"]
    finally:
        server.stop()
