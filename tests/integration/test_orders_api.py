"""The Orders API v0 reads and createRestrictedDataToken, in-process on the fixed clock: the HTTP contract."""

import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from helpers import APP, DE, OTHER_SELLER, SELLER, T0, US, Clock, iso, order_doc
from solicitations.adapters.store import schema
from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

ORDERS = "/orders/v0/orders"
RDT = "/tokens/2021-03-01/restrictedDataToken"
INVALID = "The input you have submitted is not valid. Please check your input and try again."
NOT_FOUND = "The resource specified does not exist."
DENIED = "Access to requested resource is denied."
WEEK_AGO = iso(T0 - timedelta(days=7))


def put(client: TestClient, admin_headers: dict[str, str], doc: dict[str, Any]) -> str:
    response = client.put(f"/admin/v1/orders/{doc['AmazonOrderId']}", json=doc, headers=admin_headers)
    assert response.status_code == 200, response.text
    return str(doc["AmazonOrderId"])


def placed(order_id: str, days_ago: float, **fields: Any) -> dict[str, Any]:
    """An order of SELLER placed `days_ago` days before T0 (order_doc places it 3 days before delivery)."""
    return order_doc(order_id, delivered_days_ago=days_ago - 3, **fields)


def get(client: TestClient, path: str, token: str, **params: Any) -> httpx.Response:
    response = client.get(path, params=params, headers={"x-amz-access-token": token})
    assert response.headers.get("x-amzn-RequestId"), response.headers
    return response


