"""A real SMTP server for tests (aiosmtpd on a loopback port) that keeps what it receives."""

import asyncio
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from helpers import free_port


class Sink:
    """The aiosmtpd handler: keeps every message; answers RCPT for an address in `refuse` with its reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # lower-cased address -> SMTP reply, e.g. "550 5.1.1 User unknown"
        self.delay = 0.0  # seconds spent in DATA, to widen the window in which a sender can die
        self._lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        reply = self.refuse.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]).strip() for m in self.received()]

    def wait_for(self, count: int, timeout: float) -> list[EmailMessage]:
        """At least `count` messages, or fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.received()
            if len(received) >= count:
                return received
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages within {timeout}s, got {len(self.received())}")


class SmtpServer:
    """An aiosmtpd Controller that can be stopped and started again on the same port (an outage)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.sink = Sink()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
