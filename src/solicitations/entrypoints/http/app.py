"""The ASGI application: the HTTP surfaces composed, with the error handlers and the lifespan they share.

Each surface is one module with its route table: solicitations_api (the SP-API operations), oauth (the LWA
token endpoint), consent (the sign-in and consent pages), buyer_pages (opt-out), admin and operations.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from solicitations.bootstrap import Container
from solicitations.domain import errors
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.body_limit import BodyLimit
from solicitations.entrypoints.http.bookkeeping import Bookkeeping
from solicitations.entrypoints.http.buyer_pages import buyer_page_routes
from solicitations.entrypoints.http.consent import consent_routes
from solicitations.entrypoints.http.headers import HtmlPageHeaders
from solicitations.entrypoints.http.oauth import token_routes
from solicitations.entrypoints.http.operations import operations_routes
from solicitations.entrypoints.http.orders import orders_routes
from solicitations.entrypoints.http.solicitations_api import solicitations_routes
from solicitations.entrypoints.http.sp_operations import SpOperations
from solicitations.entrypoints.worker import run_worker

log = logging.getLogger("solicitations.http")

WORKER_STOP_SECONDS = 5.0  # then in-flight sends are cancelled; their leases expire and they go out again


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug's answer: Amazon's InternalFailure, the traceback only in the log under the request id."""
    request_id = rendering.new_request_id()
    log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    return rendering.error_response(errors.INTERNAL_FAILURE, request_id)


def create_app(container: Container, *, worker: bool = False) -> Starlette:
    """The app for one container, closed when the app shuts down; `worker` runs a delivery worker alongside."""
    settings = container.settings
    bookkeeping = Bookkeeping(container.metrics, settings.access_log)
    operation = SpOperations(container.authenticator, container.throttle, bookkeeping)
    routes: list[BaseRoute] = [
        *solicitations_routes(container.solicitations, operation, settings.max_body_bytes),
        *orders_routes(container, operation),
        *buyer_page_routes(container.opt_outs, container.renderer, bookkeeping),
        *operations_routes(
            container.readiness,
            container.metrics,
            admin=settings.admin_token is not None,
            emulator=settings.emulator,
            # Scrapers get a token of their own, so they need not hold the admin's.
            metrics_token=settings.metrics_token or settings.admin_token,
        ),
        *token_routes(container.identity),
        *consent_routes(container.identity, settings.session_secret),
    ]
    if settings.admin_token is not None:
        from solicitations.entrypoints.http.admin import admin_routes

        routes += admin_routes(container, settings.admin_token)

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
        middleware=[Middleware(BodyLimit, max_bytes=settings.max_body_bytes), Middleware(HtmlPageHeaders)],
    )
    app.router.redirect_slashes = False
    return app
