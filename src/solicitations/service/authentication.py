"""Who is calling: the access token resolved to a Caller, with a short cache on the hot path."""

from datetime import datetime, timedelta

from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.tokens import token_hash
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store

_CACHE_LIMIT = 100_000


class Authenticator:
    """Resolves `x-amz-access-token` values. A lookup is trusted for `cache_for`: the revocation bound."""

    def __init__(self, store: Store, clock: Clock, cache_for: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._cache_for = cache_for
        self._cache: dict[str, tuple[Caller | None, datetime]] = {}

    async def authenticate(self, token: str | None) -> Caller:
        """The caller allowed to use the Solicitations operations, or the 403 Amazon answers.

        A cached lookup answers at once; only a miss awaits the store (off the loop where reads may wait)."""
        if not token:
            raise errors.ApiError(errors.TOKEN_MISSING)
        now = self._clock()
        key = token_hash(token)
        cached = self._cache.get(key)
        if cached is not None and now < cached[1]:
            caller = cached[0]
        else:
            caller = await self._store.read(lambda uow: uow.identity.find_caller(key))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = (caller, now + self._cache_for)
        # A grantless token (no seller) reaches no seller's orders.
        if caller is None or not caller.seller_id or caller.is_expired(now) or not caller.may_solicit():
            raise errors.ApiError(errors.ACCESS_DENIED)
        return caller

    def forget(self) -> None:
        """Drop every cached lookup (after a local revocation, say)."""
        self._cache.clear()
