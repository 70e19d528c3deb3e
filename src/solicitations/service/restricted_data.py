"""The Tokens API's createRestrictedDataToken, and callers identified by the restricted data tokens it makes."""

from collections.abc import Awaitable, Callable
from typing import Any

from solicitations.domain import errors
from solicitations.domain.callers import Caller
from solicitations.domain.restricted_data import (
    LIFETIME,
    TOKEN_PREFIX,
    RestrictedCaller,
    granted,
    restricted_resources,
)
from solicitations.domain.tokens import token_hash
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store
from solicitations.service.ports.tokens import TokenSource


class RestrictedDataTokens:
    """Makes RDTs for callers with an access token, and resolves the `x-amz-access-token` of the Orders API,
    which takes an access token or an RDT naming the request's operation."""

    def __init__(
        self,
        store: Store,
        tokens: TokenSource,
        clock: Clock,
        authenticate: Callable[[str | None], Awaitable[Caller]],
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._clock = clock
        self._authenticate = authenticate

    async def create(self, access_token: str, body: object) -> dict[str, Any]:
        """createRestrictedDataToken's answer for a caller already authenticated by `access_token`."""
        resources = restricted_resources(body)
        token = self._tokens.mint(TOKEN_PREFIX)
        now = self._clock()
        token_key, access_key = token_hash(token), token_hash(access_token)
        added = await self._store.write(
            lambda uow: uow.restricted_tokens.add(token_key, access_key, resources, now + LIFETIME, now)
        )
        if not added:
            raise errors.ApiError(errors.ACCESS_DENIED)  # the access token went away since it was checked
        return {"restrictedDataToken": token, "expiresIn": int(LIFETIME.total_seconds())}

    async def identify(self, token: str | None, path: str) -> Caller:
        """The caller of an Orders API request: an RDT's when the token is one (403 unless it names this
        operation), else the access token's."""
        if token is None or not token.startswith(TOKEN_PREFIX + "|"):
            return await self._authenticate(token)
        key = token_hash(token)
        found = await self._store.read(lambda uow: uow.restricted_tokens.find(key))
        if found is None:
            raise errors.ApiError(errors.ACCESS_DENIED)
        caller, resources = found
        elements = granted(resources, path)
        if elements is None or caller.is_expired(self._clock()) or not caller.may_solicit():
            raise errors.ApiError(errors.ACCESS_DENIED)
        return RestrictedCaller(caller.seller_id, caller.application_id, caller.roles, caller.expires_at, elements)
