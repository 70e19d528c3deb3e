"""Benchmark datasets: a migrated SQLite file filled by bulk inserts, fast enough for a million orders.

The schema comes from the service's own migrations; rows go in through one `executemany` per table in
one transaction (synchronous off: the file is scratch data, rebuilt when in doubt). Order ids encode
what an order is, so the wrk scripts pick from each kind by index alone:

    111-1000000-NNNNNNN  eligible now (GET scenario a)
    111-2000000-NNNNNNN  ineligible now, cycling through too late, too early, not shipped, opted out (b)
    111-3000000-NNNNNNN  eligible and never solicited: the POST pool (c), only in `post` copies
"""

import hashlib
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from solicitations.adapters.store.sql import SqlStore

SELLER = "ABENCHSELLER1"
APPLICATION = "amzn1.sp.solution.bench"
ACCESS_TOKEN = "Atza|bench-token-for-loopback-only"
MARKETPLACE = "ATVPDKIKX0DER"
ELIGIBLE, INELIGIBLE, POOL = "111-1000000-", "111-2000000-", "111-3000000-"
DAY = 86_400

_ORDER_SQL = (
    "INSERT INTO orders (amazon_order_id, seller_id, marketplace_id, order_status, purchase_date,"
    " earliest_delivery_date, latest_delivery_date, fulfillment_channel, buyer_email, buyer_locale,"
    " buyer_opted_out, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# (status, delivered days ago, opted out) of each ineligible kind, in turn.
_INELIGIBLE_KINDS = (("Shipped", 60, False), ("Shipped", 2, False), ("Unshipped", 10, False), ("Shipped", 10, True))


@dataclass(frozen=True)
class Dataset:
    path: Path
    eligible: int  # ids ELIGIBLE + 0000000 .. eligible-1
    ineligible: int
    pool: int  # POST pool size (0 unless this is a `post` copy)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def _rows(prefix: str, count: int, now: int, ineligible: bool) -> Iterator[tuple[object, ...]]:
    for i in range(count):
        status, days, opted_out = _INELIGIBLE_KINDS[i % 4] if ineligible else ("Shipped", 10, False)
        delivered = now - days * DAY
        yield (
            f"{prefix}{i:07d}",
            SELLER,
            MARKETPLACE,
            status,
            delivered - 3 * DAY,
            delivered,
            delivered + DAY,
            "AFN",
            f"buyer-{prefix}{i:07d}@example.com",
            None,
            opted_out,
            now,
        )


def _caller_rows(now: int) -> list[tuple[str, tuple[object, ...]]]:
    """The bench seller, application and access token, as (statement, values) in psycopg's paramstyle."""
    return [
        (
            "INSERT INTO sellers (seller_id, name, marketplace_ids, updated_at) VALUES (%s, %s, %s, %s)",
            (SELLER, "Bench Store", f'["{MARKETPLACE}"]', now),
        ),
        (
            "INSERT INTO applications (application_id, name, roles, created_at) VALUES (%s, %s, %s, %s)",
            (APPLICATION, "bench", '["Buyer Solicitation"]', now),
        ),
        (
            "INSERT INTO access_tokens (token_hash, seller_id, application_id, expires_at, created_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (hashlib.sha256(ACCESS_TOKEN.encode()).hexdigest(), SELLER, APPLICATION, now + 30 * DAY, now),
        ),
    ]


def _insert_orders(path: Path, prefix: str, count: int, ineligible: bool = False) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        db.executemany(_ORDER_SQL, _rows(prefix, count, int(time.time()), ineligible))
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _built_at(path: Path) -> int:
    """When the orders were written (their `updated_at`); 0 when the file is not a finished dataset."""
    db = sqlite3.connect(path)
    try:
        row = db.execute("SELECT min(updated_at) FROM orders").fetchone()
    except sqlite3.Error:
        return 0
    finally:
        db.close()
    return int(row[0] or 0)


def build(directory: Path, orders: int) -> Dataset:
    """`orders` orders, half eligible now, half not, with the bench caller; reused for a day.

    Dates are relative to the build, so a file older than a day is rebuilt before "eligible now" and
    the token's expiry drift.
    """
    path = directory / f"orders-{orders}.db"
    dataset = Dataset(path, orders // 2, orders - orders // 2, 0)
    if path.exists() and time.time() - _built_at(path) < DAY:
        return dataset
    scratch = path.with_suffix(".tmp")
    for stale in directory.glob(scratch.name + "*"):
        stale.unlink()
    store = SqlStore(f"sqlite:///{scratch}", sqlite_synchronous="OFF")
    store.migrate()
    store.close()
    now = int(time.time())
    db = sqlite3.connect(scratch, isolation_level=None)
    try:
        db.execute("BEGIN")
        for statement, values in _caller_rows(now):
            db.execute(statement.replace("%s", "?"), values)
        db.execute("COMMIT")
    finally:
        db.close()
    _insert_orders(scratch, ELIGIBLE, dataset.eligible)
    _insert_orders(scratch, INELIGIBLE, dataset.ineligible, ineligible=True)
    scratch.replace(path)
    return dataset


def with_post_pool(dataset: Dataset, pool: int, suffix: str = "post") -> Dataset:
    """A copy of `dataset` plus `pool` fresh eligible orders for POSTs; GETs keep the exact-size file.

    Servers whose delivery worker runs get a copy (`suffix`) of their own: a worker on a shared file would
    spend its core rendering another server's emails."""
    path = dataset.path.with_name(f"{dataset.path.stem}-{suffix}.db")
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    shutil.copyfile(dataset.path, path)
    _insert_orders(path, POOL, pool)
    return Dataset(path, dataset.eligible, dataset.ineligible, pool)


def forget_solicitations(dataset: Dataset, settle_s: float = 1.0) -> None:
    """Make every pool order never-solicited again, between POST rounds (the servers stay up).

    It waits `settle_s` first: POSTs still in flight when wrk stopped would otherwise be recorded after
    the delete, and the next round, starting again from the first pool order, would meet them (403).
    """
    time.sleep(settle_s)
    db = sqlite3.connect(dataset.path, isolation_level=None, timeout=30)
    try:
        db.execute("DELETE FROM outbox")
        db.execute("DELETE FROM solicitations")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


POSTGRES_URL = os.environ.get("SOLICITATIONS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_ORDER_COLUMNS = _ORDER_SQL.split("(", 1)[1].split(")", 1)[0]


@dataclass(frozen=True)
class PostgresDataset:
    url: str
    eligible: int
    ineligible: int
    pool: int


def _conninfo(database: str | None = None) -> str:
    url = make_url(POSTGRES_URL).set(drivername="postgresql")
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


def build_postgres(orders: int, pool: int, name: str | None = None) -> PostgresDataset | str:
    """The same orders (plus the POST pool) in a fresh PostgreSQL database, by COPY; or why there is none.

    `name` keeps two tools running at once (make bench and pg_drivers.py) off each other's database."""
    name = name or f"solicitations_bench_{orders}"
    try:
        with psycopg.connect(_conninfo(), autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        return f"PostgreSQL: not reachable at {POSTGRES_URL} ({type(error).__name__})"
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    store = SqlStore(url)
    store.migrate()
    store.close()
    now = int(time.time())
    with psycopg.connect(_conninfo(name)) as db:
        for statement, values in _caller_rows(now):
            db.execute(statement, values)
        with db.cursor().copy(f"COPY orders ({_ORDER_COLUMNS}) FROM STDIN") as copy:
            for prefix, count, ineligible in (
                (ELIGIBLE, orders // 2, False),
                (INELIGIBLE, orders - orders // 2, True),
                (POOL, pool, False),
            ):
                for row in _rows(prefix, count, now, ineligible):
                    copy.write_row(row)
        db.execute("ANALYZE")
    return PostgresDataset(url, orders // 2, orders - orders // 2, pool)


def forget_postgres_solicitations(data: PostgresDataset, settle_s: float = 1.0) -> None:
    """forget_solicitations, on PostgreSQL."""
    time.sleep(settle_s)
    with psycopg.connect(_conninfo(make_url(data.url).database)) as db:
        db.execute("DELETE FROM outbox")
        db.execute("DELETE FROM solicitations")


def drop_postgres(data: PostgresDataset) -> None:
    """Drop a dataset's database (connections still open to it are ended)."""
    with psycopg.connect(_conninfo(), autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{make_url(data.url).database}" WITH (FORCE)')


def conninfo(url: str) -> str:
    """The libpq URL of a PostgreSQL SQLAlchemy URL's database, for psycopg and asyncpg themselves."""
    return _conninfo(make_url(url).database)


def pending_messages(data: Dataset | PostgresDataset) -> int:
    """Outbox rows a delivery worker has yet to send."""
    query = "SELECT count(*) FROM outbox WHERE state = 'pending'"
    if isinstance(data, Dataset):
        db = sqlite3.connect(data.path, timeout=30)
        try:
            return int(db.execute(query).fetchone()[0])
        finally:
            db.close()
    with psycopg.connect(conninfo(data.url)) as pg:
        row = pg.execute(query).fetchone()
        return int(row[0]) if row else 0
