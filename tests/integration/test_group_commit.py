"""The POST's transaction runs off the event loop: on SQLite, requests that queue while a commit is in flight
share the next transaction (one COMMIT, one fsync), each in a savepoint of its own; on PostgreSQL, a thread
per transaction. The loop keeps answering while the store waits, and no 201 is answered before its COMMIT.

Concurrency in-process is real: many requests through `httpx.ASGITransport` gathered on one event loop are
all inside the app at once, since each awaits its transaction.
"""

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from helpers import APP, SELLER, T0, US, ServerProcess, fresh_database_url, order_doc, read_now, sample, server_now
from solicitations.adapters.store.sql import SqlStore
from solicitations.bootstrap import Container
from solicitations.config import Settings
from solicitations.domain.orders import Solicitation, order_from_document
from solicitations.entrypoints.http.app import create_app
from solicitations.service.observing import Observer
from solicitations.service.solicitations import SolicitationService

ACTION = "productReviewAndSellerFeedback"
POST = "createProductReviewAndSellerFeedbackSolicitation"
BURST = 300
NOT_AVAILABLE = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "The requested solicitation is not available for this amazonOrderId.",
            "details": "",
        }
    ]
}
SERVICE_UNAVAILABLE = {
    "errors": [
        {
            "code": "ServiceUnavailable",
            "message": "Temporary overloading or maintenance of the server.",
            "details": "",
        }
    ]
}
BUSY_TIMEOUT = 5.0  # SqlStore's default, which `serve` uses
FREE_LOOP = 0.05  # the longest a request may wait for the loop while a POST waits for the store


def path(order_id: str) -> str:
    return f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}"


def put_orders(store: SqlStore, order_ids: list[str], now: Any) -> None:
    with store.transaction() as uow:
        uow.orders.upsert([order_from_document(order_doc(o, now=now)) for o in order_ids], now)


async def post_all(container: Container, token: str, order_ids: list[str]) -> list[httpx.Response]:
    """One POST per id, all in flight together on this loop."""
    transport = httpx.ASGITransport(create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(
            *(
                client.post(path(o), params={"marketplaceIds": US}, headers={"x-amz-access-token": token})
                for o in order_ids
            )
        )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Buckets in the process: the async Redis client's pool refuses a 300-request burst (MaxConnectionsError),
    and what is under test here is the store."""
    return settings.model_copy(update={"redis_url": None})


@pytest.fixture
def access_token(container: Container) -> str:
    return asyncio.run(container.admin.issue(SELLER, APP, ["Buyer Solicitation"])).access_token


@pytest.fixture
def commits(container: Container) -> Iterator[list[str]]:
    """Every COMMIT SQLite itself runs from now on, on any of the store's connections (the writer's included),
    by the driver's trace callback on connections opened after the store let go of its old ones."""
    seen: list[str] = []

    def trace(statement: str) -> None:
        if statement.strip().upper() == "COMMIT":
            seen.append(statement)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(trace)

    container.store.close()
    event.listen(container.store.engine, "connect", on_connect)
    yield seen
    event.remove(container.store.engine, "connect", on_connect)


@pytest.mark.sqlite_only
def test_concurrent_posts_for_distinct_orders_share_commits(container, clock, access_token, commits) -> None:
    orders = [f"111-8000000-{n:07d}" for n in range(BURST)]
    put_orders(container.store, orders, clock.now)
    commits.clear()
    batches_before = container.store.write_batches  # the token's issue was a write too
    assert batches_before is not None

    responses = asyncio.run(post_all(container, access_token, orders))

    assert [r.status_code for r in responses] == [201] * BURST
    assert all(r.content == b"{}" for r in responses)
    # Counted by SQLite itself: fewer transactions than requests, and the writer's own count agrees.
    assert 0 < len(commits) < BURST, len(commits)
    assert container.store.write_batches - batches_before == len(commits)
    for order_id in orders:
        stored = read_now(container.store, lambda uow: uow.orders.find(order_id))
        assert stored is not None
        assert stored.solicitation is not None
        assert read_now(container.store, lambda uow: uow.outbox.find_for_order(order_id)) is not None


