"""The admin API: its guard, sellers, orders (upsert), access tokens, and the look at one order."""

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from helpers import ADMIN_TOKEN, APP, DE, OTHER_SELLER, SELLER, T0, US, iso, order_doc
from solicitations.adapters.store import schema
from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

ORDER = "111-1111111-1111111"
ADMIN_401 = {"errors": [{"code": "Unauthorized", "message": "The admin token is missing or wrong.", "details": ""}]}
NOT_FOUND = {"errors": [{"code": "NotFound", "message": "The resource specified does not exist.", "details": ""}]}


def not_found(details: str) -> dict[str, Any]:
    """An operator's 404: Amazon's code and message, with details naming what is missing."""
    return {"errors": [{**NOT_FOUND["errors"][0], "details": details}]}


def solicitations_url(order_id: str) -> str:
    return f"/solicitations/v1/orders/{order_id}"


def action_url(order_id: str) -> str:
    return f"/solicitations/v1/orders/{order_id}/solicitations/productReviewAndSellerFeedback"


def assert_error(response: httpx.Response, status: int, body: dict[str, Any]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]
    assert response.json() == body


def assert_invalid(response: httpx.Response, details_part: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]
    error = response.json()["errors"]
    assert len(error) == 1
    assert error[0]["code"] == "InvalidInput"
    assert error[0]["message"] == "Missing or invalid request parameters."
    assert details_part in error[0]["details"]


def rows(container: Any, table: Any) -> list[dict[str, Any]]:
    with container.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


ADMIN_CALLS = [
    ("PUT", f"/admin/v1/sellers/{SELLER}", {"name": "Test Store", "marketplaceIds": [US]}),
    ("PUT", f"/admin/v1/orders/{ORDER}", order_doc(ORDER)),
    ("GET", f"/admin/v1/orders/{ORDER}", None),
    ("POST", "/admin/v1/access-tokens", {"sellerId": SELLER, "applicationId": APP, "roles": ["Buyer Solicitation"]}),
]


# ------------------------------------------------------------------------------------------------ guard


WRONG_AUTHORIZATIONS = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer wrong-token",
    f"Bearer {ADMIN_TOKEN}x",
    f"Bearer {ADMIN_TOKEN[:-1]}",
    f"bearer {ADMIN_TOKEN}x",
    ADMIN_TOKEN,
    f"Basic {ADMIN_TOKEN}",
    f"Bearer  {ADMIN_TOKEN}",
    f"Bearer {ADMIN_TOKEN}\u00e9",
    f"Bearer {ADMIN_TOKEN.upper()}",
]


def test_absent_or_wrong_bearer_is_401_in_amazon_shape(client, container, subtests):
    tables = (schema.sellers, schema.orders, schema.access_tokens, schema.applications)
    before = {t.name: rows(container, t) for t in tables}
    for authorization in WRONG_AUTHORIZATIONS:
        for method, url, body in ADMIN_CALLS:
            with subtests.test(authorization=authorization, method=method, url=url):
                if authorization is None:
                    headers: dict[str, Any] = {}
                elif authorization.isascii():
                    headers = {"Authorization": authorization}
                else:  # httpx sends str header values as ASCII only: send the UTF-8 bytes ourselves
                    headers = {"Authorization": authorization.encode()}
                assert_error(client.request(method, url, json=body, headers=headers), 401, ADMIN_401)
    assert {t.name: rows(container, t) for t in tables} == before


def test_the_access_token_does_not_open_the_admin_api(client, token):
    for header in ({"Authorization": f"Bearer {token}"}, {"x-amz-access-token": token}):
        assert_error(client.get(f"/admin/v1/orders/{ORDER}", headers=header), 401, ADMIN_401)


@pytest.fixture
def no_admin_client(tmp_path: Path, clock) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'no-admin.db'}",
        admin_token=None,
        access_log=False,
        plan_rate=1000.0,
        plan_burst=1000,
    )
    with TestClient(create_app(bootstrap(settings, clock)), raise_server_exceptions=False) as test_client:
        yield test_client


