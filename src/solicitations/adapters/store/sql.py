"""The store on SQLAlchemy Core: SQLite (WAL) by default, any SQLAlchemy URL in principle. The plumbing only:
engine, connections, transactions and where they run; the repositories live one module per aggregate.

Writes go through `write`, off the event loop: on SQLite committed in groups by group_commit.py, on
PostgreSQL in a thread pool, a transaction each. Reads go through `read`: inline on SQLite (a page-cache
hit costs less than a thread hop), in a pool of reader threads on PostgreSQL, where a read may wait on
another session's lock until the statement timeout; a `scan` runs in the reader threads on both.
"""

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Engine, Executable, Table, event, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from solicitations.adapters.store.connection import Prepared, Session
from solicitations.adapters.store.engines import make_engine
from solicitations.adapters.store.group_commit import GroupCommitter
from solicitations.adapters.store.identity import IdentityStatements, SqlIdentity
from solicitations.adapters.store.migrate import is_current, upgrade
from solicitations.adapters.store.opt_outs import SqlOptOuts
from solicitations.adapters.store.order_reads import SqlOrderQueries
from solicitations.adapters.store.orders import OrderStatements, SqlOrders
from solicitations.adapters.store.outbox import OutboxStatements, SqlOutbox
from solicitations.adapters.store.restricted_tokens import SqlRestrictedTokens
from solicitations.adapters.store.usage_plans import SqlUsagePlans, UsagePlanStatements
from solicitations.service.ports.store import StoreUnavailable
from solicitations.service.ports.unit_of_work import UnitOfWork

R = TypeVar("R")


class _Statements:
    """The hot statements of one engine, compiled once, by aggregate."""

    def __init__(self, engine: Engine, insert: Callable[[Table], Any]) -> None:
        self.orders = OrderStatements(engine, insert)
        self.outbox = OutboxStatements(engine)
        self.identity = IdentityStatements(engine)
        self.usage_plans = UsagePlanStatements(engine)
        self.ping = Prepared(engine, select(1))


def _on_cursor(connection: Any, query: Prepared, values: dict[str, Any]) -> tuple[Sequence[Any] | None, int]:
    """A hot statement on a DBAPI connection: its first row (None for writes) and the rows it touched."""
    cursor = connection.cursor()
    try:
        cursor.execute(query.sql, query.params(values))
        return (cursor.fetchone() if cursor.description else None), cursor.rowcount
    finally:
        cursor.close()


class SqlUnitOfWork:
    """The repositories of one connection: a write transaction's, or a reader's."""

    def __init__(self, session: Session, statements: _Statements) -> None:
        self.orders = SqlOrders(session, statements.orders)
        self.order_queries = SqlOrderQueries(session)
        self.outbox = SqlOutbox(session, statements.outbox)
        self.identity = SqlIdentity(session, statements.identity)
        self.usage_plans = SqlUsagePlans(session, statements.usage_plans)
        self.opt_outs = SqlOptOuts(session)
        self.restricted_tokens = SqlRestrictedTokens(session)


class _InTransaction:
    """The Session of a write transaction: everything on its one connection."""

    def __init__(self, conn: Connection, insert: Callable[[Table], Any]) -> None:
        self._conn = conn
        self.insert = insert

    def fetch_one(self, query: Prepared, values: dict[str, Any]) -> Sequence[Any] | None:
        return _on_cursor(self._conn.connection, query, values)[0]

    def run(self, query: Prepared, values: dict[str, Any]) -> int:
        return _on_cursor(self._conn.connection, query, values)[1]

    def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[*tuple[Any, ...]]:
        return self._conn.execute(statement, parameters)


class SqlTransaction(SqlUnitOfWork):
    """One write transaction's unit of work, with savepoints for the group committer's requests."""

    def __init__(self, conn: Connection, insert: Callable[[Table], Any], statements: _Statements) -> None:
        super().__init__(_InTransaction(conn, insert), statements)
        self._conn = conn

    @contextmanager
    def savepoint(self) -> Iterator["SqlTransaction"]:
        """One request's share of a group commit: released when the block ends, undone when it raises."""
        cursor = self._conn.connection.cursor()
        try:
            cursor.execute("SAVEPOINT request")
            try:
                yield self
            except BaseException:
                cursor.execute("ROLLBACK TO request")
                cursor.execute("RELEASE request")
                raise
            cursor.execute("RELEASE request")
        finally:
            cursor.close()


class _Reader:
    """The Session of one thread's reads: hot statements on a DBAPI connection kept between reads (no
    transaction left open), the rest on a pooled connection checked out for one read and released after it."""

    def __init__(self, engine: Engine, insert: Callable[[Table], Any], statements: _Statements) -> None:
        self._engine = engine
        self.insert = insert
        self._raw: Any = None
        self._conn: Connection | None = None
        self.uow = SqlUnitOfWork(self, statements)

    def _on_raw(self, query: Prepared, values: dict[str, Any]) -> tuple[Sequence[Any] | None, int]:
        try:
            if self._raw is None:
                self._raw = self._engine.raw_connection()
                if self._engine.dialect.name == "postgresql":  # no transaction left open between reads
                    driver = self._raw.driver_connection
                    assert driver is not None
                    driver.autocommit = True
            return _on_cursor(self._raw, query, values)
        except Exception as exc:
            self.drop()
            if isinstance(exc, self._engine.dialect.loaded_dbapi.Error):
                raise StoreUnavailable(type(exc).__name__) from exc
            raise

    def fetch_one(self, query: Prepared, values: dict[str, Any]) -> Sequence[Any] | None:
        return self._on_raw(query, values)[0]

    def run(self, query: Prepared, values: dict[str, Any]) -> int:
        return self._on_raw(query, values)[1]

    def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[*tuple[Any, ...]]:
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn.execute(statement, parameters)

    def release(self) -> None:
        """The read is over: its pooled connection goes back (its transaction rolled back)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def drop(self) -> None:
        """Drop the DBAPI connection; the thread's next read opens another. A broken one may fail to close."""
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.invalidate()


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (relative to the working directory, as SQLite opens it); None for other
    databases, in-memory SQLite and URI-mode names."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or "uri" in parsed.query:
        return None
    return Path(parsed.database)


