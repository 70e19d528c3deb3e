"""The buyer's email as an outbox message: its states, retry policy, identity and who may receive it.

Pure rules: time and randomness are passed in, so a worker's every decision can be replayed in a test.
"""

import hashlib
import math
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from solicitations.domain.orders import Order

OPT_OUT_PATH = "/opt-out"  # + "/<token>": the buyer's one-click opt-out, served by this service


class MessageState(StrEnum):
    """Where a message stands. PENDING may be leased to a worker; the other three are final until requeued."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # permanently refused or retries exhausted; an operator may requeue it
    SUPPRESSED = "suppressed"  # the buyer opted out before it went out


@dataclass(frozen=True, slots=True)
class OptOutToken:
    """What an opt-out link's token stands for; the token itself is kept only as a hash."""

    token_hash: str
    buyer_key: str
    amazon_order_id: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter (delay drawn uniformly from 0 to min(cap, base * 2^(n-1)))."""

    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(minutes=10)
    max_attempts: int = 12
    lease: timedelta = timedelta(seconds=60)  # how long a claimed message is a worker's before others may take it

    def delay(self, attempt: int, draw: float) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based); `draw` is uniform in [0, 1)."""
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * math.ldexp(1.0, min(attempt - 1, 1000)))
        return timedelta(seconds=draw * ceiling)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True, slots=True)
class Transition:
    """What becomes of a message after an attempt (or a decision not to attempt it)."""

    state: MessageState
    due_at: datetime | None = None  # the next attempt, for PENDING
    reason: str | None = None


def after_failure(
    policy: RetryPolicy, attempts: int, *, permanent: bool, reason: str, now: datetime, draw: float
) -> Transition:
    """A failed attempt: dead when permanent or out of attempts, else pending again after a backoff."""
    reason = redact(reason)
    if permanent:
        return Transition(MessageState.DEAD, reason=reason)
    if policy.exhausted(attempts):
        return Transition(MessageState.DEAD, reason=f"gave up after {attempts} attempts: {reason}")
    return Transition(MessageState.PENDING, due_at=now + policy.delay(attempts, draw), reason=reason)


def before_sending(order: Order, attempts: int, policy: RetryPolicy) -> Transition | None:
    """None when the message may go out now; else why not, decided without sending anything.

    `attempts` counts this one: a message past the limit was abandoned by crashed workers that often.
    """
    if order.buyer_opted_out:
        return Transition(MessageState.SUPPRESSED, reason="the buyer opted out")
    if order.buyer_email is None:
        return Transition(MessageState.DEAD, reason="the order has no buyer address")
    if attempts > policy.max_attempts:
        return Transition(MessageState.DEAD, reason=f"abandoned by workers {attempts - 1} times")
    return None


def message_id(amazon_order_id: str, mail_domain: str) -> str:
    """The Message-ID of an order's solicitation: the same on every resend, so receivers can deduplicate."""
    digest = hashlib.sha256(amazon_order_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"<solicitation.{digest}@{mail_domain}>"


def buyer_key(email: str) -> str:
    """Who opted out, without keeping their address: sha256 of the trimmed, lower-cased address."""
    return hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def respecting_opt_outs(orders: Sequence[Order], opted_out: Set[str]) -> list[Order]:
    """The orders as they must be stored: a buyer in `opted_out` (buyer keys) stays opted out."""
    return [
        replace(o, buyer_opted_out=True)
        if not o.buyer_opted_out and o.buyer_email is not None and buyer_key(o.buyer_email) in opted_out
        else o
        for o in orders
    ]


_ADDRESS = re.compile(r"[^@\s<>\"',;:()\[\]]+@[^@\s<>\"',;:()\[\]]+")


def redact(text: str, limit: int = 500) -> str:
    """A failure reason safe to store and log: SMTP replies often quote the recipient's address."""
    return _ADDRESS.sub("<address>", text)[:limit]
