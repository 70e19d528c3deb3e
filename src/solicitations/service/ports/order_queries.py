"""The Orders API's reads of stored orders: one order with its LastUpdateDate, and getOrders' pages."""

from typing import Protocol

from solicitations.domain.order_queries import ListedOrder, OrdersQuery


class OrderQueryRepository(Protocol):
    def find(self, amazon_order_id: str) -> ListedOrder | None: ...

    def page(self, query: OrdersQuery) -> list[ListedOrder]:
        """Up to page_size + 1 orders after the query's position, in (date, order id) order."""
        ...
