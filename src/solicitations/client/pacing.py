"""Client-side pacing: a token bucket per operation, so a caller meets no 429 in steady state.

Each bucket starts from the operation's documented plan and follows the rate the service states in
`x-amzn-RateLimit-Limit`. It keeps one token of the burst in reserve: requests leave on the client's
schedule but reach the service's bucket with some jitter, and that spare token absorbs up to one refill
interval of it. Time is a monotonic clock passed in (seconds), so tests are exact.
"""

from collections.abc import Callable
from dataclasses import dataclass

from solicitations.domain.usage_plans import DEFAULT_PLANS, UsagePlan


class TokenBucket:
    """Reservations against a bucket: each caller takes a token now and is told how long to wait for it."""

    def __init__(self, plan: UsagePlan, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self.rate = plan.rate
        self.capacity = max(1, plan.burst - 1)  # one token in reserve, see the module docstring
        self._level = float(self.capacity)
        self._at = monotonic()

    def _refill(self) -> float:
        now = self._monotonic()
        self._level = min(float(self.capacity), self._level + (now - self._at) * self.rate)
        self._at = now
        return now

    def reserve(self) -> float:
        """Take a token; the seconds to wait before using it (0 when one is there). Waiters queue in order."""
        self._refill()
        self._level -= 1
        return 0.0 if self._level >= 0 else -self._level / self.rate

    def set_rate(self, rate: float) -> None:
        """Follow the rate the service states, from now on (tokens earned so far stay)."""
        if rate > 0 and rate != self.rate:
            self._refill()
            self.rate = rate

    def drain(self) -> None:
        """After a 429 the service's bucket is empty whatever ours says: no burst until it refills."""
        self._refill()
        self._level = min(self._level, 0.0)


@dataclass
class Pacer:
    """One bucket per operation, created on first use from the documented plan."""

    monotonic: Callable[[], float]

    def __post_init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, operation: str) -> TokenBucket:
        if operation not in self._buckets:
            self._buckets[operation] = TokenBucket(DEFAULT_PLANS[operation], self.monotonic)
        return self._buckets[operation]

    def observe(self, operation: str, rate_limit_header: str | None) -> None:
        """`x-amzn-RateLimit-Limit` from a response: the rate to keep to (ignored when absent or unreadable)."""
        if rate_limit_header is None:
            return
        try:
            rate = float(rate_limit_header)
        except ValueError:
            return
        self.bucket(operation).set_rate(rate)


@dataclass(frozen=True)
class RetryPolicy:
    """Full-jitter exponential backoff (a uniform wait below a doubling ceiling), for a bounded number of tries."""

    attempts: int = 8  # tries in all, the first included
    base_seconds: float = 0.5
    max_seconds: float = 20.0

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number `retry` (0-based)."""
        return min(self.max_seconds, self.base_seconds * 2.0**retry)
