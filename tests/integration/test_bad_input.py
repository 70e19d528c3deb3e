"""Bad input of any shape: never a 500, always Amazon's error shape, and nothing written."""

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.testclient import TestClient

from helpers import DE, OTHER_SELLER, T0, US, order_doc
from solicitations.adapters.store import schema
from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.orders import order_from_document

BASE = "/solicitations/v1/orders/"
ACTION = "productReviewAndSellerFeedback"
ELIGIBLE = "111-1111111-1111111"
UNSHIPPED = "111-1111111-0000004"
OTHERS = "111-1111111-0000008"

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TABLES = (schema.orders, schema.solicitations, schema.sellers, schema.applications, schema.access_tokens)

# Text that can travel in a URL: any code point but surrogates (not encodable in UTF-8).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
SQLISH = [
    "' OR 1=1 --",
    "111-1111111-1111111' OR '1'='1",
    '"; DROP TABLE orders; --',
    "111-1111111-1111111; DELETE FROM solicitations",
    "%",
    "_",
    "%25",
    "%00",
    "\x00",
    "..",
    ".",
    "?",
    "#",
    "\\",
    "111-1111111-1111111%",
    "111-1111111-111111_",
    "Ω≈ç√∫˜µ≤≥÷",
    "🙂" * 30,
    "a" * 10_000,
    "\u202e111-1111111-1111111",
    "111-1111111-1111111\n",
    " 111-1111111-1111111",
]
order_ids = st.one_of(st.sampled_from(SQLISH), any_text, st.text(max_size=3000))


def counts(container: Any) -> dict[str, int]:
    with container.store.engine.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in TABLES}


def solicitation_rows(container: Any) -> list[tuple[Any, ...]]:
    with container.store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(schema.solicitations))]


def assert_amazon_error(response: Any) -> None:
    """A 4xx in `{"errors":[{"code","message","details"}]}` with a request id; never a 5xx."""
    assert response.status_code < 500, (response.status_code, response.text)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"errors"}
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert set(error) == {"code", "message", "details"}
    assert all(isinstance(error[k], str) and (error[k] or k == "details") for k in error)


@pytest.fixture
def seeded(client: TestClient, admin_headers: dict[str, str]) -> None:
    for doc in (
        order_doc(ELIGIBLE),
        order_doc(UNSHIPPED, status="Unshipped"),
        order_doc(OTHERS, seller_id=OTHER_SELLER),
        order_doc("302-1111111-0000007", marketplace_id=DE),
    ):
        assert client.put(f"/admin/v1/orders/{doc['AmazonOrderId']}", json=doc, headers=admin_headers).is_success


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"x-amz-access-token": token}


def path_of(order_id: str) -> str:
    return BASE + quote(order_id, safe="")


# ------------------------------------------------------------------------------------------- order ids


@FUZZ
@given(order_id=order_ids)
def test_any_order_id_on_get_is_a_clean_4xx(client, container, seeded, auth, order_id):
    before = counts(container)
    response = client.get(path_of(order_id), params={"marketplaceIds": US}, headers=auth)
    if order_id == ELIGIBLE:
        assert response.status_code == 200
    else:
        assert_amazon_error(response)
        if "/" not in order_id and order_id not in (".", ".."):
            assert response.status_code == 404
            assert response.json()["errors"][0]["code"] == "NotFound"
    assert counts(container) == before


@FUZZ
@given(order_id=order_ids, with_marketplace=st.booleans())
def test_any_order_id_on_post_writes_nothing(client, container, seeded, auth, order_id, with_marketplace):
    if order_id == ELIGIBLE:
        order_id += "x"
    before, rows = counts(container), solicitation_rows(container)
    params = {"marketplaceIds": US} if with_marketplace else {}
    response = client.post(path_of(order_id) + "/solicitations/" + ACTION, params=params, headers=auth)
    assert_amazon_error(response)
    assert counts(container) == before
    assert solicitation_rows(container) == rows


@FUZZ
@given(order_id=order_ids)
def test_any_order_id_on_the_schema_link_is_a_clean_4xx(client, container, seeded, auth, order_id):
    if order_id == ELIGIBLE:
        order_id += "x"
    before = counts(container)
    response = client.get(path_of(order_id) + f"/solicitations/{ACTION}/schema", headers=auth)
    assert_amazon_error(response)
    assert counts(container) == before


