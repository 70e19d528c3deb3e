"""Delivery of the outbox: claim due messages under a lease, render and send them, record the verdicts.

A worker that dies between claim and record leaves its lease to expire; another worker then sends the
message again, with the same Message-ID. Store calls run in a thread, so a worker sharing the server's
event loop never holds it while waiting for the write lock.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from solicitations.adapters import tokens
from solicitations.domain import errors
from solicitations.domain.messages import (
    MessageState,
    RetryPolicy,
    Transition,
    after_failure,
    before_sending,
    buyer_key,
    redact,
)
from solicitations.domain.orders import Order
from solicitations.service.ports import (
    ClaimedMessage,
    DeliveryFailed,
    MessageUpdate,
    OptOutToken,
    OutboxMessage,
    Store,
    Transport,
)

log = logging.getLogger("solicitations.delivery")
MAX_OUTBOX_ID = 2**31 - 1  # the outbox id is a 32-bit integer on PostgreSQL; larger ids exist nowhere


class Renderer(Protocol):
    def render(
        self, order: Order, seller_name: str, message_id: str, opt_out_token: str, now: datetime
    ) -> EmailMessage: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed message with what its email needs; the opt-out token exists only here and in the email."""

    claimed: ClaimedMessage
    order: Order
    seller_name: str
    opt_out_token: str


class DeliveryService:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        policy: RetryPolicy,
        renderer: Renderer,
        transport: Transport,
        worker_id: str,
        batch_size: int,
        draw: Callable[[], float],
    ) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy
        self._renderer = renderer
        self._transport = transport
        self.worker_id = worker_id
        self._batch_size = batch_size
        self._draw = draw  # uniform in [0, 1): the backoff's jitter, fixed in tests

    def claim(self) -> tuple[int, list[Outgoing]]:
        """Lease a batch of due messages: (how many were claimed, those to send now).

        Messages that must not go out (opted-out buyer, no address, abandoned too often) are settled
        in the same transaction; the rest get a fresh opt-out token, stored hashed.
        """
        now = self._clock()
        outgoing: list[Outgoing] = []
        settled: list[tuple[ClaimedMessage, Transition]] = []
        opt_out_tokens: list[OptOutToken] = []
        with self._store.transaction() as uow:
            claimed = uow.claim_messages(self.worker_id, now, now + self._policy.lease, self._batch_size)
            for message in claimed:
                stored = uow.find_order(message.amazon_order_id)
                assert stored is not None, "orders are never deleted"
                order = stored.order
                verdict = before_sending(order, message.attempts, self._policy)
                if verdict is not None:
                    settled.append((message, verdict))
                    continue
                assert order.buyer_email is not None, "before_sending holds back orders without one"
                token = tokens.opaque()
                opt_out_tokens.append(
                    OptOutToken(tokens.token_hash(token), buyer_key(order.buyer_email), order.amazon_order_id)
                )
                seller = uow.find_seller(order.seller_id)
                outgoing.append(Outgoing(message, order, seller.name if seller else order.seller_id, token))
            uow.add_opt_out_tokens(opt_out_tokens, now)
            uow.record_messages(
                self.worker_id, [MessageUpdate(m.outbox_id, v.state, None, v.reason, None) for m, v in settled]
            )
        for message, verdict in settled:
            self._log_verdict(message, verdict.state, verdict.reason)
        return len(claimed), outgoing

    async def send(self, outgoing: Outgoing) -> MessageUpdate:
        """Render and hand over one message; the verdict says what the outbox row becomes."""
        message = outgoing.claimed
        try:
            email = self._renderer.render(
                outgoing.order, outgoing.seller_name, message.message_id, outgoing.opt_out_token, self._clock()
            )
            await self._transport.send(email)
        except DeliveryFailed as failure:
            return self._failed(message, failure.reason, permanent=failure.permanent)
        except Exception as exc:  # a bug in rendering must not kill the worker; retried like an outage
            log.error("delivery crashed", extra={"message_id": message.message_id, "error": redact(repr(exc))})
            return self._failed(message, f"internal error: {type(exc).__name__}", permanent=False)
        self._log_verdict(message, MessageState.SENT, None)
        return MessageUpdate(message.outbox_id, MessageState.SENT, None, None, self._clock())

    def _failed(self, message: ClaimedMessage, reason: str, *, permanent: bool) -> MessageUpdate:
        verdict = after_failure(
            self._policy, message.attempts, permanent=permanent, reason=reason, now=self._clock(), draw=self._draw()
        )
        self._log_verdict(message, verdict.state, verdict.reason)
        return MessageUpdate(message.outbox_id, verdict.state, verdict.due_at, verdict.reason, None)

    def _log_verdict(self, message: ClaimedMessage, state: MessageState, reason: str | None) -> None:
        """Ids, state and a redacted reason only: never the buyer's address."""
        extra = {
            "amazon_order_id": message.amazon_order_id,
            "message_id": message.message_id,
            "attempt": message.attempts,
            "state": state.value,
        }
        if state is MessageState.SENT:
            log.info("message sent", extra=extra)
        else:
            log.warning("message not sent", extra={**extra, "reason": reason})

    def record(self, updates: list[MessageUpdate]) -> None:
        with self._store.transaction() as uow:
            uow.record_messages(self.worker_id, updates)

    async def deliver_due(self) -> int:
        """One round: claim, send concurrently, record. How many messages were claimed (0: nothing due)."""
        claimed, outgoing = await asyncio.to_thread(self.claim)
        if outgoing:
            updates = await asyncio.gather(*(self.send(o) for o in outgoing))
            await asyncio.to_thread(self.record, list(updates))
        return claimed

    # Operators: see and requeue.

    def messages(self, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        return self._store.list_messages(state, limit)

    def requeue(self, outbox_id: int) -> OutboxMessage:
        """Make one dead message pending again, due now, with fresh attempts. 404 unknown; 400 not dead."""
        if not 1 <= outbox_id <= MAX_OUTBOX_ID:
            raise errors.not_found(f"message {outbox_id}")
        with self._store.transaction() as uow:
            if uow.requeue_messages(outbox_id, self._clock()) == 0:
                found = uow.find_message(outbox_id)
                if found is None:
                    raise errors.not_found(f"message {outbox_id}")
                details = f"message {outbox_id} is {found.state.value}: only dead messages are retried"
                raise errors.ApiError(errors.INVALID_INPUT.with_details(details))
            requeued = uow.find_message(outbox_id)
        assert requeued is not None
        return requeued

    def requeue_all_dead(self) -> int:
        with self._store.transaction() as uow:
            return uow.requeue_messages(None, self._clock())
