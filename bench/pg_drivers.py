"""PostgreSQL drivers side by side for the async store (issue 11): today's threads against two async pools.

The service's two hot statement shapes, from one event loop at 32 requests in flight, against a fresh
database migrated by the service's own migrations (dropped at the end):

    GET   the access-token lookup (its join) and the order read by id (joined with its solicitation),
          one pooled read each, as the store's `read` does them
    POST  one transaction: the order read, the solicitation insert, the outbox insert, for distinct orders

through (1) today's way: sync psycopg 3 on SQLAlchemy's pool, each call hopped into a ThreadPoolExecutor as
large as the store's pool; (2) psycopg 3's AsyncConnectionPool, statements prepared; (3) an asyncpg pool
(its statement cache prepares them), (3b) the same without the reset query asyncpg's pool sends on every
release; (4) SQLAlchemy's async engine over psycopg async. Every pool holds the same number of connections
(`--pool-size`, the store's default 10), opened before its round and closed after. Rounds are interleaved
(run.py's drive_interleaved), so a busy machine weighs on every row alike. This process is pinned to the
server core as `make bench` pins the server; PostgreSQL runs where the scheduler puts it. CPU share: this
process's CPU time (all its threads) over the round's wall time; PG µs/op: its backends' CPU per operation.
Usage: `python bench/pg_drivers.py [--rounds 5] [--seconds 4] [--drivers threads,psycopg,asyncpg,asyncpg-noreset]`.
"""

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
import psycopg
import uvloop
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import dataset
from dataset import ACCESS_TOKEN, APPLICATION, ELIGIBLE, MARKETPLACE, POOL, SELLER, PostgresDataset
from run import SERVER_CORE, drive_interleaved, medians, process_cpu_seconds

# The store's statements (adapters/store/sql.py, compiled for PostgreSQL), written out in asyncpg's
# numbered style; the other drivers get them rewritten to their own placeholders.
FIND_CALLER = (
    "SELECT access_tokens.seller_id, access_tokens.application_id, access_tokens.expires_at, applications.roles "
    "FROM access_tokens JOIN applications ON applications.application_id = access_tokens.application_id "
    "LEFT OUTER JOIN authorizations ON authorizations.authorization_id = access_tokens.authorization_id "
    "WHERE access_tokens.token_hash = $1 AND applications.state = 'active' AND authorizations.revoked_at IS NULL"
)
FIND_ORDER = (
    "SELECT orders.amazon_order_id, orders.seller_id, orders.marketplace_id, orders.order_status, "
    "orders.purchase_date, orders.earliest_delivery_date, orders.latest_delivery_date, orders.fulfillment_channel, "
    "orders.buyer_email, orders.buyer_locale, orders.buyer_opted_out, orders.order_items, solicitations.action, "
    "solicitations.seller_id, solicitations.application_id, solicitations.marketplace_id, solicitations.created_at, "
    "solicitations.request_id FROM orders LEFT OUTER JOIN solicitations "
    "ON solicitations.amazon_order_id = orders.amazon_order_id WHERE orders.amazon_order_id = $1"
)
ADD_SOLICITATION = (
    "INSERT INTO solicitations (amazon_order_id, action, seller_id, application_id, marketplace_id, created_at, "
    "request_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (amazon_order_id) DO NOTHING"
)
ADD_MESSAGE = (
    "INSERT INTO outbox (amazon_order_id, message_id, state, attempts, due_at_ms, created_at_ms) "
    "VALUES ($1, $2, 'pending', 0, $3, $4) RETURNING outbox.id"
)
TOKEN_HASH = hashlib.sha256(ACCESS_TOKEN.encode()).hexdigest()
ACTION = "productReviewAndSellerFeedback"
STATEMENT_TIMEOUT_MS = 5000  # the store's default, set on every driver's connections alike


def percent_s(sql: str) -> str:
    """psycopg's positional placeholders (each $n above appears once, in order)."""
    return re.sub(r"\$(\d+)", "%s", sql)


def solicitation_values(order_id: str, now: int) -> tuple[Any, ...]:
    return (order_id, ACTION, SELLER, APPLICATION, MARKETPLACE, now, f"bench-{order_id}")


def message_values(order_id: str, now_ms: int) -> tuple[Any, ...]:
    return (order_id, f"<{order_id}@bench.invalid>", now_ms, now_ms)


