"""What the repositories of one unit of work share: its connection (a transaction's, or a reader's), the hot
statements compiled once, and the conversions between domain values and columns.

The hot statements are Core statements compiled once and run straight on the DBAPI connection: SQLAlchemy's
per-call overhead costs about a third of the GET budget (a point query through `Connection.execute` ran at
10k req/s against 14k through the DBAPI cursor, in a prototype of the GET) and, building and caching the
insert, most of a POST's CPU (bench/asgi_cost.py). The rest goes through Core on a SQLAlchemy connection.
"""

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import CursorResult, Engine, Executable, Table

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_IN_CHUNK = 500  # keys per IN (...) list, well below every database's parameter limit


def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def instant(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def epoch_ms(value: datetime) -> int:
    return (value - _EPOCH) // _MILLISECOND


def instant_ms(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + value * _MILLISECOND


def chunks(keys: Collection[str]) -> Iterator[list[str]]:
    """The keys, sorted, in lists short enough for one IN (...)."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


class Prepared:
    """A Core statement compiled once for the engine's dialect, run on a raw DBAPI cursor."""

    def __init__(self, engine: Engine, statement: Any) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._positional = compiled.positional
        self._order = tuple(compiled.positiontup or ())
        # Values fixed in the statement itself, e.g. state = 'active'.
        self._literals = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}

    def params(self, values: dict[str, Any]) -> Any:
        merged = {**self._literals, **values}
        return tuple(merged[name] for name in self._order) if self._positional else merged


class Session(Protocol):
    """One connection as the repositories of a unit of work see it."""

    insert: Callable[[Table], Any]  # the dialect's INSERT, with its ON CONFLICT clauses

    def fetch_one(self, query: Prepared, values: dict[str, Any]) -> Sequence[Any] | None:
        """A hot statement's first row, straight on the DBAPI cursor."""
        ...

    def run(self, query: Prepared, values: dict[str, Any]) -> int:
        """A hot write straight on the DBAPI cursor; the rows it touched."""
        ...

    def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[*tuple[Any, ...]]:
        """Any other statement, through Core."""
        ...


def upsert(session: Session, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, replacing every column but `key` of those that exist."""
    if not rows:
        return
    statement = session.insert(table)
    updates = {name: statement.excluded[name] for name in rows[0] if name != key}
    session.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), rows)
