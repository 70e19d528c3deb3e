"""Fresh bearer tokens: the randomness behind them comes from an adapter; their hash is domain.tokens'."""

from typing import Protocol


class TokenSource(Protocol):
    def mint(self, prefix: str) -> str:
        """A new `prefix|...` bearer token (access and refresh tokens), unguessable."""
        ...

    def opaque(self) -> str:
        """A new bare token for URLs (opt-out links), unguessable and URL-safe."""
        ...