def listed(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [order["AmazonOrderId"] for order in response.json()["payload"]["Orders"]]


def assert_error(response: httpx.Response, status: int, message: str, details: str = "", code: str = "") -> None:
    assert response.status_code == status, response.text
    default = {400: "InvalidInput", 403: "Unauthorized", 404: "NotFound"}[status]
    assert response.json() == {"errors": [{"code": code or default, "message": message, "details": details}]}


def rdt(client: TestClient, token: str, *resources: dict[str, Any]) -> str:
    response = client.post(RDT, json={"restrictedResources": list(resources)}, headers={"x-amz-access-token": token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expiresIn"] == 3600
    assert body["restrictedDataToken"].startswith("Atz.sprdt|")
    return str(body["restrictedDataToken"])


def test_get_orders_selects_the_callers_orders_by_marketplace_date_status_and_channel(client, admin_headers, token):
    put(client, admin_headers, placed("111-0000000-0000001", 5))
    put(client, admin_headers, placed("111-0000000-0000002", 3, status="Unshipped"))
    put(client, admin_headers, {**placed("111-0000000-0000003", 4), "FulfillmentChannel": "AFN"})
    put(client, admin_headers, placed("111-0000000-0000004", 10))  # before CreatedAfter
    put(client, admin_headers, placed("302-0000000-0000005", 2, marketplace_id=DE))
    put(client, admin_headers, placed("111-0000000-0000006", 2, seller_id=OTHER_SELLER))

    response = get(client, ORDERS, token, MarketplaceIds=US, CreatedAfter=WEEK_AGO)
    assert listed(response) == ["111-0000000-0000001", "111-0000000-0000003", "111-0000000-0000002"]  # oldest first
    assert response.headers["x-amzn-RateLimit-Limit"] == "1000.0"  # the test settings' plan for every operation
    payload = response.json()["payload"]
    assert "NextToken" not in payload
    assert payload["CreatedBefore"] == iso(T0 - timedelta(minutes=2))  # the bound used: now less two minutes
    assert payload["Orders"][0] == {
        "AmazonOrderId": "111-0000000-0000001",
        "PurchaseDate": iso(T0 - timedelta(days=5)),
        "LastUpdateDate": iso(T0),
        "OrderStatus": "Shipped",
        "FulfillmentChannel": "MFN",
        "MarketplaceId": US,
        "EarliestDeliveryDate": iso(T0 - timedelta(days=2)),
        "LatestDeliveryDate": iso(T0 - timedelta(days=2)),
    }  # no BuyerInfo without a restricted data token

    both = get(client, ORDERS, token, MarketplaceIds=f"{US},{DE}", CreatedAfter=WEEK_AGO)
    assert listed(both)[-1] == "302-0000000-0000005"
    repeated = client.get(
        ORDERS,
        params=[("MarketplaceIds", US), ("MarketplaceIds", DE), ("CreatedAfter", WEEK_AGO)],
        headers={"x-amz-access-token": token},
    )
    assert listed(repeated) == listed(both)
    shipped = get(client, ORDERS, token, MarketplaceIds=US, CreatedAfter=WEEK_AGO, OrderStatuses="Shipped")
    assert listed(shipped) == ["111-0000000-0000001", "111-0000000-0000003"]
    afn = get(client, ORDERS, token, MarketplaceIds=US, CreatedAfter=WEEK_AGO, FulfillmentChannels="AFN")
    assert listed(afn) == ["111-0000000-0000003"]
    window = get(
        client,
        ORDERS,
        token,
        MarketplaceIds=US,
        CreatedAfter=iso(T0 - timedelta(days=4)),
        CreatedBefore=iso(T0 - timedelta(days=3)),
    )
    assert listed(window) == ["111-0000000-0000003", "111-0000000-0000002"]  # both ends inclusive


def test_last_updated_selects_by_when_the_store_last_changed_the_order(client, admin_headers, token, clock: Clock):
    put(client, admin_headers, placed("111-0000000-0000011", 20))
    clock.advance(timedelta(minutes=10))
    put(client, admin_headers, placed("111-0000000-0000012", 30))
    clock.advance(timedelta(minutes=10))
    response = get(client, ORDERS, token, MarketplaceIds=US, LastUpdatedAfter=iso(T0 + timedelta(minutes=5)))
    assert listed(response) == ["111-0000000-0000012"]
    payload = response.json()["payload"]
    assert payload["LastUpdatedBefore"] == iso(clock.now - timedelta(minutes=2))
    assert "CreatedBefore" not in payload
    assert payload["Orders"][0]["LastUpdateDate"] == iso(T0 + timedelta(minutes=10))


def test_pages_follow_next_token_without_repeats_or_gaps_while_orders_arrive(client, admin_headers, token, clock):
    for n in range(5):
        put(client, admin_headers, placed(f"111-0000000-00001{n}0", 6 - n))
    put(client, admin_headers, placed("111-0000000-0000125", 4))  # the same PurchaseDate as ...120: id decides
    first = get(client, ORDERS, token, MarketplaceIds=US, CreatedAfter=WEEK_AGO, MaxResultsPerPage=2)
    seen = listed(first)
    assert seen == ["111-0000000-0000100", "111-0000000-0000110"]
    put(client, admin_headers, placed("111-0000000-0000105", 5.5))  # lands on a page already read
    next_token = first.json()["payload"]["NextToken"]
    while next_token:
        # The token carries the query: only MarketplaceIds (required) is sent again, and other filters are not read.
        page = get(client, ORDERS, token, MarketplaceIds=US, NextToken=next_token, OrderStatuses="Canceled")
        seen += listed(page)
        assert len(listed(page)) <= 2
        next_token = page.json()["payload"].get("NextToken")
    assert seen == [
        "111-0000000-0000100",
        "111-0000000-0000110",
        "111-0000000-0000120",
        "111-0000000-0000125",
        "111-0000000-0000130",
        "111-0000000-0000140",
    ]


def test_a_next_token_reads_only_the_callers_orders(client, admin_headers, token):
    for n in range(3):
        put(client, admin_headers, placed(f"111-0000000-00002{n}0", 5, seller_id=OTHER_SELLER))
        put(client, admin_headers, placed(f"111-0000000-00002{n}1", 5))
    other = client.post(
        "/admin/v1/access-tokens",
        json={"sellerId": OTHER_SELLER, "applicationId": APP, "roles": ["Buyer Solicitation"]},
        headers=admin_headers,
    ).json()["access_token"]
    first = get(client, ORDERS, other, MarketplaceIds=US, CreatedAfter=WEEK_AGO, MaxResultsPerPage=1)
    assert listed(first) == ["111-0000000-0000200"]
    # Another seller's token, replayed by SELLER's caller: it pages SELLER's orders, never OTHER_SELLER's.
    replayed = get(client, ORDERS, token, MarketplaceIds=US, NextToken=first.json()["payload"]["NextToken"])
    assert listed(replayed) == ["111-0000000-0000201"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"CreatedAfter": WEEK_AGO}, id="no-marketplace"),
        pytest.param({"MarketplaceIds": "XX", "CreatedAfter": WEEK_AGO}, id="unknown-marketplace"),
        pytest.param({"MarketplaceIds": US}, id="no-after"),
        pytest.param({"MarketplaceIds": US, "CreatedBefore": iso(T0 - timedelta(days=1))}, id="before-only"),
        pytest.param({"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "LastUpdatedAfter": WEEK_AGO}, id="both-afters"),
        pytest.param(
            {"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "LastUpdatedBefore": iso(T0 - timedelta(days=1))},
            id="created-with-updated-before",
        ),
        pytest.param(
            {"MarketplaceIds": US, "LastUpdatedAfter": WEEK_AGO, "CreatedBefore": iso(T0 - timedelta(days=1))},
            id="updated-with-created-before",
        ),
        pytest.param(
            {"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "CreatedBefore": iso(T0 - timedelta(days=8))},
            id="before-before-after",
        ),
        pytest.param(
            {"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "CreatedBefore": iso(T0 - timedelta(seconds=119))},
            id="before-within-two-minutes",
        ),
        pytest.param({"MarketplaceIds": US, "CreatedAfter": iso(T0 - timedelta(seconds=60))}, id="after-too-recent"),
        pytest.param({"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "OrderStatuses": "Lost"}, id="status"),
        pytest.param({"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "FulfillmentChannels": "XFN"}, id="channel"),
        pytest.param({"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "MaxResultsPerPage": "0"}, id="page-0"),
        pytest.param({"MarketplaceIds": US, "CreatedAfter": WEEK_AGO, "MaxResultsPerPage": "101"}, id="page-101"),
        pytest.param({"MarketplaceIds": US, "NextToken": "bm90IGEgdG9rZW4="}, id="forged-token"),
        pytest.param({"MarketplaceIds": US, "NextToken": "%%%"}, id="garbage-token"),
    ],
)
def test_get_orders_parameter_rules(client, token, params):
    response = get(client, ORDERS, token, **params)
    assert_error(response, 400, INVALID)
    assert response.headers["x-amzn-RateLimit-Limit"] == "1000.0"
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"


def test_dates_that_do_not_parse_are_named(client, token):
    response = get(client, ORDERS, token, MarketplaceIds=US, CreatedAfter="yesterday", CreatedBefore="2026-13-01")
    assert_error(response, 400, "This is an invalid input", "Invalid date-time field(s) [createdAfter, createdBefore].")
    # A date without a zone is UTC, and a date alone is its midnight.
    assert get(client, ORDERS, token, MarketplaceIds=US, CreatedAfter="2026-11-20").status_code == 200
    assert get(client, ORDERS, token, MarketplaceIds=US, CreatedAfter="2026-11-20T10:00:00").status_code == 200


def test_get_order_and_another_sellers_order_answers_like_none(client, admin_headers, token):
    put(client, admin_headers, placed("111-0000000-0000301", 5))
    put(client, admin_headers, placed("111-0000000-0000302", 5, seller_id=OTHER_SELLER))
    response = get(client, f"{ORDERS}/111-0000000-0000301", token)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["payload"]["AmazonOrderId"] == "111-0000000-0000301"
    assert "BuyerInfo" not in response.json()["payload"]
    for path in ("", "/orderItems", "/buyerInfo"):
        other, missing = (
            get(client, f"{ORDERS}/{o}{path}", token) for o in ("111-0000000-0000302", "111-0000000-0000399")
        )
        assert_error(other, 404, NOT_FOUND)
        assert other.json() == missing.json()
        assert other.headers.keys() == missing.headers.keys()
    assert_error(
        get(client, f"{ORDERS}/111-0000000-0000301", ""), 403, DENIED, "Access token is missing in the request header."
    )


def test_order_items_come_in_pages_with_stable_ids(client, admin_headers, token):
    items = [{"ASIN": f"B0000000{n:02d}", "SellerSKU": f"SKU-{n}", "QuantityOrdered": 1} for n in range(25)]
    put(client, admin_headers, {**placed("111-0000000-0000401", 5), "OrderItems": items})
    path = f"{ORDERS}/111-0000000-0000401/orderItems"
    first = get(client, path, token).json()["payload"]
    assert first["AmazonOrderId"] == "111-0000000-0000401"
    assert [i["ASIN"] for i in first["OrderItems"]] == [f"B0000000{n:02d}" for n in range(20)]
    assert first["OrderItems"][0] == {
        "ASIN": "B000000000",
        "OrderItemId": first["OrderItems"][0]["OrderItemId"],
        "SellerSKU": "SKU-0",
        "QuantityOrdered": 1,
    }
    second = get(client, path, token, NextToken=first["NextToken"]).json()["payload"]
    assert [i["ASIN"] for i in second["OrderItems"]] == [f"B0000000{n:02d}" for n in range(20, 25)]
    assert "NextToken" not in second
    ids = [i["OrderItemId"] for i in first["OrderItems"] + second["OrderItems"]]
    assert len(set(ids)) == 25
    assert all(len(i) == 14 and i.isdigit() for i in ids)
    assert get(client, path, token).json()["payload"] == first  # the same ids on every read
    put(client, admin_headers, {**placed("111-0000000-0000402", 5), "OrderItems": items})
    foreign = get(client, f"{ORDERS}/111-0000000-0000402/orderItems", token, NextToken=first["NextToken"])
    assert_error(foreign, 400, INVALID)  # a token is its order's only


def test_buyer_data_only_with_a_restricted_data_token_for_the_path(client, admin_headers, token, clock):
    put(client, admin_headers, placed("111-0000000-0000501", 5, email="ann@example.com"))
    put(client, admin_headers, placed("111-0000000-0000502", 5, email="bob@example.com"))
    buyer = f"{ORDERS}/111-0000000-0000501/buyerInfo"
    plain = get(client, buyer, token)
    assert plain.json() == {"payload": {"AmazonOrderId": "111-0000000-0000501"}}

    any_order = rdt(client, token, {"method": "GET", "path": f"{ORDERS}/{{orderId}}/buyerInfo"})
    assert get(client, buyer, any_order).json()["payload"] == {
        "AmazonOrderId": "111-0000000-0000501",
        "BuyerEmail": "ann@example.com",
    }
    assert get(client, f"{ORDERS}/111-0000000-0000502/buyerInfo", any_order).json()["payload"]["BuyerEmail"] == (
        "bob@example.com"
    )
    # Only the operations it names: not getOrder, not the Solicitations API.
    assert_error(get(client, f"{ORDERS}/111-0000000-0000501", any_order), 403, DENIED)
    assert get(client, "/solicitations/v1/orders/111-0000000-0000501", any_order, marketplaceIds=US).status_code == 403

    one_order = rdt(client, token, {"method": "GET", "path": f"{ORDERS}/111-0000000-0000501/buyerInfo"})
    assert get(client, buyer, one_order).json()["payload"]["BuyerEmail"] == "ann@example.com"
    assert_error(get(client, f"{ORDERS}/111-0000000-0000502/buyerInfo", one_order), 403, DENIED)

    clock.advance(timedelta(seconds=3599))
    assert get(client, buyer, any_order).status_code == 200
    clock.advance(timedelta(seconds=1))  # an hour: expired
    assert_error(get(client, buyer, any_order), 403, DENIED)


def test_orders_carry_buyer_info_with_a_token_granting_the_data_element(client, admin_headers, token):
    put(client, admin_headers, placed("111-0000000-0000601", 5, email="cat@example.com"))
    with_info = rdt(client, token, {"method": "GET", "path": ORDERS, "dataElements": ["buyerInfo", "shippingAddress"]})
    [order] = get(client, ORDERS, with_info, MarketplaceIds=US, CreatedAfter=WEEK_AGO).json()["payload"]["Orders"]
    assert order["BuyerInfo"] == {"BuyerEmail": "cat@example.com"}
    without = rdt(client, token, {"method": "GET", "path": ORDERS, "dataElements": ["shippingAddress"]})
    [order] = get(client, ORDERS, without, MarketplaceIds=US, CreatedAfter=WEEK_AGO).json()["payload"]["Orders"]
    assert "BuyerInfo" not in order
    single = rdt(
        client, token, {"method": "GET", "path": f"{ORDERS}/111-0000000-0000601", "dataElements": ["buyerInfo"]}
    )
    assert get(client, f"{ORDERS}/111-0000000-0000601", single).json()["payload"]["BuyerInfo"] == {
        "BuyerEmail": "cat@example.com"
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"restrictedResources": []}, "Empty target resource arguement found", id="empty"),
        pytest.param({}, "Empty target resource arguement found", id="missing"),
        pytest.param(
            {"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders/{orderId}/address"}]},
            "Application do not have access to some or all requested resource",
            id="not-served",
        ),
        pytest.param(
            {"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders//buyerInfo"}]},
            "Application do not have access to some or all requested resource",
            id="no-order-id",
        ),
        pytest.param(
            {"restrictedResources": [{"method": "POST", "path": "/orders/v0/orders"}]},
            "Application do not have access to some or all requested resource",
            id="method",
        ),
        pytest.param(
            {"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders", "dataElements": ["dob"]}]},
            "Invalid Input",
            id="data-element",
        ),
        pytest.param({"restrictedResources": [{"path": "/orders/v0/orders"}]}, "Invalid Input", id="no-method"),
    ],
)
def test_restricted_data_token_requests_amazon_refuses(client, token, body, message):
    response = client.post(RDT, json=body, headers={"x-amz-access-token": token})
    assert_error(response, 400, message)
    assert response.headers["x-amzn-RateLimit-Limit"] == "1000.0"


def test_restricted_data_tokens_are_stored_hashed_and_need_an_access_token(client, container: Container, token):
    made = rdt(client, token, {"method": "GET", "path": ORDERS, "dataElements": ["buyerInfo"]})
    with container.store.engine.connect() as conn:
        [row] = conn.execute(select(schema.restricted_data_tokens)).mappings().all()
    assert row["token_hash"] == hashlib.sha256(made.encode()).hexdigest()
    assert made not in str(dict(row))
    assert (row["seller_id"], row["application_id"]) == (SELLER, APP)
    # An RDT cannot make another, and neither can no token.
    assert_error(
        client.post(
            RDT, json={"restrictedResources": [{"method": "GET", "path": ORDERS}]}, headers={"x-amz-access-token": made}
        ),
        403,
        DENIED,
    )
    assert client.post(RDT, json={"restrictedResources": [{"method": "GET", "path": ORDERS}]}).status_code == 403


def test_a_restricted_data_token_stops_with_its_application(client, admin_headers, token):
    made = rdt(client, token, {"method": "GET", "path": ORDERS})
    assert get(client, ORDERS, made, MarketplaceIds=US, CreatedAfter=WEEK_AGO).status_code == 200
    suspended = client.put(f"/admin/v1/applications/{APP}/state", json={"state": "suspended"}, headers=admin_headers)
    assert suspended.status_code == 200, suspended.text
    assert_error(get(client, ORDERS, made, MarketplaceIds=US, CreatedAfter=WEEK_AGO), 403, DENIED)


def test_usage_plans_are_the_models(tmp_path, settings: Settings, clock: Clock, admin_headers):
    """Amazon's default plans: getOrders 0.0167/s burst 20, the others 0.5/s burst 30, RDTs 1/s burst 10."""
    container = bootstrap(settings.model_copy(update={"plan_rate": None, "plan_burst": None}), clock)
    try:
        with TestClient(create_app(container)) as client:
            access = client.post(
                "/admin/v1/access-tokens",
                json={"sellerId": SELLER, "applicationId": APP, "roles": ["Buyer Solicitation"]},
                headers=admin_headers,
            ).json()["access_token"]
            put(client, admin_headers, placed("111-0000000-0000701", 5))
            for path, params, rate, burst in (
                (ORDERS, {"MarketplaceIds": US, "CreatedAfter": WEEK_AGO}, "0.0167", 20),
                (f"{ORDERS}/111-0000000-0000701", {}, "0.5", 30),
                (f"{ORDERS}/111-0000000-0000701/orderItems", {}, "0.5", 30),
                (f"{ORDERS}/111-0000000-0000701/buyerInfo", {}, "0.5", 30),
            ):
                answers = [get(client, path, access, **params) for _ in range(burst)]
                assert {(r.status_code, r.headers["x-amzn-RateLimit-Limit"]) for r in answers} == {(200, rate)}
                assert get(client, path, access, **params).status_code == 429
            body = {"restrictedResources": [{"method": "GET", "path": ORDERS}]}
            made = [client.post(RDT, json=body, headers={"x-amz-access-token": access}) for _ in range(11)]
            assert [r.status_code for r in made] == [200] * 10 + [429]
            assert made[0].headers["x-amzn-RateLimit-Limit"] == "1.0"
    finally:
        container.close()
