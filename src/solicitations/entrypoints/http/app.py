"""The ASGI application: Solicitations API routes, the admin API, health and the OpenAPI document."""

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from solicitations.adapters.metrics import CONTENT_TYPE
from solicitations.bootstrap import Container
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
from solicitations.entrypoints.http.openapi import openapi_document
from solicitations.entrypoints.http.requests import json_body, marketplace_id
from solicitations.service.ports import BucketsUnavailable, StoreUnavailable

access_log = logging.getLogger("solicitations.access")
log = logging.getLogger("solicitations.http")

Operation = Callable[[Request, Caller, str], Awaitable[Response]]
ORDER = "/solicitations/v1/orders/{amazonOrderId}"
ACTION = ORDER + "/solicitations/productReviewAndSellerFeedback"


def create_app(container: Container) -> Starlette:
    """The app for one container; the container is closed when the app shuts down."""
    settings = container.settings
    authenticator = container.authenticator
    service = container.solicitations
    throttle = container.throttle
    log_requests = settings.access_log
    metrics = container.metrics

    def finish(response: Response, request_id: str, operation: str, started: float, caller: Caller | None) -> Response:
        elapsed = time.perf_counter() - started
        if metrics is not None:
            metrics.request(operation, response.status_code, elapsed)
        if log_requests:
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "operation": operation,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 3),
                    "seller_id": None if caller is None else caller.seller_id,
                    "application_id": None if caller is None else caller.application_id,
                },
            )
        return response

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
                caller = authenticator.authenticate(request.headers.get("x-amz-access-token"))
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
            except (StoreUnavailable, BucketsUnavailable) as exc:
                log.warning("dependency unavailable", extra={"request_id": request_id, "error": repr(exc)})
                response = rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)
            return finish(response, request_id, label, started, caller)

        return endpoint

    async def get_actions(request: Request, caller: Caller, request_id: str) -> Response:
        marketplace = marketplace_id(request)
        order_id = request.path_params["amazonOrderId"]
        actions = service.available_actions(caller, order_id, marketplace)
        return rendering.json_response(
            rendering.actions_body(order_id, marketplace, actions), request_id, media_type=rendering.HAL
        )

    async def create_solicitation(request: Request, caller: Caller, request_id: str) -> Response:
        marketplace = marketplace_id(request)
        await json_body(request, settings.max_body_bytes)  # must be readable; its fields are ignored
        service.solicit(
            caller,
            request.path_params["amazonOrderId"],
            marketplace,
            PRODUCT_REVIEW_AND_SELLER_FEEDBACK.name,
            request_id,
        )
        return rendering.json_response(b"{}", request_id, 201, rendering.HAL)

    async def get_schema(request: Request, caller: Caller, request_id: str) -> Response:
        order_id = request.path_params["amazonOrderId"]
        action = service.action_schema(caller, order_id, PRODUCT_REVIEW_AND_SELLER_FEEDBACK.name)
        return rendering.json_response(rendering.schema_body(order_id, action), request_id, media_type=rendering.HAL)

    async def healthz(request: Request) -> Response:
        """The process is alive (and its event loop turns): nothing else is checked."""
        return rendering.json_response({"status": "ok"}, rendering.new_request_id())

    async def readyz(request: Request) -> Response:
        """Ready for traffic: 503 in Amazon's error shape, naming each failing check, when not."""
        request_id = rendering.new_request_id()
        failures = await container.readiness.failures()
        if failures:
            details = "; ".join(f"{check}: {why}" for check, why in failures.items())
            return rendering.error_response(errors.SERVICE_UNAVAILABLE.with_details(details), request_id)
        return rendering.json_response({"status": "ready"}, request_id)

    document = openapi_document(admin=settings.admin_token is not None, metrics=metrics is not None)

    async def openapi(request: Request) -> Response:
        return rendering.json_response(document, rendering.new_request_id())

    routes = [
        Route(ORDER, operation(GET_ACTIONS, get_actions), methods=["GET"]),
        Route(ACTION, operation(CREATE_REVIEW_SOLICITATION, create_solicitation), methods=["POST"]),
        Route(ACTION + "/schema", operation(None, get_schema), methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    if metrics is not None:
        registry = metrics

        async def metrics_text(request: Request) -> Response:
            return rendering.json_response(registry.render(), rendering.new_request_id(), media_type=CONTENT_TYPE)

        routes.append(Route("/metrics", metrics_text, methods=["GET"]))
    if settings.admin_token is not None:
        from solicitations.entrypoints.http.admin import admin_routes

        routes += admin_routes(container, settings.admin_token)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        error = errors.METHOD_NOT_ALLOWED if exc.status_code == 405 else errors.NOT_FOUND
        return rendering.error_response(error, rendering.new_request_id(), dict(exc.headers or {}))

    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = rendering.new_request_id()
        log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
        return rendering.error_response(errors.INTERNAL_FAILURE, request_id)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await container.aclose()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    return app
