"""The Solicitations API v1: its three operations, each wrapped for request id, caller, usage plan and errors."""

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from solicitations.domain import errors
from solicitations.domain.actions import PRODUCT_REVIEW_AND_SELLER_FEEDBACK
from solicitations.domain.callers import Caller
from solicitations.domain.usage_plans import (
    CREATE_REVIEW_SOLICITATION,
    GET_ACTIONS,
    RATE_LIMIT_HEADER_STATUSES,
    UsagePlan,
)
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.bookkeeping import Bookkeeping
from solicitations.entrypoints.http.requests import json_body, marketplace_id
from solicitations.service.authentication import Authenticator
from solicitations.service.ports.buckets import BucketsUnavailable
from solicitations.service.ports.store import StoreUnavailable
from solicitations.service.solicitations import SolicitationService
from solicitations.service.throttling import Throttle

log = logging.getLogger("solicitations.http")

Operation = Callable[[Request, Caller, str], Awaitable[Response]]
ORDER = "/solicitations/v1/orders/{amazonOrderId}"
ACTION = ORDER + "/solicitations/productReviewAndSellerFeedback"


def solicitations_routes(
    service: SolicitationService,
    authenticator: Authenticator,
    throttle: Throttle,
    bookkeeping: Bookkeeping,
    max_body_bytes: int,
) -> list[BaseRoute]:
    def operation(name: str | None, handler: Operation) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a Solicitations operation: request id, caller, usage plan, errors in Amazon's shape.

        `name` None marks a route outside every usage plan (the schema link target).
        """
        label = name or "getSolicitationActionSchema"

        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            request_id = rendering.new_request_id()
            caller = None
            plan: UsagePlan | None = None
            try:
                # Routing sees the decoded path; an order id never holds "/", so an encoded one is no order.
                if b"%2f" in request.scope.get("raw_path", b"").lower():
                    raise errors.ApiError(errors.NOT_FOUND)
                caller = await authenticator.authenticate(request.headers.get("x-amz-access-token"))
                if name is not None:
                    plan = await throttle.admit(caller, name)
                response = await handler(request, caller, request_id)
                if plan is not None:
                    response.raw_headers.append(rendering.rate_limit_header(plan))
            except errors.ApiError as raised:
                error = raised.failure
                extra = None
                if plan is not None and error.status in RATE_LIMIT_HEADER_STATUSES:
                    extra = {"x-amzn-RateLimit-Limit": plan.header_value()}
                response = rendering.error_response(error, request_id, extra)
            except HTTPException as exc:  # the body limit, mid-stream
                response = rendering.error_response(rendering.framework_failure(exc.status_code), request_id)
            except (StoreUnavailable, BucketsUnavailable) as exc:
                log.warning("dependency unavailable", extra={"request_id": request_id, "error": repr(exc)})
                response = rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)
            return bookkeeping.finish(response, request_id, label, started, caller)

        return endpoint

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
