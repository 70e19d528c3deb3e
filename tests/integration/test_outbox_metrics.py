"""/metrics after real deliveries: the container's own DeliveryService (as bootstrap wires it, with a transport
that fails as told) on the app's event loop, the outbox gauges read from the real store, the settable clock.
"""

import asyncio
import logging
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers import METRICS_AUTH, Clock, order_doc, sample
from solicitations.adapters.store.outbox import SqlOutbox
from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings
from solicitations.domain.outbox import OutboxCounts
from solicitations.entrypoints.http.app import create_app
from solicitations.service.ports.mail import DeliveryFailed

ACTION = "/solicitations/productReviewAndSellerFeedback"
CACHE = timedelta(seconds=5)
FLAKY, GONE, FINE, OPTED_OUT = (f"111-7777777-000000{n}" for n in range(1, 5))
ATTEMPTS = "solicitations_delivery_attempts_total"
DEPTH = "solicitations_outbox_depth"
AGE = "solicitations_outbox_oldest_undelivered_age_seconds"


class Transport:
    """Accepts every email except those whose recipient still has failures queued: it raises the next one."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.failures: dict[str, list[DeliveryFailed]] = {}

    async def send(self, message: EmailMessage) -> None:
        queued = self.failures.get(str(message["To"]))
        if queued:
            raise queued.pop(0)
        self.sent.append(message)


@pytest.fixture
def transport() -> Transport:
    return Transport()


@pytest.fixture
def container(settings: Settings, clock: Clock, transport: Transport) -> Iterator[Container]:
    """The conftest container, with this module's transport and an explicit outbox cache."""
    c = bootstrap(
        settings.model_copy(update={"outbox_metrics_cache_seconds": CACHE.total_seconds()}), clock, mail=transport
    )
    yield c
    c.close()


def deliver(client: TestClient, container: Container) -> int:
    """One delivery round on the app's own event loop, as `serve`'s in-process worker runs it."""
    return int(client.portal.call(container.delivery.deliver_due))  # type: ignore[union-attr]


def solicit(client: TestClient, admin_headers: dict[str, str], token: str, doc: dict[str, Any]) -> None:
    order_id = doc["AmazonOrderId"]
    assert client.put(f"/admin/v1/orders/{order_id}", json=doc, headers=admin_headers).status_code == 200
    url = f"/solicitations/v1/orders/{order_id}{ACTION}"
    response = client.post(url, params={"marketplaceIds": doc["MarketplaceId"]}, headers={"x-amz-access-token": token})
    assert response.status_code == 201, response.text


def outbox(text: str) -> dict[str, float]:
    return {state: sample(text, DEPTH, state=state) for state in ("pending", "sent", "dead", "suppressed")}


def attempts(text: str) -> dict[str, float]:
    return {outcome: sample(text, ATTEMPTS, outcome=outcome) for outcome in ("sent", "retry", "dead", "suppressed")}


def test_metrics_after_real_deliveries_count_attempts_depth_and_age(
    client, container, transport, clock, admin_headers, token, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="solicitations.delivery")
    for order_id, email in ((FLAKY, "flaky@example.com"), (GONE, "gone@example.com"), (FINE, "fine@example.com")):
        solicit(client, admin_headers, token, order_doc(order_id, now=clock.now, email=email))
    solicit(client, admin_headers, token, order_doc(OPTED_OUT, now=clock.now, email="no@example.com"))
    opted_out = order_doc(OPTED_OUT, now=clock.now, email="no@example.com", opted_out=True)
    assert client.put(f"/admin/v1/orders/{OPTED_OUT}", json=opted_out, headers=admin_headers).status_code == 200
    transport.failures["flaky@example.com"] = [DeliveryFailed("421 4.3.0 try again later", permanent=False)]
    transport.failures["gone@example.com"] = [DeliveryFailed("550 5.1.1 no such user", permanent=True)]

    text = client.get("/metrics", headers=METRICS_AUTH).text  # the outbox is read now, at T0, and kept for CACHE
    assert outbox(text) == {"pending": 4, "sent": 0, "dead": 0, "suppressed": 0}
    assert sample(text, AGE) == 0.0  # recorded at T0, the clock's now
    assert f"{ATTEMPTS}{{" not in text  # nothing attempted yet

    assert deliver(client, container) == 4
    text = client.get("/metrics", headers=METRICS_AUTH).text
    assert attempts(text) == {"sent": 1, "retry": 1, "dead": 1, "suppressed": 1}  # counts are live
    assert outbox(text) == {"pending": 4, "sent": 0, "dead": 0, "suppressed": 0}  # the read of T0, still cached

    clock.advance(CACHE)
    text = client.get("/metrics", headers=METRICS_AUTH).text
    assert outbox(text) == {"pending": 1, "sent": 1, "dead": 1, "suppressed": 1}
    assert sample(text, AGE) == 5.0  # the flaky order's email, recorded at T0, waits in its backoff

    clock.advance(timedelta(seconds=2))  # within the cache: the same read, the age as of now
    text = client.get("/metrics", headers=METRICS_AUTH).text
    assert sample(text, AGE) == 7.0
    assert outbox(text)["pending"] == 1

    assert deliver(client, container) == 1  # the backoff (under the 1 s base) has passed: sent this time
    clock.advance(CACHE)
    text = client.get("/metrics", headers=METRICS_AUTH).text
    assert attempts(text) == {"sent": 2, "retry": 1, "dead": 1, "suppressed": 1}
    assert outbox(text) == {"pending": 0, "sent": 2, "dead": 1, "suppressed": 1}
    assert sample(text, AGE) == 0.0  # nothing pending
    assert [str(m["To"]) for m in transport.sent] == ["fine@example.com", "flaky@example.com"]

    # One log line per attempt, no more: the Observer writes it, the delivery service nothing besides.
    lines = [r for r in caplog.records if r.name == "solicitations.delivery"]
    assert sorted((r.getMessage(), r.__dict__["amazon_order_id"], r.__dict__["outcome"]) for r in lines) == [
        ("delivery attempt", FLAKY, "retry"),
        ("delivery attempt", FLAKY, "sent"),
        ("delivery attempt", GONE, "dead"),
        ("delivery attempt", FINE, "sent"),
        ("delivery attempt", OPTED_OUT, "suppressed"),
    ]
    assert all(r.__dict__["duration_ms"] >= 0 for r in lines)


