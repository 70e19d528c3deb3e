"""python-amazon-sp-api, unmodified, against `solicitations serve --sandbox`: code written for Amazon's sandbox
runs by switching the base URL. The sandbox lets in any well-formed token, as Amazon's own LWA would mint it."""

from collections.abc import Iterator

import pytest
from sp_api.api import Orders, Solicitations
from sp_api.base import Marketplaces, SellingApiBadRequestException

from helpers import US, ServerProcess, fresh_database_url
from wire import exchange

pytestmark = pytest.mark.e2e

SANDBOX_ORDER = "123-1234567-1234567"
CREDENTIALS = {"lwa_app_id": "unused", "lwa_client_secret": "unused"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("sandbox")
    server = ServerProcess(fresh_database_url(directory), args=["--sandbox"], log_path=directory / "server.log")
    yield server.start()
    server.stop()


def client(kind: type[Solicitations] | type[Orders], server: ServerProcess, token: str) -> Solicitations | Orders:
    api = kind(Marketplaces.US, credentials=CREDENTIALS, restricted_data_token=token)
    api.endpoint = server.base_url
    return api


def test_the_sandbox_order_offers_its_action_and_accepts_the_solicitation(sandbox: ServerProcess) -> None:
    sp = client(Solicitations, sandbox, "Atza|sandbox-order")
    offered = sp.get_solicitation_actions_for_order(SANDBOX_ORDER, marketplaceIds=US)
    assert offered.payload == {
        "_links": {
            "actions": [
                {
                    "href": f"/solicitations/v1/orders/{SANDBOX_ORDER}/solicitations/productReviewAndSellerFeedback"
                    f"?marketplaceIds={US}",
                    "name": "productReviewAndSellerFeedback",
                }
            ],
            "self": {"href": f"/solicitations/v1/orders/{SANDBOX_ORDER}?marketplaceIds={US}"},
        }
    }
    assert offered.headers["x-amzn-RateLimit-Limit"] == "5.0"
    created = sp.create_product_review_and_seller_feedback_solicitation(SANDBOX_ORDER, marketplaceIds=US)
    assert created.payload == {}
    # The sandbox keeps no state: the same POST succeeds again.
    assert sp.create_product_review_and_seller_feedback_solicitation(SANDBOX_ORDER, marketplaceIds=US).payload == {}


def test_any_other_input_could_not_be_matched(sandbox: ServerProcess) -> None:
    sp = client(Solicitations, sandbox, "Atza|other-input")
    with pytest.raises(SellingApiBadRequestException) as rejected:
        sp.get_solicitation_actions_for_order("111-1111111-1111111", marketplaceIds=US)
    assert rejected.value.code == 400
    assert rejected.value.error == [
        {"code": "InvalidInput", "message": "Could not match input arguments", "details": ""}
    ]


def test_the_orders_sandbox_cases(sandbox: ServerProcess) -> None:
    orders = client(Orders, sandbox, "Atza|orders")
    found = orders.get_orders(CreatedAfter="TEST_CASE_200", MarketplaceIds=[US])
    assert found.payload["Orders"][0]["AmazonOrderId"] == "902-1845936-5435065"
    assert orders.get_order("TEST_CASE_200").payload["AmazonOrderId"] == "902-1845936-5435065"
    assert orders.get_order_items("TEST_CASE_200").payload["OrderItems"][0]["ASIN"] == "B00551Q3CS"
    with pytest.raises(SellingApiBadRequestException) as rejected:
        orders.get_order("TEST_CASE_400")
    assert rejected.value.error == [{"code": "InvalidInput", "message": "Invalid Input"}]


def test_headers_on_the_wire_are_in_amazons_case(sandbox: ServerProcess) -> None:
    response = exchange(
        sandbox.port,
        "GET",
        f"/solicitations/v1/orders/{SANDBOX_ORDER}?marketplaceIds={US}",
        {"x-amz-access-token": "Atza|wire"},
    )
    assert response.status == 200
    assert response.value("x-amzn-RateLimit-Limit") == "5.0"
    assert "x-amzn-RequestId" in response.names()
