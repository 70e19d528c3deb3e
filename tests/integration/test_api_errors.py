"""Every error row of docs/behaviour.md, the exact HAL bodies, and the headers, through the real app."""

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from helpers import ADMIN_TOKEN, APP, DE, OTHER_SELLER, SELLER, T0, US, ServerProcess, order_doc, server_now
from solicitations.adapters.store import schema
from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

BASE = "/solicitations/v1/orders/"
ACTION = "productReviewAndSellerFeedback"
HAL = "application/hal+json"
JSON = "application/json"
MiB = 1024 * 1024

NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
OUTSIDE_WINDOW = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)
ACCESS_DENIED = "Access to requested resource is denied."
TOKEN_MISSING = "Access token is missing in the request header."
INVALID_MARKETPLACE = "Missing or invalid request parameters: [marketplaceIds]"
INVALID_JSON = "The request body is not valid JSON."
NOT_FOUND = "The resource specified does not exist."
TOO_LARGE = "The request size exceeded the maximum accepted size."
UNSUPPORTED = "The request payload is in an unsupported format."
METHOD_NOT_ALLOWED = "The requested method is not allowed for this resource."

SCHEMA_FIELDS = {
    "type": "object",
    "name": ACTION,
    "title": "Request seller feedback and product review",
    "description": "Request seller feedback and product review",
    "properties": {},
    "required": [],
    "$schema": "http://json-schema.org/draft-04/schema#",
    "x-ui-hidden": True,
}


# ---------------------------------------------------------------------------------------------- helpers


def order_url(order_id: str) -> str:
    return BASE + order_id


def action_url(order_id: str) -> str:
    return f"{BASE}{order_id}/solicitations/{ACTION}"


def schema_url(order_id: str) -> str:
    return action_url(order_id) + "/schema"


def put(client: TestClient, admin_headers: dict[str, str], doc: dict[str, Any]) -> str:
    response = client.put(f"/admin/v1/orders/{doc['AmazonOrderId']}", json=doc, headers=admin_headers)
    assert response.status_code == 200, response.text
    return str(doc["AmazonOrderId"])


def issue(client: TestClient, admin_headers: dict[str, str], roles: list[str], app: str = APP) -> str:
    response = client.post(
        "/admin/v1/access-tokens",
        json={"sellerId": SELLER, "applicationId": app, "roles": roles},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def request_id(response: httpx.Response) -> str:
    value = response.headers.get("x-amzn-RequestId")
    assert value, f"no x-amzn-RequestId on {response.status_code} {response.request.url}"
    return value


def assert_error(response: httpx.Response, status: int, code: str, message: str, details: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    assert response.json() == {"errors": [{"code": code, "message": message, "details": details}]}
    request_id(response)


def assert_rate_header(response: httpx.Response, present: bool) -> None:
    assert ("x-amzn-RateLimit-Limit" in response.headers) is present, dict(response.headers)


def count(client_container: Any, table: Any) -> int:
    with client_container.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def hal_for_eligible(order_id: str, marketplace: str) -> dict[str, Any]:
    """The body docs/behaviour.md quotes, written out key for key."""
    action_href = f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}?marketplaceIds={marketplace}"
    schema_href = f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}/schema"
    return {
        "_links": {
            "actions": [{"href": action_href, "name": ACTION}],
            "self": {"href": f"/solicitations/v1/orders/{order_id}?marketplaceIds={marketplace}"},
        },
        "_embedded": {
            "actions": [
                {
                    "_links": {
                        "schema": {"href": schema_href, "name": ACTION},
                        "self": {"href": action_href, "name": ACTION},
                    },
                    "_embedded": {
                        "schema": {"_links": {"self": {"href": schema_href, "name": ACTION}}, **SCHEMA_FIELDS},
                    },
                    "name": ACTION,
                    "title": "Request seller feedback and product review",
                }
            ]
        },
    }


def hal_without_actions(order_id: str, marketplace: str) -> dict[str, Any]:
    return {
        "_links": {
            "actions": [],
            "self": {"href": f"/solicitations/v1/orders/{order_id}?marketplaceIds={marketplace}"},
        },
        "_embedded": {"actions": []},
    }


def compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"x-amz-access-token": token}


@pytest.fixture
def eligible(client: TestClient, admin_headers: dict[str, str]) -> str:
    return put(client, admin_headers, order_doc("111-1111111-1111111"))


def offers_action(client: TestClient, auth: dict[str, str], order_id: str, marketplace: str = US) -> bool:
    response = client.get(order_url(order_id), params={"marketplaceIds": marketplace}, headers=auth)
    assert response.status_code == 200, response.text
    return bool(response.json()["_links"]["actions"])


# ----------------------------------------------------------------------------------------- the HAL bodies


