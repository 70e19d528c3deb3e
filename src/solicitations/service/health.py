"""Readiness: may this node take traffic? The store answers, its schema is current, Redis (when the
buckets live there) answers. Each check is bounded, so a probe answers well within 50 ms."""

import asyncio

from solicitations.service.ports.buckets import Buckets, BucketsUnavailable
from solicitations.service.ports.store import Store, StoreUnavailable
from solicitations.service.ports.unit_of_work import UnitOfWork

_BUCKETS_TIMEOUT_S = 0.04


class Readiness:
    def __init__(self, store: Store, buckets: Buckets, shared_buckets: bool) -> None:
        self._store = store
        self._buckets = buckets
        self._shared_buckets = shared_buckets

    def _store_current(self, _uow: UnitOfWork) -> bool:
        """Both store checks in one read, off the loop where the store's reads may wait."""
        self._store.ping()
        return self._store.schema_is_current()

    async def failures(self) -> dict[str, str]:
        """Each failing check with why; empty when the node is ready."""
        failed: dict[str, str] = {}
        try:
            if not await self._store.read(self._store_current):
                failed["migrations"] = "the schema is not at the newest revision"
        except StoreUnavailable as exc:
            failed["store"] = f"unreachable ({exc})"
        if self._shared_buckets:
            try:
                await asyncio.wait_for(self._buckets.ping(), _BUCKETS_TIMEOUT_S)
            except TimeoutError:
                failed["redis"] = "no answer within 40 ms"
            except BucketsUnavailable as exc:
                failed["redis"] = f"unreachable ({exc})"
        return failed
