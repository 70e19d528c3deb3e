"""python-amazon-sp-api (`sp_api`), unmodified, against a real `solicitations serve` process.

`restricted_data_token` makes the client skip Login with Amazon and send a token the admin API issued as is, and
`client.endpoint` replaces the regional endpoint (there is no constructor argument for it).
Every call here also sends sp_api's wrong Host header, `27.0.0.1:<port>` (it strips 8 characters, assuming
`https://`), so every passing call shows the server does not validate Host.
"""

import asyncio
from collections.abc import Iterator

import pytest
from sp_api.api import Solicitations
from sp_api.asyncio.api import Solicitations as AsyncSolicitations
from sp_api.base import (
    Marketplaces,
    SellingApiBadRequestException,
    SellingApiForbiddenException,
    SellingApiNotFoundException,
)

from helpers import DE, OTHER_SELLER, US, ServerProcess, order_doc, server_now

pytestmark = pytest.mark.e2e

ACTION = "productReviewAndSellerFeedback"
NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
OUTSIDE_WINDOW = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)
NOT_FOUND = "The resource specified does not exist."
INVALID_MARKETPLACE = "Missing or invalid request parameters: [marketplaceIds]"
CREDENTIALS = {"lwa_app_id": "unused", "lwa_client_secret": "unused"}


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    return module_server


def sp_api_client(server: ServerProcess, token: str, marketplace: Marketplaces = Marketplaces.US) -> Solicitations:
    client = Solicitations(marketplace, credentials=CREDENTIALS, restricted_data_token=token)
    client.endpoint = server.base_url
    return client


@pytest.fixture
def sp(server: ServerProcess) -> Iterator[Solicitations]:
    """The client of SELLER through APP (the defaults of `issue_token`)."""
    client = sp_api_client(server, server.issue_token())
    yield client
    client.close()


def test_the_client_sends_a_wrong_host_header(server: ServerProcess, sp: Solicitations) -> None:
    """The premise of the module: the Host sp_api sends is not the server's, and calls still work."""
    assert sp.headers["host"] == server.base_url[len("https://") :]
    assert sp.headers["host"] == f"27.0.0.1:{server.port}"
    server.put_order(order_doc("111-0000000-0000100", now=server_now()))
    response = sp.get_solicitation_actions_for_order("111-0000000-0000100", marketplaceIds=US)
    assert [a["name"] for a in response.payload["_links"]["actions"]] == [ACTION]


def test_an_eligible_order_is_offered_the_action_accepts_one_solicitation_then_refuses(
    server: ServerProcess, sp: Solicitations
) -> None:
    order = "111-0000000-0000101"
    server.put_order(order_doc(order, now=server_now()))

    offered = sp.get_solicitation_actions_for_order(order, marketplaceIds=US)
    payload = offered.payload
    assert payload["_links"]["actions"][0]["name"] == ACTION
    assert payload["_links"]["actions"] == [
        {
            "href": f"/solicitations/v1/orders/{order}/solicitations/{ACTION}?marketplaceIds={US}",
            "name": ACTION,
        }
    ]
    assert payload["_links"]["self"] == {"href": f"/solicitations/v1/orders/{order}?marketplaceIds={US}"}
    [embedded] = payload["_embedded"]["actions"]
    assert embedded["name"] == ACTION
    assert embedded["_links"]["schema"]["href"] == f"/solicitations/v1/orders/{order}/solicitations/{ACTION}/schema"
    assert offered.headers["x-amzn-RequestId"]

    created = sp.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US)
    assert created.payload == {}
    assert created.errors is None

    with pytest.raises(SellingApiForbiddenException) as refused:
        sp.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US)
    assert refused.value.code == 403
    assert refused.value.message == NOT_AVAILABLE
    assert refused.value.amzn_code == "Unauthorized"
    assert refused.value.error == [{"code": "Unauthorized", "message": NOT_AVAILABLE, "details": ""}]
    assert refused.value.headers["x-amzn-RequestId"]

    after = sp.get_solicitation_actions_for_order(order, marketplaceIds=US)
    assert after.payload["_links"]["actions"] == []
    assert after.payload["_embedded"]["actions"] == []


def test_a_too_late_order_offers_nothing_and_a_post_says_why(server: ServerProcess, sp: Solicitations) -> None:
    order = "111-0000000-0000102"
    server.put_order(order_doc(order, now=server_now(), delivered_days_ago=40))

    offered = sp.get_solicitation_actions_for_order(order, marketplaceIds=US)
    assert offered.payload == {
        "_links": {"actions": [], "self": {"href": f"/solicitations/v1/orders/{order}?marketplaceIds={US}"}},
        "_embedded": {"actions": []},
    }

    with pytest.raises(SellingApiForbiddenException) as refused:
        sp.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US)
    assert refused.value.message == OUTSIDE_WINDOW
    assert refused.value.amzn_code == "Unauthorized"
    assert refused.value.error == [{"code": "Unauthorized", "message": OUTSIDE_WINDOW, "details": ""}]


