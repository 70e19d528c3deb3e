"""Sellers, applications, their authorizations and the tokens minted from them (kept as hashes only)."""

from datetime import datetime
from typing import Protocol

from solicitations.domain.callers import Caller
from solicitations.domain.identity import Application, Authorization, AuthorizationCode, Seller


class IdentityRepository(Protocol):
    def upsert_seller(self, seller: Seller, now: datetime) -> None: ...

    def find_seller(self, seller_id: str) -> Seller | None: ...

    def set_seller_password(self, seller_id: str, password_hash: str) -> bool: ...

    def find_seller_password(self, seller_id: str) -> str | None: ...

    def add_application(self, application: Application, now: datetime) -> None: ...

    def find_application(self, application_id: str) -> Application | None: ...

    def find_application_by_client_id(self, client_id: str) -> Application | None: ...

    def list_applications(self) -> list[Application]: ...

    def update_application(
        self, application_id: str, *, secret_hash: str | None = None, state: str | None = None
    ) -> bool: ...

    def add_access_token(
        self,
        token_hash: str,
        seller_id: str,
        application_id: str,
        expires_at: datetime,
        now: datetime,
        authorization_id: str | None = None,
    ) -> None: ...

    def remove_access_token(self, token_hash: str) -> None: ...

    def find_caller(self, token_hash: str) -> Caller | None:
        """Who the token acts for, while its application is active and its authorization (if any) stands."""
        ...

    def add_authorization(self, authorization: Authorization, refresh_token_hash: str, now: datetime) -> None:
        """Record it, revoking any earlier authorization of the same seller and application."""
        ...

    def find_authorization(self, refresh_token_hash: str) -> Authorization | None: ...

    def revoke_authorizations(self, seller_id: str, application_id: str, now: datetime) -> int: ...

    def add_authorization_code(self, code_hash: str, code: AuthorizationCode) -> None: ...

    def use_authorization_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        """The code if it exists and was never used; it is marked used in the same step."""
        ...
