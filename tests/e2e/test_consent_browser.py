"""The website authorization workflow in a real headless browser (Debian's chromium driven by Playwright).

A selling partner opens the consent URL, signs in with the password the operator provisioned, sees the
application and its roles, confirms, and lands on the application's registered redirect URI, a tiny HTTP server
in this test that records the query. The test then exchanges the code like the application would.
Without a launchable chromium the tests skip, or fail when SOLICITATIONS_REQUIRE_SERVICES=1 (CI).
"""

import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from helpers import US, ServerProcess, order_doc, server_now

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-pass-1234"
APP_NAME = "Review Helper <Pro>"
ROLES = ["Buyer Solicitation", "Product Listing"]


def missing_service(reason: str) -> None:
    """Skip on a machine without the service; fail in CI, where SOLICITATIONS_REQUIRE_SERVICES=1."""
    if os.environ.get("SOLICITATIONS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (SOLICITATIONS_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [repr(exc)])[0]


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    return module_server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        missing_service(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        playwright = sync_playwright().start()
    except Exception as exc:  # the Playwright driver itself does not run here
        missing_service(f"Playwright cannot start: {first_line(exc)}")
    try:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
    except Exception as exc:  # any launch failure means no usable browser on this machine
        playwright.stop()
        missing_service(f"chromium cannot be launched here: {first_line(exc)}")
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()  # fresh cookies: no session carried between tests
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


@dataclass
class RedirectTarget:
    """The application's redirect URI: records every query it receives."""

    httpd: ThreadingHTTPServer
    received: list[dict[str, list[str]]] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/callback"


@pytest.fixture
def redirect_target() -> Iterator[RedirectTarget]:
    target: RedirectTarget

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/callback":
                target.received.append(parse_qs(parts.query, keep_blank_values=True))
            body = b"<!doctype html><title>App</title><p id='landed'>back at the app</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    target = RedirectTarget(httpd)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield target
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@dataclass(frozen=True)
class Provisioned:
    seller_id: str
    application_id: str
    client_id: str
    client_secret: str
    order_id: str


def provision(server: ServerProcess, redirect_uri: str) -> Provisioned:
    """Through the admin API: a seller with a password and an eligible order, and an app with the redirect URI."""
    suffix = secrets.token_hex(4).upper()
    seller_id = f"A5BROWSER{suffix}"
    order_id = f"111-{secrets.randbelow(10**7):07d}-{secrets.randbelow(10**7):07d}"
    with server.admin() as admin:
        seller = admin.put(
            f"/admin/v1/sellers/{seller_id}",
            json={"name": "Browser Store", "marketplaceIds": [US], "password": PASSWORD},
        )
        assert seller.status_code == 200, seller.text
        assert PASSWORD not in seller.text
        app = admin.post(
            "/admin/v1/applications", json={"name": APP_NAME, "roles": ROLES, "redirectUris": [redirect_uri]}
        )
        assert app.status_code == 200, app.text
        order = admin.put(
            f"/admin/v1/orders/{order_id}", json=order_doc(order_id, now=server_now(), seller_id=seller_id)
        )
        assert order.status_code == 200, order.text
    body = app.json()
    return Provisioned(seller_id, body["applicationId"], body["clientId"], body["clientSecret"], order_id)


def consent_url(server: ServerProcess, application_id: str, state: str, **extra: str) -> str:
    query = urlencode({"application_id": application_id, "state": state, "version": "beta", **extra})
    return f"{server.base_url}/apps/authorize/consent?{query}"


def sign_in(page: Page, seller_id: str, password: str) -> None:
    page.fill("#seller_id", seller_id)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_load_state()


# ------------------------------------------------------------------------------------------------ tests


def test_a_seller_signs_in_consents_and_the_app_exchanges_the_code(
    server: ServerProcess, page: Page, redirect_target: RedirectTarget
) -> None:
    setup = provision(server, redirect_target.uri)
    state = secrets.token_urlsafe(16)

    page.goto(consent_url(server, setup.application_id, state))
    assert page.locator("#sign-in").is_visible()
    sign_in(page, setup.seller_id, PASSWORD)

    assert page.locator("#confirm").is_visible()
    assert APP_NAME in page.locator("h1").inner_text()  # autoescaped, shown verbatim
    assert page.locator("#seller").inner_text() == setup.seller_id
    assert page.locator("#roles li").all_inner_texts() == ROLES
    page.click("#confirm")
    page.wait_for_url(lambda url: url.startswith(redirect_target.uri + "?"))
    assert page.locator("#landed").is_visible()

    [received] = redirect_target.received
    assert set(received) == {"state", "selling_partner_id", "spapi_oauth_code"}
    assert received["state"] == [state]
    assert received["selling_partner_id"] == [setup.seller_id]
    [code] = received["spapi_oauth_code"]

    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_target.uri,
        "client_id": setup.client_id,
        "client_secret": setup.client_secret,
    }
    token_url = server.base_url + "/auth/o2/token"
    granted = httpx.post(token_url, data=exchange)
    assert granted.status_code == 200, granted.text
    tokens = granted.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"].startswith("Atzr|")
    assert tokens["access_token"].startswith("Atza|")

    offered = httpx.get(
        f"{server.base_url}/solicitations/v1/orders/{setup.order_id}",
        params={"marketplaceIds": US},
        headers={"x-amz-access-token": tokens["access_token"]},
    )
    assert offered.status_code == 200, offered.text
    assert [a["name"] for a in offered.json()["_links"]["actions"]] == ["productReviewAndSellerFeedback"]

    # the refresh token works on its own, and the code does not work twice
    refreshed = httpx.post(
        token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": setup.client_id,
            "client_secret": setup.client_secret,
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    reused = httpx.post(token_url, data=exchange)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_a_wrong_password_shows_an_error_and_goes_nowhere(
    server: ServerProcess, page: Page, redirect_target: RedirectTarget
) -> None:
    setup = provision(server, redirect_target.uri)
    page.goto(consent_url(server, setup.application_id, "s-wrong"))
    sign_in(page, setup.seller_id, "not-the-password")
    error = page.locator("#error")
    assert error.is_visible()
    assert error.inner_text().strip()
    assert page.locator("#confirm").count() == 0
    assert page.url.startswith(server.base_url)
    assert "not-the-password" not in page.content()

    # the right password still gets in from here, to the consent page
    sign_in(page, setup.seller_id, PASSWORD)
    assert page.locator("#confirm").is_visible()
    assert redirect_target.received == []


def test_cancel_redirects_with_access_denied(
    server: ServerProcess, page: Page, redirect_target: RedirectTarget
) -> None:
    setup = provision(server, redirect_target.uri)
    state = secrets.token_urlsafe(16)
    page.goto(consent_url(server, setup.application_id, state))
    sign_in(page, setup.seller_id, PASSWORD)
    page.click("#deny")
    page.wait_for_url(lambda url: url.startswith(redirect_target.uri + "?"))
    assert redirect_target.received == [{"error": ["access_denied"], "state": [state]}]


def test_an_unregistered_redirect_uri_shows_the_error_page_and_never_redirects(
    server: ServerProcess, page: Page, redirect_target: RedirectTarget
) -> None:
    setup = provision(server, redirect_target.uri)
    unregistered = redirect_target.uri.replace("/callback", "/elsewhere")

    response = page.goto(consent_url(server, setup.application_id, "s-bad", redirect_uri=unregistered))
    assert response is not None
    assert response.status == 400
    assert page.locator("#error").is_visible()
    assert page.locator("#sign-in").count() == 0

    # signed in, the same request still stops at the error page
    page.goto(consent_url(server, setup.application_id, "s-good"))
    sign_in(page, setup.seller_id, PASSWORD)
    assert page.locator("#confirm").is_visible()
    response = page.goto(consent_url(server, setup.application_id, "s-bad", redirect_uri=unregistered))
    assert response is not None
    assert response.status == 400
    assert page.locator("#error").is_visible()
    assert page.locator("#confirm").count() == 0
    assert page.url.startswith(server.base_url)
    assert redirect_target.received == []