def test_get_eligible_order_answers_the_exact_hal_body(client, auth, eligible):
    response = client.get(order_url(eligible), params={"marketplaceIds": US}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == HAL
    assert response.json() == hal_for_eligible(eligible, US)
    assert response.content == compact(hal_for_eligible(eligible, US)), "compact JSON, keys in production order"
    assert_rate_header(response, True)
    request_id(response)


def test_get_ineligible_order_answers_200_with_empty_actions_never_404(client, admin_headers, auth):
    order_id = put(client, admin_headers, order_doc("111-2222222-0000001", status="Unshipped"))
    response = client.get(order_url(order_id), params={"marketplaceIds": US}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == HAL
    assert response.json() == hal_without_actions(order_id, US)
    assert response.content == compact(hal_without_actions(order_id, US))
    assert_rate_header(response, True)


def test_hal_of_a_german_order_names_its_marketplace(client, admin_headers, auth):
    order_id = put(client, admin_headers, order_doc("302-1111111-0000007", marketplace_id=DE, locale="de_DE"))
    response = client.get(order_url(order_id), params={"marketplaceIds": DE}, headers=auth)
    assert response.status_code == 200
    assert response.json() == hal_for_eligible(order_id, DE)


def test_hal_link_targets_answer(client, auth, eligible):
    """The action's self link is the POST that works; its schema link is the schema."""
    body = client.get(order_url(eligible), params={"marketplaceIds": US}, headers=auth).json()
    action = body["_embedded"]["actions"][0]
    schema_response = client.get(action["_links"]["schema"]["href"], headers=auth)
    assert schema_response.status_code == 200
    assert schema_response.json() == action["_embedded"]["schema"]
    created = client.post(action["_links"]["self"]["href"], headers=auth)
    assert created.status_code == 201


def test_schema_link_target_returns_the_schema_object(client, auth, eligible):
    response = client.get(schema_url(eligible), headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == HAL
    href = f"/solicitations/v1/orders/{eligible}/solicitations/{ACTION}/schema"
    assert response.json() == {"_links": {"self": {"href": href, "name": ACTION}}, **SCHEMA_FIELDS}
    request_id(response)
    # marketplaceIds is not required there, but is tolerated
    assert client.get(schema_url(eligible), params={"marketplaceIds": US}, headers=auth).status_code == 200


def test_schema_link_target_needs_a_token_and_a_visible_order(client, admin_headers, auth, eligible):
    assert_error(client.get(schema_url(eligible)), 403, "Unauthorized", ACCESS_DENIED, TOKEN_MISSING)
    assert_error(client.get(schema_url("111-9999999-9999999"), headers=auth), 404, "NotFound", NOT_FOUND)
    other = put(client, admin_headers, order_doc("111-3333333-0000001", seller_id=OTHER_SELLER))
    assert_error(client.get(schema_url(other), headers=auth), 404, "NotFound", NOT_FOUND)


# --------------------------------------------------------------------------------------- POST successes


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(None, {}, id="no-body"),
        pytest.param(b"", {"Content-Length": "0"}, id="content-length-0-js-sdk"),
        pytest.param(b"{}", {"Content-Type": "application/json"}, id="empty-object-amzn-sp-api"),
        pytest.param(
            b'{"marketplaceIds":["ATVPDKIKX0DER"],"MarketplaceIds":["ATVPDKIKX0DER"]}',
            {"Content-Type": "application/json"},
            id="python-amazon-sp-api",
        ),
        pytest.param(b'{"anything": [1, 2, {"x": null}]}', {"Content-Type": "application/json"}, id="ignored-fields"),
        pytest.param(b"{}", {"Content-Type": "application/json; charset=utf-8"}, id="json-with-charset"),
        pytest.param(b"{}", {"Content-Type": "application/hal+json"}, id="hal-json"),
        pytest.param(b"{}", {}, id="json-without-content-type"),
        pytest.param(b"   \r\n ", {"Content-Type": "application/json"}, id="whitespace-only"),
    ],
)
def test_post_accepts_what_real_clients_send(client, auth, eligible, content, headers):
    response = client.post(action_url(eligible), params={"marketplaceIds": US}, content=content, headers=auth | headers)
    assert response.status_code == 201, response.text
    assert response.content == b"{}"
    assert response.headers["content-type"] == HAL
    assert_rate_header(response, True)
    request_id(response)
    assert not offers_action(client, auth, eligible)


# ---------------------------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_missing_token(client, eligible, method):
    url = order_url(eligible) if method == "GET" else action_url(eligible)
    response = client.request(method, url, params={"marketplaceIds": US})
    assert_error(response, 403, "Unauthorized", ACCESS_DENIED, TOKEN_MISSING)
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert_rate_header(response, False)


def test_empty_token_header_counts_as_missing(client, eligible):
    response = client.get(order_url(eligible), params={"marketplaceIds": US}, headers={"x-amz-access-token": ""})
    assert_error(response, 403, "Unauthorized", ACCESS_DENIED, TOKEN_MISSING)


def test_unknown_token(client, eligible, token, subtests):
    for value in (
        "Atza|not-a-token-we-issued",
        "garbage",
        "Atza|" + "x" * 2000,
        token + "x",
        token[:-1],
        token.upper(),
    ):
        for method, url in (("GET", order_url(eligible)), ("POST", action_url(eligible))):
            with subtests.test(method=method, token=value[:40]):
                headers = {"x-amz-access-token": value}
                response = client.request(method, url, params={"marketplaceIds": US}, headers=headers)
                assert_error(response, 403, "Unauthorized", ACCESS_DENIED)
                assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
                assert_rate_header(response, False)


def test_the_token_is_checked_before_anything_else(client):
    """Bad marketplace, missing order, bad body: without a token the answer is always the token 403."""
    response = client.post(action_url("nope"), params={"marketplaceIds": "XX"}, content=b"{", headers={})
    assert_error(response, 403, "Unauthorized", ACCESS_DENIED, TOKEN_MISSING)


def test_a_token_bearing_a_sigv4_authorization_is_not_a_token(client, eligible):
    """The Authorization header is not where the access token goes."""
    response = client.get(
        order_url(eligible), params={"marketplaceIds": US}, headers={"Authorization": "Bearer Atza|whatever"}
    )
    assert_error(response, 403, "Unauthorized", ACCESS_DENIED, TOKEN_MISSING)


def test_expired_token(client, clock, auth, eligible):
    clock.advance(timedelta(seconds=3599))
    assert client.get(order_url(eligible), params={"marketplaceIds": US}, headers=auth).status_code == 200
    clock.advance(timedelta(seconds=2))  # 3601 s after issue
    for method, url in (("GET", order_url(eligible)), ("POST", action_url(eligible))):
        response = client.request(method, url, params={"marketplaceIds": US}, headers=auth)
        assert_error(response, 403, "Unauthorized", ACCESS_DENIED)
        assert_rate_header(response, False)
    assert not client.get(f"/admin/v1/orders/{eligible}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()[
        "solicitation"
    ]


def test_application_without_a_solicitation_role_is_denied(client, admin_headers, eligible):
    other = {"x-amz-access-token": issue(client, admin_headers, ["Other"], app="amzn1.sp.solution.other-app")}
    for method, url in (("GET", order_url(eligible)), ("POST", action_url(eligible))):
        response = client.request(method, url, params={"marketplaceIds": US}, headers=other)
        assert_error(response, 403, "Unauthorized", ACCESS_DENIED)
    no_roles = {"x-amz-access-token": issue(client, admin_headers, [], app="amzn1.sp.solution.no-roles")}
    assert_error(
        client.get(order_url(eligible), params={"marketplaceIds": US}, headers=no_roles),
        403,
        "Unauthorized",
        ACCESS_DENIED,
    )
    assert client.get(f"/admin/v1/orders/{eligible}", headers=admin_headers).json()["solicitation"] is None


def test_product_listing_role_allows_both_operations(client, admin_headers, eligible):
    listing = {"x-amz-access-token": issue(client, admin_headers, ["Product Listing"], app="amzn1.sp.solution.pl")}
    assert offers_action(client, listing, eligible)
    assert client.post(action_url(eligible), params={"marketplaceIds": US}, headers=listing).status_code == 201


# ------------------------------------------------------------------------------------------ marketplaceIds

BAD_MARKETPLACE_QUERIES = [
    pytest.param("", id="missing"),
    pytest.param("marketplaceIds=", id="empty"),
    pytest.param(f"marketplaceIds={US}&marketplaceIds={DE}", id="repeated-two"),
    pytest.param(f"marketplaceIds={US}&marketplaceIds={US}", id="repeated-same"),
    pytest.param(f"marketplaceIds={US},{DE}", id="comma-separated"),
    pytest.param(f"marketplaceIds={US}%2C{DE}", id="comma-separated-encoded"),
    pytest.param(f"marketplaceIds={US},{US}", id="comma-separated-same"),
    pytest.param("marketplaceIds=A1UNKNOWNMKT", id="unknown"),
    pytest.param("marketplaceIds=atvpdkikx0der", id="lowercase"),
    pytest.param(f"marketplaceIds=%20{US}", id="leading-space"),
    pytest.param(f"MarketplaceIds={US}", id="wrong-case-name"),
    pytest.param(f"marketplaceId={US}", id="singular-name"),
]


def test_bad_marketplace_ids(client, auth, eligible, container, subtests):
    for method in ("GET", "POST"):
        for param in BAD_MARKETPLACE_QUERIES:
            (query,) = param.values
            with subtests.test(method=method, case=param.id):
                url = (order_url(eligible) if method == "GET" else action_url(eligible)) + (
                    "?" + query if query else ""
                )
                response = client.request(method, url, headers=auth)
                assert_error(response, 400, "InvalidInput", INVALID_MARKETPLACE)
                assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
                assert_rate_header(response, True)
    assert count(container, schema.solicitations) == 0
    assert offers_action(client, auth, eligible)


def test_marketplace_is_checked_before_the_order(client, auth):
    response = client.get(order_url("111-9999999-9999999"), params={"marketplaceIds": "XX"}, headers=auth)
    assert_error(response, 400, "InvalidInput", INVALID_MARKETPLACE)


def test_python_amazon_sp_api_post_without_query_marketplace_is_400(client, auth, eligible):
    """When the caller omits marketplaceIds the library sends it only in the body: the real service says 400."""
    response = client.post(
        action_url(eligible),
        content=b'{"marketplaceIds":["ATVPDKIKX0DER"],"MarketplaceIds":["ATVPDKIKX0DER"]}',
        headers=auth | {"Content-Type": "application/json"},
    )
    assert_error(response, 400, "InvalidInput", INVALID_MARKETPLACE)
    assert offers_action(client, auth, eligible)


# ---------------------------------------------------------------------------------------------- bodies


MALFORMED = [
    (b"{", "application/json"),
    (b'{"marketplaceIds": }', "application/json"),
    (b"{'marketplaceIds': ['ATVPDKIKX0DER']}", "application/json"),
    (b"not json", "application/json"),
    (b'{"a": 1} trailing', "application/json"),
    (b"\xff\xfe{}", "application/json"),
    (b"{", None),
    (b"NaN-ish", "application/hal+json"),
    (b"NaN", "application/json"),
]


def test_malformed_json_body(client, auth, eligible, container, subtests):
    for content, content_type in MALFORMED:
        with subtests.test(content=content, content_type=content_type):
            headers = auth | ({"Content-Type": content_type} if content_type else {})
            response = client.post(
                action_url(eligible), params={"marketplaceIds": US}, content=content, headers=headers
            )
            assert_error(response, 400, "InvalidInput", INVALID_JSON)
            assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
            assert_rate_header(response, True)
    assert count(container, schema.solicitations) == 0
    assert offers_action(client, auth, eligible)


def test_body_that_is_not_json_is_415(client, auth, eligible, container, subtests):
    for content_type in (
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "application/xml",
        "text/json",
        "multipart/form-data; boundary=x",
    ):
        with subtests.test(content_type=content_type):
            response = client.post(
                action_url(eligible),
                params={"marketplaceIds": US},
                content=b'{"marketplaceIds":["ATVPDKIKX0DER"]}',
                headers=auth | {"Content-Type": content_type},
            )
            assert_error(response, 415, "UnsupportedMediaType", UNSUPPORTED)
            assert_rate_header(response, False)
    assert count(container, schema.solicitations) == 0
    assert offers_action(client, auth, eligible)


def test_body_over_one_mib_with_content_length_is_413(client, auth, eligible, container):
    body = b"{}" + b" " * (MiB - 1)  # valid JSON, one byte too many
    response = client.post(
        action_url(eligible),
        params={"marketplaceIds": US},
        content=body,
        headers=auth | {"Content-Type": "application/json"},
    )
    assert response.request.headers["content-length"] == str(MiB + 1)
    assert_error(response, 413, "RequestEntityTooLarge", TOO_LARGE)
    assert_rate_header(response, False)
    assert count(container, schema.solicitations) == 0


def test_body_over_one_mib_chunked_is_413(client, auth, eligible, container):
    def chunks() -> Iterator[bytes]:
        yield b"{}"
        for _ in range(17):
            yield b" " * (64 * 1024)

    response = client.post(
        action_url(eligible),
        params={"marketplaceIds": US},
        content=chunks(),
        headers=auth | {"Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, "RequestEntityTooLarge", TOO_LARGE)
    assert count(container, schema.solicitations) == 0


def test_body_of_exactly_one_mib_is_accepted(client, auth, eligible):
    body = b"{}" + b" " * (MiB - 2)
    response = client.post(
        action_url(eligible),
        params={"marketplaceIds": US},
        content=body,
        headers=auth | {"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_an_oversized_declared_length_is_refused_before_the_body_is_read(client, auth, eligible):
    """A Content-Length over the limit is enough: the server need not read a byte of the body."""
    response = client.post(
        action_url(eligible),
        params={"marketplaceIds": US},
        content=b"{}",
        headers=auth | {"Content-Type": "application/json", "Content-Length": str(MiB + 1)},
    )
    assert_error(response, 413, "RequestEntityTooLarge", TOO_LARGE)


# ----------------------------------------------------------------------------------------------- 404


def test_missing_order_is_404(client, auth):
    for method, url in (("GET", order_url("111-9999999-9999999")), ("POST", action_url("111-9999999-9999999"))):
        response = client.request(method, url, params={"marketplaceIds": US}, headers=auth)
        assert_error(response, 404, "NotFound", NOT_FOUND)
        assert_rate_header(response, True)


def test_another_sellers_order_is_404_exactly_like_a_missing_one(client, admin_headers, auth, container):
    other = put(client, admin_headers, order_doc("111-3333333-0000002", seller_id=OTHER_SELLER))
    for method, url in (
        ("GET", order_url),
        ("POST", action_url),
    ):
        theirs = client.request(method, url(other), params={"marketplaceIds": US}, headers=auth)
        missing = client.request(method, url("111-9999999-9999998"), params={"marketplaceIds": US}, headers=auth)
        assert_error(theirs, 404, "NotFound", NOT_FOUND)
        assert theirs.content == missing.content
        assert theirs.status_code == missing.status_code
        strip = {"x-amzn-requestid", "content-length"}
        assert {k: v for k, v in theirs.headers.items() if k not in strip} == {
            k: v for k, v in missing.headers.items() if k not in strip
        }
    assert count(container, schema.solicitations) == 0


def test_order_in_another_marketplace_is_404(client, admin_headers, auth):
    order_id = put(client, admin_headers, order_doc("302-1111111-0000008", marketplace_id=DE))
    for method, url in (("GET", order_url(order_id)), ("POST", action_url(order_id))):
        response = client.request(method, url, params={"marketplaceIds": US}, headers=auth)
        assert_error(response, 404, "NotFound", NOT_FOUND)
    assert offers_action(client, auth, order_id, DE)
    assert client.post(action_url(order_id), params={"marketplaceIds": DE}, headers=auth).status_code == 201


# -------------------------------------------------------------------------------------- 403 not available


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(order_doc("111-4444444-0000001", status="Unshipped"), id="unshipped"),
        pytest.param(order_doc("111-4444444-0000002", status="Pending"), id="pending"),
        pytest.param(order_doc("111-4444444-0000003", status="Canceled"), id="canceled"),
        pytest.param(order_doc("111-4444444-0000004", status="PartiallyShipped"), id="partially-shipped"),
        pytest.param(order_doc("111-4444444-0000005", opted_out=True), id="opted-out"),
        pytest.param(
            {k: v for k, v in order_doc("111-4444444-0000006").items() if not k.endswith("DeliveryDate")},
            id="no-delivery-dates",
        ),
    ],
)
def test_ineligible_order_post_is_403_not_available(client, admin_headers, auth, container, doc):
    order_id = put(client, admin_headers, doc)
    assert not offers_action(client, auth, order_id)
    response = client.post(action_url(order_id), params={"marketplaceIds": US}, headers=auth)
    assert_error(response, 403, "Unauthorized", NOT_AVAILABLE)
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert_rate_header(response, False)
    assert count(container, schema.solicitations) == 0


def test_second_post_is_403_not_available(client, auth, eligible, container):
    first = client.post(action_url(eligible), params={"marketplaceIds": US}, headers=auth)
    assert first.status_code == 201
    second = client.post(action_url(eligible), params={"marketplaceIds": US}, headers=auth)
    assert_error(second, 403, "Unauthorized", NOT_AVAILABLE)
    assert request_id(first) != request_id(second)
    assert client.get(order_url(eligible), params={"marketplaceIds": US}, headers=auth).json() == hal_without_actions(
        eligible, US
    )
    assert count(container, schema.solicitations) == 1


def test_already_solicited_wins_over_the_window(client, clock, auth, eligible):
    """Once solicited, the order is 'not available' even after its window has closed."""
    assert client.post(action_url(eligible), params={"marketplaceIds": US}, headers=auth).status_code == 201
    clock.advance(timedelta(days=365))
    fresh = {"x-amz-access-token": issue(client, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, ["Buyer Solicitation"])}
    response = client.post(action_url(eligible), params={"marketplaceIds": US}, headers=fresh)
    assert_error(response, 403, "Unauthorized", NOT_AVAILABLE)


def test_a_solicitation_through_another_application_counts(client, admin_headers, auth, eligible):
    """Once per order, ever: not once per application."""
    assert client.post(action_url(eligible), params={"marketplaceIds": US}, headers=auth).status_code == 201
    other_app = {"x-amz-access-token": issue(client, admin_headers, ["Buyer Solicitation"], "amzn1.sp.solution.two")}
    response = client.post(action_url(eligible), params={"marketplaceIds": US}, headers=other_app)
    assert_error(response, 403, "Unauthorized", NOT_AVAILABLE)


# ------------------------------------------------------------------------------------------ the window


def test_window_opens_five_days_after_earliest_delivery_to_the_second(client, admin_headers, clock, auth, container):
    # EarliestDeliveryDate = T0 - 5 days: the window opens exactly at T0.
    early = put(client, admin_headers, order_doc("111-5555555-0000001", delivered_days_ago=5))
    edge = put(client, admin_headers, order_doc("111-5555555-0000002", delivered_days_ago=5))
    clock.now = T0 - timedelta(seconds=1)
    assert not offers_action(client, auth, early)
    response = client.post(action_url(early), params={"marketplaceIds": US}, headers=auth)
    assert_error(response, 403, "Unauthorized", OUTSIDE_WINDOW)
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "\u2019" in response.json()["errors"][0]["message"]
    assert "\u2019".encode() in response.content or b"\\u2019" in response.content
    assert count(container, schema.solicitations) == 0
    clock.now = T0
    assert offers_action(client, auth, early)
    assert offers_action(client, auth, edge)
    assert client.post(action_url(edge), params={"marketplaceIds": US}, headers=auth).status_code == 201


def test_window_closes_thirty_days_after_latest_delivery_to_the_second(client, admin_headers, clock, auth, container):
    # LatestDeliveryDate = T0 - 30 days: the window closes exactly at T0 (inclusive).
    late = put(client, admin_headers, order_doc("111-6666666-0000001", delivered_days_ago=40, latest_days_ago=30))
    edge = put(client, admin_headers, order_doc("111-6666666-0000002", delivered_days_ago=40, latest_days_ago=30))
    clock.now = T0
    assert offers_action(client, auth, late)
    assert client.post(action_url(edge), params={"marketplaceIds": US}, headers=auth).status_code == 201
    clock.now = T0 + timedelta(seconds=1)
    assert not offers_action(client, auth, late)
    response = client.post(action_url(late), params={"marketplaceIds": US}, headers=auth)
    assert_error(response, 403, "Unauthorized", OUTSIDE_WINDOW)
    assert count(container, schema.solicitations) == 1


def test_window_uses_earliest_for_opening_and_latest_for_closing(client, admin_headers, clock, auth):
    """Earliest delivery 40 days ago, latest 2 days ago: open from T0-35d to T0+28d."""
    order_id = put(client, admin_headers, order_doc("111-6666666-0000003", delivered_days_ago=40, latest_days_ago=2))
    clock.now = T0 - timedelta(days=35, seconds=1)
    assert not offers_action(client, auth, order_id)
    clock.now = T0 - timedelta(days=35)
    assert offers_action(client, auth, order_id)
    clock.now = T0 + timedelta(days=28)
    auth = {"x-amz-access-token": issue(client, admin_headers, ["Buyer Solicitation"])}  # the first one expired
    assert offers_action(client, auth, order_id)
    clock.now = T0 + timedelta(days=28, seconds=1)
    assert not offers_action(client, auth, order_id)
    response = client.post(action_url(order_id), params={"marketplaceIds": US}, headers=auth)
    assert_error(response, 403, "Unauthorized", OUTSIDE_WINDOW)


def test_ineligibility_that_is_not_the_window_is_not_the_window_message(client, admin_headers, clock, auth):
    """An unshipped order outside its window is 'not available', not the window message."""
    order_id = put(client, admin_headers, order_doc("111-6666666-0000004", status="Unshipped", delivered_days_ago=1))
    response = client.post(action_url(order_id), params={"marketplaceIds": US}, headers=auth)
    assert_error(response, 403, "Unauthorized", NOT_AVAILABLE)


# ---------------------------------------------------------------------------- unknown paths and methods


UNKNOWN_PATHS = [
    "/",
    "/nope",
    "/solicitations",
    "/solicitations/v1",
    "/solicitations/v1/orders",
    "/solicitations/v1/orders/",
    "/solicitations/v2/orders/111-1111111-1111111",
    "/solicitations/v1/orders/111-1111111-1111111/",
    "/solicitations/v1/orders/111-1111111-1111111/solicitations",
    "/solicitations/v1/orders/111-1111111-1111111/solicitations/legalDisclosure",
    "/solicitations/v1/orders/111-1111111-1111111/solicitations/productReviewAndSellerFeedback/",
    "/solicitations/v1/orders/111-1111111-1111111/solicitations/productReviewAndSellerFeedback/schema/x",
    "/Solicitations/v1/orders/111-1111111-1111111",
]


def test_unknown_path_is_404_in_amazon_shape(client, auth, eligible, container, subtests):
    for method in ("GET", "POST", "DELETE"):
        for path in UNKNOWN_PATHS:
            with subtests.test(method=method, path=path):
                response = client.request(method, path, params={"marketplaceIds": US}, headers=auth)
                assert_error(response, 404, "NotFound", NOT_FOUND)
    assert count(container, schema.solicitations) == 0


WRONG_METHODS = [
    ("DELETE", order_url("111-1111111-1111111")),
    ("POST", order_url("111-1111111-1111111")),
    ("PUT", order_url("111-1111111-1111111")),
    ("PATCH", order_url("111-1111111-1111111")),
    ("OPTIONS", order_url("111-1111111-1111111")),
    ("GET", action_url("111-1111111-1111111")),
    ("PUT", action_url("111-1111111-1111111")),
    ("DELETE", action_url("111-1111111-1111111")),
    ("POST", schema_url("111-1111111-1111111")),
    ("PURGE", order_url("111-1111111-1111111")),
]


def test_wrong_method_is_405_in_amazon_shape(client, auth, eligible, container, subtests):
    for method, path in WRONG_METHODS:
        with subtests.test(method=method, path=path):
            response = client.request(method, path, params={"marketplaceIds": US}, headers=auth)
            assert_error(response, 405, "MethodNotAllowed", METHOD_NOT_ALLOWED)
            assert_rate_header(response, False)
    assert count(container, schema.solicitations) == 0
    assert offers_action(client, auth, eligible)


def test_head_on_the_get_operation_answers_without_a_body(client, auth, eligible):
    response = client.head(order_url(eligible), params={"marketplaceIds": US}, headers=auth)
    assert response.status_code == 200
    assert response.content == b""
    request_id(response)


# -------------------------------------------------------------------------------------------- headers


def test_accept_header_is_never_a_reason_to_refuse(client, admin_headers, auth, subtests):
    for n, accept in enumerate(["*/*", "application/hal+json", "application/json", "text/html", "image/png"]):
        with subtests.test(accept=accept):
            order_id = put(client, admin_headers, order_doc(f"111-1212121-000000{n}"))
            headers = auth | {"Accept": accept}
            got = client.get(order_url(order_id), params={"marketplaceIds": US}, headers=headers)
            assert got.status_code == 200
            assert got.json() == hal_for_eligible(order_id, US)
            posted = client.post(action_url(order_id), params={"marketplaceIds": US}, headers=headers)
            assert posted.status_code == 201
            missing = client.get(order_url("111-0000000-0000000"), params={"marketplaceIds": US}, headers=headers)
            assert_error(missing, 404, "NotFound", NOT_FOUND)


def test_wrong_host_and_sigv4_headers_are_ignored(client, auth, eligible):
    headers = auth | {
        "Host": "sellingpartnerapi-na.amazon.c",  # python-amazon-sp-api strips 8 characters of the endpoint
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-access-token;x-amz-date, Signature=deadbeef",
        "x-amz-date": "20261127T120000Z",
        "x-amz-security-token": "FQoGZXIvYXdzEJr",
        "user-agent": "python-sp-api-2.1.35",
    }
    got = client.get(order_url(eligible), params={"marketplaceIds": US}, headers=headers)
    assert got.status_code == 200, got.text
    assert got.json() == hal_for_eligible(eligible, US)
    posted = client.post(action_url(eligible), params={"marketplaceIds": US}, headers=headers)
    assert posted.status_code == 201, posted.text


def test_request_id_on_every_response_and_distinct(client, auth, eligible):
    responses = [
        client.get(order_url(eligible), params={"marketplaceIds": US}, headers=auth),  # 200
        client.get(order_url(eligible), params={"marketplaceIds": US}, headers=auth),  # 200 again
        client.post(action_url(eligible), params={"marketplaceIds": US}, headers=auth),  # 201
        client.post(action_url(eligible), params={"marketplaceIds": US}, headers=auth),  # 403
        client.get(order_url(eligible), headers=auth),  # 400
        client.get(order_url("111-9999999-9999999"), params={"marketplaceIds": US}, headers=auth),  # 404
        client.get(order_url(eligible), params={"marketplaceIds": US}),  # 403 missing token
        client.get("/no/such/path"),  # 404 unknown path
        client.get("/no/such/path"),  # again
        client.delete(order_url(eligible)),  # 405
        client.post(action_url(eligible), params={"marketplaceIds": US}, content=b"x", headers=auth),  # 400
        client.post(
            action_url(eligible),
            params={"marketplaceIds": US},
            content=b"x",
            headers=auth | {"Content-Type": "text/plain"},
        ),  # 415
        client.get(schema_url(eligible), headers=auth),  # 200 schema
        client.get("/healthz"),
        client.get("/openapi.json"),
    ]
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 201, 403, 400, 404, 403, 404, 404, 405, 400, 415, 200, 200, 200]
    ids = [request_id(r) for r in responses]
    assert len(set(ids)) == len(ids)
    for value in ids:
        uuid.UUID(value)


def header_carrying_requests(client: TestClient, auth: dict[str, str], order_id: str) -> list[Any]:
    """A GET and a POST answering 2xx, 400 and 404 for `order_id` (eligible): the statuses with the header."""
    return [
        client.get(order_url(order_id), params={"marketplaceIds": US}, headers=auth),
        client.get(order_url(order_id), headers=auth),
        client.get(order_url("111-9999999-9999999"), params={"marketplaceIds": US}, headers=auth),
        client.post(action_url(order_id), params={"marketplaceIds": US}, headers=auth),
        client.post(action_url(order_id), headers=auth),
        client.post(action_url("111-9999999-9999999"), params={"marketplaceIds": US}, headers=auth),
    ]


def test_rate_limit_header_presence_by_status(client, auth, eligible, admin_headers):
    """Present on 2xx, 400 and 404; absent on 403, 405, 413 and 415 (docs/behaviour.md, Headers)."""
    present = header_carrying_requests(client, auth, eligible)
    assert [r.status_code for r in present] == [200, 400, 404, 201, 400, 404]
    for response in present:
        assert_rate_header(response, True)
    absent = [
        client.post(action_url(eligible), params={"marketplaceIds": US}, headers=auth),
        client.get(order_url(eligible), params={"marketplaceIds": US}),
        client.delete(order_url(eligible), headers=auth),
        client.post(
            action_url(eligible),
            params={"marketplaceIds": US},
            content=b"{}" + b" " * MiB,
            headers=auth | {"Content-Type": "application/json"},
        ),
        client.post(
            action_url(eligible),
            params={"marketplaceIds": US},
            content=b"{}",
            headers=auth | {"Content-Type": "text/plain"},
        ),
    ]
    assert [r.status_code for r in absent] == [403, 403, 405, 413, 415]
    for response in absent:
        assert_rate_header(response, False)


def test_rate_limit_header_is_the_default_plan_rate(tmp_path: Path, clock):
    """Without a plan override the header says `1.0` (five calls per operation at most: never throttled)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'plain.db'}",
        admin_token=ADMIN_TOKEN,
        access_log=False,
        plan_rate=None,
        plan_burst=None,
        token_cache_seconds=0.0,
    )
    container = bootstrap(settings, clock)
    admin_headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        order_id = put(client, admin_headers, order_doc("111-7777777-0000001"))
        auth = {"x-amz-access-token": issue(client, admin_headers, ["Buyer Solicitation"])}
        responses = header_carrying_requests(client, auth, order_id)
        assert [r.status_code for r in responses] == [200, 400, 404, 201, 400, 404]
        for response in responses:
            assert response.headers["x-amzn-RateLimit-Limit"] == "1.0"
    container.close()


# ------------------------------------------------------------------------- the same, on a real server


def _raw_exchange(port: int, head: bytes, body_chunks: list[bytes]) -> bytes:
    """Send a request by hand (the body possibly never finished) and read the response until close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        data = b""
        try:
            while True:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
                if b"\r\n\r\n" in data:
                    header, _, rest = data.partition(b"\r\n\r\n")
                    length = [
                        int(line.split(b":", 1)[1])
                        for line in header.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ]
                    if length and len(rest) >= length[0]:
                        break
        except ConnectionResetError:
            pass
        return data


def _parse(raw: bytes) -> tuple[int, dict[str, str], Any]:
    header, _, body = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, json.loads(body)


@pytest.mark.e2e
def test_real_server_errors_on_the_wire(server: ServerProcess):
    token = server.issue_token()

    server.put_order(order_doc("111-8888888-0000001", now=server_now()))
    path = action_url("111-8888888-0000001") + f"?marketplaceIds={US}"
    start = f"POST {path} HTTP/1.1\r\nHost: sellingpartnerapi-na.amazon.c\r\nx-amz-access-token: {token}\r\n"

    # Content-Length over the limit: answered without the body being sent at all.
    head = (start + f"Content-Type: application/json\r\nContent-Length: {2 * MiB}\r\n\r\n").encode()
    status, headers, body = _parse(_raw_exchange(server.port, head, []))
    assert status == 413
    assert headers["content-type"] == JSON
    assert "x-amzn-requestid" in headers
    assert body == {"errors": [{"code": "RequestEntityTooLarge", "message": TOO_LARGE, "details": ""}]}

    # Chunked: the server stops reading once the limit is passed.
    head = (start + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    piece = b" " * (256 * 1024)
    chunks = [b"2\r\n{}\r\n"] + [f"{len(piece):x}\r\n".encode() + piece + b"\r\n"] * 5 + [b"0\r\n\r\n"]
    status, headers, body = _parse(_raw_exchange(server.port, head, chunks))
    assert status == 413
    assert body["errors"][0]["code"] == "RequestEntityTooLarge"

    with httpx.Client(base_url=server.base_url) as http:
        unknown = http.get("/no/such/thing")
        assert unknown.status_code == 404
        assert unknown.json() == {"errors": [{"code": "NotFound", "message": NOT_FOUND, "details": ""}]}
        wrong = http.delete(order_url("111-8888888-0000001"))
        assert wrong.status_code == 405
        assert wrong.json()["errors"][0]["code"] == "MethodNotAllowed"
        assert unknown.headers["x-amzn-RequestId"] != wrong.headers["x-amzn-RequestId"]
        ok = http.post(path, headers={"x-amz-access-token": token, "Host": "sellingpartnerapi-na.amazon.c"})
        assert ok.status_code == 201, ok.text
