"""Restricted data tokens, stored hashed and tied to the identity of the access token they were asked with."""

from datetime import datetime
from typing import Protocol

from solicitations.domain.callers import Caller
from solicitations.domain.restricted_data import RestrictedResource


class RestrictedTokenRepository(Protocol):
    def add(
        self,
        token_hash: str,
        access_token_hash: str,
        resources: tuple[RestrictedResource, ...],
        expires_at: datetime,
        now: datetime,
    ) -> bool:
        """Store a token for the identity of the access token it was asked with; False when that is unknown."""
        ...

    def find(self, token_hash: str) -> tuple[Caller, tuple[RestrictedResource, ...]] | None:
        """The caller a token stands for (its expiry the token's) and the resources it names."""
        ...
