"""`serve --emulator`: /admin/v1/clock moves business time forward, and every component follows it.

The app runs in-process over the suite's fixed clock; the emulator's movable clock sits on top of it, so
any time that passes here passed through PUT /admin/v1/clock.
"""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers import ADMIN_TOKEN, APP, T0, US, Clock, order_doc
from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app
from solicitations.service.ports.mail import DeliveryFailed

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CLOCK = "/admin/v1/clock"
ACTION = "/solicitations/productReviewAndSellerFeedback"


class FailingOnce:
    """A transport whose first send fails transiently, then records what it is handed."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.failed = False

    async def send(self, message: EmailMessage) -> None:
        if not self.failed:
            self.failed = True
            raise DeliveryFailed("connection refused", permanent=False)
        self.sent.append(message)


@pytest.fixture
def transport() -> FailingOnce:
    return FailingOnce()


@pytest.fixture
def emulator(settings: Settings, clock: Clock, transport: FailingOnce) -> Iterator[Container]:
    settings = settings.model_copy(update={"emulator": True, "plan_rate": 0.001, "plan_burst": 1})
    container = bootstrap(settings, clock, mail=transport)
    yield container
    container.close()


@pytest.fixture
def emu(emulator: Container) -> Iterator[TestClient]:
    with TestClient(create_app(emulator), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def seller() -> str:
    """A seller of this test's own: Redis buckets (PostgreSQL pass) are shared by every test."""
    return f"A{uuid.uuid4().hex[:12].upper()}"


def issue(client: TestClient, seller: str) -> dict[str, str]:
    body = {"sellerId": seller, "applicationId": APP, "roles": ["Buyer Solicitation"]}
    response = client.post("/admin/v1/access-tokens", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    return {"x-amz-access-token": response.json()["access_token"]}


def move(client: TestClient, body: Any) -> Any:
    return client.put(CLOCK, json=body, headers=ADMIN)


def test_get_and_put_move_time_forward_only(emu: TestClient, subtests: Any) -> None:
    assert emu.get(CLOCK, headers=ADMIN).json() == {"now": "2026-11-27T12:00:00.000000Z"}
    assert move(emu, {"advanceSeconds": 90.5}).json() == {"now": "2026-11-27T12:01:30.500000Z"}
    assert move(emu, {"now": "2026-12-01T00:00:00+01:00"}).json() == {"now": "2026-11-30T23:00:00.000000Z"}
    assert move(emu, {"advanceSeconds": 0}).json() == {"now": "2026-11-30T23:00:00.000000Z"}
    for body in (
        {"now": "2026-11-30T22:59:59Z"},  # backwards
        {"advanceSeconds": -1},
        {"now": "2026-12-01T00:00:00"},  # no time zone
        {"now": "tomorrow"},
        {"now": 1},
        {"advanceSeconds": "60"},
        {"advanceSeconds": True},
        {"advanceSeconds": 1e300},
        {"now": "2026-12-02T00:00:00Z", "advanceSeconds": 1},
        {},
        [],
        None,
    ):
        with subtests.test(body=body):
            response = move(emu, body)
            assert response.status_code == 400
            assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert emu.get(CLOCK, headers=ADMIN).json() == {"now": "2026-11-30T23:00:00.000000Z"}


def test_the_clock_is_behind_the_admin_token(emu: TestClient) -> None:
    assert emu.get(CLOCK).status_code == 401
    assert emu.put(CLOCK, json={"advanceSeconds": 1}, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_without_emulator_mode_the_clock_does_not_exist(client: TestClient, admin_headers: dict[str, str]) -> None:
    assert client.get(CLOCK, headers=admin_headers).status_code == 404
    assert client.put(CLOCK, json={"advanceSeconds": 1}, headers=admin_headers).status_code == 404
    assert CLOCK not in client.get("/openapi.json").json()["paths"]


def test_eligibility_follows_the_clock(emu: TestClient, seller: str) -> None:
    headers = issue(emu, seller)
    order = "111-7777777-0000001"
    doc = order_doc(order, now=T0, seller_id=seller, delivered_days_ago=2)  # too early: 3 more days
    assert emu.put(f"/admin/v1/orders/{order}", json=doc, headers=ADMIN).status_code == 200
    url = f"/solicitations/v1/orders/{order}{ACTION}"
    assert emu.post(url, params={"marketplaceIds": US}, headers=headers).status_code == 403
    move(emu, {"advanceSeconds": 40 * 86_400})  # now too late
    assert emu.post(url, params={"marketplaceIds": US}, headers=issue(emu, seller)).status_code == 403
    doc = order_doc(order, now=T0 + timedelta(days=38), seller_id=seller, delivered_days_ago=0)  # 2 days ago
    emu.put(f"/admin/v1/orders/{order}", json=doc, headers=ADMIN)
    move(emu, {"advanceSeconds": 3 * 86_400})  # 5 days after delivery: the window opens
    assert emu.post(url, params={"marketplaceIds": US}, headers=issue(emu, seller)).status_code == 201


def test_access_tokens_expire_on_the_clock(emu: TestClient, seller: str) -> None:
    headers = issue(emu, seller)
    url = f"/solicitations/v1/orders/111-7777777-0000002?marketplaceIds={US}"
    assert emu.get(url, headers=headers).status_code == 404  # accepted: no such order
    move(emu, {"advanceSeconds": 3600})
    assert emu.get(url, headers=headers).status_code == 403


def test_buckets_refill_on_the_clock(emu: TestClient, seller: str) -> None:
    headers = issue(emu, seller)
    url = f"/solicitations/v1/orders/111-7777777-0000003?marketplaceIds={US}"
    assert emu.get(url, headers=headers).status_code == 404  # the one token of the burst
    assert emu.get(url, headers=headers).status_code == 429  # 0.001 tokens/s: 1000 s to the next
    move(emu, {"advanceSeconds": 1000})
    assert emu.get(url, headers=headers).status_code == 404


def test_email_retries_fall_due_on_the_clock(emu: TestClient, emulator: Container, transport: FailingOnce) -> None:
    seller = f"A{uuid.uuid4().hex[:12].upper()}"
    order = "111-7777777-0000004"
    emu.put(f"/admin/v1/orders/{order}", json=order_doc(order, now=T0, seller_id=seller), headers=ADMIN)
    url = f"/solicitations/v1/orders/{order}{ACTION}"
    assert emu.post(url, params={"marketplaceIds": US}, headers=issue(emu, seller)).status_code == 201
    assert asyncio.run(emulator.delivery.deliver_due()) == 1  # claimed, failed: retried after a backoff
    assert transport.failed
    assert not transport.sent
    assert asyncio.run(emulator.delivery.deliver_due()) == 0  # not due yet: the fixed clock stands still
    move(emu, {"advanceSeconds": emulator.settings.delivery_backoff_base_seconds})  # the first backoff's ceiling
    assert asyncio.run(emulator.delivery.deliver_due()) == 1
    assert len(transport.sent) == 1