def test_without_an_admin_token_setting_the_admin_api_does_not_exist(no_admin_client, subtests):
    for method, url, body in ADMIN_CALLS:
        for headers in ({}, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, {"Authorization": "Bearer None"}):
            with subtests.test(method=method, url=url, headers=headers):
                assert_error(no_admin_client.request(method, url, json=body, headers=headers), 404, NOT_FOUND)
    assert no_admin_client.get("/healthz").status_code == 200
    paths = no_admin_client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/admin")]


def test_the_openapi_document_lists_the_admin_api_when_enabled(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/admin/v1/sellers/{sellerId}", "/admin/v1/orders/{amazonOrderId}", "/admin/v1/access-tokens"} <= set(paths)


# ---------------------------------------------------------------------------------------------- sellers


def test_put_seller_creates_then_updates(client, admin_headers, container):
    response = client.put(
        f"/admin/v1/sellers/{SELLER}", json={"name": "Test Store", "marketplaceIds": [US]}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-amzn-RequestId"]
    assert response.json() == {"sellerId": SELLER, "name": "Test Store", "marketplaceIds": [US]}
    again = client.put(
        f"/admin/v1/sellers/{SELLER}",
        json={"name": "Renamed", "marketplaceIds": [US, DE, US]},
        headers=admin_headers,
    )
    assert again.status_code == 200, again.text
    assert again.json() == {"sellerId": SELLER, "name": "Renamed", "marketplaceIds": [US, DE]}
    stored = rows(container, schema.sellers)
    assert len(stored) == 1
    assert stored[0]["seller_id"] == SELLER
    assert stored[0]["name"] == "Renamed"
    assert json.loads(stored[0]["marketplace_ids"]) == [US, DE]


def test_put_seller_defaults(client, admin_headers):
    response = client.put(f"/admin/v1/sellers/{OTHER_SELLER}", json={}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"sellerId": OTHER_SELLER, "name": OTHER_SELLER, "marketplaceIds": []}


BAD_SELLERS = [
    ({"name": "X", "marketplaceIds": ["NOPE"]}, "marketplaceIds"),
    ({"name": "X", "marketplaceIds": US}, "marketplaceIds"),
    ({"name": ""}, "name"),
    ({"name": 42}, "name"),
    ({"name": "x" * 201}, "name"),
    ([], "JSON object"),
    ({"name": "X", "marketplaceIds": [US, None]}, "marketplaceIds"),
]


def test_put_seller_rejects_bad_bodies(client, admin_headers, container, subtests):
    for body, details_part in BAD_SELLERS:
        with subtests.test(body=body):
            assert_invalid(client.put(f"/admin/v1/sellers/{SELLER}", json=body, headers=admin_headers), details_part)
    assert rows(container, schema.sellers) == []


def test_put_seller_rejects_an_overlong_id(client, admin_headers, container):
    assert_invalid(client.put(f"/admin/v1/sellers/{'A' * 65}", json={}, headers=admin_headers), "sellerId")
    assert rows(container, schema.sellers) == []


def test_admin_body_is_required(client, admin_headers):
    for method, url in (("PUT", f"/admin/v1/sellers/{SELLER}"), ("PUT", f"/admin/v1/orders/{ORDER}")):
        assert_invalid(client.request(method, url, headers=admin_headers), "JSON object body is required")
    assert_invalid(client.post("/admin/v1/access-tokens", headers=admin_headers), "JSON object body is required")


def test_admin_malformed_json_is_400(client, admin_headers, container):
    response = client.put(
        f"/admin/v1/orders/{ORDER}",
        content=b'{"AmazonOrderId": ',
        headers=admin_headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"code": "InvalidInput", "message": "The request body is not valid JSON.", "details": ""}]
    }
    assert rows(container, schema.orders) == []


