"""The store on SQLAlchemy Core: SQLite (WAL) by default, any SQLAlchemy URL in principle.

Writes go through Core inside one transaction per use case; the POST's goes through `write`, off the
event loop (on SQLite committed in groups by group_commit.py, on PostgreSQL in a thread pool). The GET's
reads go through `read`: inline on SQLite (a page-cache hit costs less than a thread hop), in a pool of
reader threads on PostgreSQL, where a read may wait on another session's lock until the statement timeout.

The hot statements (one order joined with its solicitation; the solicitation's insert) are Core statements
compiled once and run straight on the DBAPI connection: SQLAlchemy's per-call overhead costs about a third
of the GET budget (a point query through `Connection.execute` ran at 10k req/s against 14k through the
DBAPI cursor, in a prototype of the GET) and, building and caching the insert, most of a POST's CPU
(bench/asgi_cost.py).
"""

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, bindparam, delete, event, func, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from solicitations.adapters.store import schema
from solicitations.adapters.store.engines import make_engine
from solicitations.adapters.store.group_commit import GroupCommitter
from solicitations.adapters.store.migrate import is_current, upgrade
from solicitations.domain.callers import Caller
from solicitations.domain.messages import MessageState, buyer_key
from solicitations.domain.orders import Order, OrderItem
from solicitations.domain.usage_plans import UsagePlan
from solicitations.service.ports import (
    Application,
    Authorization,
    AuthorizationCode,
    BucketKey,
    ClaimedMessage,
    MessageUpdate,
    OptOutToken,
    OutboxCounts,
    OutboxMessage,
    Seller,
    Solicitation,
    StoredOrder,
    StoreUnavailable,
    UnitOfWork,
)

