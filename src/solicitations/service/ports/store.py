"""Where units of work run: every store call of a request is awaited, so the event loop never waits on it."""

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from solicitations.service.ports.unit_of_work import UnitOfWork

R = TypeVar("R")


class StoreUnavailable(Exception):
    """The store cannot be reached or answered with a transient failure; the client gets a 503."""


class Store(Protocol):
    def write(self, work: Callable[[UnitOfWork], R]) -> Awaitable[R]:
        """Run `work` in a write transaction off the event loop; await its result (or its exception) once
        committed. Must be awaited on the loop that asked: the caller's loop never waits on the database."""
        ...

    def read(self, work: Callable[[UnitOfWork], R], *, scan: bool = False) -> Awaitable[R]:
        """Run `work`, which only reads, where the database's waits do not stall the event loop: inline where
        point reads never wait (SQLite), off the loop where they may (PostgreSQL, behind another session's
        lock). `scan` marks a read whose cost grows with a table: off the loop on every database."""
        ...

    def ping(self) -> None:
        """Return when the store answers; StoreUnavailable otherwise. Call it inside `read`."""
        ...

    def schema_is_current(self) -> bool:
        """True when the store's schema stands at the newest migration this code knows. Call it inside `read`."""
        ...

    def close(self) -> None: ...