def test_concurrent_posts_for_one_order_give_one_201(container, clock, access_token) -> None:
    """Many POSTs of one order in one batch (SQLite) or in as many threads (PostgreSQL): the first records it,
    every other one reads it, in its own savepoint or transaction, and is refused with Amazon's body."""
    order_id = "111-8100000-0000001"
    put_orders(container.store, [order_id], clock.now)

    responses = asyncio.run(post_all(container, access_token, [order_id] * BURST))

    assert sorted(r.status_code for r in responses) == [201] + [403] * (BURST - 1)
    assert all(r.json() == NOT_AVAILABLE for r in responses if r.status_code == 403)
    messages = read_now(container.store, lambda uow: uow.outbox.list_messages(None, 10))
    assert [m.amazon_order_id for m in messages] == [order_id]
    assert container.metrics is not None
    text = container.metrics.render().decode()
    outcomes = "solicitations_eligibility_outcomes_total"
    assert sample(text, outcomes, operation=POST, outcome="eligible") == 1
    assert sample(text, outcomes, operation=POST, outcome="already_solicited") == BURST - 1


class ThreadRecorder(Observer):
    def __init__(self) -> None:
        self.threads: list[int] = []

    def assessed(self, operation: str, outcome: str) -> None:
        self.threads.append(threading.get_ident())


def test_outcomes_are_reported_on_the_event_loop_thread(container, clock, access_token) -> None:
    """The observer's counters are not thread-safe: every outcome is counted on the loop, never in the writer."""
    order_id = "111-8200000-0000001"
    put_orders(container.store, [order_id], clock.now)
    caller = asyncio.run(container.authenticator.authenticate(access_token))
    recorder = ThreadRecorder()
    service = SolicitationService(container.store, clock, "example.com", recorder)

    async def solicit_three() -> int:
        results = await asyncio.gather(
            *(service.solicit(caller, order_id, US, ACTION, f"r{n}") for n in range(3)), return_exceptions=True
        )
        assert sum(not isinstance(r, Exception) for r in results) == 1
        return threading.get_ident()

    loop_thread = asyncio.run(solicit_three())
    assert recorder.threads == [loop_thread] * 3


# ------------------------------------------------------------------------- a real server, a held write lock


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        fresh_database_url(tmp_path, postgres=False), args=["--no-worker"], log_path=tmp_path / "server.log"
    ).start()
    yield server
    server.stop()


