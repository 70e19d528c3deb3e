"""Shared test helpers: a settable clock, order documents, and real server processes on loopback."""

import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"  # at least 32 characters, as the service requires
METRICS_AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # /metrics takes the admin token without a metrics token
SELLER = "A1TESTSELLER"
OTHER_SELLER = "A2OTHERSELLER"
APP = "amzn1.sp.solution.test-app"
US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"
T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


class Clock:
    """A clock the test sets: the service reads time only through it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


# argon2id at its lowest cost, for tests that hash many secrets or instrument argon2 itself.
CHEAP_ARGON2: dict[str, int] = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


class GatedArgon2(PasswordHasher):
    """argon2id at its lowest cost whose verifies hold their thread until `release` is set; `entered` counts
    the verifies that started, so a test knows when the secret-checking threads are all taken."""

    def __init__(self) -> None:
        super().__init__(**CHEAP_ARGON2)
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.entered = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Any:
        with self._lock:
            self.entered += 1
        assert self.release.wait(10), "the test never released the gate"
        return super().verify(hash, password)


def server_now() -> datetime:
    """The wall clock, which real server processes read: for documents sent to them, never for the fixed `Clock`.

    The in-process app runs on `Clock`; servers on loopback run on the wall clock (moved as a whole by
    faketime in CI). A test talks to one or the other, never compares the two.
    """
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def order_doc(
    order_id: str,
    *,
    now: datetime = T0,
    seller_id: str = SELLER,
    marketplace_id: str = US,
    status: str = "Shipped",
    delivered_days_ago: float = 10,
    latest_days_ago: float | None = None,
    email: str | None = "buyer@example.com",
    locale: str | None = None,
    opted_out: bool = False,
) -> dict[str, Any]:
    """An Orders-API-shaped order; by default eligible at `now` (delivered 10 days before it)."""
    earliest = now - timedelta(days=delivered_days_ago)
    latest = now - timedelta(days=delivered_days_ago if latest_days_ago is None else latest_days_ago)
    doc: dict[str, Any] = {
        "AmazonOrderId": order_id,
        "SellerId": seller_id,
        "MarketplaceId": marketplace_id,
        "OrderStatus": status,
        "PurchaseDate": iso(earliest - timedelta(days=3)),
        "EarliestDeliveryDate": iso(earliest),
        "LatestDeliveryDate": iso(latest),
        "FulfillmentChannel": "MFN",
        "BuyerOptedOut": opted_out,
    }
    if email is not None:
        doc["BuyerInfo"] = {"BuyerEmail": email}
    if locale is not None:
        doc["BuyerLocale"] = locale
    return doc


# The suite runs once on SQLite and once on PostgreSQL (SOLICITATIONS_TEST_DATABASE=postgresql), with
# buckets in Redis then (SOLICITATIONS_TEST_REDIS_URL).
TEST_DATABASE = os.environ.get("SOLICITATIONS_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("SOLICITATIONS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("SOLICITATIONS_TEST_REDIS_URL")
ON_POSTGRES = TEST_DATABASE == "postgresql"
CREATED_DATABASES: list[str] = []


def postgres_conninfo(database: str | None = None) -> str:
    url = make_url(POSTGRES_URL).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def fresh_database_url(directory: Path, name: str = "solicitations.db", *, postgres: bool = ON_POSTGRES) -> str:
    """A new, empty database: a SQLite file in `directory`, or a PostgreSQL database (on the PostgreSQL pass,
    or when the test asks for one)."""
    if not postgres:
        return f"sqlite:///{directory / name}"
    database = f"t_{uuid.uuid4().hex[:20]}"
    with psycopg.connect(postgres_conninfo(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    CREATED_DATABASES.append(database)
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def drop_databases() -> None:
    if not CREATED_DATABASES:
        return
    with psycopg.connect(postgres_conninfo(), autocommit=True, connect_timeout=5) as conn:
        while CREATED_DATABASES:
            conn.execute(f'DROP DATABASE IF EXISTS "{CREATED_DATABASES.pop()}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """`solicitations serve` as a real process on a loopback port."""

    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    throttled: bool = False  # True: Amazon's default plans; False: plans too high to ever throttle
    args: list[str] = field(default_factory=list)  # more `serve` options, e.g. --no-worker
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "ServerProcess":
        env = {
            **os.environ,
            "SOLICITATIONS_DATABASE_URL": self.database_url,
            "SOLICITATIONS_ADMIN_TOKEN": ADMIN_TOKEN,
            "SOLICITATIONS_PUBLIC_URL": self.base_url,
            # Messages stay beside the test's files, never in the working directory.
            "SOLICITATIONS_MAILDIR": str(
                (self.log_path.parent if self.log_path else Path(tempfile.mkdtemp())) / "mail"
            ),
            **({} if self.throttled else {"SOLICITATIONS_PLAN_RATE": "1000", "SOLICITATIONS_PLAN_BURST": "1000"}),
            **({"SOLICITATIONS_REDIS_URL": TEST_REDIS_URL} if TEST_REDIS_URL else {}),
            **self.env,
        }
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "solicitations", "serve", "--port", str(self.port), *self.args],
            env=env,
            stdout=out,
            stderr=out,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become healthy")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far, all its threads (Linux /proc)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def issue_token(self, seller_id: str = SELLER, application_id: str = APP, roles: list[str] | None = None) -> str:
        with self.admin() as admin:
            response = admin.post(
                "/admin/v1/access-tokens",
                json={"sellerId": seller_id, "applicationId": application_id, "roles": roles or ["Buyer Solicitation"]},
            )
            response.raise_for_status()
            return str(response.json()["access_token"])

    def put_order(self, doc: dict[str, Any]) -> None:
        with self.admin() as admin:
            admin.put(f"/admin/v1/orders/{doc['AmazonOrderId']}", json=doc).raise_for_status()


@dataclass
class WorkerProcess:
    """`solicitations worker` as a real process, to be killed and started again."""

    env: dict[str, str]
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> "WorkerProcess":
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "solicitations", "worker"], env={**os.environ, **self.env}, stdout=out, stderr=out
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no chance to finish a send or free a lease."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def sample(metrics_text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when the series does not exist yet."""
    for line in metrics_text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if found == labels:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_until(condition: Any, timeout: float, what: str) -> None:
    """Poll `condition` every 50 ms; fail saying `what` did not happen within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


async def wait_until_async(condition: Any, timeout: float = 5.0, what: str = "the condition") -> None:
    """`wait_until` for a test already on an event loop: polls every 10 ms without blocking the loop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {timeout}s: {what}")


R = TypeVar("R")


def read_now(store: Any, work: Callable[[Any], R]) -> R:
    """A store read for a test's assertions, run here and now (outside any event loop) in a transaction of its
    own: `work` gets the unit of work, e.g. `lambda uow: uow.orders.find(order_id)`."""
    with store.transaction() as uow:
        return work(uow)
