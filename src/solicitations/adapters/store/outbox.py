"""The outbox on SQL: messages written with their solicitation, leased to workers, counted for /metrics."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, or_, select, update

from solicitations.adapters.store import schema
from solicitations.adapters.store.connection import Prepared, Session, chunks, epoch_ms, instant_ms
from solicitations.domain.messages import MessageState
from solicitations.domain.outbox import ClaimedMessage, MessageUpdate, OutboxCounts, OutboxMessage

_MESSAGE_ROW = ("amazon_order_id", "message_id", "state", "attempts", "due_at_ms", "created_at_ms")
_MESSAGE_COLUMNS = (
    schema.outbox.c.id,
    schema.outbox.c.amazon_order_id,
    schema.outbox.c.message_id,
    schema.outbox.c.state,
    schema.outbox.c.attempts,
    schema.outbox.c.due_at_ms,
    schema.outbox.c.last_error,
    schema.outbox.c.sent_at_ms,
    schema.outbox.c.created_at_ms,
)
# Rows per state (a scan of the (state, due_at_ms) index) with the oldest pending row beside each group (an
# uncorrelated subquery, run once, over the pending rows only): one statement for the whole of /metrics' outbox.
_OUTBOX_COUNTS = select(
    schema.outbox.c.state,
    func.count(),
    select(func.min(schema.outbox.c.created_at_ms))
    .where(schema.outbox.c.state == MessageState.PENDING.value)
    .scalar_subquery(),
).group_by(schema.outbox.c.state)


class OutboxStatements:
    """The outbox's hot statement (the POST's insert), compiled once per engine."""

    def __init__(self, engine: Engine) -> None:
        self.add = Prepared(engine, schema.outbox.insert().values({name: bindparam(name) for name in _MESSAGE_ROW}))


def _outbox_message(row: Sequence[Any]) -> OutboxMessage:
    state = MessageState(row[3])
    created_at = instant_ms(row[8])
    assert created_at is not None
    return OutboxMessage(
        outbox_id=row[0],
        amazon_order_id=row[1],
        message_id=row[2],
        state=state,
        attempts=row[4],
        due_at=instant_ms(row[5]) if state is MessageState.PENDING else None,
        last_error=row[6],
        sent_at=instant_ms(row[7]),
        created_at=created_at,
    )


class SqlOutbox:
    """The OutboxRepository."""

    def __init__(self, session: Session, statements: OutboxStatements) -> None:
        self._session = session
        self._statements = statements

    def add(self, amazon_order_id: str, message_id: str, now: datetime) -> None:
        now_ms = epoch_ms(now)
        values = (amazon_order_id, message_id, MessageState.PENDING.value, 0, now_ms, now_ms)
        self._session.run(self._statements.add, dict(zip(_MESSAGE_ROW, values, strict=True)))

    def claim(self, worker_id: str, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedMessage]:
        outbox = schema.outbox
        now_ms = epoch_ms(now)
        # SKIP LOCKED lets PostgreSQL workers claim side by side; SQLite drops the clause and serialises
        # claims on the write lock that every write transaction takes at BEGIN.
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.state == MessageState.PENDING.value,
                outbox.c.due_at_ms <= now_ms,
                or_(outbox.c.lease_until_ms.is_(None), outbox.c.lease_until_ms <= now_ms),
            )
            .order_by(outbox.c.due_at_ms)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(outbox)
            .where(outbox.c.id.in_(due.scalar_subquery()))
            .values(claimed_by=worker_id, lease_until_ms=epoch_ms(lease_until), attempts=outbox.c.attempts + 1)
            .returning(outbox.c.id, outbox.c.amazon_order_id, outbox.c.message_id, outbox.c.attempts)
        )
        return [ClaimedMessage(*row) for row in self._session.execute(claim)]

    def record(self, worker_id: str, updates: Sequence[MessageUpdate]) -> None:
        outbox = schema.outbox
        for verdict in updates:
            values: dict[str, Any] = {"state": verdict.state.value, "claimed_by": None, "lease_until_ms": None}
            if verdict.due_at is not None:
                values["due_at_ms"] = epoch_ms(verdict.due_at)
            if verdict.last_error is not None:
                values["last_error"] = verdict.last_error
            if verdict.sent_at is not None:
                values["sent_at_ms"] = epoch_ms(verdict.sent_at)
            where = [outbox.c.id == verdict.outbox_id]
            if verdict.state is not MessageState.SENT:
                where += [outbox.c.claimed_by == worker_id, outbox.c.state == MessageState.PENDING.value]
            self._session.execute(update(outbox).where(*where).values(values))

    def requeue(self, outbox_id: int | None, now: datetime) -> int:
        outbox = schema.outbox
        where = [outbox.c.state == MessageState.DEAD.value]
        if outbox_id is not None:
            where.append(outbox.c.id == outbox_id)
        statement = (
            update(outbox)
            .where(*where)
            .values(
                state=MessageState.PENDING.value,
                attempts=0,
                due_at_ms=epoch_ms(now),
                claimed_by=None,
                lease_until_ms=None,
            )
        )
        return int(self._session.execute(statement).rowcount)

    def find(self, outbox_id: int) -> OutboxMessage | None:
        row = self._session.execute(select(*_MESSAGE_COLUMNS).where(schema.outbox.c.id == outbox_id)).first()
        return None if row is None else _outbox_message(tuple(row))

    def find_for_order(self, amazon_order_id: str) -> OutboxMessage | None:
        row = self._session.execute(
            select(*_MESSAGE_COLUMNS).where(schema.outbox.c.amazon_order_id == amazon_order_id)
        ).first()
        return None if row is None else _outbox_message(tuple(row))

    def list_messages(self, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        query = select(*_MESSAGE_COLUMNS).order_by(schema.outbox.c.id).limit(limit)
        if state is not None:
            query = query.where(schema.outbox.c.state == state.value)
        return [_outbox_message(tuple(row)) for row in self._session.execute(query)]

    def counts(self) -> OutboxCounts:
        by_state = dict.fromkeys(MessageState, 0)
        oldest_pending_ms = None
        for state, count, oldest in self._session.execute(_OUTBOX_COUNTS):
            by_state[MessageState(state)] = int(count)
            oldest_pending_ms = oldest
        return OutboxCounts(by_state, instant_ms(oldest_pending_ms))

    def forget(self, amazon_order_ids: Collection[str]) -> None:
        for chunk in chunks(amazon_order_ids):
            self._session.execute(delete(schema.outbox).where(schema.outbox.c.amazon_order_id.in_(chunk)))
