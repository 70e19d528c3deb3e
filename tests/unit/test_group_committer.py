"""The group committer's verdicts, over a fake transaction that records what it was asked to do.

A first request that blocks inside its work holds the writer in batch 1, so whatever is submitted meanwhile
is queued for batch 2, together: the batches in these tests are exact, not a matter of timing.
"""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from solicitations.adapters.store.group_commit import GroupCommitter
from solicitations.domain import errors
from solicitations.service.ports.store import StoreUnavailable


class FakeTransaction:
    """Writes are names appended to a list; a savepoint undoes its own, the transaction keeps them on commit."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    @contextmanager
    def savepoint(self) -> Iterator[Any]:
        mark = len(self.writes)
        try:
            yield self
        except BaseException:
            del self.writes[mark:]
            raise


class FakeStore:
    def __init__(self) -> None:
        self.committed: list[list[str]] = []
        self.fail_commit = False

    @contextmanager
    def begin(self) -> Iterator[FakeTransaction]:
        transaction = FakeTransaction()
        yield transaction
        if self.fail_commit:
            raise StoreUnavailable("OperationalError")  # what SqlStore.transaction makes of a failed COMMIT
        self.committed.append(transaction.writes)


class Gate:
    """The work of a request that holds the writer until the test opens the gate."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, uow: FakeTransaction) -> str:
        uow.writes.append("gate")
        self.entered.set()
        self.opened.wait(10)
        return "gate done"


def write(name: str) -> Any:
    def work(uow: FakeTransaction) -> str:
        uow.writes.append(name)
        return name

    return work


def refuse(name: str) -> Any:
    def work(uow: FakeTransaction) -> str:
        uow.writes.append(name)
        raise errors.ApiError(errors.NOT_AVAILABLE)

    return work


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def committer(store: FakeStore) -> Iterator[GroupCommitter]:
    committer = GroupCommitter(store.begin, (), patience=60)
    yield committer
    committer.close()


async def held(committer: GroupCommitter, gate: Gate) -> "asyncio.Future[Any]":
    """Batch 1, holding the writer once this returns."""
    first = committer.submit(gate)
    await asyncio.to_thread(gate.entered.wait, 10)
    return first


def test_requests_queued_during_a_batch_share_the_next_one_each_in_its_savepoint(store, committer) -> None:
    async def scenario() -> list[Any]:
        gate = Gate()
        first = await held(committer, gate)
        queued = [committer.submit(write("a")), committer.submit(refuse("b")), committer.submit(write("c"))]
        gate.opened.set()
        return await asyncio.gather(first, *queued, return_exceptions=True)

    first, a, b, c = asyncio.run(scenario())
    assert (first, a, c) == ("gate done", "a", "c")
    assert isinstance(b, errors.ApiError)
    assert b.failure == errors.NOT_AVAILABLE
    assert store.committed == [["gate"], ["a", "c"]]  # b's write undone, alone
    assert committer.batches == 2


def test_a_failed_commit_fails_every_request_of_its_batch(store, committer) -> None:
    async def scenario() -> list[Any]:
        gate = Gate()
        first = await held(committer, gate)
        queued = [committer.submit(write("a")), committer.submit(refuse("b"))]
        store.fail_commit = True  # both batches' COMMITs fail: batch 1's is still ahead of it
        gate.opened.set()
        return await asyncio.gather(first, *queued, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(outcome, StoreUnavailable) for outcome in outcomes), outcomes
    assert store.committed == []
    assert committer.batches == 0


def test_closing_fails_queued_requests_and_answers_the_batch_in_flight(store, committer) -> None:
    async def scenario() -> list[Any]:
        gate = Gate()
        first = await held(committer, gate)
        queued = committer.submit(write("a"))
        closing = asyncio.create_task(asyncio.to_thread(committer.close))
        refused = await asyncio.gather(queued, return_exceptions=True)  # before the batch in flight ends
        gate.opened.set()
        await closing
        return [await first, *refused]

    first, queued = asyncio.run(scenario())
    assert first == "gate done"
    assert isinstance(queued, StoreUnavailable)
    assert store.committed == [["gate"]]

    async def later() -> str:  # a write after close starts a writer again, as a disposed engine reconnects
        return await committer.submit(write("b"))

    assert asyncio.run(later()) == "b"


def test_a_cancelled_request_leaves_the_writer_answering_the_others(store, committer) -> None:
    async def scenario() -> list[Any]:
        gate = Gate()
        first = await held(committer, gate)
        gone = committer.submit(write("gone"))
        kept = committer.submit(write("kept"))
        gone.cancel()  # its client went away
        gate.opened.set()
        return [await first, await kept, await committer.submit(write("next"))]

    assert asyncio.run(scenario()) == ["gate done", "kept", "next"]
    assert store.committed == [["gate"], ["gone", "kept"], ["next"]]  # a cancelled wait is no rollback


def test_a_full_queue_is_refused_at_once(store) -> None:
    committer = GroupCommitter(store.begin, (), patience=60, max_queued=1)

    async def scenario() -> None:
        gate = Gate()
        first = await held(committer, gate)
        queued = committer.submit(write("a"))
        with pytest.raises(StoreUnavailable):
            committer.submit(write("b"))
        gate.opened.set()
        assert await asyncio.gather(first, queued) == ["gate done", "a"]

    try:
        asyncio.run(scenario())
    finally:
        committer.close()


def test_a_request_queued_past_the_busy_timeout_is_refused_rather_than_made_to_wait_again(store) -> None:
    """Batch 1 holds the writer (as a lock held elsewhere would, up to the busy timeout): what queued behind
    it for longer than that gets StoreUnavailable; what queued later still gets its batch."""
    now = [0.0]
    committer = GroupCommitter(store.begin, (), patience=5.0, monotonic=lambda: now[0])

    async def scenario() -> list[Any]:
        gate = Gate()
        first = await held(committer, gate)
        old = committer.submit(write("old"))
        now[0] = 4.0
        young = committer.submit(write("young"))
        now[0] = 5.5  # `old` has waited 5.5 s, `young` 1.5 s
        gate.opened.set()
        return await asyncio.gather(first, old, young, return_exceptions=True)

    try:
        first, old, young = asyncio.run(scenario())
    finally:
        committer.close()
    assert (first, young) == ("gate done", "young")
    assert isinstance(old, StoreUnavailable)
    assert store.committed == [["gate"], ["young"]]
