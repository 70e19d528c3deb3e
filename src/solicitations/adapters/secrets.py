"""Slow, salted hashes (argon2id) for the low-entropy or long-lived secrets: client secrets, passwords.

One argon2 call costs ~150 ms of CPU and 64 MiB, so none runs on the event loop: a dedicated pool of `threads`
threads runs them (argon2-cffi releases the GIL for the whole C call), which also caps the CPU and memory they
take at any moment. At most `waiting` more calls queue for a thread; past that a call is refused at once
(SecretHasherBusy), so a flood of bad secrets gets its senders 503s instead of everyone an unbounded wait.
"""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

from solicitations.service.ports.secrets import SecretHasherBusy

T = TypeVar("T")


class Argon2Secrets:
    """The SecretHasher: argon2id on a bounded pool of threads, with a bounded line of callers waiting."""

    def __init__(self, threads: int, waiting: int, parameters: PasswordHasher | None = None) -> None:
        self._hasher = parameters or PasswordHasher()  # argon2-cffi's defaults: RFC 9106's low-memory profile
        # Verified against when the client or seller is unknown, so a miss costs what a hit costs. Made by the
        # first check that needs it, on the pool: processes that never check a secret never pay for it.
        self._dummy: str | None = None
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="argon2")
        self._limit = threads + waiting
        self._lock = threading.Lock()  # the count drops in pool threads and rises on the event loop
        self._admitted = 0  # calls handed to the pool and not finished: running plus waiting for a thread

    async def hash(self, secret: str) -> str:
        return await self._run(lambda: self._hasher.hash(secret))

    async def verify(self, stored_hash: str | None, secret: str) -> bool:
        return await self._run(lambda: self._verify(stored_hash, secret))

    def _verify(self, stored_hash: str | None, secret: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy_hash(), secret) and bool(stored_hash)
        except (Argon2Error, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:  # two threads may both make one: either will do
            self._dummy = self._hasher.hash("no such client")
        return self._dummy

    async def _run(self, call: Callable[[], T]) -> T:
        """Run `call` on the pool, or refuse at once when the pool's threads and waiting line are full.

        The count follows the pool's own futures, not the awaiting callers: a caller that goes away (a client
        disconnecting) frees its place only when its call is cancelled before starting or has finished.
        """
        with self._lock:
            if self._admitted >= self._limit:
                raise SecretHasherBusy
            self._admitted += 1
        try:
            future = self._pool.submit(call)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _: object = None) -> None:
        with self._lock:
            self._admitted -= 1

    def close(self) -> None:
        """Drop the calls still waiting for a thread; running ones finish in the background."""
        self._pool.shutdown(wait=False, cancel_futures=True)
