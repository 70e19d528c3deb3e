"""Finding 5: a NUL byte in an id reached PostgreSQL and answered 500 (a misleading 503 on usage plans); only
order ids were checked. Every id a route hands to the store now meets one rule (printable, bounded length) and
is refused with a 400 naming the field, in the surface's own error shape."""

from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from helpers import APP, SELLER, US, order_doc

BAD = ["a\x00b", "a\r\nb", "\u202eab", "x" * 65]
OP = "getSolicitationActionsForOrder"


def admin_calls(bad: str) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body) of every admin route that names an id, with `bad` in one of them."""
    p = quote(bad, safe="")
    return [
        ("PUT", f"/admin/v1/sellers/{p}", {"name": "Store", "marketplaceIds": [US]}),
        ("PUT", f"/admin/v1/orders/{p}", order_doc(bad)),
        ("GET", f"/admin/v1/orders/{p}", None),
        ("POST", f"/admin/v1/applications/{p}/secret", None),
        ("PUT", f"/admin/v1/applications/{p}/state", {"state": "active"}),
        ("DELETE", f"/admin/v1/authorizations/{p}/{APP}", None),
        ("DELETE", f"/admin/v1/authorizations/{SELLER}/{p}", None),
        ("GET", f"/admin/v1/usage-plans/{p}/{APP}/{OP}", None),
        ("GET", f"/admin/v1/usage-plans/{SELLER}/{p}/{OP}", None),
        ("PUT", f"/admin/v1/usage-plans/{p}/{APP}/{OP}", {"rate": 1, "burst": 1}),
        ("POST", "/admin/v1/authorizations", {"sellerId": bad, "applicationId": APP}),
        ("POST", "/admin/v1/access-tokens", {"sellerId": SELLER, "applicationId": bad}),
    ]


@pytest.mark.parametrize("bad", BAD)
def test_every_admin_id_is_checked_with_a_400_naming_it(client: TestClient, admin_headers, bad: str) -> None:
    for method, path, body in admin_calls(bad):
        response = client.request(method, path, json=body, headers=admin_headers)
        assert response.status_code == 400, (method, path, response.status_code, response.text)
        (error,) = response.json()["errors"]
        assert error["code"] == "InvalidInput"
        assert "Id" in error["details"], error


@pytest.mark.parametrize("field", ["client_id", "refresh_token", "code"])
@pytest.mark.parametrize("bad", [*BAD[:3], "x" * 1000])
def test_token_endpoint_ids_are_checked(client: TestClient, field: str, bad: str) -> None:
    form = {"client_id": "amzn1.application-oa2-client.x", "client_secret": "s", field: bad}
    form["grant_type"] = "authorization_code" if field == "code" else "refresh_token"
    form.setdefault("refresh_token" if field != "code" else "code", "Atzr|x")
    response = client.post("/auth/o2/token", data=form)
    assert response.status_code == 400, response.text
    error = "invalid_request" if field == "client_id" else "invalid_grant"
    assert response.json()["error"] == error
    assert response.json()["error_description"].endswith(f" : {field}")


@pytest.mark.parametrize("bad", BAD)
def test_sign_in_checks_the_seller_id(client: TestClient, bad: str) -> None:
    response = client.post("/apps/authorize/signin", data={"seller_id": bad, "password": "whatever-password"})
    assert response.status_code == 400, response.text
    assert "seller" in response.text.lower()


@pytest.mark.parametrize("bad", BAD)
def test_consent_checks_the_application_id(client: TestClient, bad: str) -> None:
    response = client.get("/apps/authorize/consent", params={"application_id": bad, "state": "s"})
    assert response.status_code == 400, response.text
    assert "application_id" in response.text


@pytest.mark.parametrize("bad", BAD)
def test_an_order_id_no_order_can_have_is_still_amazons_404(client: TestClient, token: str, bad: str) -> None:
    response = client.get(
        "/solicitations/v1/orders/" + quote(bad, safe=""),
        params={"marketplaceIds": US},
        headers={"x-amz-access-token": token},
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"