class Driver(Protocol):
    """One way of reaching PostgreSQL from the event loop."""

    name: str

    async def open(self) -> None: ...
    async def read(self, sql: str, value: str) -> Any: ...
    async def solicit(self, order_id: str) -> bool: ...
    async def close(self) -> None: ...


def statement_timeout() -> str:
    return f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"


@dataclass
class Threads:
    """Today's store: sync psycopg through SQLAlchemy's pool, reads and writes in their own thread pools.

    As SqlStore does: each reader thread keeps an autocommit connection; writes take a pooled connection in
    a transaction; statements go straight to the DBAPI cursor (psycopg prepares a statement itself after
    its fifth run on a connection)."""

    url: str
    size: int
    name: str = "(1) sync psycopg + SQLAlchemy, thread pools"

    async def open(self) -> None:
        self.engine = create_engine(
            self.url,
            pool_size=self.size,
            max_overflow=2 * self.size,
            pool_timeout=5,
            connect_args={"options": statement_timeout()},
        )
        self.readers = ThreadPoolExecutor(self.size, thread_name_prefix="read")
        self.writers = ThreadPoolExecutor(self.size, thread_name_prefix="write")
        self.connections: dict[int, Any] = {}

    def _read(self, sql: str, value: str) -> Any:
        conn = self.connections.get(threading.get_ident())
        if conn is None:
            conn = self.connections[threading.get_ident()] = self.engine.raw_connection()
            driver = conn.driver_connection
            assert driver is not None
            driver.autocommit = True
        cursor = conn.cursor()
        try:
            cursor.execute(percent_s(sql), (value,))
            return cursor.fetchone()
        finally:
            cursor.close()

    def _solicit(self, order_id: str) -> bool:
        now = int(time.time())
        with self.engine.begin() as conn:
            cursor = conn.connection.cursor()
            cursor.execute(percent_s(FIND_ORDER), (order_id,))
            cursor.fetchone()
            cursor.execute(percent_s(ADD_SOLICITATION), solicitation_values(order_id, now))
            if cursor.rowcount != 1:
                return False
            cursor.execute(percent_s(ADD_MESSAGE), message_values(order_id, now * 1000))
            cursor.close()
            return True

    async def read(self, sql: str, value: str) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.readers, self._read, sql, value)

    async def solicit(self, order_id: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(self.writers, self._solicit, order_id)

    async def close(self) -> None:
        self.readers.shutdown()
        self.writers.shutdown()
        for conn in self.connections.values():
            conn.invalidate()
        self.engine.dispose()


@dataclass
class PsycopgAsync:
    """psycopg 3's AsyncConnectionPool; every statement prepared from its first run (prepare_threshold=0)."""

    conninfo: str
    size: int
    name: str = "(2) psycopg 3 AsyncConnectionPool, prepared"

    async def open(self) -> None:
        self.pool = AsyncConnectionPool(
            self.conninfo,
            min_size=self.size,
            max_size=self.size,
            timeout=5,
            open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "options": statement_timeout()},
        )
        await self.pool.open(wait=True)

    async def read(self, sql: str, value: str) -> Any:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(percent_s(sql), (value,), prepare=True)
            return await cursor.fetchone()

    async def solicit(self, order_id: str) -> bool:
        now = int(time.time())
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(percent_s(FIND_ORDER), (order_id,), prepare=True)
            await cursor.fetchone()
            cursor = await conn.execute(percent_s(ADD_SOLICITATION), solicitation_values(order_id, now), prepare=True)
            if cursor.rowcount != 1:
                return False
            await conn.execute(percent_s(ADD_MESSAGE), message_values(order_id, now * 1000), prepare=True)
            return True

    async def close(self) -> None:
        await self.pool.close()


async def _keep_session(_conn: object) -> None:
    """asyncpg's pool otherwise sends a reset query (RESET ALL, UNLISTEN *, ...) on every release: one more
    round trip per acquire; the store changes no session state, so it has nothing to reset."""


