"""Bearer tokens are random and high-entropy, so one sha256 is the right hash: what the store keeps of them."""

import hashlib


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
