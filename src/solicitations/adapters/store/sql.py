"""The store on SQLAlchemy Core: SQLite (WAL) by default, any SQLAlchemy URL in principle.

Writes go through Core inside one transaction per use case. The hot statements (one order joined with
its solicitation; the solicitation's insert) are Core statements compiled once and run straight on the
DBAPI connection: SQLAlchemy's per-call overhead costs about a third of the GET budget (shared
PERFORMANCE.md) and, building and caching the insert, most of a POST's CPU (bench/asgi_cost.py).
"""

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from solicitations.adapters.store import schema
from solicitations.adapters.store.migrate import is_current, upgrade
from solicitations.domain.callers import Caller
from solicitations.domain.orders import Order
from solicitations.domain.usage_plans import UsagePlan
from solicitations.service.ports import (
    Application,
    BucketKey,
    Seller,
    Solicitation,
    StoredOrder,
    StoreUnavailable,
)

P = ParamSpec("P")
R = TypeVar("R")


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _instant(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _unavailable_on_operational_error(fn: Callable[P, R]) -> Callable[P, R]:
    """Map connection-level failures (locked, unreachable, disk) to StoreUnavailable → 503."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
            raise StoreUnavailable(type(exc.orig if hasattr(exc, "orig") else exc).__name__) from exc

    wrapper.__doc__ = fn.__doc__
    return wrapper


_ORDER_COLUMNS = (
    schema.orders.c.amazon_order_id,
    schema.orders.c.seller_id,
    schema.orders.c.marketplace_id,
    schema.orders.c.order_status,
    schema.orders.c.purchase_date,
    schema.orders.c.earliest_delivery_date,
    schema.orders.c.latest_delivery_date,
    schema.orders.c.fulfillment_channel,
    schema.orders.c.buyer_email,
    schema.orders.c.buyer_locale,
    schema.orders.c.buyer_opted_out,
)
_SOLICITATION_COLUMNS = (
    schema.solicitations.c.action,
    schema.solicitations.c.seller_id,
    schema.solicitations.c.application_id,
    schema.solicitations.c.marketplace_id,
    schema.solicitations.c.created_at,
    schema.solicitations.c.request_id,
)
_FIND_ORDER = (
    select(*_ORDER_COLUMNS, *_SOLICITATION_COLUMNS)
    .select_from(
        schema.orders.outerjoin(
            schema.solicitations,
            schema.solicitations.c.amazon_order_id == schema.orders.c.amazon_order_id,
        )
    )
    .where(schema.orders.c.amazon_order_id == bindparam("order_id"))
)
_FIND_CALLER = (
    select(
        schema.access_tokens.c.seller_id,
        schema.access_tokens.c.application_id,
        schema.access_tokens.c.expires_at,
        schema.applications.c.roles,
    )
    .select_from(
        schema.access_tokens.join(
            schema.applications,
            schema.applications.c.application_id == schema.access_tokens.c.application_id,
        )
    )
    .where(schema.access_tokens.c.token_hash == bindparam("token_hash"))
)

_SOLICITATION_ROW: dict[str, Any] = {column.name: bindparam(column.name) for column in schema.solicitations.c}

_FIND_USAGE_PLAN = select(schema.usage_plans.c.rate, schema.usage_plans.c.burst).where(
    schema.usage_plans.c.seller_id == bindparam("seller_id"),
    schema.usage_plans.c.application_id == bindparam("application_id"),
    schema.usage_plans.c.operation == bindparam("operation"),
)


def _stored_order(row: Sequence[Any]) -> StoredOrder:
    order = Order(
        amazon_order_id=row[0],
        seller_id=row[1],
        marketplace_id=row[2],
        order_status=row[3],
        purchase_date=_instant(row[4]),
        earliest_delivery_date=_instant(row[5]),
        latest_delivery_date=_instant(row[6]),
        fulfillment_channel=row[7],
        buyer_email=row[8],
        buyer_locale=row[9],
        buyer_opted_out=bool(row[10]),
    )
    solicitation = None
    if row[11] is not None:
        created_at = _instant(row[15])
        assert created_at is not None
        solicitation = Solicitation(
            amazon_order_id=order.amazon_order_id,
            action=row[11],
            seller_id=row[12],
            application_id=row[13],
            marketplace_id=row[14],
            created_at=created_at,
            request_id=row[16],
        )
    return StoredOrder(order, solicitation)


class _Prepared:
    """A Core statement compiled once for the engine's dialect, run on a raw DBAPI cursor."""

    def __init__(self, engine: Engine, statement: Any) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._positional = compiled.positional
        self._order = tuple(compiled.positiontup or ())

    def params(self, values: dict[str, Any]) -> Any:
        return tuple(values[name] for name in self._order) if self._positional else values


class _Statements:
    """The hot statements of one engine, compiled once."""

    def __init__(self, engine: Engine) -> None:
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self.insert = insert
        self.find_order = _Prepared(engine, _FIND_ORDER)
        self.find_caller = _Prepared(engine, _FIND_CALLER)
        self.find_usage_plan = _Prepared(engine, _FIND_USAGE_PLAN)
        self.add_solicitation = _Prepared(
            engine,
            insert(schema.solicitations)
            .values(_SOLICITATION_ROW)
            .on_conflict_do_nothing(index_elements=["amazon_order_id"]),
        )
        self.ping = _Prepared(engine, select(1))


class SqlTransaction:
    """One use case's reads and writes on one connection inside one transaction."""

    def __init__(self, conn: Connection, statements: _Statements) -> None:
        self._conn = conn
        self._statements = statements
        self._insert = statements.insert

    def _run(self, query: _Prepared, values: dict[str, Any]) -> Any:
        """A hot statement on this transaction's DBAPI connection; the cursor, executed."""
        cursor = self._conn.connection.cursor()
        cursor.execute(query.sql, query.params(values))
        return cursor

    def find_order(self, amazon_order_id: str) -> StoredOrder | None:
        cursor = self._run(self._statements.find_order, {"order_id": amazon_order_id})
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else _stored_order(row)

    def add_solicitation(self, solicitation: Solicitation) -> bool:
        cursor = self._run(
            self._statements.add_solicitation,
            {
                "amazon_order_id": solicitation.amazon_order_id,
                "action": solicitation.action,
                "seller_id": solicitation.seller_id,
                "application_id": solicitation.application_id,
                "marketplace_id": solicitation.marketplace_id,
                "created_at": _epoch(solicitation.created_at),
                "request_id": solicitation.request_id,
            },
        )
        added: bool = cursor.rowcount == 1
        cursor.close()
        return added

    def _upsert(self, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        statement = self._insert(table)
        updates = {name: statement.excluded[name] for name in rows[0] if name != key}
        self._conn.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), rows)

    def upsert_orders(self, orders: Sequence[Order], now: datetime) -> None:
        self._upsert(
            schema.orders,
            "amazon_order_id",
            [
                {
                    "amazon_order_id": o.amazon_order_id,
                    "seller_id": o.seller_id,
                    "marketplace_id": o.marketplace_id,
                    "order_status": o.order_status,
                    "purchase_date": _epoch(o.purchase_date),
                    "earliest_delivery_date": _epoch(o.earliest_delivery_date),
                    "latest_delivery_date": _epoch(o.latest_delivery_date),
                    "fulfillment_channel": o.fulfillment_channel,
                    "buyer_email": o.buyer_email,
                    "buyer_locale": o.buyer_locale,
                    "buyer_opted_out": o.buyer_opted_out,
                    "updated_at": _epoch(now),
                }
                for o in orders
            ],
        )

    def put_usage_plan(self, key: BucketKey, plan: UsagePlan, now: datetime) -> None:
        statement = self._insert(schema.usage_plans).values(
            seller_id=key.seller_id,
            application_id=key.application_id,
            operation=key.operation,
            rate=plan.rate,
            burst=plan.burst,
            updated_at=_epoch(now),
        )
        self._conn.execute(
            statement.on_conflict_do_update(
                index_elements=["seller_id", "application_id", "operation"],
                set_={
                    "rate": statement.excluded.rate,
                    "burst": statement.excluded.burst,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    def upsert_seller(self, seller: Seller, now: datetime) -> None:
        self._upsert(
            schema.sellers,
            "seller_id",
            [
                {
                    "seller_id": seller.seller_id,
                    "name": seller.name,
                    "marketplace_ids": json.dumps(list(seller.marketplace_ids)),
                    "updated_at": _epoch(now),
                }
            ],
        )

    def find_seller(self, seller_id: str) -> Seller | None:
        row = self._conn.execute(
            select(schema.sellers.c.name, schema.sellers.c.marketplace_ids).where(
                schema.sellers.c.seller_id == seller_id
            )
        ).first()
        return None if row is None else Seller(seller_id, row[0], tuple(json.loads(row[1])))

    def find_application(self, application_id: str) -> Application | None:
        row = self._conn.execute(
            select(schema.applications.c.name, schema.applications.c.roles).where(
                schema.applications.c.application_id == application_id
            )
        ).first()
        return None if row is None else Application(application_id, row[0], frozenset(json.loads(row[1])))

    def add_application(self, application: Application, now: datetime) -> None:
        self._conn.execute(
            schema.applications.insert().values(
                application_id=application.application_id,
                name=application.name,
                roles=json.dumps(sorted(application.roles)),
                created_at=_epoch(now),
            )
        )

    def add_access_token(
        self, token_hash: str, seller_id: str, application_id: str, expires_at: datetime, now: datetime
    ) -> None:
        self._conn.execute(
            schema.access_tokens.insert().values(
                token_hash=token_hash,
                seller_id=seller_id,
                application_id=application_id,
                expires_at=_epoch(expires_at),
                created_at=_epoch(now),
            )
        )


class SqlStore:
    """The Store protocol over one SQLAlchemy engine."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", busy_timeout_ms: int = 5000) -> None:
        self.url = url
        self.engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            self._configure_sqlite(sqlite_synchronous, busy_timeout_ms)
        # Writers take SQLite's write lock at BEGIN, so two writers never deadlock upgrading a read lock.
        self._writer = self.engine.execution_options(begin_immediate=True)
        self._statements = _Statements(self.engine)
        self._driver_errors = (
            self.engine.dialect.loaded_dbapi.OperationalError,
            self.engine.dialect.loaded_dbapi.InterfaceError,
        )
        self._local = threading.local()

    def _configure_sqlite(self, synchronous: str, busy_timeout_ms: int) -> None:
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # Autocommit at the driver: SQLAlchemy's "begin" event below emits BEGIN itself.
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("begin_immediate", False)
            # Straight on the driver: exec_driver_sql's bookkeeping costs a tenth of a POST.
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[union-attr]

    @_unavailable_on_operational_error
    def migrate(self) -> None:
        """Bring the schema to the newest revision; concurrent starters queue on the write lock."""
        with self._writer.begin() as conn:
            upgrade(conn)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        try:
            with self._writer.begin() as conn:
                yield SqlTransaction(conn, self._statements)
        except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, *self._driver_errors) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def _reader(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.engine.raw_connection()
        return conn

    def _read_one(self, query: _Prepared, values: dict[str, Any]) -> Any:
        try:
            cursor = self._reader().cursor()
            try:
                cursor.execute(query.sql, query.params(values))
                return cursor.fetchone()
            finally:
                cursor.close()
        except Exception as exc:
            self._drop_reader()
            if isinstance(exc, self.engine.dialect.loaded_dbapi.Error):
                raise StoreUnavailable(type(exc).__name__) from exc
            raise

    def _drop_reader(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            # A broken connection may fail to close; it is gone either way.
            with contextlib.suppress(Exception):
                conn.invalidate()

    def find_order(self, amazon_order_id: str) -> StoredOrder | None:
        row = self._read_one(self._statements.find_order, {"order_id": amazon_order_id})
        return None if row is None else _stored_order(row)

    def find_caller(self, token_hash: str) -> Caller | None:
        row = self._read_one(self._statements.find_caller, {"token_hash": token_hash})
        if row is None:
            return None
        expires_at = _instant(row[2])
        assert expires_at is not None
        return Caller(row[0], row[1], frozenset(json.loads(row[3])), expires_at)

    def find_usage_plan(self, key: BucketKey) -> UsagePlan | None:
        row = self._read_one(
            self._statements.find_usage_plan,
            {"seller_id": key.seller_id, "application_id": key.application_id, "operation": key.operation},
        )
        return None if row is None else UsagePlan(float(row[0]), int(row[1]))

    def ping(self) -> None:
        self._read_one(self._statements.ping, {})

    @_unavailable_on_operational_error
    def schema_is_current(self) -> bool:
        with self.engine.connect() as conn:
            return is_current(conn)

    def close(self) -> None:
        self._drop_reader()
        self.engine.dispose()
