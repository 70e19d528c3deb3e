"""`serve --sandbox`: Amazon's sandbox endpoints, one route per operation of the API models in `models/`.

The routes are generated at start from the models' `x-amzn-api-sandbox` cases (domain/sandbox.py picks the
case); every other path is the regular app's, so the Login-with-Amazon token endpoint, health checks and
the admin API work as usual, except that other paths of the sandboxed APIs answer 404.
"""

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from importlib import resources
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from solicitations.bootstrap import Container
from solicitations.domain import errors
from solicitations.domain.sandbox import (
    BODY,
    COULD_NOT_MATCH,
    SHARED_PLAN,
    Case,
    Operation,
    argument,
    operations,
    well_formed,
)
from solicitations.domain.tokens import token_hash
from solicitations.domain.usage_plans import RATE_LIMIT_HEADER_STATUSES, BucketKey
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.app import create_app, server_error
from solicitations.entrypoints.http.header_names import error_type_header
from solicitations.entrypoints.http.requests import read_body
from solicitations.entrypoints.http.routing import Endpoint, route
from solicitations.service.ports.buckets import Buckets, BucketsUnavailable

log = logging.getLogger("solicitations.sandbox")
MODELS = ("solicitations.json", "ordersV0.json")
_BUCKET_SCOPE = "sandbox"  # the seller and operation parts of every sandbox bucket's key


def load_operations() -> list[Operation]:
    """The sandboxed operations of the models shipped in the package."""
    folder = resources.files(__package__) / "models"
    return [op for name in MODELS for op in operations(json.loads((folder / name).read_text("utf-8")))]


async def _arguments(request: Request, operation: Operation, limit: int) -> dict[str, Any]:
    """The request's parameters as the model types them; only those it carries."""
    found: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.location == "path":
            found[parameter.name] = request.path_params[parameter.name]
        elif parameter.location == "query" and parameter.name in request.query_params:
            found[parameter.name] = argument(parameter, request.query_params.getlist(parameter.name))
        elif parameter.location == "header" and parameter.name in request.headers:
            found[parameter.name] = argument(parameter, [request.headers[parameter.name]])
    body = await read_body(request, limit)
    # An unreadable body equals no case's body: "Could not match input arguments".
    with suppress(orjson.JSONDecodeError):
        if body.strip():
            found[BODY] = orjson.loads(body)
    return found


def _answer(case: Case, operation: Operation, request_id: str) -> Response:
    if case.status == 204:
        return rendering.json_response(b"", request_id, 204, operation.media_type)
    if case.status >= 400:  # the model's error body as it stands, with the gateway's header
        return rendering.json_response(
            case.response, request_id, case.status, rendering.JSON, error_type_header(case.status)
        )
    return rendering.json_response(case.response, request_id, case.status, operation.media_type)


def _endpoint(operation: Operation, buckets: Buckets, max_body_bytes: int) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        request_id = rendering.new_request_id()
        admitted = False
        try:
            token = request.headers.get("x-amz-access-token")
            if not token:
                raise errors.ApiError(errors.TOKEN_MISSING)
            if not well_formed(token):
                raise errors.ApiError(errors.ACCESS_DENIED)
            key = BucketKey(_BUCKET_SCOPE, token_hash(token), _BUCKET_SCOPE)
            if not (await buckets.take(key, SHARED_PLAN)).admitted:
                raise errors.ApiError(errors.QUOTA_EXCEEDED)
            admitted = True
            case = operation.match(await _arguments(request, operation, max_body_bytes))
            if case is None:
                raise errors.ApiError(COULD_NOT_MATCH)
            response = _answer(case, operation, request_id)
        except errors.ApiError as raised:
            response = rendering.error_response(raised.failure, request_id)
        except BucketsUnavailable as exc:
            log.warning("dependency unavailable", extra={"request_id": request_id, "error": repr(exc)})
            response = rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)
        status = response.status_code
        if admitted and (status in RATE_LIMIT_HEADER_STATUSES or 200 <= status < 300):  # the Orders model's 204s
            response.raw_headers.append(rendering.rate_limit_header(SHARED_PLAN))
        return response

    return endpoint


def create_sandbox_app(container: Container) -> Starlette:
    """The sandbox for one container (closed when the app shuts down); no delivery worker: nothing is sent."""
    ops = load_operations()
    by_path: dict[str, dict[str, Endpoint]] = {}
    for op in ops:
        by_path.setdefault(op.path, {})[op.method] = _endpoint(
            op, container.throttle.buckets, container.settings.max_body_bytes
        )
    sandboxed = tuple({"/" + op.path.split("/")[1] + "/" for op in ops})
    regular = create_app(container)

    async def everything_else(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(sandboxed):
            await rendering.error_response(errors.NOT_FOUND, rendering.new_request_id())(scope, receive, send)
        else:
            await regular(scope, receive, send)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await container.aclose()

    app = Starlette(
        routes=[route(path, handlers) for path, handlers in by_path.items()],
        exception_handlers={HTTPException: rendering.framework_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.router.default = everything_else
    return app
