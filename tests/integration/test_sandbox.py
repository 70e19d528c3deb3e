"""`serve --sandbox` in-process: every static case of both models answers as the model says, anything else
"Could not match input arguments", under the sandbox's shared plan; LWA still mints tokens."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from helpers import SELLER, US
from solicitations.bootstrap import Container
from solicitations.domain.sandbox import Case, Operation
from solicitations.entrypoints.http.sandbox import create_sandbox_app, load_operations

MODELS = Path(__file__).parents[2] / "src/solicitations/entrypoints/http/models"
ORDER = "123-1234567-1234567"
GET_ACTIONS = f"/solicitations/v1/orders/{ORDER}"
CREATE = GET_ACTIONS + "/solicitations/productReviewAndSellerFeedback"
TOKEN = {"x-amz-access-token": "Atza|IwEBIany-token-amazon-minted"}
NO_MATCH = {"errors": [{"code": "InvalidInput", "message": "Could not match input arguments", "details": ""}]}
TOKEN_NUMBER = iter(range(10**6))


@pytest.fixture
def sandbox(container: Container) -> Iterator[TestClient]:
    with TestClient(create_sandbox_app(container), raise_server_exceptions=False) as client:
        yield client


def fresh_token() -> dict[str, str]:
    """A token of its own: each token has its own bucket, full at first (also in a shared Redis)."""
    return {"x-amz-access-token": f"Atza|sandbox-test-{time.monotonic_ns()}-{next(TOKEN_NUMBER)}"}


def static_cases() -> list[tuple[Operation, Case]]:
    return [(op, case) for op in load_operations() for case in op.cases]


def request_for(op: Operation, case: Case) -> dict[str, Any]:
    """The request a client sends to hit `case`: its path, query and body parameters."""
    path, query, body = op.path, {}, None
    declared = {p.name: p for p in op.parameters}
    for name, value in case.parameters.items():
        if name == "body":
            body = value
        elif declared[name].location == "path":
            path = path.replace("{" + name + "}", value)
        else:
            query[name] = ",".join(value) if isinstance(value, list) else value
    for parameter in op.parameters:  # a path parameter no case names: any value does
        path = path.replace("{" + parameter.name + "}", "902-0000000-0000000")
    return {"method": op.method, "url": path, "params": query, "json": body}


@pytest.mark.parametrize(("op", "case"), static_cases(), ids=lambda x: getattr(x, "operation_id", ""))
def test_each_static_case_answers_its_status_and_body(sandbox: TestClient, op: Operation, case: Case) -> None:
    response = sandbox.request(**request_for(op, case), headers=fresh_token())
    assert response.status_code == case.status
    if case.status == 204:
        assert response.content == b""
    else:
        assert response.json() == case.response
    assert response.headers["x-amzn-RequestId"]
    if case.status >= 400:
        assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert response.headers["x-amzn-RateLimit-Limit"] == "5.0"


def test_the_models_cover_every_operation_the_brief_names() -> None:
    names = {op.operation_id for op in load_operations()}
    assert {
        "getSolicitationActionsForOrder",
        "createProductReviewAndSellerFeedbackSolicitation",
        "getOrders",
        "getOrder",
        "getOrderBuyerInfo",
        "getOrderAddress",
        "getOrderItems",
        "getOrderItemsBuyerInfo",
    } <= names
    # The copies shipped in the package are the official models (entrypoints/http/models/SOURCE.md), unedited.
    shipped = json.loads((MODELS / "solicitations.json").read_text())
    assert (shipped["info"]["title"], shipped["info"]["version"]) == ("Selling Partner API for Solicitations", "v1")


def test_the_sandbox_order_answers_as_the_docs_say(sandbox: TestClient) -> None:
    got = sandbox.get(GET_ACTIONS, params={"marketplaceIds": US}, headers=TOKEN)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/hal+json"
    assert set(got.json()) == {"_links"}  # no _embedded in the sandbox
    # python-amazon-sp-api's POST: marketplaceIds in the query and in a body; any marketplace will do.
    body = {"marketplaceIds": ["A1PA6795UKMFR9"], "MarketplaceIds": ["A1PA6795UKMFR9"]}
    created = sandbox.post(CREATE, params={"marketplaceIds": "A1PA6795UKMFR9"}, json=body, headers=TOKEN)
    assert (created.status_code, created.json()) == (201, {})


@pytest.mark.parametrize(
    ("method", "url", "params"),
    [
        ("GET", GET_ACTIONS, {"marketplaceIds": "A1PA6795UKMFR9"}),  # the case names ATVPDKIKX0DER
        ("GET", GET_ACTIONS, {}),
        ("GET", "/solicitations/v1/orders/111-1111111-1111111", {"marketplaceIds": US}),
        ("POST", "/solicitations/v1/orders/111-1111111-1111111/solicitations/productReviewAndSellerFeedback", {}),
        ("GET", "/orders/v0/orders", {"CreatedAfter": "2026-01-01T00:00:00Z", "MarketplaceIds": US}),
        ("GET", "/orders/v0/orders/902-1845936-5435065", {}),
    ],
)
def test_anything_else_could_not_be_matched(sandbox: TestClient, method: str, url: str, params: dict[str, str]) -> None:
    response = sandbox.request(method, url, params=params, headers=fresh_token())
    assert response.status_code == 400
    assert response.json() == NO_MATCH
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert response.headers["x-amzn-RateLimit-Limit"] == "5.0"


def test_a_token_must_be_there_and_well_formed(sandbox: TestClient) -> None:
    missing = sandbox.get(GET_ACTIONS, params={"marketplaceIds": US})
    assert missing.status_code == 403
    assert missing.json()["errors"][0]["details"] == "Access token is missing in the request header."
    for token in ("not-a-token", "Atza|", "Atza|has space"):
        denied = sandbox.get(GET_ACTIONS, params={"marketplaceIds": US}, headers={"x-amz-access-token": token})
        assert denied.status_code == 403, token
        assert denied.json()["errors"][0]["message"] == "Access to requested resource is denied."
        assert "x-amzn-RateLimit-Limit" not in denied.headers
    rdt = sandbox.get(GET_ACTIONS, params={"marketplaceIds": US}, headers={"x-amz-access-token": "Atz.sprdt|AYABe"})
    assert rdt.status_code == 200


def test_one_token_shares_five_per_second_burst_15_across_operations(sandbox: TestClient) -> None:
    token = fresh_token()
    started = time.monotonic()
    statuses = [
        sandbox.get(GET_ACTIONS, params={"marketplaceIds": US}, headers=token).status_code
        if i % 2
        else sandbox.get("/orders/v0/orders/TEST_CASE_200", headers=token).status_code
        for i in range(40)
    ]
    elapsed = time.monotonic() - started
    assert statuses[:15] == [200] * 15
    assert 429 in statuses
    assert statuses.count(200) <= 15 + 5 * elapsed + 1
    throttled = sandbox.get(GET_ACTIONS, params={"marketplaceIds": US}, headers=token)
    assert throttled.status_code == 429
    assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert "x-amzn-RateLimit-Limit" not in throttled.headers
    # Another token has a bucket of its own.
    assert sandbox.get(GET_ACTIONS, params={"marketplaceIds": US}, headers=fresh_token()).status_code == 200


def test_other_paths_of_the_apis_are_not_found_and_wrong_methods_not_allowed(sandbox: TestClient) -> None:
    schema = sandbox.get(CREATE + "/schema", headers=TOKEN)
    assert schema.status_code == 404
    assert schema.json()["errors"][0]["code"] == "NotFound"
    wrong = sandbox.delete(GET_ACTIONS, headers=TOKEN)
    assert wrong.status_code == 405
    assert wrong.json()["errors"][0]["code"] == "MethodNotAllowed"


def test_login_with_amazon_still_mints_tokens_the_sandbox_takes(
    sandbox: TestClient, admin_headers: dict[str, str]
) -> None:
    app = sandbox.post(
        "/admin/v1/applications",
        json={"name": "Sandbox Tool", "roles": ["Buyer Solicitation"], "redirectUris": []},
        headers=admin_headers,
    ).json()
    sandbox.put(f"/admin/v1/sellers/{SELLER}", json={"name": "Store", "marketplaceIds": [US]}, headers=admin_headers)
    refresh = sandbox.post(
        "/admin/v1/authorizations",
        json={"sellerId": SELLER, "applicationId": app["applicationId"]},
        headers=admin_headers,
    ).json()["refresh_token"]
    minted = sandbox.post(
        "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
        },
    )
    assert minted.status_code == 200, minted.text
    token = {"x-amz-access-token": minted.json()["access_token"]}
    assert sandbox.get(GET_ACTIONS, params={"marketplaceIds": US}, headers=token).status_code == 200
    assert sandbox.get("/healthz").status_code == 200


def test_the_sandbox_refuses_demo_data(database_url: str) -> None:
    from typer.testing import CliRunner

    from solicitations.entrypoints.cli import app

    result = CliRunner().invoke(app, ["--database-url", database_url, "serve", "--sandbox", "--demo"])
    assert result.exit_code == 2
    assert "--demo" in result.output
