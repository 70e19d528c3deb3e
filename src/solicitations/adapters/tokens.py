"""Minting bearer tokens from the operating system's randomness (the TokenSource port)."""

import secrets


class RandomTokens:
    def mint(self, prefix: str) -> str:
        """A token from the URL-safe alphabet (no `+`: one SDK sends tokens without percent-encoding)."""
        return f"{prefix}|{secrets.token_urlsafe(48)}"

    def opaque(self) -> str:
        """A bare random token for URLs (opt-out links): 256 bits, URL-safe."""
        return secrets.token_urlsafe(32)
