"""Delivery of the outbox: claim due messages under a lease, render and send them, record the verdicts.

A worker that dies between claim and record leaves its lease to expire; another worker then sends the
message again, with the same Message-ID. Store calls are awaited (the store runs them off the event loop), so
a worker sharing the server's event loop never holds it while waiting for the write lock. Every attempt is
reported to the Observer once, from the event loop (the metrics count without locks on it), which also
writes its log line.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from solicitations.domain import errors
from solicitations.domain.messages import (
    MessageState,
    OptOutToken,
    RetryPolicy,
    Transition,
    after_failure,
    before_sending,
    buyer_key,
    redact,
)
from solicitations.domain.orders import Order
from solicitations.domain.outbox import ClaimedMessage, MessageUpdate, OutboxMessage
from solicitations.domain.tokens import token_hash
from solicitations.service.observing import Observer
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.mail import DeliveryFailed, Transport
from solicitations.service.ports.store import Store
from solicitations.service.ports.tokens import TokenSource
from solicitations.service.ports.unit_of_work import UnitOfWork

log = logging.getLogger("solicitations.delivery")
MAX_OUTBOX_ID = 2**31 - 1  # the outbox id is a 32-bit integer on PostgreSQL; larger ids exist nowhere


class Renderer(Protocol):
    def render(
        self, order: Order, seller_name: str, message_id: str, opt_out_token: str, now: datetime
    ) -> EmailMessage: ...


def outcome(state: MessageState) -> str:
    """An attempt's outcome, named by what the message became: sent, retry (pending again), dead, suppressed."""
    return "retry" if state is MessageState.PENDING else state.value


