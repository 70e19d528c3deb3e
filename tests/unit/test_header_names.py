"""Amazon's header names keep their spelling through a server's `.lower()` and are still found case-blind."""

import h11
from starlette.responses import Response

from solicitations.entrypoints.http.header_names import RATE_LIMIT, REQUEST_ID, raw_name


def test_the_spelling_survives_lower_and_lookups_stay_case_blind() -> None:
    assert bytes(REQUEST_ID.lower()) == b"x-amzn-RequestId"  # what uvicorn's httptools writer sends
    assert b"x-amzn-requestid" == REQUEST_ID  # noqa: SIM300 (plain bytes on the left, as Starlette compares)
    assert {REQUEST_ID: 1}[b"x-amzn-requestid"] == 1
    response = Response(b"")
    response.raw_headers = [(REQUEST_ID, b"id"), (RATE_LIMIT, b"1.0")]
    assert response.headers["x-amzn-requestid"] == "id"
    assert response.headers["X-Amzn-RateLimit-Limit"] == "1.0"


def test_h11_writes_the_spelling() -> None:
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    connection.next_event()
    wire = connection.send(h11.Response(status_code=200, headers=[(REQUEST_ID, b"id"), (b"content-length", b"0")]))
    assert wire is not None
    assert b"\r\nx-amzn-RequestId: id\r\n" in wire


def test_other_names_go_lower_case() -> None:
    assert raw_name("x-amzn-ratelimit-limit") == b"x-amzn-RateLimit-Limit"
    assert bytes(raw_name("X-Amzn-ErrorType")) == b"x-amzn-ErrorType"
    assert raw_name("Cache-Control") == b"cache-control"