@FUZZ
@given(order_id=order_ids)
def test_raw_unencoded_order_ids_never_500(client, container, seeded, auth, order_id):
    """Whatever the client library makes of an unencoded id, the server answers cleanly and writes nothing."""
    before = counts(container)
    try:
        response = client.get(BASE + order_id, params={"marketplaceIds": US}, headers=auth)
    except httpx.InvalidURL:  # the client refused to build this URL: nothing reached the server
        return
    if response.status_code != 200:
        assert_amazon_error(response)
    assert counts(container) == before


# ------------------------------------------------------------------------------------------ marketplaceIds


@FUZZ
@given(values=st.lists(any_text, max_size=4), order_id=st.sampled_from([ELIGIBLE, UNSHIPPED, OTHERS, "nope"]))
def test_arbitrary_marketplace_ids(client, container, seeded, auth, values, order_id):
    if len(values) == 1 and values[0] in MARKETPLACES:
        values = [values[0] + "x"]
    before = counts(container)
    params = [("marketplaceIds", v) for v in values]
    for response in (
        client.get(BASE + order_id, params=params, headers=auth),
        client.post(BASE + order_id + "/solicitations/" + ACTION, params=params, headers=auth),
    ):
        assert_amazon_error(response)
        assert response.status_code == 400
        assert response.json()["errors"][0] == {
            "code": "InvalidInput",
            "message": "Missing or invalid request parameters: [marketplaceIds]",
            "details": "",
        }
    assert counts(container) == before


@FUZZ
@given(query=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120))
def test_arbitrary_raw_query_strings(client, container, seeded, auth, query):
    before = counts(container)
    try:
        response = client.post(f"{BASE}{UNSHIPPED}/solicitations/{ACTION}?{query}", headers=auth)
    except httpx.InvalidURL:  # the client refused to build this URL: nothing reached the server
        return
    assert_amazon_error(response)
    assert response.status_code in (400, 403)
    assert counts(container) == before


# ---------------------------------------------------------------------------------------------- bodies

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | any_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=12,
)
JSONISH_TYPES = ["application/json", "application/json; charset=utf-8", "application/hal+json", "APPLICATION/JSON"]
OTHER_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/xml",
    "text/json",
]
content_types = st.one_of(
    st.none(),
    st.sampled_from(JSONISH_TYPES + OTHER_TYPES),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
)


def is_jsonish(content_type: str | None) -> bool:
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("application/json", "") or media.endswith("+json")


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=2048), json_values.map(lambda v: json.dumps(v).encode())),
    content_type=content_types,
    order_id=st.sampled_from([UNSHIPPED, OTHERS, "111-0000000-0000000"]),
)
def test_arbitrary_post_bodies(client, container, seeded, auth, body, content_type, order_id):
    before, rows = counts(container), solicitation_rows(container)
    headers = auth | ({"Content-Type": content_type} if content_type is not None else {})
    response = client.post(
        f"{BASE}{order_id}/solicitations/{ACTION}", params={"marketplaceIds": US}, content=body, headers=headers
    )
    assert_amazon_error(response)
    code = response.json()["errors"][0]["code"]
    if not body.strip():
        assert code in ("Unauthorized", "NotFound")
    elif not is_jsonish(content_type):
        assert (response.status_code, code) == (415, "UnsupportedMediaType")
    else:
        assert response.status_code in (400, 403, 404), response.text
        if response.status_code == 400:
            assert response.json()["errors"][0]["message"] == "The request body is not valid JSON."
    assert counts(container) == before
    assert solicitation_rows(container) == rows


@FUZZ
@given(value=json_values, content_type=st.sampled_from([None, *JSONISH_TYPES]))
def test_any_valid_json_body_is_accepted_and_ignored(client, container, seeded, auth, value, content_type):
    """Valid JSON never changes the answer: the unshipped order stays 'not available'."""
    before = counts(container)
    headers = auth | ({"Content-Type": content_type} if content_type else {})
    response = client.post(
        f"{BASE}{UNSHIPPED}/solicitations/{ACTION}",
        params={"marketplaceIds": US},
        content=json.dumps(value).encode(),
        headers=headers,
    )
    assert_amazon_error(response)
    assert response.json()["errors"][0]["message"] == (
        "The requested solicitation is not available for this amazonOrderId."
    )
    assert counts(container) == before


