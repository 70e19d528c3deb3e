"""`Authorization: Bearer <token>` checks shared by the admin API and /metrics."""

import hmac

from starlette.requests import Request


def bearer_matches(request: Request, token: str) -> bool:
    """In constant time, so the comparison leaks no prefix; settings guarantee the token is long and non-empty."""
    given = request.headers.get("authorization", "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, f"Bearer {token}".encode())
