"""The OpenAPI paths and schemas of the Orders API v0 reads and of createRestrictedDataToken.

Shapes follow the official models (ordersV0.json, tokens_2021-03-01.json), reduced to the fields this service
answers. Schema names carry the API's prefix where the admin API already uses the bare name.
"""

from typing import Any

from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.order_queries import MAX_MARKETPLACES, MAX_PAGE
from solicitations.domain.orders import FULFILLMENT_CHANNELS, ORDER_STATUSES
from solicitations.domain.restricted_data import DATA_ELEMENTS
from solicitations.domain.usage_plans import (
    CREATE_RESTRICTED_DATA_TOKEN,
    GET_ORDER,
    GET_ORDER_BUYER_INFO,
    GET_ORDER_ITEMS,
    GET_ORDERS,
)
from solicitations.entrypoints.http.openapi import _REF, _api_errors, _ok

_STRING = {"type": "string"}
_ORDER_ID = {
    "name": "orderId",
    "in": "path",
    "required": True,
    "description": "An Amazon-defined order identifier, in 3-7-7 format.",
    "schema": _STRING,
}
_NEXT_TOKEN = {
    "name": "NextToken",
    "in": "query",
    "required": False,
    "description": "A string token returned in the response of your previous request.",
    "schema": _STRING,
}


def _array(name: str, values: Any, description: str, required: bool = False, **bounds: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string", "enum": sorted(values)}, **bounds},
    }


def _date(name: str) -> dict[str, Any]:
    """A date parameter: ISO 8601 (a date, or a date-time, in UTC when it names no zone), as the model types it."""
    return {"name": name, "in": "query", "required": False, "description": "ISO 8601.", "schema": _STRING}


def _get(operation_id: str, summary: str, parameters: list[dict[str, Any]], response: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["orders"],
            "parameters": parameters,
            "responses": {"200": _ok("Success.", response, "application/json"), **_api_errors()},
        }
    }


def orders_paths() -> dict[str, Any]:
    order = "/orders/v0/orders/{orderId}"
    return {
        "/orders/v0/orders": _get(
            GET_ORDERS,
            "Orders created or updated in a time range. Exactly one of CreatedAfter and LastUpdatedAfter "
            "(unless NextToken), each Before not before its After and at least two minutes before now; "
            "with NextToken the token's filters hold.",
            [
                _array(
                    "MarketplaceIds",
                    MARKETPLACES,
                    "Marketplaces the orders were placed in.",
                    required=True,
                    minItems=1,
                    maxItems=MAX_MARKETPLACES,
                ),
                *(_date(name) for name in ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")),
                _array("OrderStatuses", ORDER_STATUSES, "Order statuses to select."),
                _array("FulfillmentChannels", FULFILLMENT_CHANNELS, "AFN (by Amazon) or MFN (by the seller)."),
                {
                    "name": "MaxResultsPerPage",
                    "in": "query",
                    "required": False,
                    "description": "Orders per page, 1 - 100; default 100.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                },
                _NEXT_TOKEN,
            ],
            "GetOrdersResponse",
        ),
        order: _get(GET_ORDER, "The order.", [_ORDER_ID], "GetOrderResponse"),
        order + "/orderItems": _get(
            GET_ORDER_ITEMS, "The order's items, a page at a time.", [_ORDER_ID, _NEXT_TOKEN], "GetOrderItemsResponse"
        ),
        order + "/buyerInfo": _get(
            GET_ORDER_BUYER_INFO,
            "The order's buyer; the email only with a restricted data token for this path.",
            [_ORDER_ID],
            "GetOrderBuyerInfoResponse",
        ),
        "/tokens/2021-03-01/restrictedDataToken": {
            "post": {
                "operationId": CREATE_RESTRICTED_DATA_TOKEN,
                "summary": "A restricted data token (an hour) for the Orders operations and data elements named.",
                "tags": ["tokens"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": _REF + "CreateRestrictedDataTokenRequest"}}},
                },
                "responses": {
                    "200": _ok("The token.", "CreateRestrictedDataTokenResponse", "application/json"),
                    **_api_errors(),
                },
            }
        },
    }


def _payload(schema: str) -> dict[str, Any]:
    return {"type": "object", "required": ["payload"], "properties": {"payload": {"$ref": _REF + schema}}}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


ORDERS_SCHEMAS: dict[str, Any] = {
    "GetOrdersResponse": _payload("OrdersList"),
    "OrdersList": _object(
        ["Orders"],
        Orders={"type": "array", "items": {"$ref": _REF + "OrdersV0Order"}},
        NextToken=_STRING,
        CreatedBefore=_STRING,
        LastUpdatedBefore=_STRING,
    ),
    "GetOrderResponse": _payload("OrdersV0Order"),
    "OrdersV0Order": _object(
        ["AmazonOrderId", "PurchaseDate", "LastUpdateDate", "OrderStatus"],
        AmazonOrderId=_STRING,
        PurchaseDate=_STRING,
        LastUpdateDate=_STRING,
        OrderStatus={"type": "string", "enum": sorted(ORDER_STATUSES)},
        FulfillmentChannel={"type": "string", "enum": sorted(FULFILLMENT_CHANNELS)},
        MarketplaceId=_STRING,
        EarliestDeliveryDate=_STRING,
        LatestDeliveryDate=_STRING,
        BuyerInfo=_object([], BuyerEmail=_STRING),
    ),
    "GetOrderItemsResponse": _payload("OrderItemsList"),
    "OrderItemsList": _object(
        ["OrderItems", "AmazonOrderId"],
        OrderItems={"type": "array", "items": {"$ref": _REF + "OrdersV0OrderItem"}},
        NextToken=_STRING,
        AmazonOrderId=_STRING,
    ),
    "OrdersV0OrderItem": _object(
        ["ASIN", "OrderItemId", "QuantityOrdered"],
        ASIN=_STRING,
        OrderItemId=_STRING,
        SellerSKU=_STRING,
        Title=_STRING,
        QuantityOrdered={"type": "integer"},
    ),
    "GetOrderBuyerInfoResponse": _payload("OrderBuyerInfo"),
    "OrderBuyerInfo": _object(["AmazonOrderId"], AmazonOrderId=_STRING, BuyerEmail=_STRING),
    "CreateRestrictedDataTokenRequest": _object(
        ["restrictedResources"],
        targetApplication=_STRING,
        restrictedResources={
            "type": "array",
            "items": _object(
                ["method", "path"],
                method={"type": "string", "enum": ["GET", "PUT", "POST", "DELETE"]},
                path=_STRING,
                dataElements={"type": "array", "items": {"type": "string", "enum": sorted(DATA_ELEMENTS)}},
            ),
        },
    ),
    "CreateRestrictedDataTokenResponse": _object(
        ["restrictedDataToken", "expiresIn"], restrictedDataToken=_STRING, expiresIn={"type": "integer"}
    ),
}
