"""The demo of `serve --demo`: each demo order answers as described, and every start re-creates it as new.

In-process on the test's clock first (both databases), then as a real process on its own SQLite file.
"""

import asyncio
import mailbox
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from starlette.testclient import TestClient

from helpers import ADMIN_TOKEN, DE, US, Clock, free_port, order_doc
from solicitations.adapters.mail.rendering import sender_domain
from solicitations.adapters.store import schema
from solicitations.bootstrap import Container
from solicitations.domain.messages import message_id
from solicitations.service import demo

ACTION = "productReviewAndSellerFeedback"
NOT_FOUND = {"errors": [{"code": "NotFound", "message": "The resource specified does not exist.", "details": ""}]}
NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
OUTSIDE_WINDOW = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)
AUTH = {"x-amz-access-token": demo.ACCESS_TOKEN}

# (order id, marketplace asked) -> what the GET must answer: "action", "none" (200, empty actions) or 404.
EXPECTED_GET = {
    (demo.ELIGIBLE, US): "action",
    ("111-1111111-0000002", US): "none",  # too early
    ("111-1111111-0000003", US): "none",  # too late
    ("111-1111111-0000004", US): "none",  # not shipped
    (demo.ALREADY_SOLICITED, US): "none",
    ("111-1111111-0000006", US): "none",  # buyer opted out
    ("302-1111111-0000007", US): 404,  # German order asked in the US
    ("302-1111111-0000007", DE): "action",
    ("111-1111111-0000008", US): 404,  # another seller's order
    ("111-1111111-0000008", DE): 404,
    ("111-9999999-9999999", US): 404,  # no such order
}


@contextmanager
def demo_server(database_url: str, log_path: Path) -> Iterator[tuple[str, str]]:
    """`solicitations serve --demo` on a free loopback port; yields (base url, what it printed)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLICITATIONS_")}
    env |= {
        "SOLICITATIONS_DATABASE_URL": database_url,
        "SOLICITATIONS_PLAN_RATE": "1000",
        "SOLICITATIONS_PLAN_BURST": "1000",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "solicitations", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"demo server exited with {process.returncode}: {log_path.read_text()}")
                try:
                    if httpx.get(base + "/healthz", timeout=0.5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"demo server did not become healthy: {log_path.read_text()}")
                time.sleep(0.05)
            yield base, log_path.read_text()
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def get(base: str, order_id: str, marketplace: str) -> httpx.Response:
    return httpx.get(f"{base}/solicitations/v1/orders/{order_id}", params={"marketplaceIds": marketplace}, headers=AUTH)


def post(base: str, order_id: str, marketplace: str) -> httpx.Response:
    return httpx.post(
        f"{base}/solicitations/v1/orders/{order_id}/solicitations/{ACTION}",
        params={"marketplaceIds": marketplace},
        headers=AUTH,
    )


def answers(base: str) -> dict[tuple[str, str], Any]:
    """Every GET of EXPECTED_GET, checked; the bodies, to compare runs."""
    seen: dict[tuple[str, str], Any] = {}
    for (order_id, marketplace), expected in EXPECTED_GET.items():
        response = get(base, order_id, marketplace)
        if expected == 404:
            assert response.status_code == 404, (order_id, marketplace, response.text)
            assert response.json() == NOT_FOUND
        else:
            assert response.status_code == 200, (order_id, marketplace, response.text)
            assert response.headers["content-type"] == "application/hal+json"
            names = [a["name"] for a in response.json()["_links"]["actions"]]
            assert names == ([ACTION] if expected == "action" else []), (order_id, marketplace, expected)
            assert [a["name"] for a in response.json()["_embedded"]["actions"]] == names
        seen[order_id, marketplace] = (response.status_code, response.json())
    return seen


COUNTED = (
    schema.orders,
    schema.solicitations,
    schema.sellers,
    schema.access_tokens,
    schema.outbox,
    schema.opt_out_tokens,
    schema.buyer_opt_outs,
)
SEEDED = {
    "orders": 8,
    "solicitations": 1,
    "sellers": 2,
    "access_tokens": 1,
    "outbox": 1,
    "opt_out_tokens": 0,  # until a worker sends the solicited order's email
    "buyer_opt_outs": 0,
}


def table_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in COUNTED}
    finally:
        engine.dispose()


def without_tokens(counts: dict[str, int]) -> dict[str, int]:
    """The counts without opt-out tokens, which the server's worker adds when it sends an email."""
    return {table: count for table, count in counts.items() if table != "opt_out_tokens"}


# --- in-process, on the test's clock --------------------------------------------------------------------------------


def walkthrough(client: TestClient) -> list[tuple[int, Any]]:
    """The README's "Try it" through the app: GET the eligible order, POST it twice, POST the too-late order."""

    def action(order_id: str) -> str:
        return f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}"

    responses = [
        client.get(f"/solicitations/v1/orders/{demo.ELIGIBLE}", params={"marketplaceIds": US}, headers=AUTH),
        client.post(action(demo.ELIGIBLE), params={"marketplaceIds": US}, headers=AUTH),
        client.post(action(demo.ELIGIBLE), params={"marketplaceIds": US}, headers=AUTH),
        client.post(action(demo.TOO_LATE), params={"marketplaceIds": US}, headers=AUTH),
    ]
    return [(r.status_code, r.json()) for r in responses]


