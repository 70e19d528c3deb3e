"""The emulator for your own test suites: a real `solicitations serve --emulator` on a loopback port.

    with Emulator() as emu:
        emu.add_order({...})              # an Orders API order; SellerId defaults to emu.seller_id
        ...your code, with emu.url, emu.token_url and emu.credentials...
        emu.advance(days=31)              # move the emulated clock forward
        emu.mailbox()                     # the buyers' emails, once none is left to send

It runs as a subprocess (the service you test against, not a mock of it), on a throwaway SQLite store and
Maildir in a temporary folder removed on exit. Only the standard library talks to it, so installing
`solicitations` is all a test suite needs. The pytest fixture `solicitations_emulator` wraps this class.
"""

import email.policy
import email.utils
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["Emulator", "EmulatorError"]

US = "ATVPDKIKX0DER"
ACCESS_TOKEN_TTL_SECONDS = 400 * 86_400  # settings={"ACCESS_TOKEN_TTL_SECONDS": "3600"} restores Amazon's hour


class EmulatorError(RuntimeError):
    """The emulator did not start, or refused an admin request (the message carries its answer)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulator:
    """One emulator process: a seller, an application it authorized, and a clock you move.

    `settings` adds SOLICITATIONS_* variables (without the prefix), e.g. `{"PLAN_RATE": "100"}`; the
    process inherits none from your environment, so it never touches your real store, Redis or SMTP.
    """

    def __init__(
        self,
        *,
        seller_id: str = "AEMULATORSELLER",
        marketplace_id: str = US,
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self._settings = dict(settings or {})
        self._start_timeout = start_timeout
        self._admin_token = secrets.token_urlsafe(24)
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.credentials: dict[str, str] = {}

    @property
    def token_url(self) -> str:
        """Login with Amazon's token endpoint, as Amazon's SDK and LWA clients take it."""
        return self.url + "/auth/o2/token"

    @property
    def maildir(self) -> Path:
        assert self._folder is not None, "the emulator is not running"
        return self._folder / "mail"

    def __enter__(self) -> "Emulator":
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="solicitations-emulator-"))
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOLICITATIONS_")}
        env.update(
            {
                "SOLICITATIONS_DATABASE_URL": f"sqlite:///{self._folder / 'emulator.db'}",
                "SOLICITATIONS_SQLITE_SYNCHRONOUS": "OFF",  # a throwaway store need not survive power loss
                "SOLICITATIONS_MAILDIR": str(self.maildir),
                "SOLICITATIONS_ADMIN_TOKEN": self._admin_token,
                "SOLICITATIONS_PUBLIC_URL": self.url,
                "SOLICITATIONS_DELIVERY_POLL_SECONDS": "0.1",  # emails land soon after their 201
                # Clients cache access tokens by wall time (python-amazon-sp-api: 3200 s): with Amazon's hour,
                # the first call after advance(days=...) would be refused for a token only emulated time aged.
                "SOLICITATIONS_ACCESS_TOKEN_TTL_SECONDS": str(ACCESS_TOKEN_TTL_SECONDS),
                **{f"SOLICITATIONS_{k.upper()}": v for k, v in self._settings.items()},
            }
        )
        with open(self._folder / "server.log", "wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "solicitations", "serve", "--emulator", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_healthy()
            self._authorize()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        assert self._process is not None
        assert self._folder is not None
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self._folder / "server.log").read_text(errors="replace")[-2000:]
                raise EmulatorError(f"the emulator exited with {self._process.returncode}:\n{log}")
            try:
                self._call("GET", "/healthz")
                return
            except (OSError, EmulatorError):
                time.sleep(0.05)
        raise EmulatorError(f"the emulator did not answer within {self._start_timeout} s")

    def _authorize(self) -> None:
        """The seller, an application and the seller's authorization of it: what a real app starts from."""
        self._call("PUT", f"/admin/v1/sellers/{self.seller_id}", {"marketplaceIds": [self.marketplace_id]})
        app = self._call("POST", "/admin/v1/applications", {"name": "Emulated application"})
        grant = {"sellerId": self.seller_id, "applicationId": app["applicationId"]}
        refresh = self._call("POST", "/admin/v1/authorizations", grant)["refresh_token"]
        self.credentials = {
            "refresh_token": refresh,
            "lwa_app_id": app["clientId"],
            "lwa_client_secret": app["clientSecret"],
        }

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _call(self, method: str, path: str, body: object = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 (always http on loopback)
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self._admin_token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise EmulatorError(
                f"{method} {path}: {error.code} {error.read()[:1000].decode(errors='replace')}"
            ) from None

    def add_order(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace an order (Orders API shape, as PUT /admin/v1/orders takes it); the stored order."""
        doc = {"SellerId": self.seller_id, **order}
        return dict(self._call("PUT", f"/admin/v1/orders/{doc['AmazonOrderId']}", doc))

    def now(self) -> datetime:
        """The emulator's business time."""
        return datetime.fromisoformat(self._call("GET", "/admin/v1/clock")["now"])

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        """Move the emulator's clock forward; the new business time."""
        by = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds).total_seconds()
        return datetime.fromisoformat(self._call("PUT", "/admin/v1/clock", {"advanceSeconds": by})["now"])

    def mailbox(self, timeout: float = 10.0) -> list[EmailMessage]:
        """The buyers' emails, oldest first, once the outbox holds none waiting to be sent (at most `timeout` s)."""
        deadline = time.monotonic() + timeout
        while self._call("GET", "/admin/v1/outbox?state=pending&limit=1")["messages"]:
            if time.monotonic() > deadline:
                raise EmulatorError(f"emails still waiting to be sent after {timeout} s")
            time.sleep(0.05)
        files = [path for folder in ("new", "cur") for path in (self.maildir / folder).glob("*")]
        messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
        return sorted(messages, key=lambda message: email.utils.parsedate_to_datetime(message["Date"]))
