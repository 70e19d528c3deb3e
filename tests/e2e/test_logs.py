"""The logs of a real server process with the access log on: one JSON line per request with ids,
and never a buyer address, an access token or the admin token."""

import json
import re
from pathlib import Path

import httpx
import pytest

from helpers import ADMIN_TOKEN, APP, SELLER, US, ServerProcess, fresh_database_url, order_doc, server_now

pytestmark = pytest.mark.e2e

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
POST = "/solicitations/productReviewAndSellerFeedback"


def test_a_full_run_logs_ids_and_no_address_or_token(tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    server = ServerProcess(
        fresh_database_url(tmp_path), env={"SOLICITATIONS_ACCESS_LOG": "true"}, log_path=log_path
    ).start()
    try:
        token = server.issue_token()
        now = server_now()
        server.put_order(order_doc("111-0000000-0000001", now=now, email="jane.buyer@example.com"))
        server.put_order(order_doc("111-0000000-0000002", now=now, email="john.buyer@example.org"))
        with server.admin() as admin:  # one request per ~11 days from here on: the next GETs are throttled
            plan = f"/admin/v1/usage-plans/{SELLER}/{APP}/getSolicitationActionsForOrder"
            assert admin.put(plan, json={"rate": 0.000001, "burst": 2}).status_code == 200
        statuses = []
        with httpx.Client(base_url=server.base_url, headers={"x-amz-access-token": token}) as client:
            order = "/solicitations/v1/orders/111-0000000-0000001"
            statuses.append(client.get(order, params={"marketplaceIds": US}).status_code)
            statuses.append(client.post(order + POST, params={"marketplaceIds": US}).status_code)
            statuses.append(client.post(order + POST, params={"marketplaceIds": US}).status_code)
            statuses.append(client.post(order + POST, params={"marketplaceIds": "nope"}).status_code)
            statuses.append(client.get(order, headers={"x-amz-access-token": "Atza|not-a-real-token"}).status_code)
            statuses.append(client.get(order, params={"marketplaceIds": US}).status_code)
            statuses.append(client.get(order, params={"marketplaceIds": US}).status_code)
        assert statuses == [200, 201, 403, 400, 403, 200, 429]
    finally:
        server.stop()

    text = log_path.read_text()
    # The only address-shaped strings allowed are Message-IDs (<solicitation.<hash>@mail domain>), which name
    # a message, not a person; a buyer's address never appears.
    assert {a for a in EMAIL.findall(text) if not a.startswith("solicitation.")} == set()
    for address in ("jane.buyer@example.com", "john.buyer@example.org", "example.com", "example.org"):
        assert address not in text
    for secret in (token, ADMIN_TOKEN, "Atza|not-a-real-token", "Atza|"):
        assert secret not in text
    access = [
        line for line in map(json.loads, filter(None, text.splitlines())) if line["logger"] == "solicitations.access"
    ]
    assert [line["status"] for line in access] == [200, 201, 403, 400, 403, 200, 429]
    for line in access:
        assert set(line) >= {"request_id", "operation", "status", "duration_ms", "seller_id", "application_id"}
    assert access[0]["seller_id"] == SELLER
    assert access[0]["application_id"] == APP
    assert access[1]["operation"] == "createProductReviewAndSellerFeedbackSolicitation"
    assert access[4]["seller_id"] is None  # an unknown token: nobody to name
    assert len({line["request_id"] for line in access}) == len(access)
