"""Once per order under real concurrency.

Many clients at once against several `solicitations serve` processes on one database (a SQLite file; a
PostgreSQL database): requests race inside each process (a batch of savepoints on SQLite, a thread each on
PostgreSQL) and across processes (each its own transactions on the one database). Each
storm proves its requests overlapped, from the clients' clocks and from the servers' own access logs,
so a storm that happened to run one request after another cannot pass for a race.

Two store-level tests pin what decides once-per-order on each database: on PostgreSQL, two transactions
that both read "not solicited" and then both insert (the race, interleaved by hand) admit one row, by the
key; on SQLite a second writer's transaction cannot even begin while the first is open (BEGIN IMMEDIATE),
so its read always sees the first one's solicitation.
"""

import json
import selectors
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from helpers import APP, SELLER, T0, US, ServerProcess, fresh_database_url, order_doc, read_now, server_now
from solicitations.adapters.store import schema
from solicitations.adapters.store.sql import SqlStore
from solicitations.domain.orders import Solicitation, order_from_document
from solicitations.service.ports.store import StoreUnavailable

ACTION = "productReviewAndSellerFeedback"
NOT_AVAILABLE = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "The requested solicitation is not available for this amazonOrderId.",
            "details": "",
        }
    ]
}
PROCESSES = 4
CLIENTS_PER_PROCESS = 6
ORDERS = 6
# The access log's `ts` is cut to the millisecond: an overlap of handling intervals counts only beyond that
# (and a millisecond more for the instants between measuring a request and logging it).
LOG_RESOLUTION = 0.002


def solicitation_count(engine: Any, order_id: str | None = None) -> int:
    query = select(func.count()).select_from(schema.solicitations)
    if order_id is not None:
        query = query.where(schema.solicitations.c.amazon_order_id == order_id)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


# ------------------------------------------------------------------------ storms over server processes


@dataclass(frozen=True)
class Exchange:
    """One POST as its client saw it: the process it went to, when it left and when its answer came."""

    process: int
    sent: float  # server_now().timestamp(), the clock the servers' access logs use
    received: float
    status: int
    body: bytes
    request_id: str


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """How long two intervals share (negative: the gap between them)."""
    return min(a[1], b[1]) - max(a[0], b[0])


def handling_intervals(servers: list[ServerProcess]) -> dict[str, tuple[int, tuple[float, float]]]:
    """request id -> (process, (start, end)) of every API request, from each server's JSON access log: the
    line is written when the handler ends (`ts`) and says how long it ran (`duration_ms`)."""
    found: dict[str, tuple[int, tuple[float, float]]] = {}
    for index, server in enumerate(servers):
        assert server.log_path is not None
        for line in server.log_path.read_text().splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            if entry.get("logger") != "solicitations.access":
                continue
            end = datetime.fromisoformat(entry["ts"]).timestamp()
            found[entry["request_id"]] = (index, (end - entry["duration_ms"] / 1000, end))
    return found


