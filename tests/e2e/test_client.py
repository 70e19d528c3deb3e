"""solicitations.client against a real server process: LWA through /auth/o2/token, the partner's plan kept
to without one 429 (the server's own /metrics say so), a suspended application as a clear error."""

import time

import httpx
import pytest

from helpers import METRICS_AUTH, SELLER, US, ServerProcess, fresh_database_url, order_doc, sample, server_now
from solicitations.client import Credentials, LwaError, SellingPartnerClient, SpApiError
from solicitations.domain.usage_plans import CREATE_REVIEW_SOLICITATION, GET_ACTIONS

pytestmark = pytest.mark.e2e


@pytest.fixture
def throttled(tmp_path) -> ServerProcess:  # type: ignore[no-untyped-def]
    process = ServerProcess(fresh_database_url(tmp_path), log_path=tmp_path / "server.log", throttled=True).start()
    yield process
    process.stop()


def provision(server: ServerProcess, order_ids: list[str], rate: float, burst: int) -> tuple[str, Credentials]:
    """An authorized application with the plan (rate, burst) for both operations, and eligible orders."""
    with server.admin() as admin:
        app = admin.post("/admin/v1/applications", json={"name": "Requester", "roles": ["Buyer Solicitation"]}).json()
        admin.put(f"/admin/v1/sellers/{SELLER}", json={"name": "Store", "marketplaceIds": [US]}).raise_for_status()
        granted = admin.post(
            "/admin/v1/authorizations", json={"sellerId": SELLER, "applicationId": app["applicationId"]}
        )
        granted.raise_for_status()
        for operation in (GET_ACTIONS, CREATE_REVIEW_SOLICITATION):
            admin.put(
                f"/admin/v1/usage-plans/{SELLER}/{app['applicationId']}/{operation}",
                json={"rate": rate, "burst": burst},
            ).raise_for_status()
        for order_id in order_ids:
            admin.put(f"/admin/v1/orders/{order_id}", json=order_doc(order_id, now=server_now())).raise_for_status()
    return app["applicationId"], Credentials(app["clientId"], app["clientSecret"], granted.json()["refresh_token"])


def client(server: ServerProcess, credentials: Credentials) -> SellingPartnerClient:
    return SellingPartnerClient(credentials, endpoint=server.base_url, token_url=server.base_url + "/auth/o2/token")


def test_paced_to_the_granted_plan_without_a_429(throttled: ServerProcess) -> None:
    orders = [f"111-0000000-{n:07d}" for n in range(40)]
    _, credentials = provision(throttled, orders, rate=20.0, burst=5)
    with client(throttled, credentials) as sp:
        sp.get_solicitation_actions_for_order(orders[0], US)  # learns the stated rate (20/s, not the default 1/s)
        started = time.monotonic()
        for order_id in orders:
            assert sp.create_product_review_and_seller_feedback_solicitation(order_id, US).repeated is False
        elapsed = time.monotonic() - started
    metrics = httpx.get(throttled.base_url + "/metrics", headers=METRICS_AUTH).text
    throttled_total = sum(
        sample(metrics, "solicitations_throttled_requests_total", operation=op, plan="granted")
        for op in (GET_ACTIONS, CREATE_REVIEW_SOLICITATION)
    )
    assert throttled_total == 0
    minimum = (len(orders) - 5) / 20.0  # the server's bucket: burst 5, then 20/s
    assert minimum <= elapsed <= minimum * 1.05 + 0.25


def test_a_suspended_application_is_a_clear_error(server: ServerProcess) -> None:
    order = "111-0000000-0000001"
    application_id, credentials = provision(server, [order], rate=1000.0, burst=1000)
    with server.admin() as admin:
        admin.put(f"/admin/v1/applications/{application_id}/state", json={"state": "suspended"}).raise_for_status()
    with client(server, credentials) as sp, pytest.raises((LwaError, SpApiError)) as raised:
        sp.get_solicitation_actions_for_order(order, US)
    assert raised.value.status in (400, 401, 403)