P = ParamSpec("P")
R = TypeVar("R")


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _instant(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def _epoch_ms(value: datetime) -> int:
    return (value - _EPOCH) // _MILLISECOND


def _instant_ms(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + value * _MILLISECOND


def _items_json(items: tuple[OrderItem, ...]) -> str | None:
    return json.dumps([item.to_document() for item in items]) if items else None


def _items(text: str | None) -> tuple[OrderItem, ...]:
    if text is None:
        return ()
    return tuple(
        OrderItem(
            asin=doc["ASIN"],
            quantity_ordered=doc["QuantityOrdered"],
            seller_sku=doc.get("SellerSKU"),
            title=doc.get("Title"),
        )
        for doc in json.loads(text)
    )


async def _inline(work: Callable[[], R]) -> R:
    """A read run where it is awaited, on the event loop: SQLite's reads answer from the page cache."""
    return work()


def _unavailable_on_operational_error(fn: Callable[P, R]) -> Callable[P, R]:
    """Map connection-level failures (locked, unreachable, disk) to StoreUnavailable → 503."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
            raise StoreUnavailable(type(exc.orig if hasattr(exc, "orig") else exc).__name__) from exc

    wrapper.__doc__ = fn.__doc__
    return wrapper


_ORDER_COLUMNS = (
    schema.orders.c.amazon_order_id,
    schema.orders.c.seller_id,
    schema.orders.c.marketplace_id,
    schema.orders.c.order_status,
    schema.orders.c.purchase_date,
    schema.orders.c.earliest_delivery_date,
    schema.orders.c.latest_delivery_date,
    schema.orders.c.fulfillment_channel,
    schema.orders.c.buyer_email,
    schema.orders.c.buyer_locale,
    schema.orders.c.buyer_opted_out,
    schema.orders.c.order_items,
)
_SOLICITATION_COLUMNS = (
    schema.solicitations.c.action,
    schema.solicitations.c.seller_id,
    schema.solicitations.c.application_id,
    schema.solicitations.c.marketplace_id,
    schema.solicitations.c.created_at,
    schema.solicitations.c.request_id,
)
_FIND_ORDER = (
    select(*_ORDER_COLUMNS, *_SOLICITATION_COLUMNS)
    .select_from(
        schema.orders.outerjoin(
            schema.solicitations,
            schema.solicitations.c.amazon_order_id == schema.orders.c.amazon_order_id,
        )
    )
    .where(schema.orders.c.amazon_order_id == bindparam("order_id"))
)
# A token counts only while its application is active and its authorization (if any) stands.
_FIND_CALLER = (
    select(
        schema.access_tokens.c.seller_id,
        schema.access_tokens.c.application_id,
        schema.access_tokens.c.expires_at,
        schema.applications.c.roles,
    )
    .select_from(
        schema.access_tokens.join(
            schema.applications,
            schema.applications.c.application_id == schema.access_tokens.c.application_id,
        ).outerjoin(
            schema.authorizations,
            schema.authorizations.c.authorization_id == schema.access_tokens.c.authorization_id,
        )
    )
    .where(
        schema.access_tokens.c.token_hash == bindparam("token_hash"),
        schema.applications.c.state == "active",
        schema.authorizations.c.revoked_at.is_(None),
    )
)
_APPLICATION = select(
    schema.applications.c.application_id,
    schema.applications.c.name,
    schema.applications.c.roles,
    schema.applications.c.client_id,
    schema.applications.c.secret_hash,
    schema.applications.c.state,
    schema.applications.c.redirect_uris,
)


def _application(row: Sequence[Any]) -> Application:
    return Application(
        application_id=row[0],
        name=row[1],
        roles=frozenset(json.loads(row[2])),
        client_id=row[3],
        secret_hash=row[4],
        state=row[5],
        redirect_uris=tuple(json.loads(row[6])),
    )


_SOLICITATION_ROW: dict[str, Any] = {column.name: bindparam(column.name) for column in schema.solicitations.c}

_MESSAGE_ROW = ("amazon_order_id", "message_id", "state", "attempts", "due_at_ms", "created_at_ms")

_FIND_USAGE_PLAN = select(schema.usage_plans.c.rate, schema.usage_plans.c.burst).where(
    schema.usage_plans.c.seller_id == bindparam("seller_id"),
    schema.usage_plans.c.application_id == bindparam("application_id"),
    schema.usage_plans.c.operation == bindparam("operation"),
)


def _order(row: Sequence[Any]) -> Order:
    """An order from a row that starts with _ORDER_COLUMNS."""
    return Order(
        amazon_order_id=row[0],
        seller_id=row[1],
        marketplace_id=row[2],
        order_status=row[3],
        purchase_date=_instant(row[4]),
        earliest_delivery_date=_instant(row[5]),
        latest_delivery_date=_instant(row[6]),
        fulfillment_channel=row[7],
        buyer_email=row[8],
        buyer_locale=row[9],
        buyer_opted_out=bool(row[10]),
        items=_items(row[11]),
    )


def _stored_order(row: Sequence[Any]) -> StoredOrder:
    order = _order(row)
    solicitation = None
    if row[12] is not None:
        created_at = _instant(row[16])
        assert created_at is not None
        solicitation = Solicitation(
            amazon_order_id=order.amazon_order_id,
            action=row[12],
            seller_id=row[13],
            application_id=row[14],
            marketplace_id=row[15],
            created_at=created_at,
            request_id=row[17],
        )
    return StoredOrder(order, solicitation)


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


def _outbox_message(row: Sequence[Any]) -> OutboxMessage:
    state = MessageState(row[3])
    created_at = _instant_ms(row[8])
    assert created_at is not None
    return OutboxMessage(
        outbox_id=row[0],
        amazon_order_id=row[1],
        message_id=row[2],
        state=state,
        attempts=row[4],
        due_at=_instant_ms(row[5]) if state is MessageState.PENDING else None,
        last_error=row[6],
        sent_at=_instant_ms(row[7]),
        created_at=created_at,
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

_OPT_OUT_TOKEN = select(schema.opt_out_tokens.c.buyer_key, schema.opt_out_tokens.c.amazon_order_id).where(
    schema.opt_out_tokens.c.token_hash == bindparam("token_hash")
)
_IN_CHUNK = 500  # keys per IN (...) list, well below every database's parameter limit


def _chunks(keys: Collection[str]) -> Iterator[list[str]]:
    """The keys, sorted, in lists short enough for one IN (...)."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


class _Prepared:
    """A Core statement compiled once for the engine's dialect, run on a raw DBAPI cursor."""

    def __init__(self, engine: Engine, statement: Any) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._positional = compiled.positional
        self._order = tuple(compiled.positiontup or ())
        # Values fixed in the statement itself, e.g. state = 'active'.
        self._literals = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}

    def params(self, values: dict[str, Any]) -> Any:
        merged = {**self._literals, **values}
        return tuple(merged[name] for name in self._order) if self._positional else merged


class _Statements:
    """The hot statements of one engine, compiled once."""

    def __init__(self, engine: Engine) -> None:
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self.insert = insert
        self.find_order = _Prepared(engine, _FIND_ORDER)
        self.find_caller = _Prepared(engine, _FIND_CALLER)
        self.find_usage_plan = _Prepared(engine, _FIND_USAGE_PLAN)
        self.add_solicitation = _Prepared(
            engine,
            insert(schema.solicitations)
            .values(_SOLICITATION_ROW)
            .on_conflict_do_nothing(index_elements=["amazon_order_id"]),
        )
        self.add_message = _Prepared(
            engine,
            schema.outbox.insert().values({name: bindparam(name) for name in _MESSAGE_ROW}),
        )
        self.ping = _Prepared(engine, select(1))


class SqlTransaction:
    """One use case's reads and writes on one connection inside one transaction."""

    def __init__(self, conn: Connection, statements: _Statements) -> None:
        self._conn = conn
        self._statements = statements
        self._insert = statements.insert

    @contextmanager
    def savepoint(self) -> Iterator["SqlTransaction"]:
        """One request's share of a group commit: released when the block ends, undone when it raises."""
        cursor = self._conn.connection.cursor()
        try:
            cursor.execute("SAVEPOINT request")
            try:
                yield self
            except BaseException:
                cursor.execute("ROLLBACK TO request")
                cursor.execute("RELEASE request")
                raise
            cursor.execute("RELEASE request")
        finally:
            cursor.close()

    def _run(self, query: _Prepared, values: dict[str, Any]) -> Any:
        """A hot statement on this transaction's DBAPI connection; the cursor, executed."""
        cursor = self._conn.connection.cursor()
        cursor.execute(query.sql, query.params(values))
        return cursor

    def find_order(self, amazon_order_id: str) -> StoredOrder | None:
        cursor = self._run(self._statements.find_order, {"order_id": amazon_order_id})
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else _stored_order(row)

    def add_solicitation(self, solicitation: Solicitation) -> bool:
        cursor = self._run(
            self._statements.add_solicitation,
            {
                "amazon_order_id": solicitation.amazon_order_id,
                "action": solicitation.action,
                "seller_id": solicitation.seller_id,
                "application_id": solicitation.application_id,
                "marketplace_id": solicitation.marketplace_id,
                "created_at": _epoch(solicitation.created_at),
                "request_id": solicitation.request_id,
            },
        )
        added: bool = cursor.rowcount == 1
        cursor.close()
        return added

    def _upsert(self, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        statement = self._insert(table)
        updates = {name: statement.excluded[name] for name in rows[0] if name != key}
        self._conn.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), rows)

    def upsert_orders(self, orders: Sequence[Order], now: datetime) -> None:
        self._upsert(
            schema.orders,
            "amazon_order_id",
            [
                {
                    "amazon_order_id": o.amazon_order_id,
                    "seller_id": o.seller_id,
                    "marketplace_id": o.marketplace_id,
                    "order_status": o.order_status,
                    "purchase_date": _epoch(o.purchase_date),
                    "earliest_delivery_date": _epoch(o.earliest_delivery_date),
                    "latest_delivery_date": _epoch(o.latest_delivery_date),
                    "fulfillment_channel": o.fulfillment_channel,
                    "buyer_email": o.buyer_email,
                    "buyer_locale": o.buyer_locale,
                    "buyer_opted_out": o.buyer_opted_out,
                    "updated_at": _epoch(now),
                    "buyer_key": None if o.buyer_email is None else buyer_key(o.buyer_email),
                    "order_items": _items_json(o.items),
                }
                for o in orders
            ],
        )

    def put_usage_plan(self, key: BucketKey, plan: UsagePlan, now: datetime) -> None:
        statement = self._insert(schema.usage_plans).values(
            seller_id=key.seller_id,
            application_id=key.application_id,
            operation=key.operation,
            rate=plan.rate,
            burst=plan.burst,
            updated_at=_epoch(now),
        )
        self._conn.execute(
            statement.on_conflict_do_update(
                index_elements=["seller_id", "application_id", "operation"],
                set_={
                    "rate": statement.excluded.rate,
                    "burst": statement.excluded.burst,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    def upsert_seller(self, seller: Seller, now: datetime) -> None:
        self._upsert(
            schema.sellers,
            "seller_id",
            [
                {
                    "seller_id": seller.seller_id,
                    "name": seller.name,
                    "marketplace_ids": json.dumps(list(seller.marketplace_ids)),
                    "updated_at": _epoch(now),
                }
            ],
        )

    def find_seller(self, seller_id: str) -> Seller | None:
        row = self._conn.execute(
            select(schema.sellers.c.name, schema.sellers.c.marketplace_ids).where(
                schema.sellers.c.seller_id == seller_id
            )
        ).first()
        return None if row is None else Seller(seller_id, row[0], tuple(json.loads(row[1])))

    def find_application(self, application_id: str) -> Application | None:
        row = self._conn.execute(_APPLICATION.where(schema.applications.c.application_id == application_id)).first()
        return None if row is None else _application(row)

    def find_application_by_client_id(self, client_id: str) -> Application | None:
        row = self._conn.execute(_APPLICATION.where(schema.applications.c.client_id == client_id)).first()
        return None if row is None else _application(row)

    def list_applications(self) -> list[Application]:
        rows = self._conn.execute(_APPLICATION.order_by(schema.applications.c.created_at))
        return [_application(row) for row in rows]

    def add_application(self, application: Application, now: datetime) -> None:
        self._conn.execute(
            schema.applications.insert().values(
                application_id=application.application_id,
                name=application.name,
                roles=json.dumps(sorted(application.roles)),
                created_at=_epoch(now),
                client_id=application.client_id,
                secret_hash=application.secret_hash,
                state=application.state,
                redirect_uris=json.dumps(list(application.redirect_uris)),
            )
        )

    def update_application(
        self, application_id: str, *, secret_hash: str | None = None, state: str | None = None
    ) -> bool:
        values: dict[str, Any] = {}
        if secret_hash is not None:
            values["secret_hash"] = secret_hash
        if state is not None:
            values["state"] = state
        statement = (
            schema.applications.update().where(schema.applications.c.application_id == application_id).values(**values)
        )
        return self._conn.execute(statement).rowcount == 1

    def add_access_token(
        self,
        token_hash: str,
        seller_id: str,
        application_id: str,
        expires_at: datetime,
        now: datetime,
        authorization_id: str | None = None,
    ) -> None:
        self._conn.execute(
            schema.access_tokens.insert().values(
                token_hash=token_hash,
                seller_id=seller_id,
                application_id=application_id,
                expires_at=_epoch(expires_at),
                created_at=_epoch(now),
                authorization_id=authorization_id,
            )
        )

    def remove_access_token(self, token_hash: str) -> None:
        self._conn.execute(delete(schema.access_tokens).where(schema.access_tokens.c.token_hash == token_hash))

    def add_authorization(self, authorization: Authorization, refresh_token_hash: str, now: datetime) -> None:
        self.revoke_authorizations(authorization.seller_id, authorization.application_id, now)
        self._conn.execute(
            schema.authorizations.insert().values(
                authorization_id=authorization.authorization_id,
                seller_id=authorization.seller_id,
                application_id=authorization.application_id,
                refresh_token_hash=refresh_token_hash,
                created_at=_epoch(now),
                revoked_at=None,
            )
        )

    def find_authorization(self, refresh_token_hash: str) -> Authorization | None:
        table = schema.authorizations
        row = self._conn.execute(
            select(table.c.authorization_id, table.c.seller_id, table.c.application_id, table.c.revoked_at).where(
                table.c.refresh_token_hash == refresh_token_hash
            )
        ).first()
        return None if row is None else Authorization(row[0], row[1], row[2], row[3] is not None)

    def revoke_authorizations(self, seller_id: str, application_id: str, now: datetime) -> int:
        table = schema.authorizations
        statement = (
            table.update()
            .where(
                table.c.seller_id == seller_id,
                table.c.application_id == application_id,
                table.c.revoked_at.is_(None),
            )
            .values(revoked_at=_epoch(now))
        )
        return int(self._conn.execute(statement).rowcount)

    def add_authorization_code(self, code_hash: str, code: AuthorizationCode) -> None:
        self._conn.execute(
            schema.authorization_codes.insert().values(
                code_hash=code_hash,
                seller_id=code.seller_id,
                application_id=code.application_id,
                redirect_uri=code.redirect_uri,
                expires_at=_epoch(code.expires_at),
                used_at=None,
            )
        )

    def use_authorization_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        table = schema.authorization_codes
        used = self._conn.execute(
            table.update().where(table.c.code_hash == code_hash, table.c.used_at.is_(None)).values(used_at=_epoch(now))
        )
        if used.rowcount != 1:
            return None
        row = self._conn.execute(
            select(table.c.seller_id, table.c.application_id, table.c.redirect_uri, table.c.expires_at).where(
                table.c.code_hash == code_hash
            )
        ).one()
        expires_at = _instant(row[3])
        assert expires_at is not None
        return AuthorizationCode(row[0], row[1], row[2], expires_at)

    def set_seller_password(self, seller_id: str, password_hash: str) -> bool:
        statement = (
            schema.sellers.update().where(schema.sellers.c.seller_id == seller_id).values(password_hash=password_hash)
        )
        return self._conn.execute(statement).rowcount == 1

    def find_seller_password(self, seller_id: str) -> str | None:
        row = self._conn.execute(
            select(schema.sellers.c.password_hash).where(schema.sellers.c.seller_id == seller_id)
        ).first()
        return None if row is None else row[0]

    def add_message(self, amazon_order_id: str, message_id: str, now: datetime) -> None:
        now_ms = _epoch_ms(now)
        values = (amazon_order_id, message_id, MessageState.PENDING.value, 0, now_ms, now_ms)
        self._run(self._statements.add_message, dict(zip(_MESSAGE_ROW, values, strict=True))).close()

    def claim_messages(self, worker_id: str, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedMessage]:
        outbox = schema.outbox
        now_ms = _epoch_ms(now)
        # SKIP LOCKED lets PostgreSQL workers claim side by side; SQLite drops the clause and serialises
        # claims on the write lock that transaction() takes at BEGIN.
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
            .values(claimed_by=worker_id, lease_until_ms=_epoch_ms(lease_until), attempts=outbox.c.attempts + 1)
            .returning(outbox.c.id, outbox.c.amazon_order_id, outbox.c.message_id, outbox.c.attempts)
        )
        return [ClaimedMessage(*row) for row in self._conn.execute(claim)]

    def record_messages(self, worker_id: str, updates: Sequence[MessageUpdate]) -> None:
        outbox = schema.outbox
        for verdict in updates:
            values: dict[str, Any] = {"state": verdict.state.value, "claimed_by": None, "lease_until_ms": None}
            if verdict.due_at is not None:
                values["due_at_ms"] = _epoch_ms(verdict.due_at)
            if verdict.last_error is not None:
                values["last_error"] = verdict.last_error
            if verdict.sent_at is not None:
                values["sent_at_ms"] = _epoch_ms(verdict.sent_at)
            where = [outbox.c.id == verdict.outbox_id]
            if verdict.state is not MessageState.SENT:
                where += [outbox.c.claimed_by == worker_id, outbox.c.state == MessageState.PENDING.value]
            self._conn.execute(update(outbox).where(*where).values(values))

    def requeue_messages(self, outbox_id: int | None, now: datetime) -> int:
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
                due_at_ms=_epoch_ms(now),
                claimed_by=None,
                lease_until_ms=None,
            )
        )
        return int(self._conn.execute(statement).rowcount)

    def find_message(self, outbox_id: int) -> OutboxMessage | None:
        row = self._conn.execute(select(*_MESSAGE_COLUMNS).where(schema.outbox.c.id == outbox_id)).first()
        return None if row is None else _outbox_message(tuple(row))

    def add_opt_out_tokens(self, tokens: Sequence[OptOutToken], now: datetime) -> None:
        if tokens:
            self._conn.execute(
                schema.opt_out_tokens.insert(),
                [
                    {
                        "token_hash": t.token_hash,
                        "buyer_key": t.buyer_key,
                        "amazon_order_id": t.amazon_order_id,
                        "created_at": _epoch(now),
                    }
                    for t in tokens
                ],
            )

    def opt_out_buyer(self, buyer_key: str, now: datetime) -> None:
        self._conn.execute(
            self._insert(schema.buyer_opt_outs)
            .values(buyer_key=buyer_key, created_at=_epoch(now))
            .on_conflict_do_nothing(index_elements=["buyer_key"])
        )
        self._conn.execute(
            update(schema.orders).where(schema.orders.c.buyer_key == buyer_key).values(buyer_opted_out=True)
        )

    def opted_out_buyers(self, buyer_keys: Collection[str]) -> set[str]:
        column = schema.buyer_opt_outs.c.buyer_key
        found: set[str] = set()
        for chunk in _chunks(buyer_keys):
            found.update(self._conn.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def reset_orders(self, amazon_order_ids: Collection[str], buyer_keys: Collection[str]) -> None:
        for chunk in _chunks(amazon_order_ids):
            for table in (schema.solicitations, schema.outbox, schema.opt_out_tokens):
                self._conn.execute(delete(table).where(table.c.amazon_order_id.in_(chunk)))
        for chunk in _chunks(buyer_keys):
            for table in (schema.opt_out_tokens, schema.buyer_opt_outs):
                self._conn.execute(delete(table).where(table.c.buyer_key.in_(chunk)))


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (relative to the working directory, as SQLite opens it); None for other
    databases, in-memory SQLite and URI-mode names."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or "uri" in parsed.query:
        return None
    return Path(parsed.database)


class SqlStore:
    """The Store protocol over one SQLAlchemy engine."""

    def __init__(
        self,
        url: str,
        *,
        sqlite_synchronous: str = "FULL",
        busy_timeout_ms: int = 5000,
        pool_size: int = 10,
        statement_timeout_ms: int = 5000,
    ) -> None:
        self.url = url
        if url.startswith("postgresql"):
            # psycopg 3, synchronous: its calls run in this store's thread pools, never on the event loop.
            # Each reader thread keeps a connection of its own (up to pool_size of them); the writers, the
            # worker and the rest keep the pool_size connections and pool_size overflow they had before.
            self.engine = make_engine(
                url,
                pool_size=pool_size,
                max_overflow=2 * pool_size,
                pool_timeout=5,
                connect_args={
                    "connect_timeout": max(1, statement_timeout_ms // 1000),
                    "options": f"-c statement_timeout={int(statement_timeout_ms)}",
                },
            )
        else:
            self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            self._configure_sqlite(sqlite_synchronous, busy_timeout_ms)
        # Writers take SQLite's write lock at BEGIN, so two writers never deadlock upgrading a read lock.
        self._writer = self.engine.execution_options(begin_immediate=True)
        self._statements = _Statements(self.engine)
        self._store_errors = (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.TimeoutError,
            self.engine.dialect.loaded_dbapi.OperationalError,
            self.engine.dialect.loaded_dbapi.InterfaceError,
        )
        # Reader connections by thread: autocommit, kept between reads; close() drops every one.
        self._readers: dict[int, Any] = {}
        # Where POSTs' transactions run, off the event loop: SQLite's one writer commits them in groups (one
        # fsync per batch); on PostgreSQL, threads as many as the pool's connections, a transaction each.
        self._committer = (
            GroupCommitter(self.transaction, self._store_errors, patience=busy_timeout_ms / 1000)
            if self.dialect == "sqlite"
            else None
        )
        self._pool_size = pool_size
        self._executor: ThreadPoolExecutor | None = None
        self._read_executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def _configure_sqlite(self, synchronous: str, busy_timeout_ms: int) -> None:
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # Autocommit at the driver: SQLAlchemy's "begin" event below emits BEGIN itself.
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("begin_immediate", False)
            # Straight on the driver: exec_driver_sql's bookkeeping costs a tenth of a POST.
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[union-attr]

    @_unavailable_on_operational_error
    def migrate(self) -> None:
        """Bring the schema to the newest revision; concurrent starters queue on the write lock."""
        with self._writer.begin() as conn:
            if self.dialect == "postgresql":  # nodes starting together queue here
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(5121911)")
            upgrade(conn)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        try:
            with self._writer.begin() as conn:
                yield SqlTransaction(conn, self._statements)
        except self._store_errors as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def write(self, work: Callable[[UnitOfWork], R]) -> Awaitable[R]:
        if self._committer is not None:
            return self._committer.submit(work)
        return asyncio.get_running_loop().run_in_executor(self._writers(), self._write_now, work)

    def read(self, work: Callable[[], R]) -> Awaitable[R]:
        if self.dialect == "sqlite":
            return _inline(work)
        return asyncio.get_running_loop().run_in_executor(self._reader_threads(), work)

    @property
    def write_batches(self) -> int | None:
        """Transactions the group committer has committed (None off SQLite): for tests and benchmarks."""
        return None if self._committer is None else self._committer.batches

    def _write_now(self, work: Callable[[UnitOfWork], R]) -> R:
        with self.transaction() as uow:
            return work(uow)

    def _writers(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._pool_size, thread_name_prefix="store-write")
            return self._executor

    def _reader_threads(self) -> ThreadPoolExecutor:
        """Apart from the writers, so reads stuck on a lock never hold up a commit, and bounded by the pool."""
        with self._executor_lock:
            if self._read_executor is None:
                self._read_executor = ThreadPoolExecutor(self._pool_size, thread_name_prefix="store-read")
            return self._read_executor

    def _reader(self) -> Any:
        thread = threading.get_ident()
        conn = self._readers.get(thread)
        if conn is None:
            conn = self._readers[thread] = self.engine.raw_connection()
            if self.dialect == "postgresql":  # no transaction left open between reads
                driver = conn.driver_connection
                assert driver is not None
                driver.autocommit = True
        return conn

    def _read_one(self, query: _Prepared, values: dict[str, Any]) -> Any:
        try:
            cursor = self._reader().cursor()
            try:
                cursor.execute(query.sql, query.params(values))
                return cursor.fetchone()
            finally:
                cursor.close()
        except Exception as exc:
            self._drop_reader()
            if isinstance(exc, self.engine.dialect.loaded_dbapi.Error):
                raise StoreUnavailable(type(exc).__name__) from exc
            raise

    def _drop_reader(self, thread: int | None = None) -> None:
        """Drop a thread's reader connection (the calling thread's by default); its next read opens another."""
        conn = self._readers.pop(threading.get_ident() if thread is None else thread, None)
        if conn is not None:
            # A broken connection may fail to close; it is gone either way.
            with contextlib.suppress(Exception):
                conn.invalidate()

    def find_order(self, amazon_order_id: str) -> StoredOrder | None:
        row = self._read_one(self._statements.find_order, {"order_id": amazon_order_id})
        return None if row is None else _stored_order(row)

    def find_caller(self, token_hash: str) -> Caller | None:
        row = self._read_one(self._statements.find_caller, {"token_hash": token_hash})
        if row is None:
            return None
        expires_at = _instant(row[2])
        assert expires_at is not None
        return Caller(row[0], row[1], frozenset(json.loads(row[3])), expires_at)

    def find_usage_plan(self, key: BucketKey) -> UsagePlan | None:
        row = self._read_one(
            self._statements.find_usage_plan,
            {"seller_id": key.seller_id, "application_id": key.application_id, "operation": key.operation},
        )
        return None if row is None else UsagePlan(float(row[0]), int(row[1]))

    @_unavailable_on_operational_error
    def find_message_for_order(self, amazon_order_id: str) -> OutboxMessage | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_MESSAGE_COLUMNS).where(schema.outbox.c.amazon_order_id == amazon_order_id)
            ).first()
        return None if row is None else _outbox_message(tuple(row))

    @_unavailable_on_operational_error
    def list_messages(self, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        query = select(*_MESSAGE_COLUMNS).order_by(schema.outbox.c.id).limit(limit)
        if state is not None:
            query = query.where(schema.outbox.c.state == state.value)
        with self.engine.connect() as conn:
            return [_outbox_message(tuple(row)) for row in conn.execute(query)]

    @_unavailable_on_operational_error
    def find_opt_out_token(self, token_hash: str) -> OptOutToken | None:
        with self.engine.connect() as conn:
            row = conn.execute(_OPT_OUT_TOKEN, {"token_hash": token_hash}).first()
        return None if row is None else OptOutToken(token_hash, row[0], row[1])

    @_unavailable_on_operational_error
    def outbox_counts(self) -> OutboxCounts:
        by_state = dict.fromkeys(MessageState, 0)
        oldest_pending_ms = None
        with self.engine.connect() as conn:
            for state, count, oldest in conn.execute(_OUTBOX_COUNTS):
                by_state[MessageState(state)] = int(count)
                oldest_pending_ms = oldest
        return OutboxCounts(by_state, _instant_ms(oldest_pending_ms))

    def ping(self) -> None:
        self._read_one(self._statements.ping, {})

    @_unavailable_on_operational_error
    def schema_is_current(self) -> bool:
        with self.engine.connect() as conn:
            return is_current(conn)

    def close(self) -> None:
        """Finish the writes in flight, fail queued ones, close every connection; a later call reopens."""
        if self._committer is not None:
            self._committer.close()
        with self._executor_lock:
            executors = (self._executor, self._read_executor)
            self._executor = self._read_executor = None
        for executor in executors:
            if executor is not None:
                executor.shutdown(wait=True)
        for thread in list(self._readers):
            self._drop_reader(thread)
        self.engine.dispose()
