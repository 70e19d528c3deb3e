"""Once per order, under concurrency: two server processes on one SQLite file, and threads on one store."""

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from helpers import APP, SELLER, T0, US, ServerProcess, fresh_database_url, order_doc, server_now
from solicitations.adapters.store import schema
from solicitations.adapters.tokens import token_hash
from solicitations.domain import errors
from solicitations.service.ports import Solicitation

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


def solicitation_count(engine: Any, order_id: str | None = None) -> int:
    query = select(func.count()).select_from(schema.solicitations)
    if order_id is not None:
        query = query.where(schema.solicitations.c.amazon_order_id == order_id)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def run_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in n threads released together; each result or raised exception, in order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def target(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    return results


# ------------------------------------------------------------------------------ two server processes


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = fresh_database_url(tmp_path)
    first = ServerProcess(url, log_path=tmp_path / "first.log").start()
    try:
        second = ServerProcess(url, log_path=tmp_path / "second.log").start()
    except BaseException:
        first.stop()
        raise
    yield first, second
    second.stop()
    first.stop()


@pytest.mark.e2e
def test_concurrent_posts_over_two_processes_give_exactly_one_201(two_servers, tmp_path):
    first, second = two_servers
    now = server_now()
    order_ids = ["111-9000000-0000001", "111-9000000-0000002"]
    for order_id in order_ids:
        first.put_order(order_doc(order_id, now=now))
    token = second.issue_token()
    headers = {"x-amz-access-token": token}

    async def storm(order_id: str, n: int) -> list[httpx.Response]:
        path = f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}"
        limits = httpx.Limits(max_connections=n)
        async with (
            httpx.AsyncClient(base_url=first.base_url, limits=limits, timeout=30) as a,
            httpx.AsyncClient(base_url=second.base_url, limits=limits, timeout=30) as b,
        ):
            # Warm a connection to each server so the storm is not serialised by connection setup.
            await asyncio.gather(a.get("/healthz"), b.get("/healthz"))
            return list(
                await asyncio.gather(
                    *((a if i % 2 else b).post(path, params={"marketplaceIds": US}, headers=headers) for i in range(n))
                )
            )

    for order_id in order_ids:
        responses = asyncio.run(storm(order_id, 20))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [403] * 19, [(r.status_code, r.text) for r in responses]
        for response in responses:
            if response.status_code == 403:
                assert response.json() == NOT_AVAILABLE
            else:
                assert response.content == b"{}"
        assert len({r.headers["x-amzn-RequestId"] for r in responses}) == 20

    from sqlalchemy import create_engine

    engine = create_engine(first.database_url)
    try:
        assert solicitation_count(engine) == 2
        for order_id in order_ids:
            assert solicitation_count(engine, order_id) == 1
    finally:
        engine.dispose()
    # Both processes now agree: no action offered anywhere.
    for server in (first, second):
        for order_id in order_ids:
            got = httpx.get(
                f"{server.base_url}/solicitations/v1/orders/{order_id}", params={"marketplaceIds": US}, headers=headers
            )
            assert got.status_code == 200
            assert got.json()["_links"]["actions"] == []


# ---------------------------------------------------------------------------------------- store level


@pytest.fixture
def caller(client, container, token):
    found = container.store.find_caller(token_hash(token))
    assert found is not None
    return found


def put(client, admin_headers, order_id):
    assert client.put(f"/admin/v1/orders/{order_id}", json=order_doc(order_id), headers=admin_headers).is_success


def test_threads_calling_the_use_case_get_exactly_one_solicitation(client, admin_headers, container, caller):
    order_id = "111-9100000-0000001"
    put(client, admin_headers, order_id)
    results = run_threads(12, lambda i: container.solicitations.solicit(caller, order_id, US, ACTION, f"request-{i}"))
    made = [r for r in results if isinstance(r, Solicitation)]
    refused = [r for r in results if isinstance(r, errors.ApiError)]
    assert len(made) == 1, results
    assert len(refused) == 11, results
    assert all(r.failure == errors.NOT_AVAILABLE for r in refused)
    assert solicitation_count(container.store.engine, order_id) == 1
    stored = container.store.find_order(order_id)
    assert stored is not None
    assert stored.solicitation is not None
    assert stored.solicitation.request_id == made[0].request_id


def test_the_stores_unique_key_admits_one_solicitation_without_any_read(client, admin_headers, container):
    """`add_solicitation` alone, racing in separate transactions: the store's key decides."""
    order_id = "111-9100000-0000002"
    put(client, admin_headers, order_id)

    def add(i: int) -> bool:
        with container.store.transaction() as uow:
            return uow.add_solicitation(Solicitation(order_id, ACTION, SELLER, APP, US, T0, f"request-{i}"))

    results = run_threads(10, add)
    assert sorted(results, key=str) == [False] * 9 + [True], results
    assert solicitation_count(container.store.engine, order_id) == 1


def test_the_table_itself_refuses_a_second_row_for_an_order(client, admin_headers, container):
    order_id = "111-9100000-0000003"
    put(client, admin_headers, order_id)
    row = {
        "amazon_order_id": order_id,
        "action": ACTION,
        "seller_id": SELLER,
        "application_id": APP,
        "marketplace_id": US,
        "created_at": int(T0.timestamp()),
        "request_id": "first",
    }
    with container.store.engine.begin() as conn:
        conn.execute(insert(schema.solicitations).values(**row))
    with pytest.raises(IntegrityError), container.store.engine.begin() as conn:
        conn.execute(insert(schema.solicitations).values(**{**row, "request_id": "second", "action": "other"}))
    assert solicitation_count(container.store.engine, order_id) == 1


def test_concurrent_posts_in_process_give_exactly_one_201(client, admin_headers, container, token):
    """Through the HTTP layer in one process, from several threads at once."""
    order_id = "111-9100000-0000004"
    put(client, admin_headers, order_id)
    url = f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}"
    results = run_threads(
        10, lambda i: client.post(url, params={"marketplaceIds": US}, headers={"x-amz-access-token": token})
    )
    assert sorted(r.status_code for r in results) == [201] + [403] * 9
    assert all(r.json() == NOT_AVAILABLE for r in results if r.status_code == 403)
    assert solicitation_count(container.store.engine, order_id) == 1
