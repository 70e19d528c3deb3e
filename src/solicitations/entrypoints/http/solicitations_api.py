"""The Solicitations API v1: its three operations, each in the SP-API operation wrapper."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from solicitations.domain.actions import PRODUCT_REVIEW_AND_SELLER_FEEDBACK
from solicitations.domain.callers import Caller
from solicitations.domain.usage_plans import CREATE_REVIEW_SOLICITATION, GET_ACTIONS
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.requests import json_body, marketplace_id
from solicitations.entrypoints.http.sp_operations import SpOperations
from solicitations.service.solicitations import SolicitationService

ORDER = "/solicitations/v1/orders/{amazonOrderId}"
ACTION = ORDER + "/solicitations/productReviewAndSellerFeedback"


def solicitations_routes(service: SolicitationService, operation: SpOperations, max_body_bytes: int) -> list[BaseRoute]:
    async def get_actions(request: Request, caller: Caller, request_id: str) -> Response:
        marketplace = marketplace_id(request)
        order_id = request.path_params["amazonOrderId"]
        actions = await service.available_actions(caller, order_id, marketplace)
        return rendering.json_response(
            rendering.actions_body(order_id, marketplace, actions), request_id, media_type=rendering.HAL
        )

    async def create_solicitation(request: Request, caller: Caller, request_id: str) -> Response:
        marketplace = marketplace_id(request)
        await json_body(request, max_body_bytes)  # must be readable; its fields are ignored
        await service.solicit(
            caller,
            request.path_params["amazonOrderId"],
            marketplace,
            PRODUCT_REVIEW_AND_SELLER_FEEDBACK.name,
            request_id,
        )
        return rendering.json_response(b"{}", request_id, 201, rendering.HAL)

    async def get_schema(request: Request, caller: Caller, request_id: str) -> Response:
        order_id = request.path_params["amazonOrderId"]
        action = await service.action_schema(caller, order_id, PRODUCT_REVIEW_AND_SELLER_FEEDBACK.name)
        return rendering.json_response(rendering.schema_body(order_id, action), request_id, media_type=rendering.HAL)

    return [
        Route(ORDER, operation(GET_ACTIONS, get_actions), methods=["GET"]),
        Route(ACTION, operation(CREATE_REVIEW_SOLICITATION, create_solicitation), methods=["POST"]),
        Route(ACTION + "/schema", operation(None, get_schema), methods=["GET"]),
    ]
