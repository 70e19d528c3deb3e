"""Buyer delivery end to end: real `serve` and `worker` processes, a real SMTP server, SIGKILLs and outages."""

import random
import re
import sqlite3
import threading
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import (
    DE,
    US,
    ServerProcess,
    WorkerProcess,
    free_port,
    fresh_database_url,
    order_doc,
    server_now,
    wait_until,
)
from smtp_sink import SmtpServer
from solicitations.domain.messages import message_id

pytestmark = pytest.mark.e2e

ACTION = "/solicitations/productReviewAndSellerFeedback"
MAIL_DOMAIN = "solicitations.invalid"
# Fast retries, short leases: an outage or a dead worker costs the test seconds, not minutes.
QUICK = {
    "SOLICITATIONS_DELIVERY_BACKOFF_BASE_SECONDS": "0.05",
    "SOLICITATIONS_DELIVERY_BACKOFF_MAX_SECONDS": "0.5",
    "SOLICITATIONS_DELIVERY_MAX_ATTEMPTS": "1000",
    "SOLICITATIONS_DELIVERY_LEASE_SECONDS": "2",
    "SOLICITATIONS_DELIVERY_POLL_SECONDS": "0.05",
    "SOLICITATIONS_SMTP_TIMEOUT_SECONDS": "1",
    "SOLICITATIONS_ACCESS_LOG": "false",
}


def solicit(client: httpx.Client, order_id: str, marketplace: str = US) -> int:
    url = f"/solicitations/v1/orders/{order_id}{ACTION}"
    return client.post(url, params={"marketplaceIds": marketplace}).status_code


def outbox(server: ServerProcess, state: str | None = None) -> list[dict[str, Any]]:
    with server.admin() as admin:
        response = admin.get("/admin/v1/outbox", params={"limit": 1000, **({"state": state} if state else {})})
        response.raise_for_status()
        return list(response.json()["messages"])


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture
def mailing_server(tmp_path: Path, smtp: SmtpServer) -> Any:
    """`serve` with its in-process worker, sending to the test's SMTP server."""
    server = ServerProcess(
        fresh_database_url(tmp_path),
        env={**QUICK, "SOLICITATIONS_SMTP_URL": smtp.url},
        log_path=tmp_path / "server.log",
    ).start()
    yield server
    server.stop()