@pytest.fixture
def store_reads(container: Container, monkeypatch: pytest.MonkeyPatch) -> list[OutboxCounts]:
    """Every outbox read the metrics make, passed through to the real store."""
    reads: list[OutboxCounts] = []
    real: Callable[[SqlOutbox], OutboxCounts] = SqlOutbox.counts

    def counted(outbox: SqlOutbox) -> OutboxCounts:
        reads.append(real(outbox))
        return reads[-1]

    monkeypatch.setattr(SqlOutbox, "counts", counted)
    return reads


def test_a_scrape_storm_reads_the_store_once_per_cache_window(client, container, clock, store_reads) -> None:
    metrics = container.metrics
    assert metrics is not None

    async def storm() -> list[bytes]:
        return await asyncio.gather(*(metrics.scrape() for _ in range(20)))

    texts = client.portal.call(storm)  # type: ignore[union-attr]
    assert len(store_reads) == 1  # twenty concurrent scrapes shared one read
    assert all(b'solicitations_outbox_depth{state="pending"} 0.0' in text for text in texts)
    assert {client.get("/metrics", headers=METRICS_AUTH).status_code for _ in range(10)} == {200}
    assert len(store_reads) == 1
    clock.advance(CACHE - timedelta(milliseconds=1))
    client.get("/metrics", headers=METRICS_AUTH)
    assert len(store_reads) == 1
    clock.advance(timedelta(milliseconds=1))
    client.get("/metrics", headers=METRICS_AUTH)
    assert len(store_reads) == 2
    clock.advance(-timedelta(hours=1))  # a clock set back does not make the last read fresh for an hour
    client.get("/metrics", headers=METRICS_AUTH)
    assert len(store_reads) == 3


def test_a_store_failure_during_a_scrape_omits_the_outbox_series(
    tmp_path: Path, settings: Settings, clock: Clock, transport: Transport, caplog
) -> None:
    directory = tmp_path / "store"
    directory.mkdir()
    settings = settings.model_copy(update={"database_url": f"sqlite:///{directory / 'db.sqlite'}"})
    container = bootstrap(settings, clock, mail=transport)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        assert f'{DEPTH}{{state="pending"}} 0.0' in client.get("/metrics", headers=METRICS_AUTH).text
        container.store.close()  # every connection closed: the next read must open the file again
        shutil.rmtree(directory)
        clock.advance(CACHE)
        caplog.set_level(logging.WARNING, logger="solicitations.metrics")
        response = client.get("/metrics", headers=METRICS_AUTH)
        assert response.status_code == 200
        assert DEPTH not in response.text
        assert AGE not in response.text
        assert "solicitations_delivery_attempts_total" in response.text  # the rest is served
        [warning] = [r for r in caplog.records if r.name == "solicitations.metrics"]
        assert warning.getMessage() == "outbox metrics unavailable"
        assert "StoreUnavailable" in warning.__dict__["error"]
        assert (
            client.get("/metrics", headers=METRICS_AUTH).status_code == 200
        )  # within the cache: the failure is not retried
        assert len([r for r in caplog.records if r.name == "solicitations.metrics"]) == 1
