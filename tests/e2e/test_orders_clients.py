"""python-amazon-sp-api's `Orders` and `Tokens` clients, unmodified, against a real `solicitations serve` process.

The clients hold what a developer holds (client id, secret, refresh token) and get access tokens from the
server's Login with Amazon; `RestrictedResources=[...]` makes the Orders client fetch a restricted data token
first, as it does against Amazon. Dates are relative to `server_now()`: the server runs on the wall clock.
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sp_api.api import Orders, Tokens
from sp_api.auth import AccessTokenClient
from sp_api.auth import access_token_client as sp_api_tokens
from sp_api.base import (
    Marketplaces,
    SellingApiBadRequestException,
    SellingApiForbiddenException,
    SellingApiNotFoundException,
)

from helpers import OTHER_SELLER, ServerProcess, iso, order_doc, server_now

pytestmark = pytest.mark.e2e

SELLER = "A4ORDERSCLIENT"
UNUSED = {"lwa_app_id": "unused", "lwa_client_secret": "unused"}  # an RDT given as is needs no LWA
INVALID = "The input you have submitted is not valid. Please check your input and try again."


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    return module_server


@pytest.fixture
def credentials(server: ServerProcess) -> Iterator[dict[str, str]]:
    """An application authorized by SELLER, as python-amazon-sp-api takes it; its token cache cleared around."""
    sp_api_tokens.cache.clear()
    with server.admin() as admin:
        app = admin.post("/admin/v1/applications", json={"name": "Orders client", "roles": ["Buyer Solicitation"]})
        assert app.status_code == 200, app.text
        authorized = admin.post(
            "/admin/v1/authorizations", json={"sellerId": SELLER, "applicationId": app.json()["applicationId"]}
        )
        assert authorized.status_code == 200, authorized.text
    yield {
        "refresh_token": authorized.json()["refresh_token"],
        "lwa_app_id": app.json()["clientId"],
        "lwa_client_secret": app.json()["clientSecret"],
        "application_id": app.json()["applicationId"],  # not the client's: sp_api ignores keys it does not know
    }
    sp_api_tokens.cache.clear()


def local(client_class: Any, server: ServerProcess, credentials: dict[str, str], **kwargs: Any) -> Any:
    """A client of `client_class` whose token URL and endpoint are the server's."""
    tokens = type("Local", (AccessTokenClient,), {"scheme": "http://", "host": server.base_url.removeprefix("http://")})
    client = client_class(Marketplaces.US, credentials=credentials, auth_token_client_class=tokens, **kwargs)
    client.endpoint = server.base_url
    return client


def put_orders(server: ServerProcess, prefix: str, count: int, **fields: Any) -> list[str]:
    """`count` orders of SELLER placed a day apart, the oldest `count` + 1 days ago; their ids, oldest first."""
    now = server_now()
    ids = [f"{prefix}-{n:07d}" for n in range(count)]
    for n, order_id in enumerate(ids):
        doc = order_doc(order_id, now=now, seller_id=SELLER, delivered_days_ago=count - n - 2, **fields)
        server.put_order(doc)
    return ids


def test_get_orders_pages_and_single_order_reads(server: ServerProcess, credentials: dict[str, str]) -> None:
    ids = put_orders(server, "111-0000001", 5)
    server.put_order(order_doc("111-0000001-9999999", now=server_now(), seller_id=OTHER_SELLER))
    orders = local(Orders, server, credentials)
    created_after = iso(server_now() - timedelta(days=30))

    seen: list[str] = []
    response = orders.get_orders(CreatedAfter=created_after, MaxResultsPerPage=2)
    while True:
        seen += [order["AmazonOrderId"] for order in response.payload["Orders"]]
        if not response.next_token:
            break
        response = orders.get_orders(NextToken=response.next_token)
    assert seen == ids
    assert "CreatedBefore" in response.payload

    shipped = orders.get_orders(CreatedAfter=created_after, OrderStatuses=["Shipped", "Unshipped"])
    assert [o["AmazonOrderId"] for o in shipped.payload["Orders"]] == ids
    assert orders.get_orders(CreatedAfter=created_after, OrderStatuses=["Canceled"]).payload["Orders"] == []

    order = orders.get_order(ids[0]).payload
    assert order["AmazonOrderId"] == ids[0]
    assert order["OrderStatus"] == "Shipped"
    assert "BuyerInfo" not in order
    items = orders.get_order_items(ids[0]).payload
    assert items == {"OrderItems": [], "AmazonOrderId": ids[0]}
    assert orders.get_order_buyer_info(ids[0]).payload == {"AmazonOrderId": ids[0]}

    with pytest.raises(SellingApiBadRequestException) as bad:
        orders.get_orders(LastUpdatedAfter=created_after, CreatedAfter=created_after)
    assert bad.value.message == INVALID
    with pytest.raises(SellingApiNotFoundException):
        orders.get_order("111-0000001-9999999")  # another seller's


def test_buyer_data_through_restricted_data_tokens(server: ServerProcess, credentials: dict[str, str]) -> None:
    [order_id] = put_orders(server, "111-0000002", 1, email="dana@example.com")
    orders = local(Orders, server, credentials)

    # The Orders client asks the Tokens API for an RDT naming this very call, then makes the call with it.
    order = orders.get_order(order_id, RestrictedResources=["buyerInfo", "shippingAddress"]).payload
    assert order["BuyerInfo"] == {"BuyerEmail": "dana@example.com"}
    listed = orders.get_orders(
        CreatedAfter=iso(server_now() - timedelta(days=30)), RestrictedResources=["buyerInfo"]
    ).payload["Orders"]
    assert [o["BuyerInfo"] for o in listed if o["AmazonOrderId"] == order_id] == [{"BuyerEmail": "dana@example.com"}]
    assert "BuyerInfo" not in orders.get_order(order_id).payload  # the next call is back on the access token

    tokens = local(Tokens, server, credentials)
    made = tokens.create_restricted_data_token(
        restrictedResources=[{"method": "GET", "path": "/orders/v0/orders/{orderId}/buyerInfo"}]
    ).payload
    assert made["expiresIn"] == 3600
    with_rdt = Orders(Marketplaces.US, credentials=UNUSED, restricted_data_token=made["restrictedDataToken"])
    with_rdt.endpoint = server.base_url
    assert with_rdt.get_order_buyer_info(order_id).payload == {
        "AmazonOrderId": order_id,
        "BuyerEmail": "dana@example.com",
    }
    with pytest.raises(SellingApiBadRequestException) as bad:
        tokens.create_restricted_data_token(
            restrictedResources=[{"method": "GET", "path": "/orders/v0/orders/x/address"}]
        )
    assert bad.value.message == "Application do not have access to some or all requested resource"

    # Revoking the authorization kills the RDT made under it, as it kills the access tokens.
    with server.admin() as admin:
        admin.delete(f"/admin/v1/authorizations/{SELLER}/{credentials['application_id']}").raise_for_status()
    with pytest.raises(SellingApiForbiddenException):
        with_rdt.get_order_buyer_info(order_id)