def read_response(buffer: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """A whole HTTP/1.1 response read from `buffer`, or None while it is still incomplete."""
    head, separator, rest = buffer.partition(b"\r\n\r\n")
    if not separator:
        return None
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    length = int(headers.get("content-length", "0"))
    return None if len(rest) < length else (int(status_line.split()[1]), headers, rest[:length])


def request_bytes(method: str, path: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def storm(servers: list[ServerProcess], token: str, order_id: str) -> list[Exchange]:
    """CLIENTS_PER_PROCESS clients per process, each its own connection, warmed by a GET /healthz so the
    server holds it open; then every client's POST of the same order goes out in one tight loop (a few
    microseconds apart), and the answers are read as they come."""
    path = f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}?marketplaceIds={US}"
    targets = [index for index in range(len(servers)) for _ in range(CLIENTS_PER_PROCESS)]
    sockets = [socket.create_connection(("127.0.0.1", servers[index].port), timeout=30) for index in targets]
    try:
        for index, sock in zip(targets, sockets, strict=True):
            sock.sendall(request_bytes("GET", "/healthz", servers[index].port, {}))
            buffer = b""
            while (warm := read_response(buffer)) is None:
                chunk = sock.recv(65536)
                assert chunk, "the server closed a warm-up connection"
                buffer += chunk
            assert warm[0] == 200
        posts = [
            request_bytes(
                "POST",
                path,
                servers[index].port,
                {"x-amz-access-token": token, "Content-Length": "0", "Connection": "close"},
            )
            for index in targets
        ]
        sent = [0.0] * len(sockets)
        for slot, sock in enumerate(sockets):
            sent[slot] = server_now().timestamp()
            sock.sendall(posts[slot])
        buffers = [b""] * len(sockets)
        exchanges: dict[int, Exchange] = {}
        with selectors.DefaultSelector() as selector:
            for slot, sock in enumerate(sockets):
                selector.register(sock, selectors.EVENT_READ, slot)
            deadline = time.monotonic() + 30
            while len(exchanges) < len(sockets):
                assert time.monotonic() < deadline, f"{len(sockets) - len(exchanges)} answers missing after 30 s"
                for key, _ in selector.select(timeout=1):
                    slot = key.data
                    chunk = sockets[slot].recv(65536)
                    buffers[slot] += chunk
                    answer = read_response(buffers[slot])
                    if answer is None:
                        assert chunk, f"connection {slot} closed before its answer was whole"
                        continue
                    status, headers, body = answer
                    exchanges[slot] = Exchange(
                        targets[slot], sent[slot], server_now().timestamp(), status, body, headers["x-amzn-requestid"]
                    )
                    selector.unregister(sockets[slot])
        return [exchanges[slot] for slot in range(len(sockets))]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.sqlite_only), "postgresql"])
