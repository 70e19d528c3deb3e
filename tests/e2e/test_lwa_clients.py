"""Both Python SP-API clients, unmodified, get their tokens from this service's Login-with-Amazon endpoint.

A real `solicitations serve` process on loopback; the application, seller and authorization are made through its
admin API, so the clients hold exactly what a developer would: a client id, a client secret and a refresh token.
python-amazon-sp-api takes the token URL from its `AccessTokenClient` class (scheme + host + path), and keeps
a module-wide cache keyed by the refresh token only, cleared around each test. amzn-sp-api takes the full token
URL as `oauth_endpoint` and fetches a token in its constructor.

One server per module (like conftest's `server`, but shared): each test provisions its own application and orders.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sp_api.api import Solicitations
from sp_api.auth import AccessTokenClient
from sp_api.auth import access_token_client as sp_api_tokens
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiForbiddenException
from spapi import ApiException, SPAPIClient, SPAPIConfig
from spapi.api.solicitations_v1.solicitations_api import SolicitationsApi

from helpers import US, ServerProcess, order_doc, server_now

pytestmark = pytest.mark.e2e

SELLER = "A3LWACLIENTS"
ACTION = "productReviewAndSellerFeedback"
NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
ACCESS_DENIED = "Access to requested resource is denied."


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    return module_server


@dataclass(frozen=True)
class Credentials:
    application_id: str
    client_id: str
    client_secret: str
    refresh_token: str


def provision(server: ServerProcess, order_ids: list[str]) -> Credentials:
    """An application, a seller with eligible orders, and the seller's authorization: all via the admin API."""
    with server.admin() as admin:
        created = admin.post(
            "/admin/v1/applications",
            json={"name": "Client Test App", "roles": ["Buyer Solicitation"], "redirectUris": []},
        )
        assert created.status_code == 200, created.text
        app = created.json()
        seller = admin.put(f"/admin/v1/sellers/{SELLER}", json={"name": "LWA Store", "marketplaceIds": [US]})
        assert seller.status_code == 200, seller.text
        authorized = admin.post(
            "/admin/v1/authorizations", json={"sellerId": SELLER, "applicationId": app["applicationId"]}
        )
        assert authorized.status_code == 200, authorized.text
        for order_id in order_ids:
            put = admin.put(
                f"/admin/v1/orders/{order_id}", json=order_doc(order_id, now=server_now(), seller_id=SELLER)
            )
            assert put.status_code == 200, put.text
    return Credentials(app["applicationId"], app["clientId"], app["clientSecret"], authorized.json()["refresh_token"])


# --------------------------------------------------------------------------------- python-amazon-sp-api


@pytest.fixture
def clean_sp_api_cache() -> Iterator[None]:
    sp_api_tokens.cache.clear()
    sp_api_tokens.grantless_cache.clear()
    yield
    sp_api_tokens.cache.clear()
    sp_api_tokens.grantless_cache.clear()


def token_client_class(server: ServerProcess) -> type[AccessTokenClient]:
    """sp_api builds the token URL as scheme + host + path from class attributes."""
    return type(
        "LocalAccessTokenClient",
        (AccessTokenClient,),
        {"scheme": "http://", "host": server.base_url.removeprefix("http://")},
    )


def sp_api_client(server: ServerProcess, credentials: Credentials, secret: str | None = None) -> Solicitations:
    client = Solicitations(
        Marketplaces.US,
        credentials={
            "refresh_token": credentials.refresh_token,
            "lwa_app_id": credentials.client_id,
            "lwa_client_secret": credentials.client_secret if secret is None else secret,
        },
        auth_token_client_class=token_client_class(server),
    )
    client.endpoint = server.base_url
    return client


def cached_access_token(refresh_token: str) -> str:
    """The token sp_api got from the server, read from its module-wide cache."""
    [entry] = [v for k, v in sp_api_tokens.cache.items() if k == sp_api_tokens.build_cache_key(refresh_token)]
    return str(entry["access_token"])


@pytest.mark.usefixtures("clean_sp_api_cache")
def test_python_amazon_sp_api_refreshes_its_token_here_and_runs_both_operations(server: ServerProcess) -> None:
    order = "111-0000000-0000301"
    credentials = provision(server, [order])
    client = sp_api_client(server, credentials)
    try:
        offered = client.get_solicitation_actions_for_order(order, marketplaceIds=US)
        assert [a["name"] for a in offered.payload["_links"]["actions"]] == [ACTION]
        assert [a["name"] for a in offered.payload["_embedded"]["actions"]] == [ACTION]

        # the token came from this server's token endpoint
        access = cached_access_token(credentials.refresh_token)
        assert access.startswith("Atza|")
        assert sp_api_tokens.cache[sp_api_tokens.build_cache_key(credentials.refresh_token)]["token_type"] == "bearer"

        created = client.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US)
        assert created.payload == {}
        assert created.errors is None

        with pytest.raises(SellingApiForbiddenException) as raised:
            client.create_product_review_and_seller_feedback_solicitation(order, marketplaceIds=US)
        assert raised.value.amzn_code == "Unauthorized"
        assert raised.value.message == NOT_AVAILABLE

        again = client.get_solicitation_actions_for_order(order, marketplaceIds=US)
        assert again.payload["_links"]["actions"] == []
    finally:
        client.close()

    with server.admin() as admin:
        described = admin.get(f"/admin/v1/orders/{order}").json()
    assert described["solicitation"]["applicationId"] == credentials.application_id


