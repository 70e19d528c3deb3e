"""What operators send, checked once: the admin API's JSON bodies and the CLI's options become domain values.

The CLI hands its options over as the same JSON-like mapping the admin API receives, so both accept exactly
the same values and refuse the others with the same 400 (an `ApiError` in Amazon's shape).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from solicitations.domain import errors, identifiers
from solicitations.domain.identity import Seller
from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.orders import InvalidOrder, Order, order_from_document
from solicitations.domain.usage_plans import DEFAULT_PLANS, BucketKey, UsagePlan
from solicitations.service.identity import PASSWORD_MIN, STATES

DEFAULT_ROLES = ("Buyer Solicitation",)
_MAX_NAME = 200
MAX_URI = 2048
# An absolute http(s) URL without a fragment, its host in RFC 3986's characters (no IPv6 literal, which
# urlsplit would refuse to split when malformed); the document declares this very pattern.
REDIRECT_URI_PATTERN = r"^https?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+([/?][^#\s]*)?$"
_REDIRECT_URI = re.compile(REDIRECT_URI_PATTERN)
# Bucket levels must stay exact integers in a double (Redis's Lua): capacity * 1e12 < 2**53.
MAX_BURST = 9000
MIN_RATE, MAX_RATE = 0.000001, 100_000.0
MAX_LIST = 1000  # outbox messages listed at once
MAX_MESSAGE_ID = 2**31 - 1  # the outbox id column is a 32-bit integer on PostgreSQL


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """An access token to mint for a seller and application, and the roles the application gets if new."""

    seller_id: str
    application_id: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewApplication:
    name: str
    roles: frozenset[str]
    redirect_uris: tuple[str, ...]


def invalid(details: str) -> errors.ApiError:
    return errors.ApiError(errors.INVALID_INPUT.with_details(details))


def identifier(value: object, field: str) -> str:
    """An id as the store may hold it (domain.identifiers' rule), else 400 naming the field."""
    try:
        return identifiers.identifier(value, field)
    except identifiers.InvalidIdentifier as exc:
        raise invalid(str(exc)) from None


def whole_number(text: str, field: str, low: int, high: int) -> int:
    """A decimal integer from `low` to `high`, else 400: the length is checked before any conversion, so a
    number of thousands of digits costs nothing (Python refuses to convert those at all)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)) or not low <= int(text) <= high:
        raise invalid(f"{field} must be a whole number from {low} to {high}")
    return int(text)


def known_operation(operation: str) -> str:
    """The operation id if a usage plan can name it; 404 naming it otherwise."""
    if operation not in DEFAULT_PLANS:
        raise errors.not_found(f"operation {operation}")
    return operation


def _object(body: object) -> Mapping[str, object]:
    if not isinstance(body, Mapping):
        raise invalid("the body must be a JSON object")
    return body


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME:
        raise invalid(f"name must be a non-empty string of at most {_MAX_NAME} characters")
    return value


def _roles(body: Mapping[str, object]) -> tuple[str, ...]:
    roles = body.get("roles", list(DEFAULT_ROLES))
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise invalid("roles must be a list of role names")
    return tuple(roles)


def seller(seller_id: str, body: object) -> Seller:
    identifier(seller_id, "sellerId")
    fields = _object(body)
    name = _name(fields.get("name", seller_id))
    marketplace_ids = fields.get("marketplaceIds", [])
    if not isinstance(marketplace_ids, list) or not all(
        isinstance(m, str) and m in MARKETPLACES for m in marketplace_ids
    ):
        raise invalid("marketplaceIds must be a list of known marketplace ids")
    return Seller(seller_id, name, tuple(dict.fromkeys(marketplace_ids)))


def seller_password(body: object) -> str | None:
    """The consent-page password a seller body may carry; checked before the seller is stored."""
    password = body.get("password") if isinstance(body, Mapping) else None
    if password is not None and (not isinstance(password, str) or len(password) < PASSWORD_MIN):
        raise invalid(f"password must be a string of at least {PASSWORD_MIN} characters")
    return password


def order(amazon_order_id: str, body: object) -> Order:
    """An order document; its AmazonOrderId, when given, must be the one in the path."""
    if isinstance(body, Mapping):
        body = {"AmazonOrderId": amazon_order_id, **body}
        if body["AmazonOrderId"] != amazon_order_id:
            raise invalid("AmazonOrderId in the body differs from the one in the path")
    try:
        return order_from_document(body)
    except InvalidOrder as exc:
        raise invalid(str(exc)) from exc


def access_token_request(body: object) -> TokenRequest:
    fields = _object(body)
    seller_id = identifier(fields.get("sellerId"), "sellerId")
    application_id = identifier(fields.get("applicationId"), "applicationId")
    return TokenRequest(seller_id, application_id, _roles(fields))


def usage_plan(key: BucketKey, body: object) -> UsagePlan:
    identifier(key.seller_id, "sellerId")
    identifier(key.application_id, "applicationId")
    known_operation(key.operation)
    fields = _object(body)
    rate, burst = fields.get("rate"), fields.get("burst")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not MIN_RATE <= rate <= MAX_RATE:
        raise invalid(f"rate must be a number of requests per second from {MIN_RATE} to {MAX_RATE}")
    if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= MAX_BURST:
        raise invalid(f"burst must be a whole number from 1 to {MAX_BURST}")
    return UsagePlan(float(rate), burst)


def _redirect_uris(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise invalid("redirectUris must be a list of absolute http(s) URLs")
    for uri in value:
        if len(uri) > MAX_URI or not _REDIRECT_URI.fullmatch(uri):
            raise invalid(f"redirect URI {uri[:80]!r} must be an absolute http(s) URL without a fragment")
    return tuple(value)


def application(body: object) -> NewApplication:
    fields = _object(body)
    name = _name(fields.get("name"))
    roles = _roles(fields)
    return NewApplication(name, frozenset(roles), _redirect_uris(fields.get("redirectUris", [])))


def application_state(body: object) -> str:
    state = body.get("state") if isinstance(body, Mapping) else None
    if not isinstance(state, str) or state not in STATES:
        raise invalid("state must be active or suspended")
    return state


def authorization(body: object) -> tuple[str, str]:
    """The (sellerId, applicationId) a seller authorization names."""
    fields = _object(body)
    return identifier(fields.get("sellerId"), "sellerId"), identifier(fields.get("applicationId"), "applicationId")
