"""Login-with-Amazon token endpoint failures, as OAuth 2.0 (RFC 6749 §5.2) error bodies.

Descriptions follow LWA's wording ("The request has an invalid grant parameter : refresh_token").
"""

from dataclasses import dataclass

ACCESS_TOKEN_PREFIX = "Atza"
REFRESH_TOKEN_PREFIX = "Atzr"
CLIENT_ID_PREFIX = "amzn1.application-oa2-client."
CLIENT_SECRET_PREFIX = "amzn1.oa2-cs.v1."
APPLICATION_ID_PREFIX = "amzn1.sp.solution."
# Grantless scopes LWA knows; none of them reaches the Solicitations API.
GRANTLESS_SCOPES = frozenset({"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"})


@dataclass(frozen=True, slots=True)
class OAuthFailure:
    status: int
    error: str
    description: str


class OAuthError(Exception):
    def __init__(self, failure: OAuthFailure) -> None:
        super().__init__(failure.error, failure.description)
        self.failure = failure


def missing(parameter: str) -> OAuthError:
    return OAuthError(
        OAuthFailure(400, "invalid_request", f"The request is missing a required parameter : {parameter}")
    )


def invalid_parameter(parameter: str) -> OAuthError:
    return OAuthError(OAuthFailure(400, "invalid_request", f"The request has an invalid parameter : {parameter}"))


def invalid_grant(parameter: str) -> OAuthError:
    return OAuthError(OAuthFailure(400, "invalid_grant", f"The request has an invalid grant parameter : {parameter}"))


INVALID_CLIENT = OAuthFailure(401, "invalid_client", "Client authentication failed")
UNSUPPORTED_GRANT_TYPE = OAuthFailure(
    400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server"
)
INVALID_SCOPE = OAuthFailure(400, "invalid_scope", "The request has an invalid parameter : scope")
UNAUTHORIZED_CLIENT = OAuthFailure(
    400, "unauthorized_client", "The client is not authorized to request a token using this method"
)
TOO_MANY_FAILURES = OAuthFailure(
    429, "invalid_client", "Too many failed client authentications for this client_id; retry later"
)
INVALID_BODY = OAuthFailure(400, "invalid_request", "The request body must be form-encoded or JSON")
# Every secret-checking thread is busy and enough requests wait already (RFC 6749 §4.1.2.1's error code).
CHECKS_BUSY = OAuthFailure(
    503, "temporarily_unavailable", "Too many client authentications are in progress; retry shortly"
)
