"""Buyers' opt-outs and their links' tokens, on SQL."""

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update

from solicitations.adapters.store import schema
from solicitations.adapters.store.connection import Session, chunks, epoch
from solicitations.domain.messages import OptOutToken

_OPT_OUT_TOKEN = select(schema.opt_out_tokens.c.buyer_key, schema.opt_out_tokens.c.amazon_order_id).where(
    schema.opt_out_tokens.c.token_hash == bindparam("token_hash")
)


class SqlOptOuts:
    """The OptOutRepository."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_tokens(self, tokens: Sequence[OptOutToken], now: datetime) -> None:
        if tokens:
            self._session.execute(
                schema.opt_out_tokens.insert(),
                [
                    {
                        "token_hash": t.token_hash,
                        "buyer_key": t.buyer_key,
                        "amazon_order_id": t.amazon_order_id,
                        "created_at": epoch(now),
                    }
                    for t in tokens
                ],
            )

    def find_token(self, token_hash: str) -> OptOutToken | None:
        row = self._session.execute(_OPT_OUT_TOKEN, {"token_hash": token_hash}).first()
        return None if row is None else OptOutToken(token_hash, row[0], row[1])

    def opt_out_buyer(self, buyer_key: str, now: datetime) -> None:
        self._session.execute(
            self._session.insert(schema.buyer_opt_outs)
            .values(buyer_key=buyer_key, created_at=epoch(now))
            .on_conflict_do_nothing(index_elements=["buyer_key"])
        )
        self._session.execute(
            update(schema.orders).where(schema.orders.c.buyer_key == buyer_key).values(buyer_opted_out=True)
        )

    def opted_out_buyers(self, buyer_keys: Collection[str]) -> set[str]:
        column = schema.buyer_opt_outs.c.buyer_key
        found: set[str] = set()
        for chunk in chunks(buyer_keys):
            found.update(self._session.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def forget(self, amazon_order_ids: Collection[str], buyer_keys: Collection[str]) -> None:
        tokens = schema.opt_out_tokens
        for chunk in chunks(amazon_order_ids):
            self._session.execute(delete(tokens).where(tokens.c.amazon_order_id.in_(chunk)))
        for chunk in chunks(buyer_keys):
            for table in (tokens, schema.buyer_opt_outs):
                self._session.execute(delete(table).where(table.c.buyer_key.in_(chunk)))