def test_one_201_is_one_german_email_whose_one_click_link_opts_the_buyer_out(
    mailing_server: ServerProcess, smtp: SmtpServer
) -> None:
    now = server_now()
    order, sibling = "302-7000000-0000001", "302-7000000-0000002"
    items = [
        {"ASIN": "B00GERMAN1", "SellerSKU": "K-1", "Title": "Kaffeemühle", "QuantityOrdered": 1},
        {"ASIN": "B00GERMAN2", "Title": "Milchaufschäumer", "QuantityOrdered": 2},
    ]
    with mailing_server.admin() as admin:
        admin.put("/admin/v1/sellers/A1TESTSELLER", json={"name": "Kaffeehaus Müller"}).raise_for_status()
    mailing_server.put_order(
        {**order_doc(order, now=now, marketplace_id=DE, email="Kunde@Example.de", locale="de_DE"), "OrderItems": items}
    )
    mailing_server.put_order(order_doc(sibling, now=now, marketplace_id=DE, email="kunde@example.de"))
    token = mailing_server.issue_token()
    with httpx.Client(base_url=mailing_server.base_url, headers={"x-amz-access-token": token}) as client:
        assert solicit(client, order, DE) == 201
        assert solicit(client, order, DE) == 403
        (message,) = smtp.sink.wait_for(1, timeout=15)

        def marked_sent() -> bool:
            with mailing_server.admin() as admin:
                return bool(admin.get(f"/admin/v1/orders/{order}").json()["message"]["state"] == "sent")

        # Sent is final: once the message is marked so, no worker sends it again, and the 403 queued none.
        wait_until(marked_sent, 15, "the message marked sent")
        assert len(smtp.sink.received()) == 1

        assert str(message["Message-ID"]).strip() == message_id(order, MAIL_DOMAIN)
        assert message["To"] == "Kunde@Example.de"
        assert str(message["Subject"]) == "Ihre Bestellung bei Kaffeehaus Müller: Wie ist es gelaufen?"
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert not message.defects
        assert all(not p.defects for p in message.walk())
        text = text_of(message)
        assert "vielen Dank für Ihre Bestellung 302-7000000-0000001" in text
        assert "Kaffeemühle (Menge: 1)" in text
        assert "https://www.amazon.de/review/create-review?asin=B00GERMAN2" in text
        html = message.get_body(("html",))
        assert html is not None
        assert "Milchaufschäumer</a> (Menge: 2)" in str(html.get_content())
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(message["List-Unsubscribe"]).strip()
        assert re.fullmatch(rf"<{re.escape(mailing_server.base_url)}/opt-out/[A-Za-z0-9_-]{{43}}>", link)
        assert link[1:-1] in text

        with mailing_server.admin() as admin:
            state = admin.get(f"/admin/v1/orders/{order}").json()["message"]
        assert (state["state"], state["attempts"], state["lastError"]) == ("sent", 1, None)
        assert state["sentAt"] is not None

        sibling_url = f"/solicitations/v1/orders/{sibling}"
        assert client.get(sibling_url, params={"marketplaceIds": DE}).json()["_links"]["actions"] != []
        # RFC 8058: a POST of this exact body to the List-Unsubscribe URL, with no cookies and no page.
        one_click = httpx.post(
            link[1:-1],
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert one_click.status_code == 200
        assert client.get(sibling_url, params={"marketplaceIds": DE}).json()["_links"]["actions"] == []
        assert solicit(client, sibling, DE) == 403


def test_a_permanent_refusal_is_dead_lettered_with_its_reason_and_delivered_once_requeued(
    mailing_server: ServerProcess, smtp: SmtpServer
) -> None:
    now = server_now()
    refused, fine = "111-7100000-0000001", "111-7100000-0000002"
    smtp.sink.refuse["gone@example.com"] = "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown"
    mailing_server.put_order(order_doc(refused, now=now, email="gone@example.com"))
    mailing_server.put_order(order_doc(fine, now=now, email="here@example.com"))
    with httpx.Client(
        base_url=mailing_server.base_url, headers={"x-amz-access-token": mailing_server.issue_token()}
    ) as client:
        assert solicit(client, refused) == 201
        assert solicit(client, fine) == 201
    wait_until(lambda: len(outbox(mailing_server, "dead")) == 1, 15, "the refused message is dead")
    (dead,) = outbox(mailing_server, "dead")
    assert dead["amazonOrderId"] == refused
    assert dead["attempts"] == 1  # a 5xx is not retried
    assert dead["lastError"].startswith("550 5.1.1")
    assert "gone@example.com" not in dead["lastError"]
    wait_until(lambda: len(smtp.sink.received()) == 1, 15, "the other message arrives")
    assert smtp.sink.received()[0]["To"] == "here@example.com"
    time.sleep(0.5)
    assert outbox(mailing_server, "dead") == [dead]  # it stays dead: nobody retries it behind our back

    smtp.sink.refuse.clear()
    with mailing_server.admin() as admin:
        requeued = admin.post(f"/admin/v1/outbox/{dead['id']}/retry")
    assert requeued.status_code == 200
    assert requeued.json()["state"] == "pending"
    wait_until(lambda: len(smtp.sink.received()) == 2, 15, "the requeued message arrives")
    assert smtp.sink.received()[1]["To"] == "gone@example.com"
    assert str(smtp.sink.received()[1]["Message-ID"]).strip() == message_id(refused, MAIL_DOMAIN)
    assert {m["state"] for m in outbox(mailing_server)} == {"sent"}


def test_an_smtp_outage_delays_delivery_and_loses_nothing(tmp_path: Path) -> None:
    smtp = SmtpServer(port=free_port())  # not started: connections are refused
    server = ServerProcess(
        fresh_database_url(tmp_path),
        env={**QUICK, "SOLICITATIONS_SMTP_URL": smtp.url},
        log_path=tmp_path / "server.log",
    ).start()
    try:
        now = server_now()
        orders = [f"111-7200000-{i:07d}" for i in range(20)]
        for order in orders:
            server.put_order(order_doc(order, now=now, email=f"buyer{order[-2:]}@example.com"))
        with httpx.Client(base_url=server.base_url, headers={"x-amz-access-token": server.issue_token()}) as client:
            assert [solicit(client, order) for order in orders] == [201] * 20

        def retried_while_down() -> bool:
            messages = outbox(server)
            return all(m["state"] == "pending" and m["attempts"] >= 3 for m in messages)

        wait_until(retried_while_down, 20, "every message retried during the outage")
        messages = outbox(server)
        assert all("Connect" in m["lastError"] or "refused" in m["lastError"] for m in messages), messages[0]
        assert outbox(server, "dead") == []

        smtp.start()
        try:
            smtp.sink.wait_for(20, timeout=20)
            wait_until(lambda: len(outbox(server, "sent")) == 20, 10, "all marked sent")
            assert sorted(smtp.sink.message_ids()) == sorted(message_id(o, MAIL_DOMAIN) for o in orders)
            assert outbox(server, "dead") == []
        finally:
            smtp.stop()
    finally:
        server.stop()


@pytest.mark.sqlite_only
def test_workers_killed_at_random_lose_no_message_and_resend_under_the_same_message_id(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """200 solicitations while two standalone workers are SIGKILLed again and again, mostly mid-send."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    database = tmp_path / "db.sqlite"
    env = {
        **QUICK,
        "SOLICITATIONS_DATABASE_URL": f"sqlite:///{database}",
        "SOLICITATIONS_SMTP_URL": smtp.url,
        "SOLICITATIONS_DELIVERY_BATCH_SIZE": "5",
        "SOLICITATIONS_LOG_LEVEL": "WARNING",
    }
    smtp.sink.delay = 0.01  # each send takes a while: a kill often lands between claim and record
    server = ServerProcess(
        f"sqlite:///{database}", env=env, args=["--no-worker"], log_path=tmp_path / "server.log"
    ).start()
    workers = [WorkerProcess(env, log_path=tmp_path / f"worker{i}.log").start() for i in range(2)]
    orders = [f"111-7300000-{i:07d}" for i in range(200)]
    orphaned: list[int] = []  # per kill: messages the killed worker held a lease on

    def held_by(pid: int) -> int:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            (count,) = db.execute(
                "SELECT count(*) FROM outbox WHERE state = 'pending' AND claimed_by LIKE ?", (f"%:{pid}:%",)
            ).fetchone()
        return int(count)

    def killer(kills: int) -> None:
        for _ in range(kills):
            time.sleep(rng.uniform(0.2, 0.6))
            victim = rng.randrange(len(workers))
            pid = workers[victim].pid
            deadline = time.monotonic() + 3
            while held_by(pid) == 0 and time.monotonic() < deadline:  # strike while it holds messages...
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.05))  # ...at a random point of its sends
            workers[victim].kill()
            orphaned.append(held_by(pid))
            workers[victim] = WorkerProcess(env, log_path=tmp_path / f"worker{victim}.log").start()

    try:
        now = server_now()
        with server.admin() as admin:
            for order in orders:
                doc = order_doc(order, now=now, email=f"b{order[-3:]}@example.com")
                admin.put(f"/admin/v1/orders/{order}", json=doc).raise_for_status()
        started = time.monotonic()
        kills = threading.Thread(target=killer, args=(5,))
        kills.start()
        with httpx.Client(base_url=server.base_url, headers={"x-amz-access-token": server.issue_token()}) as client:
            for order in orders:
                assert solicit(client, order) == 201
                time.sleep(0.01)
        kills.join()
        smtp.sink.wait_for(200, timeout=40)
        wait_until(lambda: len(outbox(server, "sent")) == 200, 20, "every message marked sent")
        elapsed = time.monotonic() - started
    finally:
        for w in workers:
            w.stop()
        server.stop()

    ids = smtp.sink.message_ids()
    distinct = Counter(ids)
    duplicates = len(ids) - len(distinct)
    print(f"seed {seed}: {len(ids)} messages, {duplicates} resent, orphaned per kill {orphaned}, {elapsed:.1f}s")
    assert len(distinct) == 200
    assert set(distinct) == {message_id(o, MAIL_DOMAIN) for o in orders}
    for message in smtp.sink.received():  # a resend is the same message: same order, same Message-ID
        (order_id,) = set(re.findall(r"111-7300000-\d{7}", text_of(message)))
        assert str(message["Message-ID"]).strip() == message_id(order_id, MAIL_DOMAIN)
    assert sum(orphaned) > 0, f"seed {seed}: no kill caught a worker holding a lease"
