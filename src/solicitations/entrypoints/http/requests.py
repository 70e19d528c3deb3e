"""Reading what clients send: the marketplaceIds parameter and (ignored but checked) JSON bodies."""

import functools
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request

from solicitations.domain import errors
from solicitations.domain.marketplaces import MARKETPLACES


@functools.lru_cache(maxsize=256)
def _marketplace_in(query_string: bytes) -> str | None:
    """Cached by raw query string: clients repeat the same few, and parsing one cost ~5 % of a GET."""
    values = QueryParams(query_string).getlist("marketplaceIds")
    return values[0] if len(values) == 1 and values[0] in MARKETPLACES else None


def marketplace_id(request: Request) -> str:
    """The one known marketplace named by `marketplaceIds` (array, csv or repeated), else 400."""
    found = _marketplace_in(request.scope["query_string"])
    if found is None:
        raise errors.ApiError(errors.INVALID_MARKETPLACE)
    return found


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return True  # a body without a type is read as JSON: clients that forget it still work
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("application/json", "") or media.endswith("+json")


async def read_body(request: Request, limit: int) -> bytearray:
    """The raw body, read no further than `limit` bytes (413 past it, declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.ApiError(errors.TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise errors.ApiError(errors.TOO_LARGE)
    return body


async def json_body(request: Request, limit: int) -> Any:
    """The decoded body, or None when there is none; 413, 415 or 400 when it cannot be read."""
    body = await read_body(request, limit)
    if not body.strip():
        return None
    if not _is_json(request.headers.get("content-type")):
        raise errors.ApiError(errors.UNSUPPORTED_MEDIA)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.ApiError(errors.INVALID_JSON) from None
