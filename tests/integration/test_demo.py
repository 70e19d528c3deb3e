"""`solicitations serve --demo` as a real process: each demo order answers as described, and seeding is idempotent."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from helpers import DE, US, free_port
from solicitations.adapters.store import schema
from solicitations.service import demo

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]  # runs its own SQLite file

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


def answers(base: str, spent: tuple[tuple[str, str], ...] = ()) -> dict[tuple[str, str], Any]:
    """Every GET of EXPECTED_GET (the `spent` ones now offer nothing), checked; the bodies, to compare runs."""
    seen: dict[tuple[str, str], Any] = {}
    for (order_id, marketplace), planned in EXPECTED_GET.items():
        expected = "none" if (order_id, marketplace) in spent else planned
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


def table_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (schema.orders, schema.solicitations, schema.sellers, schema.access_tokens)
            }
    finally:
        engine.dispose()


SPENT = ((demo.ELIGIBLE, US), ("302-1111111-0000007", DE))


def test_demo_orders_answer_as_described_and_seeding_is_idempotent(tmp_path):
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
        assert table_counts(url) == {"orders": 8, "solicitations": 1, "sellers": 2, "access_tokens": 1}

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
    assert table_counts(url) == {"orders": 8, "solicitations": 3, "sellers": 2, "access_tokens": 1}

    # Seeding again on the same database: it starts, duplicates nothing, answers the same, and does not
    # undo what was spent.
    with demo_server(url, tmp_path / "second.log") as (base, printed):
        assert demo.ACCESS_TOKEN in printed
        assert table_counts(url) == {"orders": 8, "solicitations": 3, "sellers": 2, "access_tokens": 1}
        expected = dict(first)
        for order_id, marketplace in SPENT:
            status, body = expected[order_id, marketplace]
            expected[order_id, marketplace] = (
                status,
                {"_links": {**body["_links"], "actions": []}, "_embedded": {"actions": []}},
            )
        assert answers(base, spent=SPENT) == expected
