"""The Orders API v0 read operations and the Tokens API's createRestrictedDataToken: routes and handlers.

Each route goes through the SP-API operation wrapper (request id, caller, usage plan, errors in Amazon's
shape); the Orders routes identify their caller by an access token or by a restricted data token naming the
operation, which is what unlocks buyer data.
"""

from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from solicitations.bootstrap import Container
from solicitations.domain.callers import Caller
from solicitations.domain.restricted_data import RestrictedCaller
from solicitations.domain.usage_plans import (
    CREATE_RESTRICTED_DATA_TOKEN,
    GET_ORDER,
    GET_ORDER_BUYER_INFO,
    GET_ORDER_ITEMS,
    GET_ORDERS,
)
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.requests import json_body
from solicitations.entrypoints.http.sp_operations import SpOperations

ORDERS = "/orders/v0/orders"
ORDER = ORDERS + "/{orderId}"
RESTRICTED_DATA_TOKEN = "/tokens/2021-03-01/restrictedDataToken"


def _elements(caller: Caller) -> frozenset[str]:
    """The data elements the request's restricted data token grants; none for an access token."""
    return caller.data_elements if isinstance(caller, RestrictedCaller) else frozenset()


def orders_routes(container: Container, operation: SpOperations) -> list[BaseRoute]:
    service = container.orders
    rdts = container.restricted_data_tokens
    max_body = container.settings.max_body_bytes

    def identify(request: Request) -> Awaitable[Caller]:
        return rdts.identify(request.headers.get("x-amz-access-token"), request.scope["path"])

    def ok(payload: object, request_id: str) -> Response:
        return rendering.json_response({"payload": payload}, request_id)

    async def get_orders(request: Request, caller: Caller, request_id: str) -> Response:
        query = request.query_params
        params = {key: query.getlist(key) for key in query}
        return ok(await service.orders(caller, params, _elements(caller)), request_id)

    async def get_order(request: Request, caller: Caller, request_id: str) -> Response:
        return ok(await service.order(caller, request.path_params["orderId"], _elements(caller)), request_id)

    async def get_order_items(request: Request, caller: Caller, request_id: str) -> Response:
        next_token = request.query_params.get("NextToken")
        return ok(await service.items(caller, request.path_params["orderId"], next_token), request_id)

    async def get_buyer_info(request: Request, caller: Caller, request_id: str) -> Response:
        restricted = isinstance(caller, RestrictedCaller)
        return ok(await service.buyer_info(caller, request.path_params["orderId"], restricted), request_id)

    async def create_rdt(request: Request, caller: Caller, request_id: str) -> Response:
        body = await json_body(request, max_body)
        token = await rdts.create(request.headers["x-amz-access-token"], body)
        return rendering.json_response(token, request_id)

    return [
        Route(ORDERS, operation(GET_ORDERS, get_orders, identify), methods=["GET"]),
        Route(ORDER, operation(GET_ORDER, get_order, identify), methods=["GET"]),
        Route(ORDER + "/orderItems", operation(GET_ORDER_ITEMS, get_order_items, identify), methods=["GET"]),
        Route(ORDER + "/buyerInfo", operation(GET_ORDER_BUYER_INFO, get_buyer_info, identify), methods=["GET"]),
        Route(RESTRICTED_DATA_TOKEN, operation(CREATE_RESTRICTED_DATA_TOKEN, create_rdt), methods=["POST"]),
    ]
