"""Slow, salted hashes (argon2id) for the low-entropy or long-lived secrets: client secrets, passwords."""

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

_hasher = PasswordHasher()
# Verified against when the client or seller is unknown, so a miss costs what a hit costs.
_DUMMY = _hasher.hash("no such client")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """Constant in cost whether or not a hash is stored."""
    try:
        return _hasher.verify(stored_hash or _DUMMY, secret) and stored_hash is not None
    except (Argon2Error, InvalidHashError):
        return False