# ----------------------------------------------------------------------------------------------- orders


def test_put_order_returns_the_normalised_document(client, admin_headers):
    doc = order_doc(ORDER, locale="en_US")
    doc["PurchaseDate"] = "2026-11-14T13:00:00+01:00"  # any offset, stored in UTC
    response = client.put(f"/admin/v1/orders/{ORDER}", json=doc, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {**doc, "PurchaseDate": "2026-11-14T12:00:00Z"}


def test_put_order_is_an_upsert(client, admin_headers, container, token):
    auth = {"x-amz-access-token": token}
    first = client.put(f"/admin/v1/orders/{ORDER}", json=order_doc(ORDER, status="Unshipped"), headers=admin_headers)
    assert first.status_code == 200
    got = client.get(solicitations_url(ORDER), params={"marketplaceIds": US}, headers=auth)
    assert got.json()["_links"]["actions"] == []
    changed = order_doc(ORDER, email="other@example.com", locale="en_GB")
    second = client.put(f"/admin/v1/orders/{ORDER}", json=changed, headers=admin_headers)
    assert second.status_code == 200
    assert second.json() == changed
    stored = rows(container, schema.orders)
    assert len(stored) == 1
    assert stored[0]["order_status"] == "Shipped"
    assert stored[0]["buyer_email"] == "other@example.com"
    assert stored[0]["buyer_locale"] == "en_GB"
    got = client.get(solicitations_url(ORDER), params={"marketplaceIds": US}, headers=auth)
    assert [a["name"] for a in got.json()["_links"]["actions"]] == ["productReviewAndSellerFeedback"]
    assert client.get(f"/admin/v1/orders/{ORDER}", headers=admin_headers).json()["order"] == changed


def test_put_order_upsert_clears_fields_left_out(client, admin_headers):
    client.put(f"/admin/v1/orders/{ORDER}", json=order_doc(ORDER, locale="de_DE"), headers=admin_headers)
    without = order_doc(ORDER, email=None)
    assert client.put(f"/admin/v1/orders/{ORDER}", json=without, headers=admin_headers).json() == without
    assert client.get(f"/admin/v1/orders/{ORDER}", headers=admin_headers).json()["order"] == without


def test_put_order_takes_the_id_from_the_path(client, admin_headers):
    doc = order_doc(ORDER)
    del doc["AmazonOrderId"]
    response = client.put(f"/admin/v1/orders/{ORDER}", json=doc, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["AmazonOrderId"] == ORDER


def test_put_order_path_and_body_id_mismatch_is_400(client, admin_headers, container):
    response = client.put("/admin/v1/orders/111-0000000-0000009", json=order_doc(ORDER), headers=admin_headers)
    assert_invalid(response, "AmazonOrderId")
    assert rows(container, schema.orders) == []
    for order_id in (ORDER, "111-0000000-0000009"):
        assert_error(
            client.get(f"/admin/v1/orders/{order_id}", headers=admin_headers),
            404,
            not_found(f"order {order_id} not found"),
        )


BAD_ORDER_FIELDS = [
    ({"MarketplaceId": "A1UNKNOWNMKT"}, "MarketplaceId"),
    ({"MarketplaceId": None}, "MarketplaceId"),
    ({"SellerId": None}, "SellerId"),
    ({"SellerId": "S" * 65}, "SellerId"),
    ({"OrderStatus": "Delivered"}, "OrderStatus"),
    ({"EarliestDeliveryDate": "yesterday"}, "EarliestDeliveryDate"),
    ({"EarliestDeliveryDate": "2026-11-17T12:00:00"}, "time zone"),
    ({"LatestDeliveryDate": "2026-01-01T00:00:00Z"}, "before EarliestDeliveryDate"),
    ({"FulfillmentChannel": "XYZ"}, "FulfillmentChannel"),
    ({"BuyerInfo": {"BuyerEmail": "not-an-email"}}, "BuyerEmail"),
    ({"BuyerInfo": "x"}, "BuyerInfo"),
    ({"BuyerLocale": "german"}, "BuyerLocale"),
    ({"BuyerOptedOut": "yes"}, "BuyerOptedOut"),
    ({"BuyerOptedOut": 1}, "BuyerOptedOut"),
    ({"OrderStatus": ""}, "OrderStatus"),
]


def test_put_order_rejects_bad_fields(client, admin_headers, container, subtests):
    for change, details_part in BAD_ORDER_FIELDS:
        with subtests.test(change=change):
            doc = {**order_doc(ORDER), **change}
            assert_invalid(client.put(f"/admin/v1/orders/{ORDER}", json=doc, headers=admin_headers), details_part)
    assert rows(container, schema.orders) == []


def test_put_order_rejects_bad_ids(client, admin_headers, container, subtests):
    doc = order_doc("placeholder")
    del doc["AmazonOrderId"]
    for order_id in ("X" * 65, "%20%20", "%09"):
        with subtests.test(order_id=order_id):
            response = client.put(f"/admin/v1/orders/{order_id}", json=doc, headers=admin_headers)
            assert_invalid(response, "AmazonOrderId")
    assert rows(container, schema.orders) == []


# ------------------------------------------------------------------------------------------ access tokens


def test_issue_access_token_and_use_it(client, admin_headers, container):
    client.put(f"/admin/v1/orders/{ORDER}", json=order_doc(ORDER), headers=admin_headers)
    response = client.post(
        "/admin/v1/access-tokens",
        json={"sellerId": SELLER, "applicationId": APP, "roles": ["Buyer Solicitation"]},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"access_token", "expires_in"}
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("Atza|")
    assert "+" not in body["access_token"]
    auth = {"x-amz-access-token": body["access_token"]}
    got = client.get(solicitations_url(ORDER), params={"marketplaceIds": US}, headers=auth)
    assert got.status_code == 200
    assert got.json()["_links"]["actions"]
    assert client.post(action_url(ORDER), params={"marketplaceIds": US}, headers=auth).status_code == 201
    token_row = rows(container, schema.access_tokens)
    assert len(token_row) == 1
    assert token_row[0]["seller_id"] == SELLER
    assert token_row[0]["application_id"] == APP
    assert token_row[0]["expires_at"] == int((T0 + timedelta(seconds=3600)).timestamp())


def test_issued_tokens_are_distinct_and_default_to_the_buyer_solicitation_role(client, admin_headers, container):
    issued = {
        client.post(
            "/admin/v1/access-tokens", json={"sellerId": SELLER, "applicationId": APP}, headers=admin_headers
        ).json()["access_token"]
        for _ in range(5)
    }
    assert len(issued) == 5
    apps = rows(container, schema.applications)
    assert [(a["application_id"], json.loads(a["roles"])) for a in apps] == [(APP, ["Buyer Solicitation"])]


def test_a_token_acts_only_for_its_seller(client, admin_headers):
    client.put(f"/admin/v1/orders/{ORDER}", json=order_doc(ORDER), headers=admin_headers)
    other = client.post(
        "/admin/v1/access-tokens", json={"sellerId": OTHER_SELLER, "applicationId": APP}, headers=admin_headers
    ).json()["access_token"]
    response = client.get(
        solicitations_url(ORDER), params={"marketplaceIds": US}, headers={"x-amz-access-token": other}
    )
    assert_error(response, 404, NOT_FOUND)


BAD_TOKEN_REQUESTS = [
    ({"applicationId": APP}, "sellerId"),
    ({"sellerId": SELLER}, "applicationId"),
    ({"sellerId": "", "applicationId": APP}, "sellerId"),
    ({"sellerId": SELLER, "applicationId": "a" * 65}, "applicationId"),
    ({"sellerId": 7, "applicationId": APP}, "sellerId"),
    ({"sellerId": SELLER, "applicationId": APP, "roles": "Buyer Solicitation"}, "roles"),
    ({"sellerId": SELLER, "applicationId": APP, "roles": [""]}, "roles"),
    ({"sellerId": SELLER, "applicationId": APP, "roles": [1]}, "roles"),
    (["not", "an", "object"], "JSON object"),
]


def test_issue_access_token_rejects_bad_bodies(client, admin_headers, container, subtests):
    for body, details_part in BAD_TOKEN_REQUESTS:
        with subtests.test(body=body):
            assert_invalid(client.post("/admin/v1/access-tokens", json=body, headers=admin_headers), details_part)
    assert rows(container, schema.access_tokens) == []
    assert rows(container, schema.applications) == []


@pytest.mark.sqlite_only
def test_the_store_keeps_only_the_sha256_of_a_token(client, admin_headers, container, database_url):
    issued = [
        client.post(
            "/admin/v1/access-tokens",
            json={"sellerId": SELLER, "applicationId": APP, "roles": ["Buyer Solicitation"]},
            headers=admin_headers,
        ).json()["access_token"]
        for _ in range(3)
    ]
    stored = sorted(r["token_hash"] for r in rows(container, schema.access_tokens))
    assert stored == sorted(hashlib.sha256(t.encode()).hexdigest() for t in issued)
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    raw = b"".join(p.read_bytes() for p in Path(path).parent.glob(Path(path).name + "*"))
    for token in issued:
        secret = token.split("|", 1)[1]
        assert secret not in dump
        assert secret.encode() not in raw
        assert hashlib.sha256(token.encode()).hexdigest() in dump


# ------------------------------------------------------------------------------------ describe one order


def describe(client: TestClient, admin_headers: dict[str, str], order_id: str) -> dict[str, Any]:
    response = client.get(f"/admin/v1/orders/{order_id}", headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-amzn-RequestId"]
    return dict(response.json())


def test_describe_an_eligible_order(client, admin_headers):
    doc = order_doc(ORDER)
    client.put(f"/admin/v1/orders/{ORDER}", json=doc, headers=admin_headers)
    assert describe(client, admin_headers, ORDER) == {
        "order": doc,
        "eligibility": {
            "eligible": True,
            "reason": None,
            "at": iso(T0),
            "window": {"opens": iso(T0 - timedelta(days=5)), "closes": iso(T0 + timedelta(days=20))},
        },
        "solicitation": None,
        "message": None,
    }


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (order_doc(ORDER, delivered_days_ago=2), "too_early"),
        (order_doc(ORDER, delivered_days_ago=60, latest_days_ago=40), "too_late"),
        (order_doc(ORDER, status="Unshipped"), "not_shipped"),
        (order_doc(ORDER, opted_out=True), "buyer_opted_out"),
        ({k: v for k, v in order_doc(ORDER).items() if k != "LatestDeliveryDate"}, "no_delivery_dates"),
    ],
)
def test_describe_gives_the_reason(client, admin_headers, doc, reason):
    client.put(f"/admin/v1/orders/{ORDER}", json=doc, headers=admin_headers)
    eligibility = describe(client, admin_headers, ORDER)["eligibility"]
    assert eligibility["eligible"] is False
    assert eligibility["reason"] == reason


def test_describe_follows_the_clock(client, admin_headers, clock):
    client.put(f"/admin/v1/orders/{ORDER}", json=order_doc(ORDER, delivered_days_ago=5), headers=admin_headers)
    clock.now = T0 - timedelta(seconds=1)
    assert describe(client, admin_headers, ORDER)["eligibility"]["reason"] == "too_early"
    clock.now = T0
    assert describe(client, admin_headers, ORDER)["eligibility"] == {
        "eligible": True,
        "reason": None,
        "at": iso(T0),
        "window": {"opens": iso(T0), "closes": iso(T0 + timedelta(days=25))},
    }
    clock.now = T0 + timedelta(days=25, seconds=1)
    assert describe(client, admin_headers, ORDER)["eligibility"]["reason"] == "too_late"


def test_describe_shows_the_solicitation_once_made(client, admin_headers, token):
    client.put(f"/admin/v1/orders/{ORDER}", json=order_doc(ORDER), headers=admin_headers)
    assert describe(client, admin_headers, ORDER)["solicitation"] is None
    posted = client.post(action_url(ORDER), params={"marketplaceIds": US}, headers={"x-amz-access-token": token})
    assert posted.status_code == 201
    described = describe(client, admin_headers, ORDER)
    assert described["eligibility"]["eligible"] is False
    assert described["eligibility"]["reason"] == "already_solicited"
    assert described["solicitation"] == {
        "action": "productReviewAndSellerFeedback",
        "applicationId": APP,
        "marketplaceId": US,
        "createdAt": iso(T0),
        "requestId": posted.headers["x-amzn-RequestId"],
    }


def test_describe_a_missing_order_is_404(client, admin_headers):
    for order_id in ("111-0000000-0000000", "not-an-order-id"):
        response = client.get(f"/admin/v1/orders/{order_id}", headers=admin_headers)
        assert_error(response, 404, not_found(f"order {order_id} not found"))


UNKNOWN_APP = "amzn1.sp.solution.nope"
OPERATOR_404S = [
    ("POST", f"/admin/v1/applications/{UNKNOWN_APP}/secret", None, f"application {UNKNOWN_APP} not found"),
    ("PUT", f"/admin/v1/applications/{UNKNOWN_APP}/state", {"state": "active"}, f"application {UNKNOWN_APP} not found"),
    (
        "POST",
        "/admin/v1/authorizations",
        {"sellerId": SELLER, "applicationId": UNKNOWN_APP},
        f"application {UNKNOWN_APP} not found",
    ),
    ("DELETE", f"/admin/v1/authorizations/{SELLER}/{UNKNOWN_APP}", None, f"application {UNKNOWN_APP} not found"),
    ("POST", "/admin/v1/outbox/4242/retry", None, "message 4242 not found"),
    ("GET", f"/admin/v1/usage-plans/{SELLER}/{APP}/getOrderAddress", None, "operation getOrderAddress not found"),
    (
        "PUT",
        f"/admin/v1/usage-plans/{SELLER}/{APP}/getOrderAddress",
        {"rate": 1, "burst": 1},
        "operation getOrderAddress not found",
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "details"), OPERATOR_404S)
def test_every_admin_404_names_what_is_missing(client, admin_headers, method, url, body, details):
    """Operators are told which id was not found; the Solicitations API's 404 stays Amazon's (test_api_errors)."""
    assert_error(client.request(method, url, json=body, headers=admin_headers), 404, not_found(details))


def test_describe_shows_any_sellers_order(client, admin_headers):
    """The operator sees every seller's orders (the token-bound 404 is for selling partners only)."""
    doc = order_doc(ORDER, seller_id=OTHER_SELLER, marketplace_id=DE)
    client.put(f"/admin/v1/orders/{ORDER}", json=doc, headers=admin_headers)
    assert describe(client, admin_headers, ORDER)["order"] == doc


def test_unknown_admin_paths_and_methods(client, admin_headers):
    assert_error(
        client.get("/admin/v1/sellers/x", headers=admin_headers),
        405,
        {
            "errors": [
                {
                    "code": "MethodNotAllowed",
                    "message": "The requested method is not allowed for this resource.",
                    "details": "",
                }
            ]
        },
    )
    assert_error(client.get("/admin/v1/nothing", headers=admin_headers), 404, NOT_FOUND)
    assert_error(
        client.delete(f"/admin/v1/orders/{ORDER}", headers=admin_headers),
        405,
        {
            "errors": [
                {
                    "code": "MethodNotAllowed",
                    "message": "The requested method is not allowed for this resource.",
                    "details": "",
                }
            ]
        },
    )
