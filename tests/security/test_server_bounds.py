"""Finding 4: a request head, an idle connection and a slow client are bounded by the server itself.

Against a real `solicitations serve` with small timeouts: an 80 MB header is refused after a few kilobytes
while /healthz stays fast; an idle keep-alive connection, a connection that never sends, a half-sent head
trickled a byte at a time and a stalled body are all closed within the configured timeout.
"""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import ServerProcess, fresh_database_url

pytestmark = pytest.mark.e2e

CLIENT_TIMEOUT = 1.0
KEEP_ALIVE = 1
SLACK = 1.5  # scheduling on a busy 2-core machine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("bounds")
    process = ServerProcess(
        fresh_database_url(tmp),
        env={
            "SOLICITATIONS_CLIENT_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT),
            "SOLICITATIONS_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
            "SOLICITATIONS_MAX_HEADER_BYTES": "16384",
        },
        log_path=Path(tmp) / "server.log",
    ).start()
    yield process
    process.stop()


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def closed_after(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closes `sock` (reading and dropping whatever it answers); fails past `limit`."""
    started = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {limit}s")
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_an_80_mb_header_is_refused_quickly_and_healthz_stays_fast(server: ServerProcess) -> None:
    sock = connect(server)
    outcome: dict[str, object] = {}

    def flood() -> None:
        started = time.monotonic()
        sent = 0
        chunk = b"a" * (1024 * 1024)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
            while sent < 80 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass
        outcome["sent"] = sent
        outcome["seconds"] = time.monotonic() - started
        try:
            sock.settimeout(5)
            outcome["answer"] = sock.recv(200)
        except OSError:
            outcome["answer"] = b""

    cpu_before = server.cpu_seconds()
    attacker = threading.Thread(target=flood)
    attacker.start()
    slowest = 0.0
    with httpx.Client(base_url=server.base_url) as client:
        while attacker.is_alive() and slowest < 5:
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.02)
    attacker.join(30)
    sock.close()
    assert outcome["sent"] < 16 * 1024 * 1024, outcome  # cut off long before 80 MB
    assert outcome["seconds"] < 3, outcome
    assert outcome["answer"] in (b"",) or outcome["answer"].startswith(b"HTTP/1.1 431"), outcome  # type: ignore[union-attr]
    assert slowest < 0.25
    assert server.cpu_seconds() - cpu_before < 1.5


def test_an_idle_keep_alive_connection_is_closed(server: ServerProcess) -> None:
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    assert closed_after(sock, KEEP_ALIVE + SLACK) >= KEEP_ALIVE - 0.2


def test_a_connection_that_never_sends_is_closed(server: ServerProcess) -> None:
    sock = connect(server)
    assert closed_after(sock, CLIENT_TIMEOUT + SLACK) >= CLIENT_TIMEOUT - 0.2


def test_a_head_trickled_a_byte_at_a_time_is_closed(server: ServerProcess) -> None:
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    started = time.monotonic()
    try:
        while time.monotonic() - started < CLIENT_TIMEOUT + SLACK:
            sock.sendall(b"a")
            time.sleep(0.1)
    except OSError:
        return  # closed, as it must be
    assert closed_after(sock, 0.5) >= 0


def test_a_stalled_body_is_closed(server: ServerProcess) -> None:
    sock = connect(server)
    sock.sendall(
        b"POST /auth/o2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100\r\n\r\ngrant_type"
    )
    closed_after(sock, CLIENT_TIMEOUT + SLACK)


def test_healthy_requests_still_pass(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(3):
            assert client.get("/healthz", headers={"X-Ok": "b" * 8000}).status_code == 200
            time.sleep(0.3)  # within the keep-alive window: the connection is reused
