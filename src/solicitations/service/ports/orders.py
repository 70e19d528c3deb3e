"""Orders and their one solicitation: the aggregate the Solicitations API decides over."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from solicitations.domain.orders import Order, Solicitation, StoredOrder


class OrderRepository(Protocol):
    def find(self, amazon_order_id: str) -> StoredOrder | None:
        """The order with its solicitation: the hot read of both operations."""
        ...

    def add_solicitation(self, solicitation: Solicitation) -> bool:
        """Record it; False when the order already has one (the store's unique key decides)."""
        ...

    def upsert(self, orders: Sequence[Order], now: datetime) -> None: ...

    def forget_solicitations(self, amazon_order_ids: Collection[str]) -> None:
        """Delete these orders' solicitations (the demo starts over); the orders stay."""
        ...