@dataclass
class Asyncpg:
    """An asyncpg pool; its per-connection statement cache prepares each statement on first use."""

    conninfo: str
    size: int
    reset_on_release: bool = True
    name: str = "(3) asyncpg pool, prepared"

    async def open(self) -> None:
        if not self.reset_on_release:
            self.name = "(3b) asyncpg pool, prepared, no reset query"
        self.pool = await asyncpg.create_pool(
            self.conninfo,
            min_size=self.size,
            max_size=self.size,
            server_settings={"statement_timeout": str(STATEMENT_TIMEOUT_MS)},
            reset=None if self.reset_on_release else _keep_session,
        )

    async def read(self, sql: str, value: str) -> Any:
        return await self.pool.fetchrow(sql, value)

    async def solicit(self, order_id: str) -> bool:
        now = int(time.time())
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.fetchrow(FIND_ORDER, order_id)
            status = await conn.execute(ADD_SOLICITATION, *solicitation_values(order_id, now))
            if status != "INSERT 0 1":
                return False
            await conn.fetchval(ADD_MESSAGE, *message_values(order_id, now * 1000))
            return True

    async def close(self) -> None:
        await self.pool.close()


def named(sql: str) -> Any:
    """A text() construct with SQLAlchemy's :pN names for $N."""
    return text(re.sub(r"\$(\d+)", r":p\1", sql))


def by_name(values: tuple[Any, ...]) -> dict[str, Any]:
    return {f"p{n}": v for n, v in enumerate(values, 1)}


@dataclass
class SqlAlchemyAsync:
    """SQLAlchemy's async engine over psycopg async (Core text statements, greenlet bridge); optional."""

    url: str
    size: int
    name: str = "(4) SQLAlchemy async engine, psycopg async"
    statements: dict[str, Any] = field(default_factory=dict)

    async def open(self) -> None:
        self.engine = create_async_engine(
            self.url,
            pool_size=self.size,
            max_overflow=0,
            pool_timeout=5,
            connect_args={"options": statement_timeout(), "prepare_threshold": 0},
        )
        self.reader = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        for sql in (FIND_CALLER, FIND_ORDER, ADD_SOLICITATION, ADD_MESSAGE):
            self.statements[sql] = named(sql)

    async def read(self, sql: str, value: str) -> Any:
        async with self.reader.connect() as conn:
            return (await conn.execute(self.statements[sql], {"p1": value})).first()

    async def solicit(self, order_id: str) -> bool:
        now = int(time.time())
        async with self.engine.begin() as conn:
            (await conn.execute(self.statements[FIND_ORDER], {"p1": order_id})).first()
            added = await conn.execute(self.statements[ADD_SOLICITATION], by_name(solicitation_values(order_id, now)))
            if added.rowcount != 1:
                return False
            await conn.execute(self.statements[ADD_MESSAGE], by_name(message_values(order_id, now * 1000)))
            return True

    async def close(self) -> None:
        await self.engine.dispose()


