"""`POST /auth/o2/token`, the Login-with-Amazon token endpoint, in OAuth 2.0's wire format."""

import base64
import binascii
import logging
from urllib.parse import parse_qsl, unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from solicitations.domain import errors
from solicitations.domain.identifiers import MAX_LENGTH, MAX_TOKEN_LENGTH, InvalidIdentifier, identifier
from solicitations.domain.oauth import (
    CHECKS_BUSY,
    INVALID_BODY,
    OAuthError,
    OAuthFailure,
    invalid_grant,
    invalid_parameter,
)
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.requests import read_body
from solicitations.service.identity import IdentityService
from solicitations.service.ports.buckets import BucketsUnavailable
from solicitations.service.ports.secrets import SecretHasherBusy
from solicitations.service.ports.store import StoreUnavailable

log = logging.getLogger("solicitations.oauth")
_MAX_BODY = 64 * 1024
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The fields that name a stored row, with their longest length and the refusal: a client id that breaks the
# rule is a malformed request; a token or code that does, one this server never issued (invalid_grant).
_IDENTIFIERS = {
    "client_id": (MAX_LENGTH, invalid_parameter),
    "refresh_token": (MAX_TOKEN_LENGTH, invalid_grant),
    "code": (MAX_TOKEN_LENGTH, invalid_grant),
}


def _form(body: bytes, content_type: str) -> dict[str, str]:
    """The token request's fields: form-encoded (as LWA documents it) or a JSON object (as LWA also accepts)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise OAuthError(INVALID_BODY) from None
        if not isinstance(decoded, dict):
            raise OAuthError(INVALID_BODY)
        return {k: v for k, v in decoded.items() if isinstance(v, str)}
    if media not in ("application/x-www-form-urlencoded", ""):
        raise OAuthError(INVALID_BODY)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _check_identifiers(form: dict[str, str]) -> None:
    """Each id field sent must meet the identifier rule; missing ones are the grant's to report."""
    for field, (max_length, refusal) in _IDENTIFIERS.items():
        if form.get(field):
            try:
                identifier(form[field], field, max_length)
            except InvalidIdentifier:
                raise refusal(field) from None


def _basic_credentials(header: str) -> dict[str, str]:
    """client_secret_basic (RFC 6749 §2.3.1), for clients that authenticate that way."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return {}
    try:
        client_id, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return {}
    return {"client_id": unquote(client_id), "client_secret": unquote(secret)}


def _oauth_error(failure: OAuthFailure, request_id: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error_description": failure.description, "error": failure.error}
    return rendering.json_response(body, request_id, failure.status, headers={**_NO_STORE, **(headers or {})})


def token_routes(identity: IdentityService) -> list[Route]:
    async def token(request: Request) -> Response:
        request_id = rendering.new_request_id()
        try:
            body = await read_body(request, _MAX_BODY)
            form = _form(bytes(body), request.headers.get("content-type", ""))
            for key, value in _basic_credentials(request.headers.get("authorization", "")).items():
                form.setdefault(key, value)
            _check_identifiers(form)
            grant = await identity.grant(form)
        except errors.ApiError:  # the body is over the limit
            return _oauth_error(OAuthFailure(413, "invalid_request", "The request body is too large"), request_id)
        except OAuthError as error:
            log.info("token request refused", extra={"request_id": request_id, "error": error.failure.error})
            response = _oauth_error(error.failure, request_id)
            if error.failure.status == 401 and request.headers.get("authorization", "").lower().startswith("basic"):
                response.headers["WWW-Authenticate"] = 'Basic realm="auth/o2/token"'  # RFC 6749 §5.2
            return response
        except SecretHasherBusy:
            log.warning("token request refused: secret checks at their limit", extra={"request_id": request_id})
            return _oauth_error(CHECKS_BUSY, request_id, rendering.BUSY_RETRY_AFTER)
        except (StoreUnavailable, BucketsUnavailable):
            failure = OAuthFailure(503, "temporarily_unavailable", "The service is temporarily unavailable")
            return _oauth_error(failure, request_id)
        return rendering.json_response(grant.body(), request_id, headers=_NO_STORE)

    return [Route("/auth/o2/token", token, methods=["POST"])]