def opt_out_link(maildir: Path, order_id: str, mail_domain: str) -> str:
    """The opt-out path in the email the worker delivered for the order."""
    (email,) = [
        m for m in mailbox.Maildir(maildir, create=False) if m["Message-ID"] == message_id(order_id, mail_domain)
    ]
    return "/" + str(email["List-Unsubscribe"]).strip("<> ").split("/", 3)[3]


def test_every_seed_re_creates_the_demo_so_the_walkthrough_answers_the_same(
    client: TestClient, container: Container, clock: Clock, database_url: str, tmp_path: Path, token: str
) -> None:
    domain = sender_domain(container.settings.mail_from)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    # Data of the operator's own, beside the demo: a solicited order that every seed must leave alone.
    mine = "111-2222222-0000001"
    assert client.put(f"/admin/v1/orders/{mine}", json=order_doc(mine, now=clock.now), headers=admin).status_code == 200

    printed = asyncio.run(demo.seed(container.store, clock(), domain))
    assert {o.amazon_order_id for o in printed} == {o for o, _ in EXPECTED_GET if not o.startswith("111-9999999")}
    assert table_counts(database_url) == {**SEEDED, "orders": 9, "access_tokens": 2}
    first = walkthrough(client)
    assert [status for status, _ in first] == [200, 201, 403, 403]
    assert [a["name"] for a in first[0][1]["_links"]["actions"]] == [ACTION]
    assert first[1][1] == {}
    assert first[2][1]["errors"][0]["message"] == NOT_AVAILABLE
    assert first[3][1]["errors"][0]["message"] == OUTSIDE_WINDOW

    # What a run leaves behind: the emails sent, and the eligible order's buyer opted out through their link.
    assert asyncio.run(container.delivery.deliver_due()) == 2
    link = opt_out_link(tmp_path / "mail", demo.ELIGIBLE, domain)
    assert client.post(link).status_code == 200
    solicited_mine = client.post(
        f"/solicitations/v1/orders/{mine}/solicitations/{ACTION}",
        params={"marketplaceIds": US},
        headers={"x-amz-access-token": token},
    )
    assert solicited_mine.status_code == 201

    # A restart, 100 days later: the same answers, nothing of the last run left, the operator's order kept.
    clock.advance(timedelta(days=100))
    asyncio.run(demo.seed(container.store, clock(), domain))
    assert table_counts(database_url) == {**SEEDED, "orders": 9, "solicitations": 2, "outbox": 2, "access_tokens": 2}
    assert client.get(link).status_code == 404  # the old opt-out link is forgotten with its buyer's opt-out
    assert walkthrough(client) == first
    assert client.get(f"/admin/v1/orders/{mine}", headers=admin).json()["solicitation"] is not None


# --- a real process -------------------------------------------------------------------------------------------------

SPENT = ((demo.ELIGIBLE, US), ("302-1111111-0000007", DE))


@pytest.mark.e2e
@pytest.mark.sqlite_only  # runs its own SQLite file
def test_demo_orders_answer_as_described_and_every_start_re_creates_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with demo_server(url, tmp_path / "first.log") as (base, printed):
        assert demo.ACCESS_TOKEN in printed
        for order_id in {o for o, _ in EXPECTED_GET if not o.startswith("111-9999999")}:
            assert order_id in printed
        first = answers(base)
        # The schema link works for the demo token, and another token gets the observed 403.
        schema_href = get(base, demo.ELIGIBLE, US).json()["_embedded"]["actions"][0]["_links"]["schema"]["href"]
        assert httpx.get(base + schema_href, headers=AUTH).status_code == 200
        denied = httpx.get(
            f"{base}/solicitations/v1/orders/{demo.ELIGIBLE}",
            params={"marketplaceIds": US},
            headers={"x-amz-access-token": "Atza|not-the-demo-token"},
        )
        assert denied.status_code == 403
        assert without_tokens(table_counts(url)) == without_tokens(SEEDED)

        # Spend the eligible orders: exactly one POST each; Amazon's messages for all the others.
        for order_id, marketplace in SPENT:
            created = post(base, order_id, marketplace)
            assert created.status_code == 201, created.text
            assert created.content == b"{}"
            again = post(base, order_id, marketplace)
            assert again.status_code == 403
            assert again.json()["errors"][0]["message"] == NOT_AVAILABLE
        for order_id in ("111-1111111-0000002", "111-1111111-0000003"):
            refused = post(base, order_id, US)
            assert refused.status_code == 403, refused.text
            assert refused.json()["errors"][0]["message"] == OUTSIDE_WINDOW
        for order_id in ("111-1111111-0000004", demo.ALREADY_SOLICITED, "111-1111111-0000006"):
            refused = post(base, order_id, US)
            assert refused.status_code == 403, refused.text
            assert refused.json()["errors"][0]["message"] == NOT_AVAILABLE
        for order_id, marketplace in (("302-1111111-0000007", US), ("111-1111111-0000008", US)):
            missing = post(base, order_id, marketplace)
            assert missing.status_code == 404
            assert missing.json() == NOT_FOUND
    assert table_counts(url)["solicitations"] == 3

    # Starting again on the same database re-creates the demo: nothing duplicated, what was spent is fresh
    # again, and every order answers as it did on the first start.
    with demo_server(url, tmp_path / "second.log") as (base, printed):
        assert demo.ACCESS_TOKEN in printed
        assert without_tokens(table_counts(url)) == without_tokens(SEEDED)
        assert answers(base) == first
