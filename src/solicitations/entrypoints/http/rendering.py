"""Protocol rendering, kept apart from rules: HAL bodies, Amazon error bodies and response headers."""

import functools
import itertools
import secrets
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from solicitations.domain import errors
from solicitations.domain.actions import Action
from solicitations.domain.errors import Failure
from solicitations.domain.usage_plans import UsagePlan
from solicitations.entrypoints.http.header_names import RATE_LIMIT, REQUEST_ID, error_type_header, raw_name

HAL = "application/hal+json"
JSON = "application/json"
BASE = "/solicitations/v1/orders/"

# Sent with the 503 that refuses a secret check past the limit: one check takes a fraction of a second.
BUSY_RETRY_AFTER = {"Retry-After": "1"}


# Request ids: a random UUID drawn once per process, its last 48 bits counting up from a random start.
# Every id stays a fresh, well-formed UUID; drawing 16 random bytes per request cost ~5 % of a GET.
_REQUEST_ID_PREFIX = str(uuid.uuid4())[:24]
_request_numbers = itertools.count(secrets.randbits(47))


def new_request_id() -> str:
    return f"{_REQUEST_ID_PREFIX}{next(_request_numbers) & 0xFFFFFFFFFFFF:012x}"


def _order_path(amazon_order_id: str) -> str:
    return BASE + quote(amazon_order_id, safe="-_.~")


def _action_links(order_path: str, action: Action, query: str) -> tuple[dict[str, str], dict[str, str]]:
    schema = {"href": f"{order_path}/solicitations/{action.name}/schema", "name": action.name}
    self_ = {"href": f"{order_path}/solicitations/{action.name}{query}", "name": action.name}
    return schema, self_


def actions_body(amazon_order_id: str, marketplace_id: str, actions: tuple[Action, ...]) -> bytes:
    """The getSolicitationActionsForOrder HAL document, key for key as production sends it."""
    order_path = _order_path(amazon_order_id)
    query = "?marketplaceIds=" + quote(marketplace_id, safe="")
    links: list[dict[str, str]] = []
    embedded: list[dict[str, Any]] = []
    for action in actions:
        schema_link, self_link = _action_links(order_path, action, query)
        links.append({"href": self_link["href"], "name": action.name})
        embedded.append(
            {
                "_links": {"schema": schema_link, "self": self_link},
                "_embedded": {"schema": {"_links": {"self": schema_link}, **action.schema()}},
                "name": action.name,
                "title": action.title,
            }
        )
    document = {
        "_links": {"actions": links, "self": {"href": order_path + query}},
        "_embedded": {"actions": embedded},
    }
    return orjson.dumps(document)


def schema_body(amazon_order_id: str, action: Action) -> bytes:
    schema_link, _ = _action_links(_order_path(amazon_order_id), action, "")
    return orjson.dumps({"_links": {"self": schema_link}, **action.schema()})


class ApiResponse(Response):
    """A Starlette Response built from raw header pairs, skipping Starlette's header normalising.

    Same headers in the same order as `Response(body, status, headers, media_type)` would send
    (then content-length and content-type), at a fraction of the cost per request, and Amazon's
    headers keep Amazon's spelling (header_names.py).
    """

    def __init__(self, body: bytes, status: int, media_type: str, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status
        self.media_type = media_type
        self.background = None
        self.body = body
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append((b"content-type", media_type.encode()))
        self.raw_headers = headers


def json_response(
    content: Any,
    request_id: str,
    status: int = 200,
    media_type: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = content if isinstance(content, bytes) else orjson.dumps(content)
    raw: list[tuple[bytes, bytes]] = [(REQUEST_ID, request_id.encode("latin-1"))]
    if headers:
        raw += [(raw_name(k), v.encode("latin-1")) for k, v in headers.items()]
    return ApiResponse(body, status, media_type, raw)


@functools.lru_cache(maxsize=1024)
def rate_limit_header(plan: UsagePlan) -> tuple[bytes, bytes]:
    """`x-amzn-RateLimit-Limit` of a plan as a raw header, made once per plan."""
    return (RATE_LIMIT, plan.header_value().encode())


def error_response(error: Failure, request_id: str, headers: Mapping[str, str] | None = None) -> Response:
    body = {"errors": [{"code": error.code, "message": error.message, "details": error.details}]}
    return json_response(body, request_id, error.status, JSON, {**(headers or {}), **error_type_header(error.status)})


# Starlette's own statuses and the failures they mean; any other keeps its status under its HTTP phrase.
_FRAMEWORK_FAILURES = {
    failure.status: failure
    for failure in (
        errors.INVALID_INPUT,
        errors.NOT_FOUND,
        errors.METHOD_NOT_ALLOWED,
        errors.TOO_LARGE,
        errors.UNSUPPORTED_MEDIA,
    )
}


def framework_failure(status: int) -> Failure:
    """The Amazon-shaped failure of a status the framework raised (routing, form parsing, the body limit)."""
    known = _FRAMEWORK_FAILURES.get(status)
    if known is not None:
        return known
    phrase = HTTPStatus(status).phrase
    return Failure(status, phrase.title().replace(" ", "").replace("-", ""), f"{phrase}.")


async def framework_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (404, 405, a form it cannot parse, 413…) in Amazon's error shape."""
    assert isinstance(exc, HTTPException)
    return error_response(framework_failure(exc.status_code), new_request_id(), dict(exc.headers or {}))
