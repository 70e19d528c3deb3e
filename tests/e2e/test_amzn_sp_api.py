"""Amazon's SDK, amzn-sp-api (`spapi`), unmodified, against a real `solicitations serve` process.

`SPAPIClient` would fetch a token from Login with Amazon in its constructor; here the client is assembled by hand
with an access-token cache that hands out a token the admin API issued, so only the Solicitations API is used.
The SDK validates the HAL body into its generated models (a missing `_links.actions` or `_links.schema` raises
ValueError) and raises `ApiException` on any non-2xx status.
"""

import json
from dataclasses import dataclass

import pytest
import spapi
from spapi import ApiClient, Configuration
from spapi.api.solicitations_v1.solicitations_api import SolicitationsApi
from spapi.models.solicitations_v1.create_product_review_and_seller_feedback_solicitation_response import (
    CreateProductReviewAndSellerFeedbackSolicitationResponse,
)
from spapi.models.solicitations_v1.get_solicitation_actions_for_order_response import (
    GetSolicitationActionsForOrderResponse,
)

from helpers import OTHER_SELLER, US, ServerProcess, order_doc, server_now

pytestmark = pytest.mark.e2e

ACTION = "productReviewAndSellerFeedback"
NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    return module_server


@dataclass
class IssuedToken:
    """Stands in for spapi's LWA `AccessTokenCache`: the SDK only calls `get_lwa_access_token()`."""

    token: str

    def get_lwa_access_token(self) -> str:
        return self.token


def solicitations_api(server: ServerProcess, token: str) -> SolicitationsApi:
    configuration = Configuration()
    configuration.host = server.base_url
    configuration.access_token_cache = IssuedToken(token)
    return SolicitationsApi(ApiClient(configuration=configuration))


@pytest.fixture
def api(server: ServerProcess) -> SolicitationsApi:
    return solicitations_api(server, server.issue_token())


def error_body(raised: spapi.ApiException) -> object:
    return json.loads(raised.body)


def test_an_eligible_order_validates_is_solicited_once_then_refused(
    server: ServerProcess, api: SolicitationsApi
) -> None:
    order = "111-0000000-0000201"
    server.put_order(order_doc(order, now=server_now()))
    base = f"/solicitations/v1/orders/{order}"

    offered = api.get_solicitation_actions_for_order(order, [US])
    assert isinstance(offered, GetSolicitationActionsForOrderResponse)
    assert offered.errors is None
    assert offered.links.var_self.href == f"{base}?marketplaceIds={US}"
    [link] = offered.links.actions
    assert link.name == ACTION
    assert link.href == f"{base}/solicitations/{ACTION}?marketplaceIds={US}"
    [action] = offered.embedded.actions
    assert action.links.var_self.href == link.href
    assert action.links.var_schema.href == f"{base}/solicitations/{ACTION}/schema"
    assert action.embedded.var_schema.links.var_self.href == action.links.var_schema.href

    data, status, headers = api.create_product_review_and_seller_feedback_solicitation_with_http_info(order, [US])
    assert status == 201
    assert isinstance(data, CreateProductReviewAndSellerFeedbackSolicitationResponse)
    assert data.errors is None
    assert headers["Content-Type"] == "application/hal+json"
    assert headers["x-amzn-RequestId"]
    assert json.loads(api.api_client.last_response.data) == {}

    with pytest.raises(spapi.ApiException) as refused:
        api.create_product_review_and_seller_feedback_solicitation(order, [US])
    assert refused.value.status == 403
    assert error_body(refused.value) == {"errors": [{"code": "Unauthorized", "message": NOT_AVAILABLE, "details": ""}]}
    assert refused.value.headers["Content-Type"] == "application/json"
    assert refused.value.headers["x-amzn-RequestId"]


def test_an_order_without_actions_validates_with_empty_arrays(server: ServerProcess, api: SolicitationsApi) -> None:
    order = "111-0000000-0000202"
    server.put_order(order_doc(order, now=server_now(), delivered_days_ago=2))  # too early

    offered = api.get_solicitation_actions_for_order(order, [US])
    assert isinstance(offered, GetSolicitationActionsForOrderResponse)
    assert offered.links.actions == []
    assert offered.links.var_self.href == f"/solicitations/v1/orders/{order}?marketplaceIds={US}"
    assert offered.embedded.actions == []
    assert offered.to_dict() == {
        "links": {"actions": [], "var_self": {"href": offered.links.var_self.href, "name": None}},
        "embedded": {"actions": []},
        "errors": None,
    }


def test_a_solicited_order_validates_with_empty_arrays(server: ServerProcess, api: SolicitationsApi) -> None:
    order = "111-0000000-0000203"
    server.put_order(order_doc(order, now=server_now()))
    api.create_product_review_and_seller_feedback_solicitation(order, [US])

    offered = api.get_solicitation_actions_for_order(order, [US])
    assert offered.links.actions == []
    assert offered.embedded.actions == []


def test_the_hal_schema_link_resolves(server: ServerProcess, api: SolicitationsApi) -> None:
    order = "111-0000000-0000204"
    server.put_order(order_doc(order, now=server_now()))
    [action] = api.get_solicitation_actions_for_order(order, [US]).embedded.actions

    schema = api.api_client.call_api(
        action.links.var_schema.href,
        "GET",
        header_params={"Accept": "application/hal+json"},
        response_type="object",
        _return_http_data_only=True,
    )
    assert schema["name"] == ACTION
    assert schema["_links"]["self"]["href"] == action.links.var_schema.href
    assert schema["type"] == "object"


def test_another_sellers_order_raises_404(server: ServerProcess, api: SolicitationsApi) -> None:
    order = "111-0000000-0000205"
    server.put_order(order_doc(order, now=server_now(), seller_id=OTHER_SELLER))

    with pytest.raises(spapi.ApiException) as on_get:
        api.get_solicitation_actions_for_order(order, [US])
    with pytest.raises(spapi.ApiException) as on_post:
        api.create_product_review_and_seller_feedback_solicitation(order, [US])
    for raised in (on_get.value, on_post.value):
        assert raised.status == 404
        assert error_body(raised) == {
            "errors": [{"code": "NotFound", "message": "The resource specified does not exist.", "details": ""}]
        }


def test_a_token_the_server_never_issued_raises_403(server: ServerProcess) -> None:
    order = "111-0000000-0000206"
    server.put_order(order_doc(order, now=server_now()))
    stranger = solicitations_api(server, "Atza|not-a-token-this-server-issued")

    with pytest.raises(spapi.ApiException) as denied:
        stranger.get_solicitation_actions_for_order(order, [US])
    assert denied.value.status == 403
    [error] = error_body(denied.value)["errors"]
    assert (error["code"], error["message"]) == ("Unauthorized", "Access to requested resource is denied.")
