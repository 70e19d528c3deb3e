"""Login with Amazon, as the SP-API uses it: applications, seller authorizations, and the token grants.

Refresh tokens, access tokens and authorization codes are random and high-entropy, so they are stored
as sha256; client secrets and seller passwords get a slow hash (the SecretHasher port, argon2 in
adapters/secrets.py), awaited so that it never holds up the event loop.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from solicitations.adapters import tokens
from solicitations.domain import errors, oauth
from solicitations.domain.oauth import OAuthError
from solicitations.domain.usage_plans import UsagePlan
from solicitations.service.ports import (
    Application,
    Authorization,
    AuthorizationCode,
    BucketKey,
    Buckets,
    Clock,
    SecretHasher,
    Store,
)

CODE_LIFETIME = timedelta(minutes=5)
STATES = frozenset({"active", "suspended"})
# Failed client authentications allowed per client id: a burst of 10, then one every 6 seconds.
CLIENT_AUTH_FAILURES = UsagePlan(rate=1 / 6, burst=10)
_MAX_FIELD = 2048
PASSWORD_MIN = 8


@dataclass(frozen=True, slots=True)
class TokenGrant:
    access_token: str
    refresh_token: str | None
    expires_in: int

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": self.access_token}
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body.update({"token_type": "bearer", "expires_in": self.expires_in})
        return body


@dataclass(frozen=True, slots=True)
class NewCredentials:
    application: Application
    client_secret: str


def _invalid(details: str) -> errors.ApiError:
    return errors.ApiError(errors.INVALID_INPUT.with_details(details))


class IdentityService:
    def __init__(
        self, store: Store, buckets: Buckets, hasher: SecretHasher, clock: Clock, access_ttl: timedelta
    ) -> None:
        self._store = store
        self._buckets = buckets
        self._hasher = hasher
        self._clock = clock
        self._access_ttl = access_ttl

    # Applications ---------------------------------------------------------------------------------

    async def create_application(
        self, name: str, roles: frozenset[str], redirect_uris: tuple[str, ...]
    ) -> NewCredentials:
        secret = oauth.CLIENT_SECRET_PREFIX + secrets.token_hex(32)
        application = Application(
            application_id=oauth.APPLICATION_ID_PREFIX + secrets.token_hex(16),
            name=name,
            roles=roles,
            client_id=oauth.CLIENT_ID_PREFIX + secrets.token_hex(16),
            secret_hash=await self._hasher.hash(secret),
            state="active",
            redirect_uris=redirect_uris,
        )
        with self._store.transaction() as uow:
            uow.add_application(application, self._clock())
        return NewCredentials(application, secret)

    def list_applications(self) -> list[Application]:
        with self._store.transaction() as uow:
            return uow.list_applications()

    def find_application(self, application_id: str) -> Application | None:
        with self._store.transaction() as uow:
            return uow.find_application(application_id)

    async def rotate_secret(self, application_id: str) -> str:
        """A new client secret; the old one stops working at once. Apps made without a client id get one."""
        secret = oauth.CLIENT_SECRET_PREFIX + secrets.token_hex(32)
        secret_hash = await self._hasher.hash(secret)  # before the transaction, which holds the write lock
        with self._store.transaction() as uow:
            application = uow.find_application(application_id)
            if application is None:
                raise errors.not_found(f"application {application_id}")
            if application.client_id is None:
                details = "this application has no LWA client; create one with POST /admin/v1/applications"
                raise errors.ApiError(errors.CONFLICT.with_details(details))
            uow.update_application(application_id, secret_hash=secret_hash)
        return secret

    def set_state(self, application_id: str, state: str) -> None:
        """Suspend or resume an application; `state` is one of STATES (the entrypoints check what operators send)."""
        with self._store.transaction() as uow:
            if not uow.update_application(application_id, state=state):
                raise errors.not_found(f"application {application_id}")

    # Authorizations -------------------------------------------------------------------------------

    def authorize(self, seller_id: str, application_id: str) -> str:
        """The seller authorizes the application: a new refresh token (any earlier one is revoked)."""
        return self._authorize(seller_id, application_id)[0]

    def _authorize(self, seller_id: str, application_id: str) -> tuple[str, str]:
        refresh = tokens.mint(oauth.REFRESH_TOKEN_PREFIX)
        authorization = Authorization(secrets.token_hex(16), seller_id, application_id, revoked=False)
        with self._store.transaction() as uow:
            if uow.find_application(application_id) is None:
                raise errors.not_found(f"application {application_id}")
            uow.add_authorization(authorization, tokens.token_hash(refresh), self._clock())
        return refresh, authorization.authorization_id

    def revoke(self, seller_id: str, application_id: str) -> int:
        """Kill the refresh token and every access token minted from it; the count of authorizations revoked."""
        with self._store.transaction() as uow:
            if uow.find_application(application_id) is None:
                raise errors.not_found(f"application {application_id}")
            return uow.revoke_authorizations(seller_id, application_id, self._clock())

    # The token endpoint ---------------------------------------------------------------------------

    async def grant(self, form: Mapping[str, str]) -> TokenGrant:
        """POST /auth/o2/token: one of the three grants LWA offers SP-API applications."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise oauth.missing("grant_type")
        if grant_type not in ("refresh_token", "authorization_code", "client_credentials"):
            raise OAuthError(oauth.UNSUPPORTED_GRANT_TYPE)
        client_id = form.get("client_id")
        if not client_id:
            raise oauth.missing("client_id")
        if not form.get("client_secret"):
            raise oauth.missing("client_secret")
        if grant_type == "refresh_token" and not form.get("refresh_token"):
            raise oauth.missing("refresh_token")
        if grant_type == "authorization_code" and not form.get("code"):
            raise oauth.missing("code")
        if grant_type == "client_credentials" and not form.get("scope"):
            raise oauth.missing("scope")
        application = await self._authenticate_client(client_id, form["client_secret"])
        if grant_type == "refresh_token":
            return self._refresh(application, form["refresh_token"])
        if grant_type == "authorization_code":
            return self._exchange_code(application, form["code"], form.get("redirect_uri"))
        return self._grantless(application, form["scope"])

    async def _authenticate_client(self, client_id: str, client_secret: str) -> Application:
        key = BucketKey("", client_id[:_MAX_FIELD], "lwaClientAuthentication")
        if await self._buckets.level(key, CLIENT_AUTH_FAILURES) < 1:
            raise OAuthError(oauth.TOO_MANY_FAILURES)
        with self._store.transaction() as uow:
            application = uow.find_application_by_client_id(client_id)
        stored = application.secret_hash if application is not None else None
        if not await self._hasher.verify(stored, client_secret) or application is None:
            await self._buckets.take(key, CLIENT_AUTH_FAILURES)
            raise OAuthError(oauth.INVALID_CLIENT)
        if application.state != "active":
            raise OAuthError(oauth.UNAUTHORIZED_CLIENT)
        return application

    def _mint(self, seller_id: str, application_id: str, authorization_id: str | None) -> str:
        access = tokens.mint(oauth.ACCESS_TOKEN_PREFIX)
        now = self._clock()
        with self._store.transaction() as uow:
            uow.add_access_token(
                tokens.token_hash(access), seller_id, application_id, now + self._access_ttl, now, authorization_id
            )
        return access

    def _refresh(self, application: Application, refresh_token: str) -> TokenGrant:
        with self._store.transaction() as uow:
            authorization = uow.find_authorization(tokens.token_hash(refresh_token))
        if authorization is None or authorization.revoked or authorization.application_id != application.application_id:
            raise oauth.invalid_grant("refresh_token")
        access = self._mint(authorization.seller_id, application.application_id, authorization.authorization_id)
        return TokenGrant(access, refresh_token, int(self._access_ttl.total_seconds()))

    def _exchange_code(self, application: Application, code: str, redirect_uri: str | None) -> TokenGrant:
        now = self._clock()
        with self._store.transaction() as uow:
            issued = uow.use_authorization_code(tokens.token_hash(code), now)
        if (
            issued is None
            or issued.application_id != application.application_id
            or now >= issued.expires_at
            or (redirect_uri is not None and redirect_uri != issued.redirect_uri)
        ):
            raise oauth.invalid_grant("code")
        refresh, authorization_id = self._authorize(issued.seller_id, application.application_id)
        access = self._mint(issued.seller_id, application.application_id, authorization_id)
        return TokenGrant(access, refresh, int(self._access_ttl.total_seconds()))

    def _grantless(self, application: Application, scope: str) -> TokenGrant:
        """Grantless tokens act for no seller: LWA issues them, and the Solicitations API refuses them."""
        if scope not in oauth.GRANTLESS_SCOPES:
            raise OAuthError(oauth.INVALID_SCOPE)
        access = self._mint("", application.application_id, None)
        return TokenGrant(access, None, int(self._access_ttl.total_seconds()))

    # The website authorization workflow -----------------------------------------------------------

    async def sign_in(self, seller_id: str, password: str) -> bool:
        with self._store.transaction() as uow:
            stored = uow.find_seller_password(seller_id[:_MAX_FIELD])
        return await self._hasher.verify(stored, password)

    async def set_password(self, seller_id: str, password: str) -> None:
        if len(password) < PASSWORD_MIN:
            raise _invalid(f"a password needs at least {PASSWORD_MIN} characters")
        password_hash = await self._hasher.hash(password)  # before the transaction, which holds the write lock
        with self._store.transaction() as uow:
            if not uow.set_seller_password(seller_id, password_hash):
                raise errors.not_found(f"seller {seller_id}")

    def consent_target(self, application_id: str, redirect_uri: str | None) -> tuple[Application, str]:
        """The application asking and the registered redirect URI to send the seller back to, or 400."""
        application = self.find_application(application_id) if application_id else None
        if application is None or application.state != "active":
            raise _invalid("unknown or suspended application_id")
        if not application.redirect_uris:
            raise _invalid("the application has no registered redirect URI")
        if redirect_uri is None:
            return application, application.redirect_uris[0]
        if redirect_uri not in application.redirect_uris:
            raise _invalid("redirect_uri does not match a registered redirect URI exactly")
        return application, redirect_uri

    def consent(self, seller_id: str, application_id: str, redirect_uri: str | None, state: str) -> str:
        """The seller consents: the redirect URL carrying state, selling_partner_id and spapi_oauth_code."""
        application, target = self.consent_target(application_id, redirect_uri)
        code = secrets.token_urlsafe(24)
        now = self._clock()
        with self._store.transaction() as uow:
            uow.add_authorization_code(
                tokens.token_hash(code),
                AuthorizationCode(seller_id, application.application_id, target, now + CODE_LIFETIME),
            )
        query = urlencode({"state": state, "selling_partner_id": seller_id, "spapi_oauth_code": code})
        return f"{target}{'&' if '?' in target else '?'}{query}"