@pytest.mark.e2e
@pytest.mark.sqlite_only
def test_the_loop_answers_while_a_post_waits_for_the_write_lock(sqlite_server) -> None:
    """Another connection holds SQLite's write lock: the POST waits in the writer thread, meanwhile /healthz and
    a GET of another order answer at once, and the POST gets a 503 in Amazon's shape at the busy timeout."""
    server = sqlite_server
    now = server_now()
    stuck, other = "111-8300000-0000001", "111-8300000-0000002"
    server.put_order(order_doc(stuck, now=now))
    server.put_order(order_doc(other, now=now))
    token = server.issue_token()
    headers = {"x-amz-access-token": token}

    async def scenario() -> tuple[httpx.Response, float, list[float]]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            await client.get("/healthz")  # connections warm
            started = time.perf_counter()
            post = asyncio.create_task(client.post(path(stuck), params={"marketplaceIds": US}, headers=headers))
            waits: list[float] = []
            while not post.done():
                for url, params in (("/healthz", {}), (f"/solicitations/v1/orders/{other}", {"marketplaceIds": US})):
                    asked = time.perf_counter()
                    answer = await client.get(url, params=params, headers=headers)
                    waits.append(time.perf_counter() - asked)
                    assert answer.status_code == 200
                await asyncio.wait([post], timeout=0.1)
            return await post, time.perf_counter() - started, waits

    holder = sqlite3.connect(server.database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response, took, waits = asyncio.run(scenario())
    finally:
        holder.close()

    assert response.status_code == 503
    assert response.json() == SERVICE_UNAVAILABLE
    assert BUSY_TIMEOUT <= took < BUSY_TIMEOUT + 2, took
    # Polled all along the POST's wait (every 0.1 s for 5 s): each answer came at once, not after the POST.
    assert max(waits) < FREE_LOOP, waits
    assert len(waits) >= 20, waits
    # The lock released, the same order is solicited normally.
    retried = httpx.post(server.base_url + path(stuck), params={"marketplaceIds": US}, headers=headers)
    assert retried.status_code == 201


@pytest.mark.e2e
def test_a_201_survives_a_crash_in_the_middle_of_a_burst(tmp_path: Path) -> None:
    """SIGKILL while POSTs of distinct orders are in flight: every order that got its 201 has its solicitation
    and its email after a restart (answers go out only once their batch's COMMIT returned)."""
    url = fresh_database_url(tmp_path)
    orders = [f"111-8400000-{n:07d}" for n in range(400)]
    server = ServerProcess(url, args=["--no-worker"], log_path=tmp_path / "server.log").start()
    store = SqlStore(url)
    try:
        put_orders(store, orders, server_now())
    finally:
        store.close()
    token = server.issue_token()
    answered: list[str] = []

    async def burst() -> list[Any]:
        limits = httpx.Limits(max_connections=50)  # below the Redis client's pool, on the PostgreSQL pass
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as client:

            async def post(order_id: str) -> int:
                response = await client.post(
                    path(order_id), params={"marketplaceIds": US}, headers={"x-amz-access-token": token}
                )
                if response.status_code == 201:
                    answered.append(order_id)
                    if len(answered) == 25:
                        server.process.kill()  # type: ignore[union-attr]
                return response.status_code

            return await asyncio.gather(*(post(o) for o in orders), return_exceptions=True)

    try:
        outcomes = asyncio.run(burst())
    finally:
        server.stop()
    assert server.process is not None
    server.process.wait(10)
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert lost, "the burst was over before the kill"
    assert all(isinstance(o, httpx.TransportError) for o in lost), lost[:3]
    # A 503 is an honest answer from a loaded machine (a bucket or pool timeout): no 201 may be lost, that is all.
    assert {o for o in outcomes if not isinstance(o, Exception)} <= {201, 503}

    restarted = ServerProcess(url, args=["--no-worker"], log_path=tmp_path / "restarted.log").start()
    try:
        with restarted.admin() as admin:
            for order_id in answered:
                described = admin.get(f"/admin/v1/orders/{order_id}").json()
                assert described["solicitation"] is not None, order_id
                assert described["message"] is not None, order_id
    finally:
        restarted.stop()


@pytest.mark.sqlite_only
def test_in_a_shared_batch_a_failing_request_undoes_only_its_own_rows(tmp_path: Path) -> None:
    """Real SQLite savepoints: three requests queued behind one that holds the writer commit together; the
    one that raises after inserting keeps none of its rows, the others keep theirs."""
    store = SqlStore(fresh_database_url(tmp_path, postgres=False))
    store.migrate()
    orders = ["111-8500000-0000001", "111-8500000-0000002", "111-8500000-0000003"]
    put_orders(store, orders, T0)
    entered, opened = threading.Event(), threading.Event()

    def hold(uow: Any) -> None:
        entered.set()
        opened.wait(10)

    def record(order_id: str, *, fail: bool = False) -> Any:
        def work(uow: Any) -> str:
            assert uow.orders.add_solicitation(Solicitation(order_id, ACTION, SELLER, APP, US, T0, order_id))
            uow.outbox.add(order_id, f"<{order_id}@example.com>", T0)
            if fail:
                raise RuntimeError("a bug after the inserts")
            return order_id

        return work

    async def scenario() -> list[Any]:
        first = store.write(hold)
        await asyncio.to_thread(entered.wait, 10)
        works = [record(orders[0]), record(orders[1], fail=True), record(orders[2])]
        queued = [store.write(work) for work in works]
        opened.set()
        return await asyncio.gather(first, *queued, return_exceptions=True)

    try:
        _, kept, failed, also_kept = asyncio.run(scenario())
        assert (kept, also_kept) == (orders[0], orders[2])
        assert isinstance(failed, RuntimeError)
        assert store.write_batches == 2
        for order_id, stands in zip(orders, (True, False, True), strict=True):
            stored = read_now(store, lambda uow: uow.orders.find(order_id))
            assert stored is not None
            assert (
                stored.solicitation is not None,
                read_now(store, lambda uow: uow.outbox.find_for_order(order_id)) is not None,
            ) == (
                stands,
                stands,
            )
    finally:
        store.close()
