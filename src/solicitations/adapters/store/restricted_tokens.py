"""Restricted data tokens in the store, by sha256 like access tokens (the token itself is never stored)."""

import json
from datetime import datetime

from sqlalchemy import literal, select

from solicitations.adapters.store import schema
from solicitations.adapters.store.connection import Session, epoch, instant
from solicitations.domain.callers import Caller
from solicitations.domain.restricted_data import RestrictedResource

_rdt = schema.restricted_data_tokens
_access = schema.access_tokens
_apps = schema.applications
_authorizations = schema.authorizations

# As for access tokens: a token counts only while its application is active and its authorization stands.
_FIND = (
    select(_rdt.c.seller_id, _rdt.c.application_id, _rdt.c.expires_at, _apps.c.roles, _rdt.c.resources)
    .select_from(
        _rdt.join(_apps, _apps.c.application_id == _rdt.c.application_id).outerjoin(
            _authorizations, _authorizations.c.authorization_id == _rdt.c.authorization_id
        )
    )
    .where(_apps.c.state == "active", _authorizations.c.revoked_at.is_(None))
)


class SqlRestrictedTokens:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        token_hash: str,
        access_token_hash: str,
        resources: tuple[RestrictedResource, ...],
        expires_at: datetime,
        now: datetime,
    ) -> bool:
        """Store a token for the seller, application and authorization of the access token it was asked with,
        in one statement; False when that access token is not stored."""
        source = select(
            literal(token_hash),
            _access.c.seller_id,
            _access.c.application_id,
            _access.c.authorization_id,
            literal(json.dumps([r.to_document() for r in resources])),
            literal(epoch(expires_at)),
            literal(epoch(now)),
        ).where(_access.c.token_hash == access_token_hash)
        columns = ["token_hash", "seller_id", "application_id", "authorization_id", "resources"]
        statement = (
            _rdt.insert().from_select([*columns, "expires_at", "created_at"], source).returning(_rdt.c.token_hash)
        )
        # RETURNING: psycopg gives no rowcount of 1 for INSERT ... SELECT.
        return self._session.execute(statement).first() is not None

    def find(self, token_hash: str) -> tuple[Caller, tuple[RestrictedResource, ...]] | None:
        """The caller the token stands for (its expiry the token's) and the resources it names."""
        row = self._session.execute(_FIND.where(_rdt.c.token_hash == token_hash)).first()
        if row is None:
            return None
        expires_at = instant(row[2])
        assert expires_at is not None
        resources = tuple(
            RestrictedResource(doc["method"], doc["path"], frozenset(doc["dataElements"])) for doc in json.loads(row[4])
        )
        return Caller(row[0], row[1], frozenset(json.loads(row[3])), expires_at), resources
