"""Slow, salted hashes of client secrets and passwords."""

from typing import Protocol


class SecretHasherBusy(Exception):
    """Every secret-hashing thread is taken and the waiting line is full: 503 at once, not an unbounded wait."""


class SecretHasher(Protocol):
    """Slow, salted hashes of client secrets and passwords, awaited: the hashing never runs on the event loop."""

    async def hash(self, secret: str) -> str: ...

    async def verify(self, stored_hash: str | None, secret: str) -> bool:
        """Whether `secret` matches; as costly when no hash is stored (an unknown client or seller), so a miss
        cannot be told from a hit by its time. Either method may raise SecretHasherBusy."""
        ...
