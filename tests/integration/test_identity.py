"""Identity (Login with Amazon) in-process: the token endpoint's grants and OAuth errors, the lifecycle of
applications and seller authorizations, the authorization code of the website workflow, and what the API lets
a token do. Every secret a test sees is remembered and must never show up in the captured logs.
"""

import base64
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from helpers import ADMIN_TOKEN, CHEAP_ARGON2, OTHER_SELLER, SELLER, US, Clock, order_doc
from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

TOKEN_URL = "/auth/o2/token"
REDIRECT = "https://app.example.com/callback"
PASSWORD = "correct horse battery staple"
ORDER_A = "111-0000000-0000001"
ORDER_B = "111-0000000-0000002"
ACCESS_DENIED = {
    "errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]
}
NOT_FOUND = {"errors": [{"code": "NotFound", "message": "The resource specified does not exist.", "details": ""}]}
TOKEN_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class App:
    application_id: str
    client_id: str
    client_secret: str

    def credentials(self, secret: str | None = None) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret if secret is None else secret}


class Lwa:
    """The test's view of identity: admin calls, token requests and API calls; remembers every secret seen."""

    def __init__(self, client: TestClient, admin_headers: dict[str, str]) -> None:
        self.client = client
        self.admin_headers = admin_headers
        self.secrets: set[str] = {ADMIN_TOKEN}

    def remember(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v)

    # admin ----------------------------------------------------------------------------------------

    def new_app(
        self, roles: list[str] | None = None, redirect_uris: list[str] | None = None, name: str = "Test App"
    ) -> App:
        response = self.client.post(
            "/admin/v1/applications",
            json={
                "name": name,
                "roles": ["Buyer Solicitation"] if roles is None else roles,
                "redirectUris": [REDIRECT] if redirect_uris is None else redirect_uris,
            },
            headers=self.admin_headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        self.remember(body["clientSecret"])
        assert body["applicationId"].startswith("amzn1.sp.solution.")
        assert body["clientId"].startswith("amzn1.application-oa2-client.")
        assert body["state"] == "active"
        return App(body["applicationId"], body["clientId"], body["clientSecret"])

    def seller(self, seller_id: str = SELLER, password: str | None = None) -> None:
        body: dict[str, Any] = {"name": f"Store {seller_id}", "marketplaceIds": [US]}
        if password is not None:
            body["password"] = password
            self.remember(password)
        response = self.client.put(f"/admin/v1/sellers/{seller_id}", json=body, headers=self.admin_headers)
        assert response.status_code == 200, response.text

    def authorize(self, app: App, seller_id: str = SELLER) -> str:
        response = self.client.post(
            "/admin/v1/authorizations",
            json={"sellerId": seller_id, "applicationId": app.application_id},
            headers=self.admin_headers,
        )
        assert response.status_code == 200, response.text
        refresh = str(response.json()["refresh_token"])
        self.remember(refresh)
        assert refresh.startswith("Atzr|")
        return refresh

    def revoke(self, app: App, seller_id: str = SELLER) -> httpx.Response:
        return self.client.delete(
            f"/admin/v1/authorizations/{seller_id}/{app.application_id}", headers=self.admin_headers
        )

    def set_state(self, app: App, state: str) -> None:
        response = self.client.put(
            f"/admin/v1/applications/{app.application_id}/state", json={"state": state}, headers=self.admin_headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["state"] == state

    def order(self, order_id: str, seller_id: str = SELLER) -> None:
        response = self.client.put(
            f"/admin/v1/orders/{order_id}", json=order_doc(order_id, seller_id=seller_id), headers=self.admin_headers
        )
        assert response.status_code == 200, response.text

    # token endpoint -------------------------------------------------------------------------------

    def token(self, form: dict[str, str], **kwargs: Any) -> httpx.Response:
        response = self.client.post(TOKEN_URL, data=form, **kwargs)
        self.remember_grant(response)
        return response

    def remember_grant(self, response: httpx.Response) -> None:
        if response.status_code == 200:
            body = response.json()
            self.remember(body.get("access_token"), body.get("refresh_token"))

    def refresh(self, app: App, refresh_token: str) -> str:
        response = self.token({"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials()})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    # the website workflow, in-process -------------------------------------------------------------

    def consent_redirect(
        self, app: App, seller_id: str, password: str, state: str, decision: str = "allow"
    ) -> dict[str, str]:
        """Sign in, consent, and return the query the seller is redirected with."""
        self.client.cookies.clear()
        query = urlencode({"application_id": app.application_id, "state": state, "version": "beta"})
        page = self.client.get(f"/apps/authorize/consent?{query}")
        assert page.status_code == 200, page.text
        assert 'id="sign-in"' in page.text
        signed_in = self.client.post(
            "/apps/authorize/signin",
            data={"seller_id": seller_id, "password": password, "next": f"/apps/authorize/consent?{query}"},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        page = self.client.get(signed_in.headers["location"])
        assert page.status_code == 200, page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None, page.text
        consented = self.client.post(
            "/apps/authorize/consent",
            data={
                "application_id": app.application_id,
                "state": state,
                "redirect_uri": REDIRECT,
                "csrf": csrf.group(1),
                "decision": decision,
            },
            follow_redirects=False,
        )
        assert consented.status_code == 302, consented.text
        location = urlsplit(consented.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
        params = {k: v[0] for k, v in parse_qs(location.query).items()}
        self.remember(params.get("spapi_oauth_code"))
        return params

    def code(self, app: App, seller_id: str = SELLER, state: str = "st-1") -> str:
        return self.consent_redirect(app, seller_id, PASSWORD, state)["spapi_oauth_code"]

    def exchange(self, app: App, code: str, **extra: str) -> httpx.Response:
        return self.token({"grant_type": "authorization_code", "code": code, **app.credentials(), **extra})

    # the Solicitations API ------------------------------------------------------------------------

    def get(self, order_id: str, access_token: str) -> httpx.Response:
        return self.client.get(
            f"/solicitations/v1/orders/{order_id}",
            params={"marketplaceIds": US},
            headers={"x-amz-access-token": access_token},
        )

    def post(self, order_id: str, access_token: str) -> httpx.Response:
        return self.client.post(
            f"/solicitations/v1/orders/{order_id}/solicitations/productReviewAndSellerFeedback",
            params={"marketplaceIds": US},
            headers={"x-amz-access-token": access_token},
        )


CHEAP = PasswordHasher(**CHEAP_ARGON2)
REAL_COST_TESTS = {"test_the_database_keeps_no_secret_in_clear"}


@pytest.fixture
def argon2(request: pytest.FixtureRequest) -> PasswordHasher | None:
    """argon2id at its lowest cost, so the many hashes here stay fast; REAL_COST_TESTS keep production's."""
    return None if request.node.originalname in REAL_COST_TESTS else CHEAP


@pytest.fixture
def lwa(client: TestClient, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture) -> Iterator[Lwa]:
    """Every test here captures all logs and, at the end, checks no secret it saw was logged."""
    caplog.set_level(logging.DEBUG)
    view = Lwa(client, admin_headers)
    yield view
    assert_not_logged(caplog, view.secrets)


def assert_not_logged(caplog: pytest.LogCaptureFixture, secrets: set[str]) -> None:
    texts = [caplog.text]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(repr(vars(record)))
    logged = "\n".join(texts)
    for secret in secrets:
        assert secret not in logged, "a secret or token was logged"
        # the random part alone, in case a log line splits off the prefix
        assert secret.rsplit("|", 1)[-1].rsplit(".", 1)[-1] not in logged, "a secret or token was logged"


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error, body
    assert isinstance(body.get("error_description", ""), str)
    assert set(body) <= {"error", "error_description", "error_uri"}
    return dict(body)


def assert_denied(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == ACCESS_DENIED


@pytest.fixture
def app(lwa: Lwa) -> App:
    return lwa.new_app()


@pytest.fixture
def refresh_token(lwa: Lwa, app: App) -> str:
    lwa.seller(SELLER)
    lwa.order(ORDER_A)
    return lwa.authorize(app)


# ------------------------------------------------------------------------------------- refresh_token grant


def test_refresh_token_grant_returns_a_bearer_token_that_calls_both_operations(
    lwa: Lwa, app: App, refresh_token: str
) -> None:
    response = lwa.token({"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials()})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] == refresh_token
    access = body["access_token"]
    assert access.startswith("Atza|")

    got = lwa.get(ORDER_A, access)
    assert got.status_code == 200, got.text
    assert [a["name"] for a in got.json()["_links"]["actions"]] == ["productReviewAndSellerFeedback"]
    created = lwa.post(ORDER_A, access)
    assert created.status_code == 201, created.text
    assert created.json() == {}


def test_each_refresh_mints_a_new_access_token(lwa: Lwa, app: App, refresh_token: str) -> None:
    first, second = lwa.refresh(app, refresh_token), lwa.refresh(app, refresh_token)
    assert first != second
    assert lwa.get(ORDER_A, first).status_code == 200
    assert lwa.get(ORDER_A, second).status_code == 200


def test_the_grant_accepts_a_json_body(lwa: Lwa, app: App, refresh_token: str) -> None:
    response = lwa.client.post(
        TOKEN_URL, json={"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials()}
    )
    lwa.remember_grant(response)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert lwa.get(ORDER_A, response.json()["access_token"]).status_code == 200


def test_the_grant_accepts_http_basic_client_authentication(lwa: Lwa, app: App, refresh_token: str) -> None:
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    response = lwa.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200, response.text
    assert lwa.get(ORDER_A, response.json()["access_token"]).status_code == 200


def test_http_basic_with_a_wrong_secret_is_401_with_www_authenticate(lwa: Lwa, app: App, refresh_token: str) -> None:
    """RFC 6749 §5.2: a client that authenticated with the Authorization header gets 401 and WWW-Authenticate."""
    basic = base64.b64encode(f"{app.client_id}:wrong-secret".encode()).decode()
    response = lwa.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token}, headers={"Authorization": f"Basic {basic}"}
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers.get("www-authenticate", "").lower().startswith("basic")


def test_a_form_body_with_the_refresh_token_not_percent_encoded(lwa: Lwa, app: App, refresh_token: str) -> None:
    """Amazon's JS SDK sends the token raw: '|' unencoded, and a '+' would arrive as a space."""
    assert "+" not in refresh_token
    raw = (
        f"grant_type=refresh_token&refresh_token={refresh_token}"
        f"&client_id={app.client_id}&client_secret={app.client_secret}"
    )
    response = lwa.client.post(
        TOKEN_URL, content=raw.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    lwa.remember_grant(response)
    assert response.status_code == 200, response.text
    access = response.json()["access_token"]
    assert "+" not in access
    assert lwa.get(ORDER_A, access).status_code == 200


def test_minted_tokens_use_a_url_safe_alphabet(lwa: Lwa, app: App, refresh_token: str) -> None:
    refreshes = [refresh_token] + [lwa.authorize(app) for _ in range(15)]
    accesses = [lwa.refresh(app, refreshes[-1]) for _ in range(8)]
    for value, prefix in [(r, "Atzr|") for r in refreshes] + [(a, "Atza|") for a in accesses]:
        assert value.startswith(prefix)
        assert TOKEN_ALPHABET.match(value[len(prefix) :]), value
        assert len(value) >= len(prefix) + 40
    assert len(set(refreshes)) == len(refreshes)
    assert len(set(accesses)) == len(accesses)


# ------------------------------------------------------------------------------------------- OAuth errors


def _full_form(app: App, refresh_token: str, grant: str) -> dict[str, str]:
    form = {"grant_type": grant, **app.credentials()}
    if grant == "refresh_token":
        form["refresh_token"] = refresh_token
    elif grant == "authorization_code":
        form["code"] = "some-code"
    else:
        form["scope"] = "sellingpartnerapi::notifications"
    return form


@pytest.mark.parametrize(
    ("grant", "missing"),
    [
        ("refresh_token", "grant_type"),
        ("refresh_token", "client_id"),
        ("refresh_token", "client_secret"),
        ("refresh_token", "refresh_token"),
        ("authorization_code", "client_id"),
        ("authorization_code", "client_secret"),
        ("authorization_code", "code"),
        ("client_credentials", "client_id"),
        ("client_credentials", "client_secret"),
        ("client_credentials", "scope"),
    ],
)
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_a_missing_parameter_is_invalid_request(
    lwa: Lwa, app: App, refresh_token: str, grant: str, missing: str, how: str
) -> None:
    form = _full_form(app, refresh_token, grant)
    if how == "absent":
        del form[missing]
    else:
        form[missing] = ""
    body = assert_oauth_error(lwa.token(form), 400, "invalid_request")
    assert missing in body["error_description"]


def test_a_wrong_secret_is_invalid_client_401(lwa: Lwa, app: App, refresh_token: str) -> None:
    response = lwa.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials("amzn1.oa2-cs.v1.wrong")}
    )
    body = assert_oauth_error(response, 401, "invalid_client")
    assert app.client_secret not in response.text
    assert refresh_token not in response.text
    assert "error_description" in body


def test_an_unknown_client_is_invalid_client_401(lwa: Lwa, app: App, refresh_token: str) -> None:
    response = lwa.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "amzn1.application-oa2-client.nosuchclient",
            "client_secret": app.client_secret,
        }
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert app.client_secret not in response.text


def test_the_secret_of_one_client_does_not_authenticate_another(lwa: Lwa, app: App, refresh_token: str) -> None:
    other = lwa.new_app(name="Other")
    response = lwa.token(
        {"grant_type": "refresh_token", "refresh_token": refresh_token, **other.credentials(app.client_secret)}
    )
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize(
    "bad",
    ["Atzr|not-a-real-token", "not even a token", "Atza|an-access-token-is-not-a-refresh-token", "Atzr|" + "x" * 3000],
)
def test_an_unknown_refresh_token_is_invalid_grant(lwa: Lwa, app: App, refresh_token: str, bad: str) -> None:
    response = lwa.token({"grant_type": "refresh_token", "refresh_token": bad, **app.credentials()})
    assert_oauth_error(response, 400, "invalid_grant")
    assert bad not in response.text


def test_an_access_token_is_not_a_refresh_token(lwa: Lwa, app: App, refresh_token: str) -> None:
    access = lwa.refresh(app, refresh_token)
    response = lwa.token({"grant_type": "refresh_token", "refresh_token": access, **app.credentials()})
    assert_oauth_error(response, 400, "invalid_grant")


def test_a_refresh_token_of_another_application_is_invalid_grant(lwa: Lwa, app: App, refresh_token: str) -> None:
    other = lwa.new_app(name="Other")
    response = lwa.token({"grant_type": "refresh_token", "refresh_token": refresh_token, **other.credentials()})
    assert_oauth_error(response, 400, "invalid_grant")


@pytest.mark.parametrize(
    "grant", ["password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "REFRESH_TOKEN"]
)
def test_an_unknown_grant_type_is_unsupported_grant_type(lwa: Lwa, app: App, refresh_token: str, grant: str) -> None:
    response = lwa.token({"grant_type": grant, "refresh_token": refresh_token, **app.credentials()})
    assert_oauth_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"grant_type=refresh_token&grant_type=client_credentials", "application/x-www-form-urlencoded"),
        (b"%%%%=%%%&&&=", "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"grant_type": 1, "client_id": ["x"], "client_secret": null}', "application/json"),
        (b"grant_type=refresh_token", "text/plain"),
        (b"grant_type=refresh_token", "multipart/form-data; boundary=x"),
        (b"grant_type=refresh_token&client_id=" + b"a" * 100_000, "application/x-www-form-urlencoded"),
        (b"grant_type=client_credentials&client_id=x&client_secret=y&scope=" + b"s" * 5000, ""),
    ],
)
def test_malformed_token_requests_get_an_oauth_error_never_a_500(
    lwa: Lwa, app: App, content: bytes, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = lwa.client.post(TOKEN_URL, content=content, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body["error"], str)
    assert body["error"] in {"invalid_request", "invalid_client", "unsupported_grant_type", "invalid_grant"}
    assert response.headers["cache-control"] == "no-store"


def test_get_on_the_token_endpoint_is_not_a_500(lwa: Lwa) -> None:
    response = lwa.client.get(TOKEN_URL)
    assert response.status_code == 405, response.text


# ------------------------------------------------------------------------------ client_credentials grant


def test_a_known_grantless_scope_gives_a_token_the_solicitations_api_refuses(lwa: Lwa, app: App) -> None:
    lwa.order(ORDER_A)
    response = lwa.token(
        {"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications", **app.credentials()}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert "refresh_token" not in body
    assert body["access_token"].startswith("Atza|")
    assert_denied(lwa.get(ORDER_A, body["access_token"]))
    assert_denied(lwa.post(ORDER_A, body["access_token"]))


@pytest.mark.parametrize("scope", ["sellingpartnerapi::solicitations", "profile", "sellingpartnerapi::notifications x"])
def test_an_unknown_scope_is_invalid_scope(lwa: Lwa, app: App, scope: str) -> None:
    response = lwa.token({"grant_type": "client_credentials", "scope": scope, **app.credentials()})
    assert_oauth_error(response, 400, "invalid_scope")


def test_client_credentials_with_a_wrong_secret_is_invalid_client(lwa: Lwa, app: App) -> None:
    response = lwa.token(
        {
            "grant_type": "client_credentials",
            "scope": "sellingpartnerapi::notifications",
            **app.credentials("amzn1.oa2-cs.v1.wrong"),
        }
    )
    assert_oauth_error(response, 401, "invalid_client")


# ------------------------------------------------------------------------------------- token lifetimes


def test_an_access_token_expires_after_expires_in(lwa: Lwa, app: App, refresh_token: str, clock: Clock) -> None:
    access = lwa.refresh(app, refresh_token)
    clock.advance(timedelta(seconds=3599))
    assert lwa.get(ORDER_A, access).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert_denied(lwa.get(ORDER_A, access))
    assert_denied(lwa.post(ORDER_A, access))
    # the refresh token outlives it and mints a working one
    fresh = lwa.refresh(app, refresh_token)
    assert lwa.get(ORDER_A, fresh).status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        "Atza|nonsense",
        "Atza|",
        "Bearer Atza|x",
        "Atzr|a-refresh-token-is-not-an-access-token",
        "\u00e9\u00e8",
        "x" * 5000,
    ],
)
def test_malformed_access_tokens_get_the_exact_403(lwa: Lwa, refresh_token: str, bad: str) -> None:
    headers = {"x-amz-access-token": bad.encode("utf-8")}
    response = lwa.client.get(f"/solicitations/v1/orders/{ORDER_A}", params={"marketplaceIds": US}, headers=headers)
    assert_denied(response)


def test_a_refresh_token_is_refused_as_an_access_token(lwa: Lwa, refresh_token: str) -> None:
    assert_denied(lwa.get(ORDER_A, refresh_token))


def test_a_missing_access_token_gets_the_missing_token_403(lwa: Lwa, refresh_token: str) -> None:
    response = lwa.client.get(f"/solicitations/v1/orders/{ORDER_A}", params={"marketplaceIds": US})
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "code": "Unauthorized",
                "message": "Access to requested resource is denied.",
                "details": "Access token is missing in the request header.",
            }
        ]
    }


# ------------------------------------------------------------------------------- revoke and re-authorize


def test_revocation_kills_the_refresh_token_and_its_access_tokens_at_once(
    lwa: Lwa, app: App, refresh_token: str
) -> None:
    lwa.seller(OTHER_SELLER)
    lwa.order(ORDER_B, seller_id=OTHER_SELLER)
    other_refresh = lwa.authorize(app, OTHER_SELLER)
    first, second = lwa.refresh(app, refresh_token), lwa.refresh(app, refresh_token)
    others = lwa.refresh(app, other_refresh)
    assert lwa.get(ORDER_A, first).status_code == 200

    revoked = lwa.revoke(app)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"revoked": 1}

    assert_denied(lwa.get(ORDER_A, first))
    assert_denied(lwa.post(ORDER_A, second))
    response = lwa.token({"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials()})
    assert_oauth_error(response, 400, "invalid_grant")
    # another seller's authorization of the same application stands
    assert lwa.get(ORDER_B, others).status_code == 200
    assert lwa.refresh(app, other_refresh)
    # revoking again finds nothing left to revoke
    assert lwa.revoke(app).json() == {"revoked": 0}


def test_re_authorization_rotates_the_refresh_token(lwa: Lwa, app: App, refresh_token: str) -> None:
    rotated = lwa.authorize(app)
    assert rotated != refresh_token
    response = lwa.token({"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials()})
    assert_oauth_error(response, 400, "invalid_grant")
    assert lwa.get(ORDER_A, lwa.refresh(app, rotated)).status_code == 200


def test_authorizing_an_unknown_application_is_404(lwa: Lwa) -> None:
    response = lwa.client.post(
        "/admin/v1/authorizations",
        json={"sellerId": SELLER, "applicationId": "amzn1.sp.solution.nope"},
        headers=lwa.admin_headers,
    )
    assert response.status_code == 404, response.text
    assert response.json() == {
        "errors": [{**NOT_FOUND["errors"][0], "details": "application amzn1.sp.solution.nope not found"}]
    }


# --------------------------------------------------------------------------------- application lifecycle


def test_a_suspended_application_loses_its_tokens_and_gets_no_new_ones(lwa: Lwa, app: App, refresh_token: str) -> None:
    access = lwa.refresh(app, refresh_token)
    lwa.set_state(app, "suspended")
    listed = lwa.client.get("/admin/v1/applications", headers=lwa.admin_headers).json()["applications"]
    assert [a["state"] for a in listed if a["applicationId"] == app.application_id] == ["suspended"]

    assert_denied(lwa.get(ORDER_A, access))
    assert_denied(lwa.post(ORDER_A, access))
    for form in (
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        {"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications"},
    ):
        response = lwa.token({**form, **app.credentials()})
        assert response.status_code in (400, 401), response.text
        error = response.json()["error"]
        assert error in {"unauthorized_client", "invalid_client"}
        assert response.status_code == (401 if error == "invalid_client" else 400)
        assert "access_token" not in response.json()

    lwa.set_state(app, "active")
    fresh = lwa.refresh(app, refresh_token)
    assert lwa.get(ORDER_A, fresh).status_code == 200
    assert lwa.post(ORDER_A, fresh).status_code == 201


def test_an_unknown_state_is_refused(lwa: Lwa, app: App) -> None:
    response = lwa.client.put(
        f"/admin/v1/applications/{app.application_id}/state", json={"state": "deleted"}, headers=lwa.admin_headers
    )
    assert response.status_code == 400, response.text
    missing = lwa.client.put(
        "/admin/v1/applications/amzn1.sp.solution.nope/state", json={"state": "active"}, headers=lwa.admin_headers
    )
    assert missing.status_code == 404, missing.text


def test_secret_rotation_retires_the_old_secret_at_once(lwa: Lwa, app: App, refresh_token: str) -> None:
    response = lwa.client.post(f"/admin/v1/applications/{app.application_id}/secret", headers=lwa.admin_headers)
    assert response.status_code == 200, response.text
    new_secret = response.json()["clientSecret"]
    lwa.remember(new_secret)
    assert new_secret != app.client_secret
    assert new_secret.startswith("amzn1.oa2-cs.v1.")

    old = lwa.token({"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials()})
    assert_oauth_error(old, 401, "invalid_client")
    new = lwa.token({"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials(new_secret)})
    assert new.status_code == 200, new.text
    assert lwa.get(ORDER_A, new.json()["access_token"]).status_code == 200

    unknown = lwa.client.post("/admin/v1/applications/amzn1.sp.solution.nope/secret", headers=lwa.admin_headers)
    assert unknown.status_code == 404


def test_the_application_list_never_shows_a_secret(lwa: Lwa, app: App) -> None:
    response = lwa.client.get("/admin/v1/applications", headers=lwa.admin_headers)
    assert response.status_code == 200
    [listed] = [a for a in response.json()["applications"] if a["applicationId"] == app.application_id]
    assert listed == {
        "applicationId": app.application_id,
        "name": "Test App",
        "clientId": app.client_id,
        "roles": ["Buyer Solicitation"],
        "redirectUris": [REDIRECT],
        "state": "active",
    }
    assert app.client_secret not in response.text
    assert "argon2" not in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["Buyer Solicitation"]},
        {"name": ""},
        {"name": "x", "roles": "Buyer Solicitation"},
        {"name": "x", "redirectUris": ["ftp://x.example/cb"]},
        {"name": "x", "redirectUris": ["/relative"]},
        {"name": "x", "redirectUris": ["https://x.example/cb#frag"]},
        {"name": "x", "redirectUris": "https://x.example/cb"},
    ],
)
def test_bad_application_bodies_are_400(lwa: Lwa, body: dict[str, Any]) -> None:
    response = lwa.client.post("/admin/v1/applications", json=body, headers=lwa.admin_headers)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"] == "InvalidInput"


# ------------------------------------------------------------------------------------- roles and sellers


def test_an_application_without_a_solicitations_role_is_refused(lwa: Lwa) -> None:
    lwa.order(ORDER_A)
    other = lwa.new_app(roles=["Other"], name="No roles")
    access = lwa.refresh(other, lwa.authorize(other))
    assert_denied(lwa.get(ORDER_A, access))
    assert_denied(lwa.post(ORDER_A, access))


def test_product_listing_is_enough(lwa: Lwa) -> None:
    lwa.order(ORDER_A)
    listing = lwa.new_app(roles=["Product Listing"], name="Listings")
    access = lwa.refresh(listing, lwa.authorize(listing))
    assert lwa.get(ORDER_A, access).status_code == 200
    assert lwa.post(ORDER_A, access).status_code == 201


def test_a_seller_token_never_learns_whether_another_sellers_order_exists(
    lwa: Lwa, app: App, refresh_token: str
) -> None:
    lwa.order(ORDER_B, seller_id=OTHER_SELLER)
    access = lwa.refresh(app, refresh_token)
    foreign = lwa.get(ORDER_B, access)
    missing = lwa.get("111-0000000-0009999", access)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert foreign.json() == NOT_FOUND
    assert foreign.headers["content-type"] == missing.headers["content-type"]
    assert set(foreign.headers) == set(missing.headers)
    foreign_post, missing_post = lwa.post(ORDER_B, access), lwa.post("111-0000000-0009999", access)
    assert foreign_post.status_code == missing_post.status_code == 404
    assert foreign_post.content == missing_post.content
    # and the foreign order was not solicited
    described = lwa.client.get(f"/admin/v1/orders/{ORDER_B}", headers=lwa.admin_headers).json()
    assert described["solicitation"] is None


def test_the_admin_token_shortcut_still_works_and_creates_the_application(
    lwa: Lwa, client: TestClient, token: str
) -> None:
    lwa.remember(token)
    lwa.order(ORDER_A)
    assert lwa.get(ORDER_A, token).status_code == 200
    listed = client.get("/admin/v1/applications", headers=lwa.admin_headers).json()["applications"]
    assert [a["applicationId"] for a in listed] == ["amzn1.sp.solution.test-app"]
    assert listed[0]["roles"] == ["Buyer Solicitation"]


# ------------------------------------------------------------------------------- failed-auth throttling


def test_failed_client_authentications_are_limited_per_client_id(lwa: Lwa, app: App, refresh_token: str) -> None:
    other = lwa.new_app(name="Bystander")
    other_refresh = lwa.authorize(other)
    wrong = {"grant_type": "refresh_token", "refresh_token": refresh_token, **app.credentials("amzn1.oa2-cs.v1.bad")}
    for _ in range(10):
        assert_oauth_error(lwa.token(wrong), 401, "invalid_client")
    limited = lwa.token(wrong)
    assert limited.status_code == 429, limited.text
    assert limited.headers["cache-control"] == "no-store"
    body = limited.json()
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["error_description"], str)
    assert set(body) <= {"error", "error_description", "error_uri"}
    assert "access_token" not in body

    # another client id is unaffected, both when it fails and when it succeeds
    other_wrong = {"grant_type": "refresh_token", "refresh_token": other_refresh, **other.credentials("bad")}
    assert_oauth_error(lwa.token(other_wrong), 401, "invalid_client")
    assert lwa.refresh(other, other_refresh)
    # and so is an unknown client id
    stranger = {**wrong, "client_id": "amzn1.application-oa2-client.stranger"}
    assert_oauth_error(lwa.token(stranger), 401, "invalid_client")


# ------------------------------------------------------------------------------ authorization_code grant


@pytest.fixture
def signed_up(lwa: Lwa, app: App) -> App:
    lwa.seller(SELLER, PASSWORD)
    lwa.order(ORDER_A)
    return app


def test_the_consent_redirect_carries_state_seller_and_code(lwa: Lwa, signed_up: App) -> None:
    params = lwa.consent_redirect(signed_up, SELLER, PASSWORD, state="a b&c=d/é")
    assert set(params) == {"state", "selling_partner_id", "spapi_oauth_code"}
    assert params["state"] == "a b&c=d/é"
    assert params["selling_partner_id"] == SELLER
    assert params["spapi_oauth_code"]


def test_an_authorization_code_exchanges_for_a_refresh_token_once(lwa: Lwa, signed_up: App) -> None:
    code = lwa.code(signed_up)
    response = lwa.exchange(signed_up, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"].startswith("Atzr|")
    assert lwa.get(ORDER_A, body["access_token"]).status_code == 200
    assert lwa.get(ORDER_A, lwa.refresh(signed_up, body["refresh_token"])).status_code == 200

    assert_oauth_error(lwa.exchange(signed_up, code), 400, "invalid_grant")


def test_an_authorization_code_expires_after_five_minutes(lwa: Lwa, signed_up: App, clock: Clock) -> None:
    early = lwa.code(signed_up, state="early")
    clock.advance(timedelta(seconds=299))
    assert lwa.exchange(signed_up, early).status_code == 200
    late = lwa.code(signed_up, state="late")
    clock.advance(timedelta(minutes=5))
    assert_oauth_error(lwa.exchange(signed_up, late), 400, "invalid_grant")


def test_an_authorization_code_of_another_client_is_invalid_grant(lwa: Lwa, signed_up: App) -> None:
    other = lwa.new_app(name="Other")
    code = lwa.code(signed_up)
    assert_oauth_error(lwa.exchange(other, code), 400, "invalid_grant")


def test_a_redirect_uri_mismatch_in_the_token_request_is_invalid_grant(lwa: Lwa, signed_up: App) -> None:
    code = lwa.code(signed_up, state="mismatch")
    assert_oauth_error(lwa.exchange(signed_up, code, redirect_uri=REDIRECT + "/other"), 400, "invalid_grant")
    matching = lwa.code(signed_up, state="match")
    assert lwa.exchange(signed_up, matching, redirect_uri=REDIRECT).status_code == 200


def test_an_unknown_code_is_invalid_grant(lwa: Lwa, signed_up: App) -> None:
    assert_oauth_error(lwa.exchange(signed_up, "not-a-code"), 400, "invalid_grant")


def test_the_code_grant_re_authorizes_and_retires_the_earlier_refresh_token(lwa: Lwa, signed_up: App) -> None:
    earlier = lwa.authorize(signed_up)
    body = lwa.exchange(signed_up, lwa.code(signed_up)).json()
    assert body["refresh_token"] != earlier
    response = lwa.token({"grant_type": "refresh_token", "refresh_token": earlier, **signed_up.credentials()})
    assert_oauth_error(response, 400, "invalid_grant")


def test_cancel_redirects_with_access_denied_and_no_code(lwa: Lwa, signed_up: App) -> None:
    params = lwa.consent_redirect(signed_up, SELLER, PASSWORD, state="st-deny", decision="deny")
    assert params == {"error": "access_denied", "state": "st-deny"}


def test_the_consent_page_refuses_an_unregistered_redirect_uri(lwa: Lwa, signed_up: App) -> None:
    for uri in (REDIRECT + "/x", REDIRECT.upper(), "https://evil.example/callback", REDIRECT + "?x=1"):
        query = urlencode({"application_id": signed_up.application_id, "state": "s", "redirect_uri": uri})
        response = lwa.client.get(f"/apps/authorize/consent?{query}", follow_redirects=False)
        assert response.status_code == 400, (uri, response.text)
        assert 'id="error"' in response.text
        assert "location" not in response.headers


def test_a_wrong_password_does_not_sign_in(lwa: Lwa, signed_up: App) -> None:
    query = urlencode({"application_id": signed_up.application_id, "state": "s", "version": "beta"})
    response = lwa.client.post(
        "/apps/authorize/signin",
        data={"seller_id": SELLER, "password": "wrong password", "next": f"/apps/authorize/consent?{query}"},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert 'id="error"' in response.text
    assert "wrong password" not in response.text
    page = lwa.client.get(f"/apps/authorize/consent?{query}")
    assert 'id="sign-in"' in page.text
    assert 'id="confirm"' not in page.text


# ---------------------------------------------------------------------------------- nothing kept in clear


@pytest.mark.sqlite_only
def test_the_database_keeps_no_secret_in_clear(lwa: Lwa, container: Container, signed_up: App) -> None:
    refresh = lwa.authorize(signed_up)
    access = lwa.refresh(signed_up, refresh)
    code = lwa.code(signed_up)
    unused_code = lwa.code(signed_up, state="unused")
    exchanged = lwa.exchange(signed_up, code).json()
    rotated = lwa.client.post(f"/admin/v1/applications/{signed_up.application_id}/secret", headers=lwa.admin_headers)
    new_secret = rotated.json()["clientSecret"]
    lwa.remember(new_secret)
    grantless = lwa.token(
        {
            "grant_type": "client_credentials",
            "scope": "sellingpartnerapi::notifications",
            **signed_up.credentials(new_secret),
        }
    ).json()["access_token"]

    path = container.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    raw = b"".join(p.read_bytes() for p in Path(path).parent.glob(Path(path).name + "*"))
    values = [
        signed_up.client_secret,
        new_secret,
        refresh,
        access,
        code,
        unused_code,
        exchanged["refresh_token"],
        exchanged["access_token"],
        grantless,
        PASSWORD,
    ]
    for value in values:
        secret_part = value.rsplit("|", 1)[-1].removeprefix("amzn1.oa2-cs.v1.")
        assert secret_part not in dump
        assert secret_part.encode() not in raw
    assert dump.count("$argon2id$") >= 2  # the client secret and the seller password are argon2 hashes
    assert signed_up.client_id in dump  # the client id is not a secret


def test_logs_of_a_full_run_with_the_access_log_on_hold_no_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The same app with the access log on and DEBUG level: every request logs, and no secret is in any line."""
    caplog.set_level(logging.DEBUG)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'logged.db'}",
        admin_token=ADMIN_TOKEN,
        access_log=True,
        plan_rate=1000.0,
        plan_burst=1000,
        token_cache_seconds=0.0,
    )
    container = bootstrap(settings, Clock(), argon2=CHEAP)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            lwa = Lwa(client, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
            app = lwa.new_app()
            lwa.seller(SELLER, PASSWORD)
            lwa.order(ORDER_A)
            refresh = lwa.authorize(app)
            access = lwa.refresh(app, refresh)
            assert lwa.get(ORDER_A, access).status_code == 200
            assert lwa.post(ORDER_A, access).status_code == 201
            assert lwa.post(ORDER_A, access).status_code == 403
            wrong = {"grant_type": "refresh_token", "refresh_token": refresh, **app.credentials("wrong")}
            assert lwa.token(wrong).status_code == 401
            bad_grant = {"grant_type": "refresh_token", "refresh_token": refresh + "x", **app.credentials()}
            assert lwa.token(bad_grant).status_code == 400
            exchanged = lwa.exchange(app, lwa.code(app))
            assert exchanged.status_code == 200
            assert lwa.revoke(app).status_code == 200
            assert_denied(lwa.get(ORDER_A, access))
            lwa.remember(refresh + "x")
    finally:
        container.close()
    access_lines = [r for r in caplog.records if r.name == "solicitations.access"]
    oauth_lines = [r for r in caplog.records if r.name == "solicitations.oauth"]
    assert len(access_lines) >= 4, "the access log should have logged the API calls"
    assert oauth_lines, "refused token requests should be logged"
    assert_not_logged(caplog, lwa.secrets)
