"""Buyers' opt-outs and the tokens of the links that make them."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from solicitations.domain.messages import OptOutToken


class OptOutRepository(Protocol):
    def add_tokens(self, tokens: Sequence[OptOutToken], now: datetime) -> None: ...

    def find_token(self, token_hash: str) -> OptOutToken | None: ...

    def opt_out_buyer(self, buyer_key: str, now: datetime) -> None:
        """Remember the buyer's opt-out and mark every stored order of theirs."""
        ...

    def opted_out_buyers(self, buyer_keys: Collection[str]) -> set[str]:
        """Those of `buyer_keys` that opted out."""
        ...

    def forget(self, amazon_order_ids: Collection[str], buyer_keys: Collection[str]) -> None:
        """Delete the opt-out tokens of these orders and buyers, and these buyers' opt-outs (the demo starts over)."""
        ...