# --------------------------------------------------------------------------------------------- methods

KNOWN_PATHS = {
    BASE + ELIGIBLE: {"GET", "HEAD"},
    f"{BASE}{ELIGIBLE}/solicitations/{ACTION}": {"POST"},
    f"{BASE}{ELIGIBLE}/solicitations/{ACTION}/schema": {"GET", "HEAD"},
}
methods = st.one_of(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"]),
    st.from_regex(r"[A-Z]{1,12}", fullmatch=True),
)


@FUZZ
@given(method=methods, path=st.sampled_from(sorted(KNOWN_PATHS)), body=st.binary(max_size=64))
def test_arbitrary_methods_on_known_paths(client, container, seeded, auth, method, path, body):
    if method in KNOWN_PATHS[path] or method == "HEAD":  # HEAD answers carry no body to check
        method = "DELETE"
    before, rows = counts(container), solicitation_rows(container)
    response = client.request(method, path, params={"marketplaceIds": US}, content=body or None, headers=auth)
    assert_amazon_error(response)
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "MethodNotAllowed"
    assert counts(container) == before
    assert solicitation_rows(container) == rows


@FUZZ
@given(
    path=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=60),
    method=methods,
)
def test_arbitrary_paths(client, container, seeded, auth, path, method):
    before, rows = counts(container), solicitation_rows(container)
    try:
        response = client.request(method, "/" + path, headers=auth)
    except httpx.InvalidURL:  # a URL the client cannot send never reaches the server
        return
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and method != "HEAD":
        assert_amazon_error(response)
    assert solicitation_rows(container) == rows
    assert counts(container) == before


# ----------------------------------------------------------------------------------------- admin garbage


def _is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except ValueError:
        return False


garbage_bytes = st.one_of(
    st.binary(max_size=512).filter(lambda b: not _is_json_object(b)),
    st.sampled_from([b"{", b"[", b"nul", b"{'a':1}", b"\xff\xfe", b'{"a":}', b"{} {}"]),
)
not_objects = st.one_of(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | any_text,
    st.lists(json_values, max_size=4),
)


def admin_post(client, admin_headers, method, url, content):
    return client.request(method, url, content=content, headers=admin_headers | {"Content-Type": "application/json"})


@FUZZ
@given(content=st.one_of(garbage_bytes, not_objects.map(lambda v: json.dumps(v).encode()), st.just(b"")))
def test_admin_garbage_bodies_are_400_and_write_nothing(client, container, seeded, admin_headers, content):
    before, rows = counts(container), solicitation_rows(container)
    for method, url in (
        ("PUT", "/admin/v1/orders/111-9999999-0000001"),
        ("PUT", "/admin/v1/sellers/A9GARBAGE"),
        ("POST", "/admin/v1/access-tokens"),
    ):
        response = admin_post(client, admin_headers, method, url, content)
        assert_amazon_error(response)
        assert response.status_code == 400, (url, content, response.text)
        assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert counts(container) == before
    assert solicitation_rows(container) == rows


order_fields = st.sampled_from(
    [
        "AmazonOrderId",
        "SellerId",
        "MarketplaceId",
        "OrderStatus",
        "PurchaseDate",
        "EarliestDeliveryDate",
        "LatestDeliveryDate",
        "FulfillmentChannel",
        "BuyerInfo",
        "BuyerLocale",
        "BuyerOptedOut",
    ]
)


def _valid_order(path_id: str, doc: dict[str, Any]) -> bool:
    """The domain's own reading of the document (anything it raises means: not storable)."""
    if doc.get("AmazonOrderId", path_id) != path_id:
        return False
    try:
        order_from_document({"AmazonOrderId": path_id, **doc})
    except Exception:  # anything the domain raises means: not storable
        return False
    return True