def processes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    """PROCESSES `serve` processes on one database: a SQLite file, or a PostgreSQL database (whichever pass
    this is). No delivery worker: the processes spend their CPU on the requests."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres")
    url = fresh_database_url(tmp_path, postgres=request.param == "postgresql")
    servers: list[ServerProcess] = []
    try:
        for index in range(PROCESSES):
            servers.append(ServerProcess(url, args=["--no-worker"], log_path=tmp_path / f"server{index}.log").start())
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.e2e
def test_a_storm_over_processes_on_one_database_gives_exactly_one_201_per_order(processes):
    servers = processes
    now = server_now()
    order_ids = [f"111-9000000-{n:07d}" for n in range(ORDERS)]
    for order_id in order_ids:
        servers[0].put_order(order_doc(order_id, now=now))
    token = servers[-1].issue_token()

    storms = {order_id: storm(servers, token, order_id) for order_id in order_ids}
    handled = handling_intervals(servers)

    for order_id, exchanges in storms.items():
        answers = [(e.process, e.status, e.body) for e in exchanges]
        assert sorted(e.status for e in exchanges) == [201] + [403] * (len(exchanges) - 1), (order_id, answers)
        for exchange in exchanges:
            if exchange.status == 201:
                assert exchange.body == b"{}"
            else:
                assert json.loads(exchange.body) == NOT_AVAILABLE
        assert len({e.request_id for e in exchanges}) == len(exchanges)

        # The requests overlapped. At the clients: requests to different processes were in flight together...
        assert any(
            overlap((a.sent, a.received), (b.sent, b.received)) > 0
            for a in exchanges
            for b in exchanges
            if a.process < b.process
        ), (order_id, exchanges)
        # ...and in the servers, by their own access logs: two processes were inside the handler of a POST
        # of this order at the same moment, for longer than the logs' resolution.
        intervals = [handled[e.request_id] for e in exchanges]
        assert [process for process, _ in intervals] == [e.process for e in exchanges]
        longest = max(overlap(a, b) for p, a in intervals for q, b in intervals if p < q)
        assert longest > LOG_RESOLUTION, (order_id, sorted(intervals, key=lambda i: i[1]))

    engine = create_engine(servers[0].database_url)
    try:
        assert solicitation_count(engine) == ORDERS
        for order_id in order_ids:
            assert solicitation_count(engine, order_id) == 1
        with engine.connect() as conn:
            emails = conn.execute(select(schema.outbox.c.amazon_order_id)).scalars().all()
        assert sorted(emails) == order_ids  # one email per order, no more
    finally:
        engine.dispose()
    # Every process now agrees: no action offered anywhere.
    for server in servers:
        for order_id in order_ids:
            got = httpx.get(
                f"{server.base_url}/solicitations/v1/orders/{order_id}",
                params={"marketplaceIds": US},
                headers={"x-amz-access-token": token},
            )
            assert got.status_code == 200
            assert got.json()["_links"]["actions"] == []


# ------------------------------------------------------------------------------------ the store itself

ORDER = "111-9100000-0000001"


def store_with_order(url: str, **options: Any) -> SqlStore:
    """A migrated store holding ORDER, eligible and never solicited."""
    store = SqlStore(url, **options)
    store.migrate()
    with store.transaction() as uow:
        uow.orders.upsert([order_from_document(order_doc(ORDER))], T0)
    return store


def solicitation(request_id: str) -> Solicitation:
    return Solicitation(ORDER, ACTION, SELLER, APP, US, T0, request_id)


def test_the_table_admits_one_solicitation_per_order(database_url):
    """Without any read first: the insert the service uses says "no" to a second row, and a plain insert of
    a second row (another action, even) is refused by the table itself."""
    store = store_with_order(database_url)
    try:
        with store.transaction() as uow:
            assert uow.orders.add_solicitation(solicitation("first")) is True
        with store.transaction() as uow:
            assert uow.orders.add_solicitation(solicitation("second")) is False
        row = {
            "amazon_order_id": ORDER,
            "action": "other",
            "seller_id": SELLER,
            "application_id": APP,
            "marketplace_id": US,
            "created_at": int(T0.timestamp()),
            "request_id": "third",
        }
        with pytest.raises(IntegrityError), store.engine.begin() as conn:
            conn.execute(insert(schema.solicitations).values(**row))
        assert solicitation_count(store.engine, ORDER) == 1
        stored = read_now(store, lambda uow: uow.orders.find(ORDER))
        assert stored is not None
        assert stored.solicitation is not None
        assert stored.solicitation.request_id == "first"
    finally:
        store.close()


def test_on_postgresql_two_transactions_that_both_read_not_solicited_add_one_solicitation(postgres, tmp_path):
    """The race itself, interleaved by hand: both transactions read the order unsolicited, the first inserts
    and commits, then the second inserts. The key answers the second "no" (which `solicit` turns into 403)."""
    store = store_with_order(fresh_database_url(tmp_path, postgres=True))
    try:
        with ExitStack() as later:
            second = later.enter_context(store.transaction())
            with store.transaction() as first:
                first_read, second_read = first.orders.find(ORDER), second.orders.find(ORDER)
                assert first_read is not None
                assert first_read.solicitation is None
                assert second_read is not None
                assert second_read.solicitation is None
                assert first.orders.add_solicitation(solicitation("first")) is True
            assert second.orders.add_solicitation(solicitation("second")) is False
        assert solicitation_count(store.engine, ORDER) == 1
        stored = read_now(store, lambda uow: uow.orders.find(ORDER))
        assert stored is not None
        assert stored.solicitation is not None
        assert stored.solicitation.request_id == "first"
    finally:
        store.close()


@pytest.mark.sqlite_only
def test_on_sqlite_a_second_writer_cannot_begin_while_the_first_is_open(tmp_path):
    """Two nodes on one file: the write lock is taken at BEGIN, so a second transaction waits (here 200 ms,
    then gives up) instead of reading "not solicited" beside the first. Once the first commits, the second
    begins and reads the solicitation."""
    url = fresh_database_url(tmp_path, postgres=False)
    first_node = store_with_order(url)
    second_node = SqlStore(url, busy_timeout_ms=200)
    try:
        with first_node.transaction() as first:
            read = first.orders.find(ORDER)
            assert read is not None
            assert read.solicitation is None
            with pytest.raises(StoreUnavailable), second_node.transaction():
                pass
            assert first.orders.add_solicitation(solicitation("first")) is True
        with second_node.transaction() as second:
            read = second.orders.find(ORDER)
            assert read is not None
            assert read.solicitation is not None
            assert read.solicitation.request_id == "first"
            assert second.orders.add_solicitation(solicitation("second")) is False
        assert solicitation_count(first_node.engine, ORDER) == 1
    finally:
        second_node.close()
        first_node.close()
