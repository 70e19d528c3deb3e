"""`solicitations orders import FILE` as a real process on a real SQLite file."""

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from helpers import DE, OTHER_SELLER, SELLER, US, Clock, order_doc, read_now
from solicitations.adapters.store import schema
from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself; the store code is the same on PostgreSQL


def run_import(database_url: str, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLICITATIONS_")}
    env["SOLICITATIONS_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "solicitations", "orders", "import", str(path), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'import.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Callable[[], Container]]:
    """Opened after the import ran: reads what the process wrote."""
    containers: list[Container] = []

    def open_store() -> Container:
        c = bootstrap(Settings(database_url=db_url, access_log=False))
        containers.append(c)
        return c

    yield open_store
    for c in containers:
        c.close()


def order_count(container: Container) -> int:
    with container.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.orders)).scalar_one())


def stored_documents(container: Container, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored orders named by `docs`, as documents again."""

    def read(uow: Any) -> list[dict[str, Any]]:
        return [uow.orders.find(d["AmazonOrderId"]).order.to_document() for d in docs]

    return read_now(container.store, read)


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_json_lines_with_good_and_bad_records(tmp_path, db_url, store):
    missing_status = order_doc("111-0000000-0000004")
    del missing_status["OrderStatus"]
    path = write_lines(
        tmp_path / "orders.jsonl",
        [
            order_doc("111-0000000-0000001"),
            "{not json",
            order_doc("111-0000000-0000003", marketplace_id=DE, locale="de_DE"),
            missing_status,
            "",
            order_doc("111-0000000-0000006", marketplace_id="A1UNKNOWNMKT"),
            order_doc("111-0000000-0000007", seller_id=OTHER_SELLER, status="Unshipped"),
            "[1, 2]",
        ],
    )
    result = run_import(db_url, path)
    assert result.returncode == 1, result
    assert "imported 3 orders, skipped 4" in result.stdout
    errors = stderr_lines(result)
    assert len(errors) == 4, result.stderr
    assert errors[0].startswith(f"{path}: line 2: skipped: not valid JSON")
    assert errors[1] == f"{path}: line 4: skipped: OrderStatus is required"
    assert errors[2].startswith(f"{path}: line 6: skipped: MarketplaceId 'A1UNKNOWNMKT' is not a known marketplace")
    assert errors[3] == f"{path}: line 8: skipped: an order must be a JSON object"

    container = store()
    assert order_count(container) == 3
    first = read_now(container.store, lambda uow: uow.orders.find("111-0000000-0000001"))
    assert first is not None
    assert first.order.to_document() == order_doc("111-0000000-0000001")
    german = read_now(container.store, lambda uow: uow.orders.find("111-0000000-0000003"))
    assert german is not None
    assert (german.order.marketplace_id, german.order.buyer_locale) == (DE, "de_DE")
    other = read_now(container.store, lambda uow: uow.orders.find("111-0000000-0000007"))
    assert other is not None
    assert (other.order.seller_id, other.order.order_status) == (OTHER_SELLER, "Unshipped")
    for skipped in ("111-0000000-0000004", "111-0000000-0000006"):
        assert read_now(container.store, lambda uow: uow.orders.find(skipped)) is None


def test_all_good_exits_0_and_reimport_is_an_upsert(tmp_path, db_url, store):
    docs = [order_doc(f"111-0000000-00000{i:02d}") for i in range(1, 11)]
    path = write_lines(tmp_path / "orders.jsonl", docs)
    first = run_import(db_url, path)
    assert first.returncode == 0, first
    assert "imported 10 orders, skipped 0" in first.stdout
    assert first.stderr.strip() == ""
    container = store()
    assert order_count(container) == 10
    assert stored_documents(container, docs) == docs

    # The same file again, with one record changed: same rows, the changed one updated, the rest as they were.
    docs[0] = order_doc("111-0000000-0000001", status="Canceled", email="changed@example.com")
    write_lines(path, docs)
    again = run_import(db_url, path)
    assert again.returncode == 0, again
    assert "imported 10 orders, skipped 0" in again.stdout
    assert order_count(container) == 10
    assert stored_documents(container, docs) == docs

    # And the service answers from what was imported (at T0, where order_doc's orders are eligible).
    served = bootstrap(Settings(database_url=db_url, access_log=False), Clock())
    try:
        issued = asyncio.run(served.admin.issue(SELLER, "amzn1.sp.solution.import-test", ["Buyer Solicitation"]))
        token = issued.access_token
        caller = asyncio.run(served.authenticator.authenticate(token))
        canceled = served.solicitations.available_actions(caller, "111-0000000-0000001", US)
        assert asyncio.run(canceled) == ()
        assert asyncio.run(served.solicitations.available_actions(caller, "111-0000000-0000002", US))
    finally:
        served.close()


def test_get_orders_payload_with_seller_id(tmp_path, db_url, store):
    orders = []
    for doc in [order_doc("111-0000000-0000101"), order_doc("111-0000000-0000102", status="Pending")]:
        del doc["SellerId"]
        orders.append(doc)
    own = order_doc("111-0000000-0000103", seller_id=OTHER_SELLER)
    bad = order_doc("111-0000000-0000104", status="Lost")
    del bad["SellerId"]
    path = tmp_path / "getOrders.json"
    path.write_text(
        json.dumps({"payload": {"Orders": [*orders, own, bad], "NextToken": "abc"}}, indent=2),
    )
    result = run_import(db_url, path, "--seller-id", SELLER)
    assert result.returncode == 1, result
    assert "imported 3 orders, skipped 1" in result.stdout
    assert stderr_lines(result) == [
        f"{path}: Orders[3]: skipped: OrderStatus 'Lost' is not an Orders API status",
    ]
    container = store()
    sellers = {
        order_id: read_now(container.store, lambda uow: uow.orders.find(order_id)).order.seller_id  # type: ignore[union-attr]
        for order_id in ("111-0000000-0000101", "111-0000000-0000102", "111-0000000-0000103")
    }
    assert sellers == {
        "111-0000000-0000101": SELLER,
        "111-0000000-0000102": SELLER,
        "111-0000000-0000103": OTHER_SELLER,
    }


def test_bare_orders_object_with_seller_id(tmp_path, db_url, store):
    docs = [order_doc(f"111-0000000-00002{i:02d}") for i in range(3)]
    for doc in docs:
        del doc["SellerId"]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"Orders": docs}))
    result = run_import(db_url, path, "--seller-id", SELLER)
    assert result.returncode == 0, result
    assert "imported 3 orders, skipped 0" in result.stdout
    container = store()
    assert order_count(container) == 3
    for doc in docs:
        stored = read_now(container.store, lambda uow: uow.orders.find(doc["AmazonOrderId"]))
        assert stored is not None
        assert stored.order.to_document() == {**doc, "SellerId": SELLER}


def test_records_without_seller_and_no_seller_id_option_are_reported(tmp_path, db_url, store):
    doc = order_doc("111-0000000-0000301")
    del doc["SellerId"]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"Orders": [doc, order_doc("111-0000000-0000302", marketplace_id=US)]}))
    result = run_import(db_url, path)
    assert result.returncode == 1, result
    assert stderr_lines(result) == [f"{path}: Orders[0]: skipped: SellerId is required"]
    container = store()
    assert order_count(container) == 1
    assert read_now(container.store, lambda uow: uow.orders.find("111-0000000-0000302")) is not None


def test_a_file_of_only_bad_records_writes_nothing(tmp_path, db_url, store):
    path = write_lines(tmp_path / "bad.jsonl", ["{", '{"AmazonOrderId": "x"}', "42"])
    result = run_import(db_url, path)
    assert result.returncode == 1, result
    assert "imported 0 orders, skipped 3" in result.stdout
    assert [line.split(": skipped: ")[0] for line in stderr_lines(result)] == [
        f"{path}: line 1",
        f"{path}: line 2",
        f"{path}: line 3",
    ]
    assert order_count(store()) == 0


def test_a_date_out_of_range_is_a_bad_record_not_a_crash(tmp_path, db_url, store):
    """A date that leaves datetime's range once moved to UTC is one more bad record: reported, skipped."""
    overflowing = order_doc("111-0000000-0000502")
    overflowing["EarliestDeliveryDate"] = "0001-01-01T00:00:00+01:00"
    path = write_lines(tmp_path / "orders.jsonl", [order_doc("111-0000000-0000501"), overflowing])
    result = run_import(db_url, path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result
    assert "imported 1 orders, skipped 1" in result.stdout
    (error,) = stderr_lines(result)
    assert error.startswith(f"{path}: line 2: skipped: EarliestDeliveryDate"), error
    assert order_count(store()) == 1
