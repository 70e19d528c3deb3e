"""Metrics, readiness and health on the app in-process, over real SQLite files (and Redis when used)."""

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from helpers import ADMIN_TOKEN, APP, METRICS_AUTH, SELLER, US, free_port, order_doc, sample
from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

GET = "getSolicitationActionsForOrder"
POST = "createProductReviewAndSellerFeedbackSolicitation"


def orders_url(order_id: str) -> str:
    return f"/solicitations/v1/orders/{order_id}"


@pytest.fixture
def app_for(clock) -> Iterator:
    """Builds apps from settings; closes what it built."""
    built: list[tuple[Container, TestClient]] = []

    def build(settings: Settings) -> tuple[Container, TestClient]:
        container = bootstrap(settings, clock)
        client = TestClient(create_app(container), raise_server_exceptions=False).__enter__()
        built.append((container, client))
        return container, client

    yield build
    for container, client in built:
        client.__exit__(None, None, None)
        container.close()


def test_metrics_count_requests_statuses_outcomes_and_latency(client, admin_headers, token, clock, settings) -> None:
    for order_id, days in (("111-0000000-0000001", 10), ("111-0000000-0000002", 2), ("111-0000000-0000003", 60)):
        doc = order_doc(order_id, delivered_days_ago=days)
        assert client.put(f"/admin/v1/orders/{order_id}", json=doc, headers=admin_headers).status_code == 200
    headers = {"x-amz-access-token": token}
    params = {"marketplaceIds": US}
    before = client.get("/metrics", headers=METRICS_AUTH).text
    assert client.get(orders_url("111-0000000-0000001"), params=params, headers=headers).status_code == 200
    assert client.get(orders_url("111-0000000-0000002"), params=params, headers=headers).status_code == 200
    assert client.get(orders_url("111-0000000-0009999"), params=params, headers=headers).status_code == 404
    action = "/solicitations/productReviewAndSellerFeedback"
    assert client.post(orders_url("111-0000000-0000001") + action, params=params, headers=headers).status_code == 201
    assert client.post(orders_url("111-0000000-0000001") + action, params=params, headers=headers).status_code == 403
    assert client.post(orders_url("111-0000000-0000003") + action, params=params, headers=headers).status_code == 403

    clock.advance(timedelta(seconds=settings.outbox_metrics_cache_seconds))  # past the outbox read of `before`
    response = client.get("/metrics", headers=METRICS_AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["x-amzn-RequestId"]
    text = response.text
    assert before != text
    requests = "solicitations_http_requests_total"
    assert sample(text, requests, operation=GET, status="200") == 2
    assert sample(text, requests, operation=GET, status="404") == 1
    assert sample(text, requests, operation=POST, status="201") == 1
    assert sample(text, requests, operation=POST, status="403") == 2
    assert sample(text, "solicitations_http_request_duration_seconds_count", operation=GET) == 3
    assert sample(text, "solicitations_http_request_duration_seconds_sum", operation=GET) > 0
    outcomes = "solicitations_eligibility_outcomes_total"
    assert sample(text, outcomes, operation=GET, outcome="eligible") == 1
    assert sample(text, outcomes, operation=GET, outcome="too_early") == 1
    assert sample(text, outcomes, operation=POST, outcome="eligible") == 1
    assert sample(text, outcomes, operation=POST, outcome="already_solicited") == 1
    assert sample(text, outcomes, operation=POST, outcome="too_late") == 1
    # Low cardinality: no order, seller or application id ever becomes a label.
    for identifier in ("111-0000000", SELLER, APP):
        assert identifier not in text
    # The one 201 queued one email; no worker ran (tests/integration/test_outbox_metrics.py runs them).
    assert sample(text, "solicitations_outbox_depth", state="pending") == 1
    assert "solicitations_delivery_attempts_total{" not in text


def test_429s_are_counted_by_plan_kind_never_by_partner(database_url, admin_headers, app_for) -> None:
    # Default plans of one request per ~11 days: the second request is throttled.
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, access_log=False, plan_rate=0.000001)
    settings = settings.model_copy(update={"plan_burst": 1, "token_cache_seconds": 0.0})
    _, client = app_for(settings)
    issued = client.post(
        "/admin/v1/access-tokens", json={"sellerId": SELLER, "applicationId": APP}, headers=admin_headers
    ).json()["access_token"]
    headers = {"x-amz-access-token": issued}
    statuses = [
        client.get(orders_url("111-0000000-0000001"), params={"marketplaceIds": US}, headers=headers).status_code
        for _ in range(3)
    ]
    assert statuses == [404, 429, 429]
    granted = f"/admin/v1/usage-plans/{SELLER}/{APP}/{POST}"
    assert client.put(granted, json={"rate": 0.000001, "burst": 1}, headers=admin_headers).status_code == 200
    post = orders_url("111-0000000-0000001") + "/solicitations/productReviewAndSellerFeedback"
    assert [client.post(post, params={"marketplaceIds": US}, headers=headers).status_code for _ in range(2)] == [
        404,
        429,
    ]

    text = client.get("/metrics", headers=METRICS_AUTH).text
    assert sample(text, "solicitations_throttled_requests_total", operation=GET, plan="default") == 2
    assert sample(text, "solicitations_throttled_requests_total", operation=POST, plan="granted") == 1
    assert sample(text, "solicitations_http_requests_total", operation=GET, status="429") == 2
    assert SELLER not in text
    assert APP not in text
    # Health and readiness are never throttled.
    assert {client.get("/readyz").status_code for _ in range(10)} == {200}
    assert {client.get("/healthz").status_code for _ in range(10)} == {200}


def test_metrics_can_be_turned_off(settings, app_for) -> None:
    _, client = app_for(settings.model_copy(update={"metrics": False}))
    assert client.get("/metrics", headers=METRICS_AUTH).status_code == 404
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_ready_when_store_schema_and_buckets_answer(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert response.headers["x-amzn-RequestId"]


def test_not_ready_when_the_store_is_unreachable(tmp_path: Path, settings, app_for) -> None:
    directory = tmp_path / "store"
    directory.mkdir()
    container, client = app_for(settings.model_copy(update={"database_url": f"sqlite:///{directory / 'db.sqlite'}"}))
    assert client.get("/readyz").status_code == 200
    container.store.close()  # every connection closed: the next one must open the file again
    shutil.rmtree(directory)
    response = client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["errors"][0]
    assert error["code"] == "ServiceUnavailable"
    assert error["details"].startswith("store: unreachable")
    assert client.get("/healthz").status_code == 200  # alive all the same


@pytest.mark.sqlite_only
def test_not_ready_when_the_schema_is_behind(tmp_path: Path, settings, app_for, database_url) -> None:
    _, client = app_for(settings)
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE alembic_version SET version_num = '0001'")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["errors"][0]["details"] == "migrations: the schema is not at the newest revision"


def test_not_ready_when_redis_is_unreachable(settings, app_for) -> None:
    _, client = app_for(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["errors"][0]["details"].startswith("redis: unreachable")


def test_ready_with_a_reachable_redis(settings, app_for, redis_url) -> None:
    _, client = app_for(settings.model_copy(update={"redis_url": redis_url}))
    assert client.get("/readyz").status_code == 200
