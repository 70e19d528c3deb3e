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

from solicitations.domain import errors, oauth
from solicitations.domain.identity import Application, Authorization, AuthorizationCode
from solicitations.domain.oauth import OAuthError
from solicitations.domain.tokens import token_hash
from solicitations.domain.usage_plans import BucketKey, UsagePlan
from solicitations.service.ports.buckets import Buckets
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.secrets import SecretHasher
from solicitations.service.ports.store import Store
from solicitations.service.ports.tokens import TokenSource
from solicitations.service.ports.unit_of_work import UnitOfWork

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
        self,
        store: Store,
        buckets: Buckets,
        hasher: SecretHasher,
        clock: Clock,
        tokens: TokenSource,
        access_ttl: timedelta,
    ) -> None:
        self._store = store
        self._buckets = buckets
        self._hasher = hasher
        self._clock = clock
        self._tokens = tokens
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
        await self._store.write(lambda uow: uow.identity.add_application(application, self._clock()))
        return NewCredentials(application, secret)

    async def list_applications(self) -> list[Application]:
        return await self._store.read(lambda uow: uow.identity.list_applications())

    async def find_application(self, application_id: str) -> Application | None:
        return await self._store.read(lambda uow: uow.identity.find_application(application_id))

    async def rotate_secret(self, application_id: str) -> str:
        """A new client secret; the old one stops working at once. Apps made without a client id get one."""
        secret = oauth.CLIENT_SECRET_PREFIX + secrets.token_hex(32)
        secret_hash = await self._hasher.hash(secret)  # before the transaction, which holds the write lock

        def rotate(uow: UnitOfWork) -> None:
            application = uow.identity.find_application(application_id)
            if application is None:
                raise errors.not_found(f"application {application_id}")
            if application.client_id is None:
                details = "this application has no LWA client; create one with POST /admin/v1/applications"
                raise errors.ApiError(errors.CONFLICT.with_details(details))
            uow.identity.update_application(application_id, secret_hash=secret_hash)

        await self._store.write(rotate)
        return secret

    async def set_state(self, application_id: str, state: str) -> None:
        """Suspend or resume an application; `state` is one of STATES (the entrypoints check what operators send)."""

        def update(uow: UnitOfWork) -> None:
            if not uow.identity.update_application(application_id, state=state):
                raise errors.not_found(f"application {application_id}")

        await self._store.write(update)

    # Authorizations -------------------------------------------------------------------------------

    async def authorize(self, seller_id: str, application_id: str) -> str:
        """The seller authorizes the application: a new refresh token (any earlier one is revoked)."""
        return (await self._authorize(seller_id, application_id))[0]

    async def _authorize(self, seller_id: str, application_id: str) -> tuple[str, str]:
        refresh = self._tokens.mint(oauth.REFRESH_TOKEN_PREFIX)
        authorization = Authorization(secrets.token_hex(16), seller_id, application_id, revoked=False)

        def add(uow: UnitOfWork) -> None:
            if uow.identity.find_application(application_id) is None:
                raise errors.not_found(f"application {application_id}")
            uow.identity.add_authorization(authorization, token_hash(refresh), self._clock())

        await self._store.write(add)
        return refresh, authorization.authorization_id

    async def revoke(self, seller_id: str, application_id: str) -> int:
        """Kill the refresh token and every access token minted from it; the count of authorizations revoked."""

        def revoke(uow: UnitOfWork) -> int:
            if uow.identity.find_application(application_id) is None:
                raise errors.not_found(f"application {application_id}")
            return uow.identity.revoke_authorizations(seller_id, application_id, self._clock())

        return await self._store.write(revoke)

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
            return await self._refresh(application, form["refresh_token"])
        if grant_type == "authorization_code":
            return await self._exchange_code(application, form["code"], form.get("redirect_uri"))
        return await self._grantless(application, form["scope"])

    async def _authenticate_client(self, client_id: str, client_secret: str) -> Application:
        key = BucketKey("", client_id[:_MAX_FIELD], "lwaClientAuthentication")
        if await self._buckets.level(key, CLIENT_AUTH_FAILURES) < 1:
            raise OAuthError(oauth.TOO_MANY_FAILURES)
        application = await self._store.read(lambda uow: uow.identity.find_application_by_client_id(client_id))
        stored = application.secret_hash if application is not None else None
        if not await self._hasher.verify(stored, client_secret) or application is None:
            await self._buckets.take(key, CLIENT_AUTH_FAILURES)
            raise OAuthError(oauth.INVALID_CLIENT)
        if application.state != "active":
            raise OAuthError(oauth.UNAUTHORIZED_CLIENT)
        return application

    async def _mint(self, seller_id: str, application_id: str, authorization_id: str | None) -> str:
        access = self._tokens.mint(oauth.ACCESS_TOKEN_PREFIX)
        now = self._clock()
        await self._store.write(
            lambda uow: uow.identity.add_access_token(
                token_hash(access), seller_id, application_id, now + self._access_ttl, now, authorization_id
            )
        )
        return access

    async def _refresh(self, application: Application, refresh_token: str) -> TokenGrant:
        refresh_hash = token_hash(refresh_token)
        authorization = await self._store.read(lambda uow: uow.identity.find_authorization(refresh_hash))
        if authorization is None or authorization.revoked or authorization.application_id != application.application_id:
            raise oauth.invalid_grant("refresh_token")
        access = await self._mint(authorization.seller_id, application.application_id, authorization.authorization_id)
        return TokenGrant(access, refresh_token, int(self._access_ttl.total_seconds()))

    async def _exchange_code(self, application: Application, code: str, redirect_uri: str | None) -> TokenGrant:
        now = self._clock()
        code_hash = token_hash(code)
        issued = await self._store.write(lambda uow: uow.identity.use_authorization_code(code_hash, now))
        if (
            issued is None
            or issued.application_id != application.application_id
            or now >= issued.expires_at
            or (redirect_uri is not None and redirect_uri != issued.redirect_uri)
        ):
            raise oauth.invalid_grant("code")
        refresh, authorization_id = await self._authorize(issued.seller_id, application.application_id)
        access = await self._mint(issued.seller_id, application.application_id, authorization_id)
        return TokenGrant(access, refresh, int(self._access_ttl.total_seconds()))

    async def _grantless(self, application: Application, scope: str) -> TokenGrant:
        """Grantless tokens act for no seller: LWA issues them, and the Solicitations API refuses them."""
        if scope not in oauth.GRANTLESS_SCOPES:
            raise OAuthError(oauth.INVALID_SCOPE)
        access = await self._mint("", application.application_id, None)
        return TokenGrant(access, None, int(self._access_ttl.total_seconds()))

    # The website authorization workflow -----------------------------------------------------------

    async def sign_in(self, seller_id: str, password: str) -> bool:
        stored = await self._store.read(lambda uow: uow.identity.find_seller_password(seller_id[:_MAX_FIELD]))
        return await self._hasher.verify(stored, password)

    async def set_password(self, seller_id: str, password: str) -> None:
        if len(password) < PASSWORD_MIN:
            raise _invalid(f"a password needs at least {PASSWORD_MIN} characters")
        password_hash = await self._hasher.hash(password)  # before the transaction, which holds the write lock

        def store_hash(uow: UnitOfWork) -> None:
            if not uow.identity.set_seller_password(seller_id, password_hash):
                raise errors.not_found(f"seller {seller_id}")

        await self._store.write(store_hash)

    async def consent_target(self, application_id: str, redirect_uri: str | None) -> tuple[Application, str]:
        """The application asking and the registered redirect URI to send the seller back to, or 400."""
        application = await self.find_application(application_id) if application_id else None
        if application is None or application.state != "active":
            raise _invalid("unknown or suspended application_id")
        if not application.redirect_uris:
            raise _invalid("the application has no registered redirect URI")
        if redirect_uri is None:
            return application, application.redirect_uris[0]
        if redirect_uri not in application.redirect_uris:
            raise _invalid("redirect_uri does not match a registered redirect URI exactly")
        return application, redirect_uri

    async def consent(self, seller_id: str, application_id: str, redirect_uri: str | None, state: str) -> str:
        """The seller consents: the redirect URL carrying state, selling_partner_id and spapi_oauth_code."""
        application, target = await self.consent_target(application_id, redirect_uri)
        code = secrets.token_urlsafe(24)
        issued = AuthorizationCode(seller_id, application.application_id, target, self._clock() + CODE_LIFETIME)
        await self._store.write(lambda uow: uow.identity.add_authorization_code(token_hash(code), issued))
        query = urlencode({"state": state, "selling_partner_id": seller_id, "spapi_oauth_code": code})
        return f"{target}{'&' if '?' in target else '?'}{query}"
