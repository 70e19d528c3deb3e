"""What the use cases report for operators: counts under low-cardinality labels (never an order or
partner id), one log line per delivery attempt, and the outbox as the store sees it.

This base class counts nothing, for a node run without metrics; adapters/metrics.py counts in
Prometheus. The delivery service calls `delivery_attempt` once per attempt, and that call writes the
attempt's one log line whichever observer is wired.
"""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from solicitations.domain.messages import MessageState
from solicitations.domain.outbox import OutboxCounts
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store, StoreUnavailable

log = logging.getLogger("solicitations.delivery")
metrics_log = logging.getLogger("solicitations.metrics")


class Observer:
    def throttled(self, operation: str, granted_plan: bool) -> None:
        """A request refused with 429; `granted_plan` tells a granted usage plan from the default one."""

    def assessed(self, operation: str, outcome: str) -> None:
        """An order's eligibility decided for `operation`: "eligible" or an Ineligible reason."""

    def delivery_attempt(
        self,
        amazon_order_id: str,
        attempt: int,
        outcome: str,
        seconds: float,
        *,
        message_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """One attempt to deliver a solicitation (`outcome`: sent, retry, dead or suppressed), logged here with
        ids and a redacted reason only, never the buyer's address; a warning when the email did not go out."""
        extra: dict[str, object] = {
            "amazon_order_id": amazon_order_id,
            "message_id": message_id,
            "attempt": attempt,
            "outcome": outcome,
            "duration_ms": round(seconds * 1000, 3),
        }
        if reason is not None:
            extra["reason"] = reason
        log.log(logging.INFO if outcome == "sent" else logging.WARNING, "delivery attempt", extra=extra)


@dataclass(frozen=True, slots=True)
class OutboxState:
    """The outbox as /metrics shows it: messages per state, and how long the oldest pending one has waited."""

    depth: Mapping[MessageState, int]
    oldest_undelivered_age_seconds: float  # 0 when nothing is pending


class OutboxWatch:
    """The outbox's counts for /metrics, read so that scrapes can neither block the event loop nor load the store.

    The store is read off the loop (a scan), by `refresh` (awaited before rendering; Prometheus collectors are
    synchronous), at most once per `cache_for` of the injected clock, one read at a time: concurrent scrapes
    wait for the read in flight and share it. A failed read is logged and remembered for `cache_for` too:
    `state()` is None then and the outbox series are left out, rather than old numbers shown as current.
    The age is computed at each scrape from the cached creation time, so it never lags the clock.
    """

    def __init__(self, store: Store, clock: Clock, cache_for: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._cache_for = cache_for
        self._counts: OutboxCounts | None = None
        self._read_at: datetime | None = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        # A clock that went backwards does not stretch the cache: the read is just made again.
        return self._read_at is not None and self._read_at <= self._clock() < self._read_at + self._cache_for

    async def refresh(self) -> None:
        if self._fresh():
            return
        async with self._lock:
            if self._fresh():  # read by the scrape this one waited for
                return
            try:
                self._counts = await self._store.read(lambda uow: uow.outbox.counts(), scan=True)
            except StoreUnavailable as exc:
                self._counts = None
                metrics_log.warning("outbox metrics unavailable", extra={"error": repr(exc)})
            except Exception:  # a bug must not turn /metrics into a 500 either
                self._counts = None
                metrics_log.exception("outbox metrics failed")
            self._read_at = self._clock()

    def state(self) -> OutboxState | None:
        """The last read's counts with the age as of now; None when the last read failed (or none was made)."""
        counts = self._counts
        if counts is None:
            return None
        age = 0.0
        if counts.oldest_pending_at is not None:
            age = max(0.0, (self._clock() - counts.oldest_pending_at).total_seconds())
        return OutboxState(counts.by_state, age)
