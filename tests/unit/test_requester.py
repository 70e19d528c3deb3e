"""The requester's decisions and journal, against httpx's mock transport and a fixed "today"."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import T0, US, order_doc
from solicitations.client import Credentials, SellingPartnerClient, SpApiError
from solicitations.requester.campaign import Requester
from solicitations.requester.journal import Journal, State


class FakeAmazon:
    """getOrders in pages of two, actions offered for every order not yet asked, creates counted."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.created: list[str] = []
        self.actions_asked: list[str] = []
        self.refuse_caller = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|x", "expires_in": 3600})
        if self.refuse_caller:
            return httpx.Response(
                403, json={"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}
            )
        if path == "/orders/v0/orders":
            start = int(request.url.params.get("NextToken") or 0)
            page: dict[str, Any] = {"Orders": self.orders[start : start + 2]}
            if start + 2 < len(self.orders):
                page["NextToken"] = str(start + 2)
            return httpx.Response(200, json={"payload": page})
        order_id = path.split("/")[4]
        if request.method == "GET":
            self.actions_asked.append(order_id)
            offered = [] if order_id in self.created else [{"name": "productReviewAndSellerFeedback", "href": "/x"}]
            return httpx.Response(200, json={"_links": {"actions": offered, "self": {"href": "/y"}}})
        self.created.append(order_id)
        return httpx.Response(201, json={})


def requester(amazon: FakeAmazon, journal: Journal, now: Any = T0) -> Requester:
    client = SellingPartnerClient(
        Credentials("id", "secret", "Atzr|r"),
        endpoint="http://sp.test",
        token_url="http://sp.test/auth/o2/token",
        sleep=lambda seconds: None,
        http=httpx.Client(transport=httpx.MockTransport(amazon)),
    )
    return Requester(client, journal, US, now)


def run(r: Requester, journal: Journal) -> Any:
    return r.run(r.discover(None), journal.start_run(r.now, "http://sp.test"))


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.db")


def test_only_orders_in_their_window_are_asked_and_the_others_say_why(journal: Journal) -> None:
    amazon = FakeAmazon(
        [
            order_doc("111-0000000-0000001", delivered_days_ago=10),
            order_doc("111-0000000-0000002", delivered_days_ago=2),  # window opens in 3 days
            order_doc("111-0000000-0000003", delivered_days_ago=40),  # closed 10 days ago
            order_doc("111-0000000-0000004", delivered_days_ago=5),  # opens exactly now (inclusive)
            order_doc("111-0000000-0000005", delivered_days_ago=35, latest_days_ago=30),  # closes exactly now
        ]
    )
    summary = run(requester(amazon, journal), journal)
    assert (
        amazon.actions_asked == amazon.created == ["111-0000000-0000001", "111-0000000-0000004", "111-0000000-0000005"]
    )
    assert summary.as_json()["notOffered"] == {"too_late": 1}
    assert summary.waiting == {"111-0000000-0000002": T0 + timedelta(days=3)}
    assert journal.get("111-0000000-0000002").state is State.WAITING


def test_a_rerun_asks_nobody_twice_and_a_later_day_asks_the_next_batch(journal: Journal) -> None:
    amazon = FakeAmazon([order_doc("111-0000000-0000001"), order_doc("111-0000000-0000002", delivered_days_ago=2)])
    run(requester(amazon, journal), journal)
    again = run(requester(amazon, journal), journal)
    assert amazon.created == ["111-0000000-0000001"]
    assert again.asked_before == ["111-0000000-0000001"]
    later = run(requester(amazon, journal, T0 + timedelta(days=3)), journal)
    assert amazon.created == ["111-0000000-0000001", "111-0000000-0000002"]
    assert later.as_json()["asked"] == 2


def test_an_order_whose_create_may_have_left_is_resent_as_a_repeat(journal: Journal) -> None:
    amazon = FakeAmazon([order_doc("111-0000000-0000001")])
    amazon.created.append("111-0000000-0000001")  # the earlier run's request arrived; its answer was lost
    run_id = journal.start_run(T0, "http://sp.test")
    journal.record(run_id, "111-0000000-0000001", US, State.SENDING)

    def refuse_repeat(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "solicitations" in request.url.path:
            message = "The requested solicitation is not available for this amazonOrderId."
            return httpx.Response(403, json={"errors": [{"code": "Unauthorized", "message": message}]})
        return amazon(request)

    summary = run(requester(refuse_repeat, journal), journal)  # type: ignore[arg-type]
    assert summary.asked_before == ["111-0000000-0000001"]
    entry = journal.get("111-0000000-0000001")
    assert (entry.state, entry.reason, entry.maybe_sent) == (State.ASKED, "repeat", False)


def test_a_refused_caller_stops_the_run_and_the_journal_keeps_what_was_done(journal: Journal) -> None:
    amazon = FakeAmazon([order_doc("111-0000000-0000001"), order_doc("111-0000000-0000002")])
    r = requester(amazon, journal)
    orders = r.discover(None)
    amazon.refuse_caller = True
    with pytest.raises(SpApiError):
        r.run(orders, journal.start_run(T0, "http://sp.test"))
    assert journal.get("111-0000000-0000001") is None