class SqlStore:
    """The Store protocol over one SQLAlchemy engine."""

    def __init__(
        self,
        url: str,
        *,
        sqlite_synchronous: str = "FULL",
        busy_timeout_ms: int = 5000,
        pool_size: int = 10,
        statement_timeout_ms: int = 5000,
    ) -> None:
        self.url = url
        if url.startswith("postgresql"):
            # psycopg 3, synchronous: its calls run in this store's thread pools, never on the event loop.
            # Each reader thread keeps a connection of its own (up to pool_size of them); the writers, the
            # worker and the rest keep the pool_size connections and pool_size overflow they had before.
            self.engine = make_engine(
                url,
                pool_size=pool_size,
                max_overflow=2 * pool_size,
                pool_timeout=5,
                connect_args={
                    "connect_timeout": max(1, statement_timeout_ms // 1000),
                    "options": f"-c statement_timeout={int(statement_timeout_ms)}",
                },
            )
        else:
            self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            self._configure_sqlite(sqlite_synchronous, busy_timeout_ms)
        # Writers take SQLite's write lock at BEGIN, so two writers never deadlock upgrading a read lock.
        self._writer = self.engine.execution_options(begin_immediate=True)
        self._insert: Callable[[Table], Any] = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self._statements = _Statements(self.engine, self._insert)
        self._store_errors = (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.TimeoutError,
            self.engine.dialect.loaded_dbapi.OperationalError,
            self.engine.dialect.loaded_dbapi.InterfaceError,
        )
        # Readers by thread; close() drops every one.
        self._readers: dict[int, _Reader] = {}
        # Where writes' transactions run, off the event loop: SQLite's one writer commits them in groups (one
        # fsync per batch); on PostgreSQL, threads as many as the pool's connections, a transaction each.
        self._committer = (
            GroupCommitter(self.transaction, self._store_errors, patience=busy_timeout_ms / 1000)
            if self.dialect == "sqlite"
            else None
        )
        self._pool_size = pool_size
        self._executor: ThreadPoolExecutor | None = None
        self._read_executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

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

    def migrate(self) -> None:
        """Bring the schema to the newest revision; concurrent starters queue on the write lock."""
        try:
            with self._writer.begin() as conn:
                if self.dialect == "postgresql":  # nodes starting together queue here
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(5121911)")
                upgrade(conn)
        except self._store_errors as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        """A write transaction, run where it is called: the group committer's and the write threads' tool."""
        try:
            with self._writer.begin() as conn:
                yield SqlTransaction(conn, self._insert, self._statements)
        except self._store_errors as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def write(self, work: Callable[[UnitOfWork], R]) -> Awaitable[R]:
        if self._committer is not None:
            return self._committer.submit(work)
        return asyncio.get_running_loop().run_in_executor(self._writers(), self._write_now, work)

    def read(self, work: Callable[[UnitOfWork], R], *, scan: bool = False) -> Awaitable[R]:
        if self.dialect == "sqlite" and not scan:
            return self._inline(work)
        return asyncio.get_running_loop().run_in_executor(self._reader_threads(), self._read_now, work)

    async def _inline(self, work: Callable[[UnitOfWork], R]) -> R:
        """A read run where it is awaited, on the event loop: SQLite's reads answer from the page cache."""
        return self._read_now(work)

    def _read_now(self, work: Callable[[UnitOfWork], R]) -> R:
        reader = self._reader()
        try:
            return work(reader.uow)
        except self._store_errors as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        finally:
            reader.release()

    @property
    def write_batches(self) -> int | None:
        """Transactions the group committer has committed (None off SQLite): for tests and benchmarks."""
        return None if self._committer is None else self._committer.batches

    def _write_now(self, work: Callable[[UnitOfWork], R]) -> R:
        with self.transaction() as uow:
            return work(uow)

    def _writers(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._pool_size, thread_name_prefix="store-write")
            return self._executor

    def _reader_threads(self) -> ThreadPoolExecutor:
        """Apart from the writers, so reads stuck on a lock never hold up a commit, and bounded by the pool."""
        with self._executor_lock:
            if self._read_executor is None:
                self._read_executor = ThreadPoolExecutor(self._pool_size, thread_name_prefix="store-read")
            return self._read_executor

    def _reader(self) -> _Reader:
        thread = threading.get_ident()
        reader = self._readers.get(thread)
        if reader is None:
            reader = self._readers[thread] = _Reader(self.engine, self._insert, self._statements)
        return reader

    def ping(self) -> None:
        self._reader().fetch_one(self._statements.ping, {})

    def schema_is_current(self) -> bool:
        try:
            with self.engine.connect() as conn:
                return is_current(conn)
        except self._store_errors as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def close(self) -> None:
        """Finish the writes in flight, fail queued ones, close every connection; a later call reopens."""
        if self._committer is not None:
            self._committer.close()
        with self._executor_lock:
            executors = (self._executor, self._read_executor)
            self._executor = self._read_executor = None
        for executor in executors:
            if executor is not None:
                executor.shutdown(wait=True)
        for reader in list(self._readers.values()):
            reader.drop()
        self._readers.clear()
        self.engine.dispose()
