"""Group commit: one writer thread that commits, in one transaction, every write that queued meanwhile.

On SQLite each COMMIT of a `synchronous=FULL` database waits for an fsync, and only one writer holds the
lock anyway: a request per transaction caps the POST rate at the disk's fsync rate. Here requests that
arrive while a commit is in flight wait for the next batch, and a batch pays one BEGIN IMMEDIATE, one
COMMIT, one fsync. Each request's work runs inside its own SAVEPOINT, so its refusal (or its bug) undoes
its own writes only; the store's own failures (lock not taken within the busy timeout, a failed COMMIT, a
disk error mid-batch) fail every request of the batch with StoreUnavailable, since none of it committed.

A request that waited in the queue longer than `patience` (the busy timeout: batches before it were stuck
on another process's lock) is answered StoreUnavailable instead of waiting for yet another BEGIN, so no
request waits much beyond twice the busy timeout however long the queue grew behind a held lock.

A request is answered only after its batch's COMMIT returned, on the loop it came from, through
`call_soon_threadsafe`: the loop never waits on the database, and a 201 is never lost to a crash.
"""

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from solicitations.service.ports.store import StoreUnavailable
from solicitations.service.ports.unit_of_work import UnitOfWork

log = logging.getLogger("solicitations.store")

R = TypeVar("R")
MAX_BATCH = 256  # requests per transaction: bounds a batch's lock hold and the work lost to one failure
MAX_QUEUED = 10_000  # beyond this the store is overloaded: 503 at once rather than an ever longer wait


class Batch(Protocol):
    """One write transaction of the store, with savepoints inside it."""

    def savepoint(self) -> AbstractContextManager[UnitOfWork]:
        """A nested transaction: released when the block ends, rolled back to when it raises."""
        ...


@dataclass(slots=True)
class _Request:
    work: Callable[[UnitOfWork], Any]
    loop: asyncio.AbstractEventLoop
    future: "asyncio.Future[Any]"
    queued_at: float


def _settle(outcomes: list[tuple["asyncio.Future[Any]", bool, Any]]) -> None:
    """On the requester's loop: each future gets its result or its exception, unless it was cancelled."""
    for future, ok, value in outcomes:
        if future.done():  # cancelled: its client went away; the write stands (or not) regardless
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class GroupCommitter:
    """The writer thread of one store, started by the first write and stopped by `close`."""

    def __init__(
        self,
        begin: Callable[[], AbstractContextManager[Batch]],
        store_errors: tuple[type[BaseException], ...],
        *,
        patience: float,
        max_batch: int = MAX_BATCH,
        max_queued: int = MAX_QUEUED,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._begin = begin
        self._patience = patience
        self._monotonic = monotonic
        self._store_errors: tuple[type[BaseException], ...] = (StoreUnavailable, *store_errors)
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._queue: deque[_Request] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()  # the running writer's own: a writer started after a close has another
        self.batches = 0  # transactions committed, for tests and benchmarks

    def submit(self, work: Callable[[UnitOfWork], R]) -> "asyncio.Future[R]":
        """Queue `work` for the next batch; the future is settled on the running loop once it committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        with self._ready:
            if len(self._queue) >= self._max_queued:
                raise StoreUnavailable("write queue full")
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(self._stop,), name="store-writer", daemon=True)
                self._thread.start()
            self._queue.append(_Request(work, loop, future, self._monotonic()))
            self._ready.notify()
        return future

    def close(self) -> None:
        """Stop the writer: the batch in flight finishes (and is answered); queued requests get StoreUnavailable.
        A later write starts a new writer, as a closed engine reconnects on its next use."""
        with self._ready:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stop.set()
            queued = list(self._queue)
            self._queue.clear()
            self._ready.notify()
        self._answer([(request, False, StoreUnavailable("store closed")) for request in queued])
        thread.join()

    def _run(self, stop: threading.Event) -> None:
        while True:
            with self._ready:
                while not self._queue and not stop.is_set():
                    self._ready.wait()
                if stop.is_set():
                    return
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_batch))]
            now = self._monotonic()
            expired = [request for request in batch if now - request.queued_at >= self._patience]
            if expired:
                self._answer(
                    [(request, False, StoreUnavailable("waited past the busy timeout")) for request in expired]
                )
                batch = [request for request in batch if now - request.queued_at < self._patience]
            if batch:
                self._answer(self._commit(batch))

    def _commit(self, batch: list[_Request]) -> list[tuple[_Request, bool, Any]]:
        """Run the batch in one transaction; each request's outcome, valid only because the COMMIT returned."""
        outcomes: list[tuple[_Request, bool, Any]] = []
        try:
            with self._begin() as transaction:
                for request in batch:
                    try:
                        with transaction.savepoint() as uow:
                            outcomes.append((request, True, request.work(uow)))
                    except self._store_errors:
                        raise  # the transaction itself is in doubt: none of the batch commits
                    except Exception as exc:  # the request's own refusal or bug: its savepoint is undone
                        outcomes.append((request, False, exc))
        except StoreUnavailable as exc:
            log.warning("write batch failed", extra={"requests": len(batch), "error": repr(exc)})
            return [(request, False, StoreUnavailable(str(exc))) for request in batch]
        except Exception as exc:  # a failure outside every request's work: nothing of the batch committed
            log.exception("write batch failed", extra={"requests": len(batch)})
            return [(request, False, StoreUnavailable(type(exc).__name__)) for request in batch]
        self.batches += 1
        return outcomes

    @staticmethod
    def _answer(outcomes: list[tuple[_Request, bool, Any]]) -> None:
        """One wake-up per loop for the whole batch; a loop already closed has no one left to answer."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for request, ok, value in outcomes:
            by_loop.setdefault(request.loop, []).append((request.future, ok, value))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:
                log.warning("write answered after its loop closed", extra={"requests": len(settled)})
