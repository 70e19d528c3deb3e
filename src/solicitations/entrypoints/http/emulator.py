"""`/admin/v1/clock`, served only in emulator mode: read emulated time, or move it forward.

Behind the admin token like the rest of the admin API (the caller passes its guard). Times are ISO 8601 in
UTC with a `Z` and microseconds, so a `now` read here can be sent back unchanged.
"""

import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from solicitations.adapters.movable_clock import MovableClock, TimeGoesForward
from solicitations.domain import errors
from solicitations.entrypoints.http.requests import json_body
from solicitations.entrypoints.http.routing import route

CLOCK_PATH = "/admin/v1/clock"
_BODY_RULE = 'the body must be {"now": "<ISO 8601 date-time with a time zone>"} or {"advanceSeconds": <number >= 0>}'


def _invalid(details: str) -> errors.ApiError:
    return errors.ApiError(errors.INVALID_INPUT.with_details(details))


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _target(clock: MovableClock, body: object) -> datetime:
    """Where the body asks the clock to go; 400 for anything but exactly one well-formed field."""
    if not isinstance(body, dict) or len(body) != 1:
        raise _invalid(_BODY_RULE)
    if "now" in body:
        value = body["now"]
        try:
            when = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise _invalid(_BODY_RULE)
        return when
    seconds = body.get("advanceSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise _invalid(_BODY_RULE)
    if seconds < 0:
        raise _invalid("advanceSeconds must be zero or more: the clock only moves forward")
    try:
        return clock() + timedelta(seconds=seconds)
    except OverflowError as exc:
        raise _invalid("advanceSeconds is too large") from exc


Guard = Callable[[Callable[[Request], Awaitable[Any]]], Callable[[Request], Awaitable[Response]]]


def clock_routes(clock: MovableClock, guarded: Guard, body_limit: int) -> list[Route]:
    """The clock's routes, each wrapped by the admin API's `guarded` (token check, errors in Amazon's shape)."""

    async def get_clock(request: Request) -> Any:
        return {"now": format_instant(clock())}

    async def put_clock(request: Request) -> Any:
        when = _target(clock, await json_body(request, body_limit))
        try:
            return {"now": format_instant(clock.move_to(when))}
        except TimeGoesForward as exc:
            raise _invalid(str(exc)) from exc

    return [route(CLOCK_PATH, {"GET": guarded(get_clock), "PUT": guarded(put_clock)})]


def _object(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": [field], "additionalProperties": False, "properties": {field: schema}}


_NOW = _object("now", {"type": "string", "format": "date-time"})
_ANSWER = {
    "200": {"description": "The emulated time now.", "content": {"application/json": {"schema": _NOW}}},
    "401": {"description": "The admin token is missing or wrong."},
}
CLOCK_OPENAPI: dict[str, Any] = {
    CLOCK_PATH: {
        "get": {
            "summary": "The emulator's clock: business time now.",
            "tags": ["admin"],
            "security": [{"adminBearer": []}],
            "responses": _ANSWER,
        },
        "put": {
            "summary": "Move the emulator's clock forward, to an instant or by a number of seconds.",
            "tags": ["admin"],
            "security": [{"adminBearer": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"oneOf": [_NOW, _object("advanceSeconds", {"type": "number", "minimum": 0})]}
                    }
                },
            },
            "responses": {**_ANSWER, "400": {"description": "A bad body, or a move backwards (InvalidInput)."}},
        },
    }
}
