"""The argon2 adapter: its answers, its cap on concurrent argon2 calls, and its bounded line of waiting callers.

argon2 itself is instrumented (PasswordHasher subclasses at the lowest cost) to count the calls running at once
or to hold them until the test lets go.
"""

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any

import pytest
from argon2 import PasswordHasher

from helpers import CHEAP_ARGON2, GatedArgon2, wait_until_async
from solicitations.adapters.secrets import Argon2Secrets
from solicitations.service.ports.secrets import SecretHasherBusy


class Counting(PasswordHasher):
    """Counts the verifies and the most argon2 calls ever running at once; each lasts long enough to overlap."""

    def __init__(self) -> None:
        super().__init__(**CHEAP_ARGON2)
        self.lock = threading.Lock()
        self.running = self.most = self.verifies = 0

    def _counted(self, call: Any, *args: Any) -> Any:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.02)
            return call(*args)
        finally:
            with self.lock:
                self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        return str(self._counted(super().hash, password))

    def verify(self, hash: str | bytes, password: str | bytes) -> Any:
        with self.lock:
            self.verifies += 1
        return self._counted(super().verify, hash, password)


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 30))


def test_verify_answers_and_costs_the_same_whether_or_not_a_hash_is_stored() -> None:
    counting = Counting()
    secrets = Argon2Secrets(threads=1, waiting=0, parameters=counting)

    async def scenario() -> None:
        stored = await secrets.hash("right")
        assert stored.startswith("$argon2id$")
        assert await secrets.verify(stored, "right") is True
        assert await secrets.verify(stored, "wrong") is False
        assert await secrets.verify(None, "no such client") is False  # the dummy's own secret
        assert await secrets.verify("not an argon2 hash", "right") is False
        assert counting.verifies == 4  # one argon2 verify each: a missing hash costs what a stored one does

    try:
        run(scenario())
    finally:
        secrets.close()


def test_never_more_argon2_calls_at_once_than_threads() -> None:
    counting = Counting()
    secrets = Argon2Secrets(threads=3, waiting=100, parameters=counting)

    async def scenario() -> None:
        stored = await secrets.hash("right")
        results = await asyncio.gather(
            *(secrets.verify(stored, "right" if i % 2 else "wrong") for i in range(24)),
            *(secrets.hash(f"secret {i}") for i in range(8)),
        )
        assert results[:24] == [bool(i % 2) for i in range(24)]
        assert counting.most == 3  # reached, never passed

    try:
        run(scenario())
    finally:
        secrets.close()


def test_past_the_waiting_line_a_check_is_refused_at_once_and_admitted_again_later() -> None:
    gated = GatedArgon2()
    secrets = Argon2Secrets(threads=2, waiting=3, parameters=gated)

    async def scenario() -> None:
        admitted = [asyncio.create_task(secrets.verify(None, "x")) for _ in range(5)]  # 2 running, 3 waiting
        await wait_until_async(lambda: gated.entered == 2)
        started = time.perf_counter()
        with pytest.raises(SecretHasherBusy):
            await secrets.verify(None, "one too many")
        assert time.perf_counter() - started < 0.5
        gated.release.set()
        assert await asyncio.gather(*admitted) == [False] * 5
        assert gated.entered == 5  # the refused one never reached argon2
        assert await secrets.verify(None, "x") is False  # places are free again

    try:
        run(scenario())
    finally:
        gated.release.set()
        secrets.close()


def test_a_caller_that_goes_away_frees_its_place_only_once_its_argon2_call_is_not_running() -> None:
    """A disconnecting client must not let more argon2 calls run than there are threads."""
    gated = GatedArgon2()
    secrets = Argon2Secrets(threads=1, waiting=1, parameters=gated)

    async def scenario() -> None:
        running = asyncio.create_task(secrets.verify(None, "x"))
        await wait_until_async(lambda: gated.entered == 1)
        waiting = asyncio.create_task(secrets.verify(None, "x"))
        await asyncio.sleep(0)
        waiting.cancel()  # never started: its place is free at once
        with pytest.raises(asyncio.CancelledError):
            await waiting
        replacement = asyncio.create_task(secrets.verify(None, "x"))
        await asyncio.sleep(0)
        assert not replacement.done()  # admitted, waiting for the thread
        running.cancel()  # already in argon2: its place stays taken until the call returns
        with pytest.raises(asyncio.CancelledError):
            await running
        with pytest.raises(SecretHasherBusy):
            await secrets.verify(None, "x")
        gated.release.set()
        assert await replacement is False
        assert gated.entered == 2  # the first call and the replacement; the cancelled waiter never ran

    try:
        run(scenario())
    finally:
        gated.release.set()
        secrets.close()
