"""/metrics of a real `solicitations serve` after its in-process worker delivered a POST's email to the Maildir."""

import mailbox
from pathlib import Path

import httpx
import pytest

from helpers import METRICS_AUTH, US, ServerProcess, fresh_database_url, order_doc, sample, server_now, wait_until

pytestmark = pytest.mark.e2e

ORDER = "111-8888888-0000001"


def test_a_delivered_email_shows_in_the_attempts_and_the_outbox_depth(tmp_path: Path) -> None:
    server = ServerProcess(
        fresh_database_url(tmp_path),
        # A short outbox cache keeps the wait short; the default (5 s) is exercised in-process.
        env={"SOLICITATIONS_OUTBOX_METRICS_CACHE_SECONDS": "0.2", "SOLICITATIONS_DELIVERY_POLL_SECONDS": "0.05"},
        log_path=tmp_path / "server.log",
    ).start()
    try:
        token = server.issue_token()
        server.put_order(order_doc(ORDER, now=server_now()))
        with httpx.Client(base_url=server.base_url, headers={"x-amz-access-token": token}) as client:
            url = f"/solicitations/v1/orders/{ORDER}/solicitations/productReviewAndSellerFeedback"
            assert client.post(url, params={"marketplaceIds": US}).status_code == 201

        maildir = tmp_path / "mail"
        wait_until(lambda: maildir.is_dir() and len(mailbox.Maildir(maildir, create=False)) == 1, 15, "the email")

        def scrape() -> str:
            response = httpx.get(server.base_url + "/metrics", headers=METRICS_AUTH)
            assert response.status_code == 200
            return response.text

        wait_until(lambda: sample(scrape(), "solicitations_outbox_depth", state="sent") == 1, 15, "depth sent=1")
        text = scrape()
        attempts = "solicitations_delivery_attempts_total"
        assert sample(text, attempts, outcome="sent") == 1
        assert [line for line in text.splitlines() if line.startswith(attempts + "{")] == [
            attempts + '{outcome="sent"} 1.0'
        ]
        depth = "solicitations_outbox_depth"
        assert {s: sample(text, depth, state=s) for s in ("pending", "sent", "dead", "suppressed")} == {
            "pending": 0,
            "sent": 1,
            "dead": 0,
            "suppressed": 0,
        }
        assert f'{depth}{{state="pending"}} 0.0' in text  # reported as 0, not absent
        assert sample(text, "solicitations_outbox_oldest_undelivered_age_seconds") == 0.0
    finally:
        server.stop()