def test_another_sellers_order_is_not_found(server: ServerProcess, sp: Solicitations) -> None:
    order = "111-0000000-0000103"
    server.put_order(order_doc(order, now=server_now(), seller_id=OTHER_SELLER))

    with pytest.raises(SellingApiNotFoundException) as on_get:
        sp.get_solicitation_actions_for_order(order, marketplaceIds=US)
    with pytest.raises(SellingApiNotFoundException) as on_post:
        sp.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US)
    for raised in (on_get.value, on_post.value):
        assert raised.code == 404
        assert raised.amzn_code == "NotFound"
        assert raised.message == NOT_FOUND

    # The owner, through its own token, sees it: the 404 was about ownership, not a missing order.
    owner = sp_api_client(server, server.issue_token(seller_id=OTHER_SELLER))
    try:
        offered = owner.get_solicitation_actions_for_order(order, marketplaceIds=US)
    finally:
        owner.close()
    assert [a["name"] for a in offered.payload["_links"]["actions"]] == [ACTION]


def test_an_order_in_another_marketplace_is_reached_with_its_marketplace_id(
    server: ServerProcess, sp: Solicitations
) -> None:
    order = "302-0000000-0000104"
    server.put_order(order_doc(order, now=server_now(), marketplace_id=DE))

    with pytest.raises(SellingApiNotFoundException):
        sp.get_solicitation_actions_for_order(order, marketplaceIds=US)
    offered = sp.get_solicitation_actions_for_order(order, marketplaceIds=DE)
    assert [a["name"] for a in offered.payload["_links"]["actions"]] == [ACTION]
    assert sp.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=DE).payload == {}


def test_a_post_without_marketplace_ids_is_a_bad_request(server: ServerProcess, sp: Solicitations) -> None:
    """sp_api then sends marketplaceIds only in the JSON body and no query string: the real service answers 400."""
    order = "111-0000000-0000105"
    server.put_order(order_doc(order, now=server_now()))

    with pytest.raises(SellingApiBadRequestException) as rejected:
        sp.create_product_review_and_seller_feedback_solicitation(order)
    assert rejected.value.code == 400
    assert rejected.value.amzn_code == "InvalidInput"
    assert rejected.value.message == INVALID_MARKETPLACE

    # Nothing was recorded: the order can still be solicited properly.
    assert sp.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US).payload == {}


def test_a_get_without_marketplace_ids_uses_the_clients_marketplace(server: ServerProcess, sp: Solicitations) -> None:
    """On a GET sp_api fills in its own marketplace, among other spellings, so `marketplaceIds` is there."""
    order = "111-0000000-0000106"
    server.put_order(order_doc(order, now=server_now()))

    offered = sp.get_solicitation_actions_for_order(order)
    assert [a["name"] for a in offered.payload["_links"]["actions"]] == [ACTION]


def test_an_unknown_token_is_denied(server: ServerProcess) -> None:
    order = "111-0000000-0000107"
    server.put_order(order_doc(order, now=server_now()))
    stranger = sp_api_client(server, "Atza|not-a-token-this-server-issued")
    try:
        with pytest.raises(SellingApiForbiddenException) as denied:
            stranger.get_solicitation_actions_for_order(order, marketplaceIds=US)
    finally:
        stranger.close()
    assert denied.value.amzn_code == "Unauthorized"
    assert denied.value.message == "Access to requested resource is denied."


def test_the_asyncio_client_works_the_same_way(server: ServerProcess) -> None:
    order = "111-0000000-0000108"
    server.put_order(order_doc(order, now=server_now()))
    token = server.issue_token()

    async def scenario() -> None:
        async_client = AsyncSolicitations(Marketplaces.US, credentials=CREDENTIALS, restricted_data_token=token)
        async_client.endpoint = server.base_url
        try:
            offered = await async_client.get_solicitation_actions_for_order(order, marketplaceIds=US)
            assert [a["name"] for a in offered.payload["_links"]["actions"]] == [ACTION]
            created = await async_client.create_product_review_and_seller_feedback_solicitation(
                order, marketplaceIds=US
            )
            assert created.payload == {}
            with pytest.raises(SellingApiForbiddenException) as refused:
                await async_client.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US)
            assert refused.value.message == NOT_AVAILABLE
        finally:
            await async_client.aclose()

    asyncio.run(scenario())
