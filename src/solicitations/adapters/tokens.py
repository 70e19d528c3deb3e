"""Minting and hashing bearer tokens. Tokens are high-entropy, so one sha256 is the right hash."""

import hashlib
import secrets


def mint(prefix: str) -> str:
    """A token from the URL-safe alphabet (no `+`: one SDK sends tokens without percent-encoding)."""
    return f"{prefix}|{secrets.token_urlsafe(48)}"


def opaque() -> str:
    """A bare random token for URLs (opt-out links): 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
