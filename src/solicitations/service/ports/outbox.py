"""The outbox: each solicitation's email, written with it and delivered by workers under a lease."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from solicitations.domain.messages import MessageState
from solicitations.domain.outbox import ClaimedMessage, MessageUpdate, OutboxCounts, OutboxMessage


class OutboxRepository(Protocol):
    def add(self, amazon_order_id: str, message_id: str, now: datetime) -> None:
        """Queue the order's email, due now: the outbox row written with the solicitation."""
        ...

    def claim(self, worker_id: str, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedMessage]:
        """Lease up to `limit` due pending messages whose lease is free or expired, counting an attempt."""
        ...

    def record(self, worker_id: str, updates: Sequence[MessageUpdate]) -> None:
        """Write verdicts and free the leases; a verdict on a lease since taken by another worker is dropped,
        except SENT, which is true whoever holds the lease."""
        ...

    def requeue(self, outbox_id: int | None, now: datetime) -> int:
        """Make dead messages (one, or all when None) pending and due now with fresh attempts; how many."""
        ...

    def find(self, outbox_id: int) -> OutboxMessage | None: ...

    def find_for_order(self, amazon_order_id: str) -> OutboxMessage | None: ...

    def list_messages(self, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        """Messages in one state (or all), oldest first."""
        ...

    def counts(self) -> OutboxCounts:
        """Messages per state and the oldest pending one, in one aggregate read (for /metrics)."""
        ...

    def forget(self, amazon_order_ids: Collection[str]) -> None:
        """Delete these orders' messages (the demo starts over)."""
        ...