def backend_cpu(data: PostgresDataset) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to the dataset's database, from /proc
    (PostgreSQL on this machine; root reads its processes): what a driver costs the database, per op."""
    with psycopg.connect(dataset.conninfo(data.url), autocommit=True) as conn:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        pids = [row[0] for row in conn.execute(query)]
    cpu: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # ended meanwhile
            cpu[pid] = process_cpu_seconds(pid)
    return cpu


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


@dataclass
class Shape:
    """One driver's GET or POST, measured in rounds; run.py's drive_interleaved takes its turns."""

    driver: Driver
    kind: str  # "GET" | "POST"
    data: PostgresDataset
    loop: asyncio.Runner
    concurrency: int
    rounds: list[dict[str, float]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.driver.name}: {self.kind}"

    def drive(self, wrk: str, seconds: float) -> dict[str, float]:
        if self.kind == "POST":  # every pool order never-solicited again; the POSTs start from the first
            dataset.forget_postgres_solicitations(self.data, settle_s=0)
        # Pools open for their round only: the PostgreSQL here serves other test suites too, and five drivers'
        # pools kept open at once would hold 60 of its 100 connections. Connecting stays outside the timing.
        self.loop.run(self.driver.open())
        try:
            before = backend_cpu(self.data)
            figures = self.loop.run(self._measure(seconds))
            spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in backend_cpu(self.data).items())
        finally:
            self.loop.run(self.driver.close())
        return {**figures, "pg_cpu_us": spent / max(figures["ops"], 1) * 1e6}

    async def _get(self) -> None:
        caller = await self.driver.read(FIND_CALLER, TOKEN_HASH)
        order = await self.driver.read(FIND_ORDER, f"{ELIGIBLE}{random.randrange(self.data.eligible):07d}")
        if caller is None or order is None:
            raise LookupError("the bench caller or order is missing")

    async def _measure(self, seconds: float) -> dict[str, float]:
        latencies: list[float] = []
        errors = 0
        taken = 0

        async def post() -> None:
            nonlocal taken
            number, taken = taken, taken + 1
            if number >= self.data.pool:
                raise LookupError("POST pool exhausted: raise --pool")
            if not await self.driver.solicit(f"{POOL}{number:07d}"):
                raise LookupError("a fresh order was found already solicited")

        operation: Callable[[], Awaitable[None]] = post if self.kind == "POST" else self._get
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    await operation()
                except Exception:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(self.concurrency)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        done = max(len(latencies), 1)
        return {
            "ops": len(latencies),
            "rps": len(latencies) / wall,
            "p50_ms": percentile(latencies, 50) * 1000 if latencies else 0.0,
            "p99_ms": percentile(latencies, 99) * 1000 if latencies else 0.0,
            "errors": errors,
            "cpu_us": cpu / done * 1e6,
            "core_share": cpu / wall,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000, help="orders for GET (half of them eligible)")
    parser.add_argument("--pool", type=int, default=200_000, help="fresh orders for POST, enough for one round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4, help="length of one measured round")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per driver and shape")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight on the event loop")
    parser.add_argument("--pool-size", type=int, default=10, help="connections per driver (the store's default)")
    parser.add_argument("--drivers", default="threads,psycopg,asyncpg,asyncpg-noreset,sqlalchemy")
    parser.add_argument("--json", action="store_true", help="print the medians as JSON too")
    args = parser.parse_args()
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {int(SERVER_CORE)})
    name = f"solicitations_drivers_{os.getpid()}"
    data = dataset.build_postgres(args.orders, args.pool, name=name)
    if isinstance(data, str):
        raise SystemExit(data)
    libpq = dataset.conninfo(data.url)
    url = make_url(data.url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    choices: dict[str, Callable[[], Driver]] = {
        "threads": lambda: Threads(url, args.pool_size),
        "psycopg": lambda: PsycopgAsync(libpq, args.pool_size),
        "asyncpg": lambda: Asyncpg(libpq, args.pool_size),
        "asyncpg-noreset": lambda: Asyncpg(libpq, args.pool_size, reset_on_release=False),
        "sqlalchemy": lambda: SqlAlchemyAsync(url, args.pool_size),
    }
    drivers = [choices[key]() for key in args.drivers.split(",")]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as loop:
            shapes = [Shape(d, kind, data, loop, args.concurrency) for kind in ("GET", "POST") for d in drivers]
            drive_interleaved(shapes, "", args.warmup, args.rounds, args.seconds)
    finally:
        dataset.drop_postgres(data)
    report(shapes, args, load, psycopg.__version__, asyncpg.__version__)


def report(
    shapes: list[Shape], args: argparse.Namespace, load: str, psycopg_version: str, asyncpg_version: str
) -> None:
    print(
        f"\nmedians of {args.rounds} × {args.seconds:g} s interleaved rounds, {args.concurrency} in flight on one "
        f"uvloop, {args.pool_size} connections per driver, this process on core {SERVER_CORE}; psycopg "
        f"{psycopg_version}, asyncpg {asyncpg_version}; load average before {load}"
    )
    print(
        f"{'driver: shape':54} {'ops/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU µs/op':>10} "
        f"{'PG µs/op':>9} {'CPU share':>10} {'× (1)':>6}"
    )
    figures: dict[str, dict[str, float]] = {}
    baseline = {s.kind: medians(s.rounds)["rps"] for s in shapes if isinstance(s.driver, Threads)}
    for s in shapes:
        m = medians(s.rounds, "rps", "p50_ms", "p99_ms", "cpu_us", "pg_cpu_us", "core_share")
        ratio = m["rps"] / baseline[s.kind] if baseline.get(s.kind) else float("nan")
        figures[s.name] = {**{k: round(v, 3) for k, v in m.items()}, "ratio_to_threads": round(ratio, 3)}
        print(
            f"{s.name:54} {m['rps']:8,.0f} {m['p50_ms']:8.2f} {m['p99_ms']:8.2f} {m['errors']:7.0f} "
            f"{m['cpu_us']:10.0f} {m['pg_cpu_us']:9.0f} {m['core_share']:10.0%} {ratio:6.2f}"
        )
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
