"""The wrapper every SP-API operation runs in: request id, caller, usage plan, errors in Amazon's shape.

The Solicitations and the Orders surfaces share it, so both answer, count and log alike.
"""

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.usage_plans import RATE_LIMIT_HEADER_STATUSES, UsagePlan
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.bookkeeping import Bookkeeping
from solicitations.service.authentication import Authenticator
from solicitations.service.ports.buckets import BucketsUnavailable
from solicitations.service.ports.store import StoreUnavailable
from solicitations.service.throttling import Throttle

log = logging.getLogger("solicitations.http")

Operation = Callable[[Request, Caller, str], Awaitable[Response]]
Identify = Callable[[Request], Awaitable[Caller]]
Endpoint = Callable[[Request], Awaitable[Response]]


class SpOperations:
    """Wraps handlers of SP-API operations for one app (its authenticator, usage plans and bookkeeping)."""

    def __init__(self, authenticator: Authenticator, throttle: Throttle, bookkeeping: Bookkeeping) -> None:
        self._authenticator = authenticator
        self._throttle = throttle
        self._bookkeeping = bookkeeping

    def access_token(self, request: Request) -> Awaitable[Caller]:
        return self._authenticator.authenticate(request.headers.get("x-amz-access-token"))

    def __call__(self, name: str | None, handler: Operation, identify: Identify | None = None) -> Endpoint:
        """`name` None marks a route outside every usage plan (the schema link target); `identify` finds the
        caller (default: the access token; the Orders API also takes restricted data tokens)."""
        label = name or "getSolicitationActionSchema"
        find_caller = identify or self.access_token
        throttle, bookkeeping = self._throttle, self._bookkeeping

        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            request_id = rendering.new_request_id()
            caller = None
            plan: UsagePlan | None = None
            try:
                # Routing sees the decoded path; an order id never holds "/", so an encoded one is no order.
                if b"%2f" in request.scope.get("raw_path", b"").lower():
                    raise errors.ApiError(errors.NOT_FOUND)
                caller = await find_caller(request)
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
