"""Every public and admin route fed hostile strings (NUL, CR/LF, 10k-character ids, non-UTF-8 bytes in the path,
query and form, huge integers): never a 500, never a traceback in a body, and nothing the test planted as
secret in the log. Bounded (derandomized, a few hundred examples in all) so CI is reproducible."""

import logging
from urllib.parse import quote, quote_from_bytes

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from helpers import ADMIN_TOKEN, SELLER, US, order_doc
from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

PLANTED = ["planted-client-secret-4b1d", "planted-password-9c2e", "planted.buyer@example.com"]
HOSTILE = ["9" * 5000, "a\x00b", "x\r\nSet-Cookie: a=b", "a" * 10_000, "\x00", "\r\n", "-1", "%", "..", "\u202e"]
FUZZ = settings(
    max_examples=12,  # per route: about 300 in all
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OP = "getSolicitationActionsForOrder"
ROUTES = [
    ("GET", "/solicitations/v1/orders/{}"),
    ("POST", "/solicitations/v1/orders/{}/solicitations/productReviewAndSellerFeedback"),
    ("GET", "/solicitations/v1/orders/{}/solicitations/productReviewAndSellerFeedback/schema"),
    ("POST", "/auth/o2/token"),
    ("GET", "/apps/authorize/consent"),
    ("POST", "/apps/authorize/consent"),
    ("POST", "/apps/authorize/signin"),
    ("GET", "/opt-out/{}"),
    ("POST", "/opt-out/{}"),
    ("PUT", "/admin/v1/sellers/{}"),
    ("PUT", "/admin/v1/orders/{}"),
    ("GET", "/admin/v1/orders/{}"),
    ("POST", "/admin/v1/applications"),
    ("POST", "/admin/v1/applications/{}/secret"),
    ("PUT", "/admin/v1/applications/{}/state"),
    ("POST", "/admin/v1/authorizations"),
    ("DELETE", "/admin/v1/authorizations/{}/{}"),
    ("GET", "/admin/v1/usage-plans/{}/{}/" + OP),
    ("PUT", "/admin/v1/usage-plans/{}/{}/" + OP),
    ("POST", "/admin/v1/access-tokens"),
    ("GET", "/admin/v1/outbox"),
    ("POST", "/admin/v1/outbox/{}/retry"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]
FIELDS = [
    "client_id",
    "client_secret",
    "refresh_token",
    "code",
    "grant_type",
    "seller_id",
    "password",
    "application_id",
    "state",
    "redirect_uri",
    "csrf",
    "decision",
    "next",
    "limit",
    "marketplaceIds",
]

NON_UTF8 = [b"\xff", b"a\xc3", b"\xed\xa0\x80", b"\x80" * 3]
raw = st.one_of(
    st.sampled_from([h.encode() for h in HOSTILE] + NON_UTF8),
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
    st.integers().map(lambda n: str(n).encode()),
)


def encoded(value: bytes) -> str:
    """Any bytes as a path segment or query value, non-UTF-8 ones included."""
    return quote_from_bytes(value, safe="")


@pytest.fixture
def logged(settings: Settings, clock) -> Settings:
    return settings.model_copy(update={"access_log": True})


@pytest.fixture
def fuzz_client(logged: Settings, clock):
    container = bootstrap(logged, clock, argon2=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        client.put(
            f"/admin/v1/sellers/{SELLER}",
            json={"name": "S", "marketplaceIds": [US], "password": PLANTED[1]},
            headers=admin,
        ).raise_for_status()
        doc = order_doc("111-1111111-1111111", email=PLANTED[2], now=clock.now)
        client.put("/admin/v1/orders/111-1111111-1111111", json=doc, headers=admin).raise_for_status()
        yield client


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@FUZZ
@given(
    segments=st.lists(raw, min_size=2, max_size=2),
    query=st.lists(st.tuples(st.sampled_from(FIELDS), raw), max_size=3),
    form=st.lists(st.tuples(st.sampled_from(FIELDS), raw), max_size=4),
    admin=st.booleans(),
)
def test_no_hostile_request_gets_a_500_or_leaks(fuzz_client, caplog, route, segments, query, form, admin) -> None:
    method, template = route
    path = template.format(*(encoded(s) for s in segments))
    query_string = "&".join(f"{quote(k)}={encoded(v)}" for k, v in query)
    body = b"&".join(k.encode() + b"=" + v for k, v in [*form, ("client_secret", PLANTED[0].encode())])
    headers = {"content-type": "application/x-www-form-urlencoded", "x-amz-access-token": PLANTED[0]}
    if admin:
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    with caplog.at_level(logging.DEBUG):
        response = fuzz_client.request(method, f"{path}?{query_string}", content=body, headers=headers)
    assert response.status_code < 500, (
        method,
        path,
        response.status_code,
        response.text[:300],
    )
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    for secret in [*PLANTED, ADMIN_TOKEN]:
        assert secret not in caplog.text
