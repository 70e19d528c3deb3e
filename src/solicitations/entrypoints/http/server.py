"""How `serve` runs uvicorn, with the bounds uvicorn leaves open.

httptools stays the parser (C, measured in bench/: h11 costs about twice the CPU per request), but uvicorn's
httptools protocol bounds neither the size of a request head (an 80 MB header cost 7 s of CPU) nor the time a
client may take to send it or to resume a stalled body. `BoundedHttpTools` adds both; uvicorn's own settings
bound idle keep-alive connections, open connections and the listen backlog. uvicorn is pinned in
pyproject.toml because this subclasses its protocol.
"""

import asyncio
import sys
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState
from uvicorn.supervisors import Multiprocess

from solicitations.config import Settings

# The same for `serve` and for the benchmark's raw ASGI baseline, to compare like with like.
UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    "access_log": False,  # the app writes its own structured access log
    "log_config": None,
    "server_header": False,
    "timeout_graceful_shutdown": 10,
}
_TOO_LARGE = b"Request header fields too large"
_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_LARGE), _TOO_LARGE)
)


@dataclass(frozen=True, slots=True)
class ServerLimits:
    max_header_bytes: int = Settings.model_fields["max_header_bytes"].default
    client_timeout_seconds: float = Settings.model_fields["client_timeout_seconds"].default
    keep_alive_seconds: int = Settings.model_fields["keep_alive_seconds"].default
    max_connections: int = Settings.model_fields["max_connections"].default
    listen_backlog: int = Settings.model_fields["listen_backlog"].default

    @classmethod
    def of(cls, settings: Settings) -> "ServerLimits":
        return cls(
            settings.max_header_bytes,
            settings.client_timeout_seconds,
            settings.keep_alive_seconds,
            settings.max_connections,
            settings.listen_backlog,
        )


class BoundedConfig(uvicorn.Config):
    """uvicorn's Config carrying our limits; pickled whole into each process of `--workers N`."""

    def __init__(self, app: Any, limits: ServerLimits, **options: Any) -> None:
        super().__init__(
            app,
            http=BoundedHttpTools,
            h11_max_incomplete_event_size=limits.max_header_bytes,
            timeout_keep_alive=limits.keep_alive_seconds,
            limit_concurrency=limits.max_connections,
            backlog=limits.listen_backlog,
            **UVICORN_OPTIONS,
            **options,
        )
        self.limits = limits


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and a deadline on slow clients.

    The head (request line and headers) must arrive within the client timeout of the connection opening or of
    its first byte, and stay under `max_header_bytes` (counted per read, so the bound is exceeded by one read
    at most, 256 KiB). A body may not stall longer than the client timeout while the app waits for it.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = config.limits if isinstance(config, BoundedConfig) else ServerLimits()
        self._max_head = limits.max_header_bytes
        self._client_timeout = limits.client_timeout_seconds
        self._head_bytes = 0
        self._reading_head = True
        self._reading_body = False
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self._client_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self._reading_body and self.flow.read_paused:  # we stopped reading, not the client
            self._arm()
            return
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        elif self._reading_body:
            self._arm()
        super().data_received(data)
        if self._reading_head and self._head_bytes > self._max_head and not self.transport.is_closing():
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._reading_head:  # a keep-alive connection's next request: a new head, a new deadline
            self._reading_head, self._head_bytes = True, 0
            self._arm()

    def on_headers_complete(self) -> None:
        self._reading_head, self._reading_body = False, True
        self._arm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._disarm()
        super().on_message_complete()


def run(app: Any, limits: ServerLimits, *, host: str, port: int, workers: int = 1, factory: bool = False) -> None:
    """uvicorn.run's own steps, with a BoundedConfig (uvicorn.run builds a plain Config from keywords)."""
    config = BoundedConfig(app, limits, host=host, port=port, workers=workers, factory=factory)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
