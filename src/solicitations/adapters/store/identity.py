"""Sellers, applications, authorizations, authorization codes and access tokens, on SQL."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, select

from solicitations.adapters.store import schema
from solicitations.adapters.store.connection import Prepared, Session, epoch, instant, upsert
from solicitations.domain.callers import Caller
from solicitations.domain.identity import Application, Authorization, AuthorizationCode, Seller

# A token counts only while its application is active and its authorization (if any) stands.
_FIND_CALLER = (
    select(
        schema.access_tokens.c.seller_id,
        schema.access_tokens.c.application_id,
        schema.access_tokens.c.expires_at,
        schema.applications.c.roles,
    )
    .select_from(
        schema.access_tokens.join(
            schema.applications,
            schema.applications.c.application_id == schema.access_tokens.c.application_id,
        ).outerjoin(
            schema.authorizations,
            schema.authorizations.c.authorization_id == schema.access_tokens.c.authorization_id,
        )
    )
    .where(
        schema.access_tokens.c.token_hash == bindparam("token_hash"),
        schema.applications.c.state == "active",
        schema.authorizations.c.revoked_at.is_(None),
    )
)
_APPLICATION = select(
    schema.applications.c.application_id,
    schema.applications.c.name,
    schema.applications.c.roles,
    schema.applications.c.client_id,
    schema.applications.c.secret_hash,
    schema.applications.c.state,
    schema.applications.c.redirect_uris,
)


class IdentityStatements:
    """The identity's hot statement (every API request's token lookup), compiled once per engine."""

    def __init__(self, engine: Engine) -> None:
        self.find_caller = Prepared(engine, _FIND_CALLER)


def _application(row: Sequence[Any]) -> Application:
    return Application(
        application_id=row[0],
        name=row[1],
        roles=frozenset(json.loads(row[2])),
        client_id=row[3],
        secret_hash=row[4],
        state=row[5],
        redirect_uris=tuple(json.loads(row[6])),
    )


class SqlIdentity:
    """The IdentityRepository."""

    def __init__(self, session: Session, statements: IdentityStatements) -> None:
        self._session = session
        self._statements = statements

    def upsert_seller(self, seller: Seller, now: datetime) -> None:
        upsert(
            self._session,
            schema.sellers,
            "seller_id",
            [
                {
                    "seller_id": seller.seller_id,
                    "name": seller.name,
                    "marketplace_ids": json.dumps(list(seller.marketplace_ids)),
                    "updated_at": epoch(now),
                }
            ],
        )

    def find_seller(self, seller_id: str) -> Seller | None:
        row = self._session.execute(
            select(schema.sellers.c.name, schema.sellers.c.marketplace_ids).where(
                schema.sellers.c.seller_id == seller_id
            )
        ).first()
        return None if row is None else Seller(seller_id, row[0], tuple(json.loads(row[1])))

    def set_seller_password(self, seller_id: str, password_hash: str) -> bool:
        statement = (
            schema.sellers.update().where(schema.sellers.c.seller_id == seller_id).values(password_hash=password_hash)
        )
        return self._session.execute(statement).rowcount == 1

    def find_seller_password(self, seller_id: str) -> str | None:
        row = self._session.execute(
            select(schema.sellers.c.password_hash).where(schema.sellers.c.seller_id == seller_id)
        ).first()
        return None if row is None else row[0]

    def add_application(self, application: Application, now: datetime) -> None:
        self._session.execute(
            schema.applications.insert().values(
                application_id=application.application_id,
                name=application.name,
                roles=json.dumps(sorted(application.roles)),
                created_at=epoch(now),
                client_id=application.client_id,
                secret_hash=application.secret_hash,
                state=application.state,
                redirect_uris=json.dumps(list(application.redirect_uris)),
            )
        )

    def find_application(self, application_id: str) -> Application | None:
        row = self._session.execute(_APPLICATION.where(schema.applications.c.application_id == application_id)).first()
        return None if row is None else _application(row)

    def find_application_by_client_id(self, client_id: str) -> Application | None:
        row = self._session.execute(_APPLICATION.where(schema.applications.c.client_id == client_id)).first()
        return None if row is None else _application(row)

    def list_applications(self) -> list[Application]:
        rows = self._session.execute(_APPLICATION.order_by(schema.applications.c.created_at))
        return [_application(row) for row in rows]

    def update_application(
        self, application_id: str, *, secret_hash: str | None = None, state: str | None = None
    ) -> bool:
        values: dict[str, Any] = {}
        if secret_hash is not None:
            values["secret_hash"] = secret_hash
        if state is not None:
            values["state"] = state
        statement = (
            schema.applications.update().where(schema.applications.c.application_id == application_id).values(**values)
        )
        return self._session.execute(statement).rowcount == 1

    def add_access_token(
        self,
        token_hash: str,
        seller_id: str,
        application_id: str,
        expires_at: datetime,
        now: datetime,
        authorization_id: str | None = None,
    ) -> None:
        self._session.execute(
            schema.access_tokens.insert().values(
                token_hash=token_hash,
                seller_id=seller_id,
                application_id=application_id,
                expires_at=epoch(expires_at),
                created_at=epoch(now),
                authorization_id=authorization_id,
            )
        )

    def remove_access_token(self, token_hash: str) -> None:
        self._session.execute(delete(schema.access_tokens).where(schema.access_tokens.c.token_hash == token_hash))

    def find_caller(self, token_hash: str) -> Caller | None:
        row = self._session.fetch_one(self._statements.find_caller, {"token_hash": token_hash})
        if row is None:
            return None
        expires_at = instant(row[2])
        assert expires_at is not None
        return Caller(row[0], row[1], frozenset(json.loads(row[3])), expires_at)

    def add_authorization(self, authorization: Authorization, refresh_token_hash: str, now: datetime) -> None:
        self.revoke_authorizations(authorization.seller_id, authorization.application_id, now)
        self._session.execute(
            schema.authorizations.insert().values(
                authorization_id=authorization.authorization_id,
                seller_id=authorization.seller_id,
                application_id=authorization.application_id,
                refresh_token_hash=refresh_token_hash,
                created_at=epoch(now),
                revoked_at=None,
            )
        )

    def find_authorization(self, refresh_token_hash: str) -> Authorization | None:
        table = schema.authorizations
        row = self._session.execute(
            select(table.c.authorization_id, table.c.seller_id, table.c.application_id, table.c.revoked_at).where(
                table.c.refresh_token_hash == refresh_token_hash
            )
        ).first()
        return None if row is None else Authorization(row[0], row[1], row[2], row[3] is not None)

    def revoke_authorizations(self, seller_id: str, application_id: str, now: datetime) -> int:
        table = schema.authorizations
        statement = (
            table.update()
            .where(
                table.c.seller_id == seller_id,
                table.c.application_id == application_id,
                table.c.revoked_at.is_(None),
            )
            .values(revoked_at=epoch(now))
        )
        return int(self._session.execute(statement).rowcount)

    def add_authorization_code(self, code_hash: str, code: AuthorizationCode) -> None:
        self._session.execute(
            schema.authorization_codes.insert().values(
                code_hash=code_hash,
                seller_id=code.seller_id,
                application_id=code.application_id,
                redirect_uri=code.redirect_uri,
                expires_at=epoch(code.expires_at),
                used_at=None,
            )
        )

    def use_authorization_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        table = schema.authorization_codes
        used = self._session.execute(
            table.update().where(table.c.code_hash == code_hash, table.c.used_at.is_(None)).values(used_at=epoch(now))
        )
        if used.rowcount != 1:
            return None
        row = self._session.execute(
            select(table.c.seller_id, table.c.application_id, table.c.redirect_uri, table.c.expires_at).where(
                table.c.code_hash == code_hash
            )
        ).one()
        expires_at = instant(row[3])
        assert expires_at is not None
        return AuthorizationCode(row[0], row[1], row[2], expires_at)
