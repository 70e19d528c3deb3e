"""`solicitations request-reviews` as a process against real server processes: discovery across getOrders
pages, windows opening as the emulator's clock moves, a SIGKILL mid-run, a suspended application, a 503
storm between the requester and the service, and our `--sandbox`. Emails and the journal are the evidence."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import SELLER, US, ServerProcess, fresh_database_url, iso, order_doc, server_now
from solicitations.testing import Emulator

pytestmark = pytest.mark.e2e

FAST = {"PLAN_RATE": "1000", "PLAN_BURST": "1000"}


def command_env(endpoint: str, token_url: str, credentials: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "SP_API_ENDPOINT": endpoint,
        "LWA_TOKEN_URL": token_url,
        "LWA_APP_ID": credentials["lwa_app_id"],
        "LWA_CLIENT_SECRET": credentials["lwa_client_secret"],
        "SP_API_REFRESH_TOKEN": credentials["refresh_token"],
        "SP_API_MARKETPLACE_ID": US,
    }


def request_reviews(env: dict[str, str], journal: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "solicitations", "request-reviews", "--journal", str(journal), "--json", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, dict[str, Any], str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, json.loads(out) if out.strip() else {}, err


def delivered(emu: Emulator, order_id: str, days_ago: float) -> None:
    when = emu.now() - timedelta(days=days_ago)
    emu.add_order(
        {
            "AmazonOrderId": order_id,
            "MarketplaceId": emu.marketplace_id,
            "OrderStatus": "Shipped",
            "PurchaseDate": iso(when - timedelta(days=3)),
            "EarliestDeliveryDate": iso(when),
            "LatestDeliveryDate": iso(when),
            "BuyerInfo": {"BuyerEmail": f"{order_id}@example.com"},
        }
    )


def recipients(emu: Emulator) -> list[str]:
    return sorted(str(message["To"]) for message in emu.mailbox())


def emulator_env(emu: Emulator) -> dict[str, str]:
    return command_env(emu.url, emu.token_url, emu.credentials)


def test_every_page_is_discovered(tmp_path: Path) -> None:
    with Emulator(settings=FAST) as emu:
        orders = [f"111-0000000-{n:07d}" for n in range(130)]  # getOrders pages hold 100
        for order_id in orders:
            delivered(emu, order_id, days_ago=6)
        code, summary, err = finished(
            request_reviews(emulator_env(emu), tmp_path / "j.db", "--now", emu.now().isoformat())
        )
        assert (code, summary["askedThisRun"]) == (0, 130), err
        assert recipients(emu) == sorted(f"{order_id}@example.com" for order_id in orders)


def test_windows_open_as_the_emulators_clock_moves(tmp_path: Path) -> None:
    with Emulator(settings=FAST) as emu:
        today = [f"111-0000001-{n:07d}" for n in range(3)]
        later = [f"111-0000002-{n:07d}" for n in range(2)]
        for order_id in today:
            delivered(emu, order_id, days_ago=6)
        for order_id in later:
            delivered(emu, order_id, days_ago=1)  # its window opens in 4 days
        env, journal = emulator_env(emu), tmp_path / "j.db"

        code, first, err = finished(request_reviews(env, journal, "--now", emu.now().isoformat()))
        assert (code, first["askedThisRun"], first["notYetInWindow"]) == (0, 3, 2), err
        assert datetime.fromisoformat(first["nextWindowOpens"]) > emu.now()
        assert recipients(emu) == sorted(f"{order_id}@example.com" for order_id in today)

        emu.advance(days=4, hours=1)
        code, second, err = finished(request_reviews(env, journal, "--now", emu.now().isoformat()))
        assert (code, second["askedThisRun"], second["askedEarlier"], second["notYetInWindow"]) == (0, 2, 3, 0), err
        assert recipients(emu) == sorted(f"{order_id}@example.com" for order_id in today + later)


def asked(journal: Path) -> int:
    """Orders the journal records as asked (0 before the requester created it)."""
    if not journal.exists():
        return 0
    with sqlite3.connect(journal) as db:
        try:
            return int(db.execute("SELECT count(*) FROM orders WHERE state = 'asked'").fetchone()[0])
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0


def test_a_run_killed_midway_resumes_and_asks_nobody_twice(tmp_path: Path) -> None:
    with Emulator(settings={"PLAN_RATE": "20", "PLAN_BURST": "5"}) as emu:
        orders = [f"111-0000003-{n:07d}" for n in range(50)]  # about 2.5 s of creates at 20/s
        for order_id in orders:
            delivered(emu, order_id, days_ago=6)
        env, journal, now = emulator_env(emu), tmp_path / "j.db", emu.now().isoformat()

        killed = request_reviews(env, journal, "--now", now)
        kill_after = random.randrange(1, len(orders) - 5)
        while asked(journal) < kill_after:  # a random point of the run, perhaps between "sending" and "asked"
            assert killed.poll() is None, killed.communicate()
            time.sleep(random.uniform(0, 0.05))
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        asked_before_kill = asked(journal)
        assert asked_before_kill < len(orders)

        code, summary, err = finished(request_reviews(env, journal, "--now", now))
        assert code == 0, err
        assert summary["asked"] == len(orders)
        assert summary["askedEarlier"] >= asked_before_kill
        assert recipients(emu) == sorted(f"{order_id}@example.com" for order_id in orders)  # each exactly once


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(fresh_database_url(tmp_path), log_path=tmp_path / "server.log").start()
    yield process
    process.stop()


def provision(server: ServerProcess, order_ids: list[str]) -> tuple[str, dict[str, str]]:
    """An authorized application and eligible orders on a wall-clock server; its id and credentials."""
    with server.admin() as admin:
        app = admin.post("/admin/v1/applications", json={"name": "Requester"}).json()
        admin.put(f"/admin/v1/sellers/{SELLER}", json={"name": "Store", "marketplaceIds": [US]}).raise_for_status()
        granted = admin.post(
            "/admin/v1/authorizations", json={"sellerId": SELLER, "applicationId": app["applicationId"]}
        )
        granted.raise_for_status()
        for order_id in order_ids:
            admin.put(f"/admin/v1/orders/{order_id}", json=order_doc(order_id, now=server_now())).raise_for_status()
    credentials = {
        "lwa_app_id": app["clientId"],
        "lwa_client_secret": app["clientSecret"],
        "refresh_token": granted.json()["refresh_token"],
    }
    return app["applicationId"], credentials


def outbox_count(server: ServerProcess) -> int:
    with server.admin() as admin:
        return len(admin.get("/admin/v1/outbox", params={"limit": 1000}).json()["messages"])


def test_a_suspended_application_stops_the_run_and_keeps_the_journal(server: ServerProcess, tmp_path: Path) -> None:
    first = [f"111-0000004-{n:07d}" for n in range(3)]
    application_id, credentials = provision(server, first)
    env, journal = command_env(server.base_url, server.base_url + "/auth/o2/token", credentials), tmp_path / "j.db"
    code, summary, err = finished(request_reviews(env, journal))
    assert (code, summary["askedThisRun"]) == (0, 3), err

    with server.admin() as admin:
        admin.put(f"/admin/v1/applications/{application_id}/state", json={"state": "suspended"}).raise_for_status()
        admin.put("/admin/v1/orders/111-0000004-0000009", json=order_doc("111-0000004-0000009", now=server_now()))
    code, summary, err = finished(request_reviews(env, journal))
    assert code == 1
    assert summary == {}  # no table for a stopped run, the reason instead
    assert "stopped:" in err, err
    assert "rerun to resume" in err
    assert asked(journal) == 3
    assert outbox_count(server) == 3


class Storm(ThreadingHTTPServer):
    """A proxy in front of the service that answers 503 to every request for `seconds` from the first one."""

    def __init__(self, upstream: str, seconds: float) -> None:
        self.upstream, self.seconds, self.refused = upstream, seconds, 0
        self.until: float | None = None
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), StormHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StormHandler(BaseHTTPRequestHandler):
    server: Storm

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _relay(self) -> None:
        with self.server.lock:
            self.server.until = self.server.until or time.monotonic() + self.server.seconds
            storming = time.monotonic() < self.server.until
            self.server.refused += storming
        if storming:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        answer = httpx.request(
            self.command, self.server.upstream + self.path, headers=headers, content=self.rfile.read(length)
        )
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = _relay


def test_a_503_storm_is_waited_out(server: ServerProcess, tmp_path: Path) -> None:
    orders = [f"111-0000005-{n:07d}" for n in range(5)]
    _, credentials = provision(server, orders)
    storm = Storm(server.base_url, seconds=1.5)
    threading.Thread(target=storm.serve_forever, daemon=True).start()
    try:
        env = command_env(storm.url, server.base_url + "/auth/o2/token", credentials)
        code, summary, err = finished(request_reviews(env, tmp_path / "j.db"))
    finally:
        storm.shutdown()
    assert storm.refused > 0
    assert (code, summary["askedThisRun"], summary["failed"]) == (0, 5, {}), err
    assert outbox_count(server) == 5


def test_runs_unchanged_against_our_sandbox_for_its_order(tmp_path: Path) -> None:
    """Amazon's sandbox answers getOrders only for `CreatedAfter=TEST_CASE_200`: `--order-id` skips discovery."""
    sandbox = ServerProcess(fresh_database_url(tmp_path), args=["--sandbox"], log_path=tmp_path / "server.log").start()
    try:
        _, credentials = provision(sandbox, [])
        env = command_env(sandbox.base_url, sandbox.base_url + "/auth/o2/token", credentials)
        code, summary, err = finished(request_reviews(env, tmp_path / "j.db", "--order-id", "123-1234567-1234567"))
    finally:
        sandbox.stop()
    assert (code, summary["askedThisRun"], summary["failed"]) == (0, 1, {}), err
