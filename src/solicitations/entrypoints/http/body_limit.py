"""One body-size limit for every route, enforced before any handler or form parser reads a byte.

A declared Content-Length over the limit is answered 413 at once, unread; a body streamed without one
(chunked) is cut off as soon as it passes the limit: reading it further raises Starlette's own 413, which
the app renders in Amazon's shape like every framework status.
"""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from solicitations.domain import errors
from solicitations.entrypoints.http import rendering


class BodyLimit:
    """ASGI middleware: no request body past `max_bytes` reaches the app."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"").lstrip(b"0")
        if declared.isdigit() and (len(declared) > len(str(self.max_bytes)) or int(declared) > self.max_bytes):
            response = rendering.error_response(errors.TOO_LARGE, rendering.new_request_id())
            await response(scope, receive, send)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413)
            return message

        await self.app(scope, bounded_receive, send)
