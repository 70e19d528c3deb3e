"""Who may use the API: selling partners, the applications they authorize, and the authorization codes of
the website workflow. Tokens and secrets appear here only as hashes."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Seller:
    seller_id: str
    name: str
    marketplace_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Application:
    application_id: str
    name: str
    roles: frozenset[str]
    client_id: str | None = None
    secret_hash: str | None = None  # argon2; None for applications made by the token shortcut
    state: str = "active"  # active | suspended
    redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Authorization:
    authorization_id: str
    seller_id: str
    application_id: str
    revoked: bool


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    seller_id: str
    application_id: str
    redirect_uri: str
    expires_at: datetime