@dataclass(frozen=True, slots=True)
class Attempt:
    """An attempt settled without sending (decided at claim), to be reported once back on the event loop."""

    message: ClaimedMessage
    verdict: Transition
    seconds: float


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
        clock: Clock,
        policy: RetryPolicy,
        renderer: Renderer,
        transport: Transport,
        worker_id: str,
        batch_size: int,
        draw: Callable[[], float],
        *,
        tokens: TokenSource,
        observer: Observer,
    ) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy
        self._renderer = renderer
        self._transport = transport
        self.worker_id = worker_id
        self._batch_size = batch_size
        self._draw = draw  # uniform in [0, 1): the backoff's jitter, fixed in tests
        self._tokens = tokens
        self._observer = observer

    async def claim(self) -> tuple[int, list[Outgoing], list[Attempt]]:
        """Lease a batch of due messages: (how many were claimed, those to send now, those settled).

        Messages that must not go out (opted-out buyer, no address, abandoned too often) are settled
        in the same transaction; the rest get a fresh opt-out token, stored hashed. The settled attempts
        are reported by the caller, on the event loop.
        """
        return await self._store.write(self._claim)

    def _claim(self, uow: UnitOfWork) -> tuple[int, list[Outgoing], list[Attempt]]:
        now = self._clock()
        outgoing: list[Outgoing] = []
        settled: list[Attempt] = []
        opt_out_tokens: list[OptOutToken] = []
        claimed = uow.outbox.claim(self.worker_id, now, now + self._policy.lease, self._batch_size)
        for message in claimed:
            started = time.perf_counter()
            stored = uow.orders.find(message.amazon_order_id)
            assert stored is not None, "orders are never deleted"
            order = stored.order
            verdict = before_sending(order, message.attempts, self._policy)
            if verdict is not None:
                settled.append(Attempt(message, verdict, time.perf_counter() - started))
                continue
            assert order.buyer_email is not None, "before_sending holds back orders without one"
            token = self._tokens.opaque()
            opt_out_tokens.append(OptOutToken(token_hash(token), buyer_key(order.buyer_email), order.amazon_order_id))
            seller = uow.identity.find_seller(order.seller_id)
            outgoing.append(Outgoing(message, order, seller.name if seller else order.seller_id, token))
        uow.opt_outs.add_tokens(opt_out_tokens, now)
        uow.outbox.record(
            self.worker_id,
            [MessageUpdate(a.message.outbox_id, a.verdict.state, None, a.verdict.reason, None) for a in settled],
        )
        return len(claimed), outgoing, settled

    async def send(self, outgoing: Outgoing) -> MessageUpdate:
        """Render and hand over one message, and report the attempt; the verdict says what the outbox row becomes."""
        started = time.perf_counter()
        update = await self._attempt(outgoing)
        self._report(outgoing.claimed, update.state, update.last_error, time.perf_counter() - started)
        return update

    async def _attempt(self, outgoing: Outgoing) -> MessageUpdate:
        message = outgoing.claimed
        try:
            # Rendering (Jinja2, Babel: ~5 ms of CPU per email here) runs in a thread, off the API's event loop.
            email = await asyncio.to_thread(
                self._renderer.render,
                outgoing.order,
                outgoing.seller_name,
                message.message_id,
                outgoing.opt_out_token,
                self._clock(),
            )
            await self._transport.send(email)
        except DeliveryFailed as failure:
            return self._failed(message, failure.reason, permanent=failure.permanent)
        except Exception as exc:  # a bug in rendering must not kill the worker; retried like an outage
            log.error("delivery crashed", extra={"message_id": message.message_id, "error": redact(repr(exc))})
            return self._failed(message, f"internal error: {type(exc).__name__}", permanent=False)
        return MessageUpdate(message.outbox_id, MessageState.SENT, None, None, self._clock())

    def _failed(self, message: ClaimedMessage, reason: str, *, permanent: bool) -> MessageUpdate:
        verdict = after_failure(
            self._policy, message.attempts, permanent=permanent, reason=reason, now=self._clock(), draw=self._draw()
        )
        return MessageUpdate(message.outbox_id, verdict.state, verdict.due_at, verdict.reason, None)

    def _report(self, message: ClaimedMessage, state: MessageState, reason: str | None, seconds: float) -> None:
        """The attempt's one report: counted by outcome and logged (ids and the redacted reason only)."""
        self._observer.delivery_attempt(
            message.amazon_order_id,
            message.attempts,
            outcome(state),
            seconds,
            message_id=message.message_id,
            reason=reason,
        )

    async def record(self, updates: list[MessageUpdate]) -> None:
        await self._store.write(lambda uow: uow.outbox.record(self.worker_id, updates))

    async def deliver_due(self) -> int:
        """One round: claim, send concurrently, record. How many messages were claimed (0: nothing due)."""
        claimed, outgoing, settled = await self.claim()
        for attempt in settled:
            self._report(attempt.message, attempt.verdict.state, attempt.verdict.reason, attempt.seconds)
        if outgoing:
            updates = await asyncio.gather(*(self.send(o) for o in outgoing))
            await self.record(list(updates))
        return claimed

    # Operators: see and requeue.

    async def messages(self, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        return await self._store.read(lambda uow: uow.outbox.list_messages(state, limit), scan=True)

    async def requeue(self, outbox_id: int) -> OutboxMessage:
        """Make one dead message pending again, due now, with fresh attempts. 404 unknown; 400 not dead."""
        if not 1 <= outbox_id <= MAX_OUTBOX_ID:
            raise errors.not_found(f"message {outbox_id}")

        def requeue(uow: UnitOfWork) -> OutboxMessage | None:
            if uow.outbox.requeue(outbox_id, self._clock()) == 0:
                found = uow.outbox.find(outbox_id)
                if found is None:
                    raise errors.not_found(f"message {outbox_id}")
                details = f"message {outbox_id} is {found.state.value}: only dead messages are retried"
                raise errors.ApiError(errors.INVALID_INPUT.with_details(details))
            return uow.outbox.find(outbox_id)

        requeued = await self._store.write(requeue)
        assert requeued is not None
        return requeued

    async def requeue_all_dead(self) -> int:
        return await self._store.write(lambda uow: uow.outbox.requeue(None, self._clock()))
