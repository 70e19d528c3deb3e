"""One HTTP/1.1 exchange over a raw socket, keeping header names exactly as the server wrote them."""

import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: list[tuple[str, str]]  # (name as sent, value), in order
    body: bytes

    def names(self) -> list[str]:
        return [name for name, _ in self.headers]

    def value(self, name: str) -> str:
        """The value of the header spelled exactly `name`."""
        [value] = [v for n, v in self.headers if n == name]
        return value


def exchange(port: int, method: str, target: str, headers: dict[str, str] | None = None) -> RawResponse:
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", "Content-Length: 0"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    pairs = [line.split(":", 1) for line in header_lines]
    return RawResponse(int(status_line.split()[1]), [(n, v.strip()) for n, v in pairs], body)