@pytest.mark.usefixtures("clean_sp_api_cache")
def test_python_amazon_sp_api_sees_the_oauth_errors(server: ServerProcess) -> None:
    order = "111-0000000-0000302"
    credentials = provision(server, [order])

    wrong = sp_api_client(server, credentials, secret="amzn1.oa2-cs.v1.wrong")
    try:
        with pytest.raises(AuthorizationError) as raised:
            wrong.get_solicitation_actions_for_order(order, marketplaceIds=US)
        assert raised.value.status_code == 401
        assert raised.value.error_code == "invalid_client"
    finally:
        wrong.close()

    # a working client, then the seller revokes: the cached token dies at once, and the refresh token with it
    client = sp_api_client(server, credentials)
    try:
        assert client.get_solicitation_actions_for_order(order, marketplaceIds=US).payload["_links"]["actions"]
        with server.admin() as admin:
            revoked = admin.delete(f"/admin/v1/authorizations/{SELLER}/{credentials.application_id}")
            assert revoked.json() == {"revoked": 1}
        with pytest.raises(SellingApiForbiddenException) as denied:
            client.get_solicitation_actions_for_order(order, marketplaceIds=US)
        assert denied.value.message == ACCESS_DENIED
        sp_api_tokens.cache.clear()
        with pytest.raises(AuthorizationError) as refused:
            client.get_solicitation_actions_for_order(order, marketplaceIds=US)
        assert refused.value.status_code == 400
        assert refused.value.error_code == "invalid_grant"
    finally:
        client.close()


@pytest.mark.usefixtures("clean_sp_api_cache")
def test_python_amazon_sp_api_grantless_token_is_refused_by_solicitations(server: ServerProcess) -> None:
    order = "111-0000000-0000303"
    credentials = provision(server, [order])
    client = sp_api_client(server, credentials)
    try:
        grantless = client._auth.get_grantless_auth("sellingpartnerapi::notifications")
        assert grantless.access_token.startswith("Atza|")
        assert grantless.token_type == "bearer"
        assert grantless.refresh_token is None
        response = httpx.get(
            f"{server.base_url}/solicitations/v1/orders/{order}",
            params={"marketplaceIds": US},
            headers={"x-amz-access-token": grantless.access_token},
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["message"] == ACCESS_DENIED
    finally:
        client.close()


# ----------------------------------------------------------------------------------------- amzn-sp-api


def spapi_client(server: ServerProcess, credentials: Credentials) -> SPAPIClient:
    config = SPAPIConfig(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        refresh_token=credentials.refresh_token,
        region="NA",
    )
    return SPAPIClient(config, oauth_endpoint=server.base_url + "/auth/o2/token", endpoint=server.base_url)


def test_amzn_sp_api_gets_its_token_here_and_runs_both_operations(server: ServerProcess) -> None:
    order = "111-0000000-0000311"
    credentials = provision(server, [order])
    client = spapi_client(server, credentials)  # POSTs to the token endpoint now
    access = client.api_client.configuration.access_token_cache.get_lwa_access_token()
    assert access.startswith("Atza|")
    api = SolicitationsApi(client.api_client)

    offered = api.get_solicitation_actions_for_order(order, [US])
    assert [link.name for link in offered.links.actions] == [ACTION]
    assert offered.links.var_self.href == f"/solicitations/v1/orders/{order}?marketplaceIds={US}"
    [action] = offered.embedded.actions
    assert action.links.var_schema.href == f"/solicitations/v1/orders/{order}/solicitations/{ACTION}/schema"

    data, status, _headers = api.create_product_review_and_seller_feedback_solicitation_with_http_info(order, [US])
    assert status == 201
    assert data.errors is None

    with pytest.raises(ApiException) as raised:
        api.create_product_review_and_seller_feedback_solicitation(order, [US])
    assert raised.value.status == 403
    assert json.loads(raised.value.body) == {
        "errors": [{"code": "Unauthorized", "message": NOT_AVAILABLE, "details": ""}]
    }


def test_amzn_sp_api_token_stops_working_when_the_application_is_suspended(server: ServerProcess) -> None:
    order = "111-0000000-0000312"
    credentials = provision(server, [order])
    api = SolicitationsApi(spapi_client(server, credentials).api_client)
    assert api.get_solicitation_actions_for_order(order, [US]).links.actions
    with server.admin() as admin:
        suspended = admin.put(f"/admin/v1/applications/{credentials.application_id}/state", json={"state": "suspended"})
        assert suspended.status_code == 200, suspended.text
    with pytest.raises(ApiException) as raised:
        api.get_solicitation_actions_for_order(order, [US])
    assert raised.value.status == 403
    assert json.loads(raised.value.body)["errors"][0]["message"] == ACCESS_DENIED
