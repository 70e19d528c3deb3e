"""The sync and async clients: they only carry out the steps of core.py over httpx."""

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, TypeVar

import httpx

from solicitations.client import operations
from solicitations.client.core import Core, Credentials, Outcome, Send, Steps, Wait
from solicitations.client.endpoints import LWA_TOKEN_URL
from solicitations.client.operations import Created, OrdersPage, SolicitationActions
from solicitations.client.pacing import RetryPolicy

T = TypeVar("T")
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _core(
    credentials: Credentials,
    endpoint: str,
    token_url: str,
    retry: RetryPolicy,
    monotonic: Callable[[], float],
    rng: random.Random | None,
) -> Core:
    return Core(
        credentials,
        endpoint=endpoint,
        token_url=token_url,
        retry=retry,
        monotonic=monotonic,
        rng=rng or random.Random(),
    )


class SellingPartnerClient:
    """Solicitations and Orders (read) operations, paced and retried; `endpoint` is a region (`NA`, `EU`, `FE`,
    `NA-sandbox`…) or a base URL. Errors raise `SpApiError` / `LwaError`; a connection that never answers raises
    httpx's `TransportError` once the retries are spent."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        endpoint: str = "NA",
        token_url: str = LWA_TOKEN_URL,
        retry: RetryPolicy = RetryPolicy(),
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.core = _core(credentials, endpoint, token_url, retry, monotonic, rng)
        self._sleep = sleep
        self._http = http or httpx.Client(timeout=TIMEOUT)

    def __enter__(self) -> "SellingPartnerClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, steps: Steps[T]) -> T:
        outcome: Outcome | None = None
        try:
            while True:
                step = steps.send(outcome)
                if isinstance(step, Wait):
                    self._sleep(step.seconds)
                    outcome = None
                else:
                    outcome = self._send(step)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _send(self, step: Send) -> Outcome:
        try:
            return self._http.send(step.request)
        except httpx.TransportError as error:
            return error

    def get_solicitation_actions_for_order(self, order_id: str, marketplace_id: str) -> SolicitationActions:
        return self._run(operations.get_solicitation_actions(self.core, order_id, marketplace_id))

    def create_product_review_and_seller_feedback_solicitation(
        self, order_id: str, marketplace_id: str, *, maybe_sent_before: bool = False
    ) -> Created:
        return self._run(operations.create_review_solicitation(self.core, order_id, marketplace_id, maybe_sent_before))

    def get_orders(self, marketplace_ids: Sequence[str], **filters: Any) -> OrdersPage:
        return self._run(operations.get_orders(self.core, marketplace_ids, **filters))

    def iter_orders(self, marketplace_ids: Sequence[str], **filters: Any) -> Iterator[dict[str, Any]]:
        """Every order getOrders returns, page after page (NextToken)."""
        next_token = None
        while True:
            page = self.get_orders(marketplace_ids, next_token=next_token, **filters)
            yield from page.orders
            if page.next_token is None:
                return
            next_token = page.next_token

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._run(operations.get_order(self.core, order_id))

    def get_order_items(self, order_id: str, next_token: str | None = None) -> dict[str, Any]:
        return self._run(operations.get_order_items(self.core, order_id, next_token))

    def get_order_buyer_info(self, order_id: str) -> dict[str, Any]:
        return self._run(operations.get_order_buyer_info(self.core, order_id))


class AsyncSellingPartnerClient:
    """`SellingPartnerClient` for asyncio: the same calls, awaited; concurrent calls share the buckets."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        endpoint: str = "NA",
        token_url: str = LWA_TOKEN_URL,
        retry: RetryPolicy = RetryPolicy(),
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.core = _core(credentials, endpoint, token_url, retry, monotonic, rng)
        self._http = http or httpx.AsyncClient(timeout=TIMEOUT)

    async def __aenter__(self) -> "AsyncSellingPartnerClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run(self, steps: Steps[T]) -> T:
        outcome: Outcome | None = None
        try:
            while True:
                step = steps.send(outcome)
                if isinstance(step, Wait):
                    await asyncio.sleep(step.seconds)
                    outcome = None
                else:
                    try:
                        outcome = await self._http.send(step.request)
                    except httpx.TransportError as error:
                        outcome = error
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def get_solicitation_actions_for_order(self, order_id: str, marketplace_id: str) -> SolicitationActions:
        return await self._run(operations.get_solicitation_actions(self.core, order_id, marketplace_id))

    async def create_product_review_and_seller_feedback_solicitation(
        self, order_id: str, marketplace_id: str, *, maybe_sent_before: bool = False
    ) -> Created:
        return await self._run(
            operations.create_review_solicitation(self.core, order_id, marketplace_id, maybe_sent_before)
        )

    async def get_orders(self, marketplace_ids: Sequence[str], **filters: Any) -> OrdersPage:
        return await self._run(operations.get_orders(self.core, marketplace_ids, **filters))

    async def iter_orders(self, marketplace_ids: Sequence[str], **filters: Any) -> AsyncIterator[dict[str, Any]]:
        next_token = None
        while True:
            page = await self.get_orders(marketplace_ids, next_token=next_token, **filters)
            for order in page.orders:
                yield order
            if page.next_token is None:
                return
            next_token = page.next_token

    async def get_order(self, order_id: str) -> dict[str, Any]:
        return await self._run(operations.get_order(self.core, order_id))

    async def get_order_items(self, order_id: str, next_token: str | None = None) -> dict[str, Any]:
        return await self._run(operations.get_order_items(self.core, order_id, next_token))

    async def get_order_buyer_info(self, order_id: str) -> dict[str, Any]:
        return await self._run(operations.get_order_buyer_info(self.core, order_id))
