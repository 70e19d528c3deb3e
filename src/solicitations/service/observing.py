"""What the use cases report for operators: counts under low-cardinality labels (never an order or
partner id), and one log line per delivery attempt.

This base class counts nothing, for a node run without metrics; adapters/metrics.py counts in
Prometheus. The delivery hooks wait for the outbox: it calls `delivery_attempt` once per attempt.
"""

import logging

log = logging.getLogger("solicitations.delivery")


class Observer:
    def throttled(self, operation: str, granted_plan: bool) -> None:
        """A request refused with 429; `granted_plan` tells a granted usage plan from the default one."""

    def assessed(self, operation: str, outcome: str) -> None:
        """An order's eligibility decided for `operation`: "eligible" or an Ineligible reason."""

    def delivery_attempt(self, amazon_order_id: str, attempt: int, outcome: str, seconds: float) -> None:
        """One attempt to deliver a solicitation: logged here (ids only, never the buyer's address)."""
        log.info(
            "delivery attempt",
            extra={
                "amazon_order_id": amazon_order_id,
                "attempt": attempt,
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 3),
            },
        )
