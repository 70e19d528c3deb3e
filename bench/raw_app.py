"""The ceiling: a raw ASGI hello-world, served by the same uvicorn, loop and parser as the service."""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
_START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
_BODY = {"type": "http.response.body", "body": b"Hello, world!"}


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "http":
        await send(_START)
        await send(_BODY)


if __name__ == "__main__":
    import sys

    from solicitations.entrypoints.http import server

    server.run(app, server.ServerLimits(), host="127.0.0.1", port=int(sys.argv[1]))
