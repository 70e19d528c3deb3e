"""The outbox as the store keeps it: one message per solicitation, leased to workers, and its counts."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from solicitations.domain.messages import MessageState


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One solicitation's email in the outbox, as operators see it."""

    outbox_id: int
    amazon_order_id: str
    message_id: str
    state: MessageState
    attempts: int
    due_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """The outbox at a glance, for operators: messages per state (every state, 0 when none) and when the
    oldest pending one's solicitation was recorded (None: nothing pending)."""

    by_state: Mapping[MessageState, int]
    oldest_pending_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message leased to one worker; `attempts` already counts the attempt about to be made."""

    outbox_id: int
    amazon_order_id: str
    message_id: str
    attempts: int


@dataclass(frozen=True, slots=True)
class MessageUpdate:
    """A worker's verdict on a claimed message, written back in one batch."""

    outbox_id: int
    state: MessageState
    due_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