@FUZZ
@given(doc=st.dictionaries(order_fields | any_text, json_values, max_size=8), base=st.booleans())
def test_admin_order_documents_with_wrong_fields(client, container, seeded, admin_headers, doc, base):
    """A valid order with fields replaced by random JSON, or a random object: 400 and nothing written if bad."""
    path_id = "111-9999999-0000002"
    if base:
        doc = {**order_doc(path_id), **doc}
    before = counts(container)
    response = client.put(f"/admin/v1/orders/{path_id}", json=doc, headers=admin_headers)
    if _valid_order(path_id, doc):
        assert response.status_code == 200, response.text
        return
    assert_amazon_error(response)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert counts(container) == before


@FUZZ
@given(
    body=st.one_of(
        st.fixed_dictionaries({"marketplaceIds": st.lists(any_text, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"marketplaceIds": json_values.filter(lambda v: not isinstance(v, list))}),
        st.fixed_dictionaries({"name": st.one_of(st.just(""), st.just("   "), st.integers(), st.text(min_size=201))}),
    )
)
def test_admin_seller_bodies_with_bad_fields(client, container, seeded, admin_headers, body):
    ids = body.get("marketplaceIds")
    if isinstance(ids, list) and all(m in MARKETPLACES for m in ids):
        body = {"marketplaceIds": [*ids, "NOPE"]}
    before = counts(container)
    response = client.put("/admin/v1/sellers/A9GARBAGE", json=body, headers=admin_headers)
    assert_amazon_error(response)
    assert response.status_code == 400
    assert counts(container) == before


@FUZZ
@given(
    body=st.one_of(
        st.dictionaries(any_text, json_values, max_size=4),
        st.fixed_dictionaries({"sellerId": json_values, "applicationId": st.just("amzn1.sp.solution.x")}),
        st.fixed_dictionaries({"sellerId": st.just("A1X"), "applicationId": json_values}),
        st.fixed_dictionaries(
            {
                "sellerId": st.just("A1X"),
                "applicationId": st.just("amzn1.sp.solution.x"),
                "roles": json_values,
            }
        ),
    )
)
def test_admin_access_token_bodies_with_bad_fields(client, container, seeded, admin_headers, body):
    valid_id = lambda v: isinstance(v, str) and v.strip() and len(v) <= 64  # noqa: E731
    roles = body.get("roles", ["Buyer Solicitation"])
    roles_ok = isinstance(roles, list) and all(isinstance(r, str) and r for r in roles)
    if valid_id(body.get("sellerId")) and valid_id(body.get("applicationId")) and roles_ok:
        body = {**body, "sellerId": ""}
    before = counts(container)
    response = client.post("/admin/v1/access-tokens", json=body, headers=admin_headers)
    assert_amazon_error(response)
    assert response.status_code == 400
    assert counts(container) == before


@pytest.mark.parametrize("uri", ["http://[", "https://]/cb", "http://[::1/cb", "http://a]b/"])
def test_admin_application_with_a_malformed_redirect_uri_is_400(client, container, seeded, admin_headers, uri):
    """urlsplit raises on an unbalanced IPv6 bracket; that must be the client's 400, not a 500."""
    before = counts(container)
    body = {"name": "Bracket Tool", "roles": ["Buyer Solicitation"], "redirectUris": [uri]}
    response = client.post("/admin/v1/applications", json=body, headers=admin_headers)
    assert_amazon_error(response)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert counts(container) == before


# ------------------------------------------------------------------------------- valid but unusual ids


@FUZZ
@given(
    order_id=st.text(
        st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="/"), min_size=1, max_size=64
    ).filter(lambda s: s.strip() and s.isascii() and s.isprintable() and s not in (".", ".."))
)
def test_unusual_but_valid_order_ids_round_trip_with_encoded_links(client, admin_headers, auth, order_id):
    """An order stored under any legal id is found by its percent-encoded path, and links encode it."""
    doc = order_doc(order_id)
    put = client.put("/admin/v1/orders/" + quote(order_id, safe=""), json=doc, headers=admin_headers)
    assert put.status_code == 200, put.text
    response = client.get(path_of(order_id), params={"marketplaceIds": US}, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    encoded = quote(order_id, safe="-_.~")
    assert body["_links"]["self"]["href"] == f"{BASE}{encoded}?marketplaceIds={US}"
    assert body["_links"]["actions"][0]["href"] == f"{BASE}{encoded}/solicitations/{ACTION}?marketplaceIds={US}"
    schema_href = body["_embedded"]["actions"][0]["_links"]["schema"]["href"]
    assert client.get(schema_href, headers=auth).status_code == 200


def test_percent_encoded_slashes_in_an_order_id_do_not_reach_another_resource(client, container, seeded, auth):
    """`%2F` belongs to the id (no order id holds a `/`): it must not turn into a path separator.

    A POST to the order resource whose id is `<ELIGIBLE>/solicitations/productReviewAndSellerFeedback` is a POST
    to getSolicitationActionsForOrder for an order that cannot exist; it must not solicit ELIGIBLE.
    """
    before, rows = counts(container), solicitation_rows(container)
    disguised = quote(f"{ELIGIBLE}/solicitations/{ACTION}", safe="")
    posted = client.post(BASE + disguised, params={"marketplaceIds": US}, headers=auth)
    assert_amazon_error(posted)
    assert posted.status_code in (404, 405)
    assert solicitation_rows(container) == rows
    assert counts(container) == before
    schema_id = quote(f"{ELIGIBLE}/solicitations/{ACTION}/schema", safe="")
    got = client.get(BASE + schema_id, params={"marketplaceIds": US}, headers=auth)
    assert_amazon_error(got)
    assert got.status_code == 404


# ------------------------------------------------------------------------------- dates at the far edges

_order_numbers = iter(range(10**6))
_NAIVE_T0 = T0.replace(tzinfo=None)


@st.composite
def iso_instants(draw: st.DrawFn) -> str:
    """An ISO 8601 date-time with any offset, anywhere in datetime's range (edges included)."""
    moment = draw(
        st.one_of(
            st.datetimes(),
            st.datetimes(min_value=datetime(9999, 11, 1)),  # the far edges are where arithmetic overflows
            st.datetimes(max_value=datetime(1, 1, 3)),
            # near the suite's clock, where the window's edges fall
            st.datetimes(min_value=_NAIVE_T0 - timedelta(days=90), max_value=_NAIVE_T0 + timedelta(days=35)),
        )
    )
    minutes = draw(st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
    sign = "-" if minutes < 0 else "+"
    offset = "Z" if minutes == 0 and draw(st.booleans()) else f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + offset


@FUZZ
@given(earliest=iso_instants(), latest=st.one_of(st.none(), iso_instants()), purchase=iso_instants())
@example(earliest="9999-12-31T00:00:00Z", latest=None, purchase="2026-11-01T00:00:00Z")
@example(earliest="2026-11-01T00:00:00Z", latest="9999-12-15T00:00:00Z", purchase="2026-11-01T00:00:00Z")
@example(earliest="0001-01-01T00:00:00+01:00", latest="2026-11-01T00:00:00Z", purchase="2026-11-01T00:00:00Z")
@example(earliest="2026-11-01T00:00:00Z", latest=None, purchase="9999-12-31T23:59:59-01:00")
def test_orders_with_any_dates_never_cause_a_500(client, container, admin_headers, auth, earliest, latest, purchase):
    """Whatever dates an operator stores, storing them and every later call answer without a server error."""
    order_id = f"111-8000000-{next(_order_numbers):07d}"
    doc = order_doc(order_id)
    doc.update(EarliestDeliveryDate=earliest, LatestDeliveryDate=latest or earliest, PurchaseDate=purchase)
    before = counts(container)
    put = client.put(f"/admin/v1/orders/{order_id}", json=doc, headers=admin_headers)
    assert put.status_code in (200, 400), (doc, put.status_code, put.text)
    if put.status_code == 400:
        assert_amazon_error(put)
        assert counts(container) == before
        return
    got = client.get(BASE + order_id, params={"marketplaceIds": US}, headers=auth)
    assert got.status_code == 200, (doc, got.text)
    described = client.get(f"/admin/v1/orders/{order_id}", headers=admin_headers)
    assert described.status_code == 200, (doc, described.text)
    posted = client.post(f"{BASE}{order_id}/solicitations/{ACTION}", params={"marketplaceIds": US}, headers=auth)
    assert posted.status_code in (201, 403), (doc, posted.text)
    assert (posted.status_code == 201) == bool(got.json()["_links"]["actions"])
