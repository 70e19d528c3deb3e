"""The Tokens API's createRestrictedDataToken, and callers identified by the restricted data tokens it makes."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from solicitations.adapters import tokens
from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.restricted_data import (
    LIFETIME,
    TOKEN_PREFIX,
    RestrictedCaller,
    RestrictedResource,
    granted,
    restricted_resources,
)
from solicitations.service.ports import Clock, Store


class RestrictedTokenStore(Protocol):
    def add(
        self,
        token_hash: str,
        access_token_hash: str,
        resources: tuple[RestrictedResource, ...],
        expires_at: datetime,
        now: datetime,
    ) -> bool:
        """Store a token for the identity of the access token it was asked with; False when that is unknown."""
        ...

    def find(self, token_hash: str) -> tuple[Caller, tuple[RestrictedResource, ...]] | None:
        """The caller a token stands for (its expiry the token's) and the resources it names."""
        ...


class RestrictedDataTokens:
    """Makes RDTs for callers with an access token, and resolves the `x-amz-access-token` of the Orders API,
    which takes an access token or an RDT naming the request's operation."""

    def __init__(
        self,
        store: Store,
        rdts: RestrictedTokenStore,
        clock: Clock,
        authenticate: Callable[[str | None], Awaitable[Caller]],
    ) -> None:
        self._store = store
        self._rdts = rdts
        self._clock = clock
        self._authenticate = authenticate

    async def create(self, access_token: str, body: object) -> dict[str, Any]:
        """createRestrictedDataToken's answer for a caller already authenticated by `access_token`."""
        resources = restricted_resources(body)
        token = tokens.mint(TOKEN_PREFIX)
        now = self._clock()
        # In a thread of its own: a rare write, outside the store's batched solicitation transactions.
        added = await asyncio.to_thread(
            self._rdts.add, tokens.token_hash(token), tokens.token_hash(access_token), resources, now + LIFETIME, now
        )
        if not added:
            raise errors.ApiError(errors.ACCESS_DENIED)  # the access token went away since it was checked
        return {"restrictedDataToken": token, "expiresIn": int(LIFETIME.total_seconds())}

    async def identify(self, token: str | None, path: str) -> Caller:
        """The caller of an Orders API request: an RDT's when the token is one (403 unless it names this
        operation), else the access token's."""
        if token is None or not token.startswith(TOKEN_PREFIX + "|"):
            return await self._authenticate(token)
        found = await self._store.read(partial(self._rdts.find, tokens.token_hash(token)))
        if found is None:
            raise errors.ApiError(errors.ACCESS_DENIED)
        caller, resources = found
        elements = granted(resources, path)
        if elements is None or caller.is_expired(self._clock()) or not caller.may_solicit():
            raise errors.ApiError(errors.ACCESS_DENIED)
        return RestrictedCaller(caller.seller_id, caller.application_id, caller.roles, caller.expires_at, elements)
