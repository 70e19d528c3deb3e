"""The ASGI application: Solicitations API routes, the admin API, health and the OpenAPI document."""

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from solicitations.adapters.metrics import CONTENT_TYPE
from solicitations.bootstrap import Container
from solicitations.domain import errors
from solicitations.domain.actions import PRODUCT_REVIEW_AND_SELLER_FEEDBACK
from solicitations.domain.callers import Caller
from solicitations.domain.messages import OPT_OUT_PATH
from solicitations.domain.usage_plans import (
    CREATE_REVIEW_SOLICITATION,
    GET_ACTIONS,
    RATE_LIMIT_HEADER_STATUSES,
    UsagePlan,
)
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.consent import consent_app
from solicitations.entrypoints.http.oauth import token_routes
from solicitations.entrypoints.http.openapi import openapi_document
from solicitations.entrypoints.http.requests import json_body, marketplace_id
from solicitations.entrypoints.http.routing import route
from solicitations.entrypoints.worker import run_worker
from solicitations.service.ports.buckets import BucketsUnavailable
from solicitations.service.ports.store import StoreUnavailable

access_log = logging.getLogger("solicitations.access")
log = logging.getLogger("solicitations.http")

Operation = Callable[[Request, Caller, str], Awaitable[Response]]
ORDER = "/solicitations/v1/orders/{amazonOrderId}"
ACTION = ORDER + "/solicitations/productReviewAndSellerFeedback"
WORKER_STOP_SECONDS = 5.0  # then in-flight sends are cancelled; their leases expire and they go out again
# The buyer's pages carry a secret in their URL: keep it out of caches and of Referer headers.
_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def create_app(container: Container, *, worker: bool = False) -> Starlette:
    """The app for one container, closed when the app shuts down; `worker` runs a delivery worker alongside."""
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
            except (StoreUnavailable, BucketsUnavailable) as exc:
                log.warning("dependency unavailable", extra={"request_id": request_id, "error": repr(exc)})
                response = rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)
            return finish(response, request_id, label, started, caller)

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
        await json_body(request, settings.max_body_bytes)  # must be readable; its fields are ignored
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

    def buyer_page(label: str, handler: Callable[[str], Awaitable[str]]) -> Callable[[Request], Awaitable[Response]]:
        """An opt-out page: no credentials but the token in the path; errors in Amazon's shape.

        The page's store calls are awaited: a locked or slow store must not hold up the event loop that
        serves the API.
        """

        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            request_id = rendering.new_request_id()
            response: Response
            try:
                page = await handler(request.path_params["token"])
                response = HTMLResponse(page, headers={"x-amzn-RequestId": request_id, **_PAGE_HEADERS})
            except errors.ApiError as raised:
                response = rendering.error_response(raised.failure, request_id)
            except StoreUnavailable as exc:
                log.warning("dependency unavailable", extra={"request_id": request_id, "error": repr(exc)})
                response = rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)
            return finish(response, request_id, label, started, None)

        return endpoint

    async def confirm_page(token: str) -> str:
        return container.renderer.opt_out_page(await container.opt_outs.locale(token), done=False)

    async def opt_out(token: str) -> str:
        """The form's POST and RFC 8058's one-click POST alike: the body is not needed."""
        return container.renderer.opt_out_page(await container.opt_outs.opt_out(token), done=True)

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

    routes: list[BaseRoute] = [
        Route(ORDER, operation(GET_ACTIONS, get_actions), methods=["GET"]),
        Route(ACTION, operation(CREATE_REVIEW_SOLICITATION, create_solicitation), methods=["POST"]),
        Route(ACTION + "/schema", operation(None, get_schema), methods=["GET"]),
        route(
            OPT_OUT_PATH + "/{token}",
            {"GET": buyer_page("optOutPage", confirm_page), "POST": buyer_page("optOut", opt_out)},
        ),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    routes += token_routes(container.identity)
    routes.append(Mount("/apps", app=consent_app(container.identity, settings.session_secret or secrets.token_hex(32))))
    if metrics is not None:
        registry = metrics

        async def metrics_text(request: Request) -> Response:
            """The outbox gauges are read from the store off the event loop (cached); a failed read omits them."""
            text = await registry.scrape()
            return rendering.json_response(text, rendering.new_request_id(), media_type=CONTENT_TYPE)

        routes.append(Route("/metrics", metrics_text, methods=["GET"]))
    if settings.admin_token is not None:
        from solicitations.entrypoints.http.admin import admin_routes

        routes += admin_routes(container, settings.admin_token)

    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = rendering.new_request_id()
        log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
        return rendering.error_response(errors.INTERNAL_FAILURE, request_id)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = (
            asyncio.create_task(run_worker(container.delivery, stop, settings.delivery_poll_seconds))
            if worker
            else None
        )
        try:
            yield
        finally:
            if task is not None:
                stop.set()
                try:
                    await asyncio.wait_for(task, WORKER_STOP_SECONDS)
                except TimeoutError:
                    log.warning("worker cancelled at shutdown", extra={"worker_id": container.delivery.worker_id})
            await container.aclose()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: rendering.framework_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    return app
