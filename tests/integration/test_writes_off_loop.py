"""The admin API and the token endpoint await their store work off the event loop: with the store's write
lock held by another process (SQLite) or the table locked by another session (PostgreSQL), the stuck request
waits for its deadline and answers 503, while the loop keeps answering /healthz at once. Runs on SQLite in
the first pass of the suite and on PostgreSQL in the second."""

import asyncio
import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from helpers import ADMIN_TOKEN, ServerProcess, fresh_database_url
from solicitations.adapters.store.sql import sqlite_file

DEADLINE = 3.0  # SOLICITATIONS_STATEMENT_TIMEOUT_MS on PostgreSQL; SQLite's busy timeout is 5 s
FREE_LOOP = 0.05  # the median /healthz while a request waits for the store
WORST = 0.25  # the slowest probe on a loaded 2-core machine; a blocked loop would hold it for the whole wait
GRANTLESS = "sellingpartnerapi::notifications"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        fresh_database_url(tmp_path),
        env={"SOLICITATIONS_STATEMENT_TIMEOUT_MS": str(int(DEADLINE * 1000))},
        args=["--no-worker"],
        log_path=tmp_path / "server.log",
    ).start()
    yield server
    server.stop()


@contextmanager
def store_locked(server: ServerProcess, table: str) -> Iterator[None]:
    """Another process holds SQLite's write lock, or another PostgreSQL session holds `table` exclusively."""
    path = sqlite_file(server.database_url)
    if path is not None:
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
        finally:
            holder.close()
        return
    url = make_url(server.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as pg:  # a transaction stays open until the block ends
        pg.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield


def stuck(server: ServerProcess, request: dict[str, Any]) -> tuple[httpx.Response, float, list[float]]:
    """Send `request` and probe /healthz every 0.1 s until it is answered."""

    async def scenario() -> tuple[httpx.Response, float, list[float]]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            await client.get("/healthz")  # connection warm
            started = time.perf_counter()
            pending = asyncio.create_task(client.request(**request))
            waits: list[float] = []
            while not pending.done():
                asked = time.perf_counter()
                answer = await client.get("/healthz")
                waits.append(time.perf_counter() - asked)
                assert answer.status_code == 200
                await asyncio.wait([pending], timeout=0.1)
            return await pending, time.perf_counter() - started, waits

    return asyncio.run(scenario())


def assert_loop_was_free(took: float, waits: list[float]) -> None:
    assert took >= DEADLINE - 0.5, took  # it did wait for the store...
    assert statistics.median(waits) < FREE_LOOP, waits  # ...while every probe was answered at once
    assert max(waits) < WORST, waits
    assert len(waits) >= 10, waits


@pytest.mark.e2e
def test_the_loop_answers_while_an_admin_write_waits_for_the_store(server: ServerProcess) -> None:
    put_seller = {
        "method": "PUT",
        "url": "/admin/v1/sellers/ASTUCKSELLER1",
        "json": {"name": "Stuck Store"},
        "headers": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
    }
    with store_locked(server, "sellers"):
        response, took, waits = stuck(server, put_seller)

    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert_loop_was_free(took, waits)
    with server.admin() as admin:  # the lock released, the same request answers
        assert admin.put("/admin/v1/sellers/ASTUCKSELLER1", json={"name": "Stuck Store"}).status_code == 200


@pytest.mark.e2e
def test_the_loop_answers_while_a_token_request_waits_for_the_store(server: ServerProcess) -> None:
    with server.admin() as admin:
        created = admin.post("/admin/v1/applications", json={"name": "Stuck App"}).json()
    grant = {
        "method": "POST",
        "url": "/auth/o2/token",
        "data": {
            "grant_type": "client_credentials",
            "scope": GRANTLESS,
            "client_id": created["clientId"],
            "client_secret": created["clientSecret"],
        },
    }
    with store_locked(server, "access_tokens"):
        response, took, waits = stuck(server, grant)

    assert response.status_code == 503, response.text
    assert response.json()["error"] == "temporarily_unavailable"
    assert_loop_was_free(took, waits)
    assert httpx.post(f"{server.base_url}/auth/o2/token", data=grant["data"]).status_code == 200
