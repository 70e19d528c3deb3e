"""On PostgreSQL a GET's store reads (the token lookup, the order) run off the event loop: with a table locked
by another session, the stuck GET waits in a thread until the statement timeout and answers 503, while the
loop keeps answering /healthz at once. Runs on PostgreSQL in both passes of the suite."""

import asyncio
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from helpers import US, ServerProcess, fresh_database_url, order_doc, server_now

STATEMENT_TIMEOUT = 3.0  # SOLICITATIONS_STATEMENT_TIMEOUT_MS in the server's environment
FREE_LOOP = 0.05  # the median /healthz while a GET waits for the store
WORST = 0.25  # the slowest probe on a loaded 2-core machine; a blocked loop would hold it for the whole 3 s
ORDER = "111-8600000-0000001"
SERVICE_UNAVAILABLE = {
    "errors": [
        {
            "code": "ServiceUnavailable",
            "message": "Temporary overloading or maintenance of the server.",
            "details": "",
        }
    ]
}


@pytest.fixture
def pg_server(postgres: None, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server on a fresh PostgreSQL database; every token lookup goes to the store (no cache)."""
    server = ServerProcess(
        fresh_database_url(tmp_path, postgres=True),
        env={"SOLICITATIONS_STATEMENT_TIMEOUT_MS": "3000", "SOLICITATIONS_TOKEN_CACHE_SECONDS": "0"},
        args=["--no-worker"],
        log_path=tmp_path / "server.log",
    ).start()
    yield server
    server.stop()


def stuck_get(
    server: ServerProcess, token: str, table: str, path: str = f"/solicitations/v1/orders/{ORDER}"
) -> tuple[httpx.Response, float, list[float]]:
    """GET `path` while another session holds `table` exclusively; probe /healthz all along the wait."""
    url = make_url(server.database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def scenario() -> tuple[httpx.Response, float, list[float]]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            await client.get("/healthz")  # connection warm
            started = time.perf_counter()
            get = asyncio.create_task(
                client.get(
                    path,
                    params={"marketplaceIds": US},
                    headers={"x-amz-access-token": token},
                )
            )
            waits: list[float] = []
            while not get.done():
                asked = time.perf_counter()
                answer = await client.get("/healthz")
                waits.append(time.perf_counter() - asked)
                assert answer.status_code == 200
                await asyncio.wait([get], timeout=0.1)
            return await get, time.perf_counter() - started, waits

    with psycopg.connect(url) as holder:  # a transaction stays open until the block ends
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        return asyncio.run(scenario())


@pytest.mark.e2e
@pytest.mark.parametrize("table", ["orders", "access_tokens"])
def test_the_loop_answers_while_a_get_waits_for_a_locked_table(pg_server: ServerProcess, table: str) -> None:
    server = pg_server
    server.put_order(order_doc(ORDER, now=server_now()))
    token = server.issue_token()

    response, took, waits = stuck_get(server, token, table)

    assert response.status_code == 503
    assert response.json() == SERVICE_UNAVAILABLE
    assert STATEMENT_TIMEOUT <= took < STATEMENT_TIMEOUT + 2, took
    # Probed every 0.1 s while the GET was pending: each answer came at once, not after the GET.
    assert statistics.median(waits) < FREE_LOOP, waits
    assert max(waits) < WORST, waits
    assert len(waits) >= 10, waits
    # The lock released, the same GET answers.
    again = httpx.get(
        f"{server.base_url}/solicitations/v1/orders/{ORDER}",
        params={"marketplaceIds": US},
        headers={"x-amz-access-token": token},
    )
    assert again.status_code == 200, again.text


@pytest.mark.e2e
def test_the_loop_answers_while_an_opt_out_page_waits_for_a_locked_table(pg_server: ServerProcess) -> None:
    """The buyer's opt-out page, public and unauthenticated, reads its token off the loop too."""
    response, took, waits = stuck_get(pg_server, "", "opt_out_tokens", "/opt-out/" + "A" * 43)

    assert response.status_code == 503
    assert response.json() == SERVICE_UNAVAILABLE
    assert STATEMENT_TIMEOUT <= took < STATEMENT_TIMEOUT + 2, took
    assert statistics.median(waits) < FREE_LOOP, waits
    assert max(waits) < WORST, waits
    assert httpx.get(f"{pg_server.base_url}/opt-out/{'A' * 43}").status_code == 404  # unknown, once unlocked
