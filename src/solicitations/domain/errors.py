"""Amazon's error catalogue: every failure the API can answer, with its status, code and message.

Messages are copied from observed production responses where one exists (docs/behaviour.md, Errors,
names them); the rest are the model's status texts.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure the client is told about, in Amazon's `{"errors":[{code,message,details}]}` shape."""

    status: int
    code: str
    message: str
    details: str = ""

    def with_details(self, details: str) -> "Failure":
        return Failure(self.status, self.code, self.message, details)


class ApiError(Exception):
    """Raised to answer with a Failure; a fresh instance per raise keeps tracebacks from piling up."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.status, failure.code, failure.message)
        self.failure = failure


INVALID_MARKETPLACE = Failure(400, "InvalidInput", "Missing or invalid request parameters: [marketplaceIds]")
INVALID_JSON = Failure(400, "InvalidInput", "The request body is not valid JSON.")
INVALID_INPUT = Failure(400, "InvalidInput", "Missing or invalid request parameters.")
NOT_AVAILABLE = Failure(403, "Unauthorized", "The requested solicitation is not available for this amazonOrderId.")
OUTSIDE_WINDOW = Failure(
    403,
    "Unauthorized",
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date.",
)
ACCESS_DENIED = Failure(403, "Unauthorized", "Access to requested resource is denied.")
TOKEN_MISSING = ACCESS_DENIED.with_details("Access token is missing in the request header.")
NOT_FOUND = Failure(404, "NotFound", "The resource specified does not exist.")
CONFLICT = Failure(409, "Conflict", "The request conflicts with the resource's current state.")
METHOD_NOT_ALLOWED = Failure(405, "MethodNotAllowed", "The requested method is not allowed for this resource.")
TOO_LARGE = Failure(413, "RequestEntityTooLarge", "The request size exceeded the maximum accepted size.")
UNSUPPORTED_MEDIA = Failure(415, "UnsupportedMediaType", "The request payload is in an unsupported format.")
QUOTA_EXCEEDED = Failure(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
INTERNAL_FAILURE = Failure(500, "InternalFailure", "We encountered an internal error. Please try again.")
SERVICE_UNAVAILABLE = Failure(503, "ServiceUnavailable", "Temporary overloading or maintenance of the server.")
ADMIN_UNAUTHORIZED = Failure(401, "Unauthorized", "The admin token is missing or wrong.")
METRICS_UNAUTHORIZED = Failure(401, "Unauthorized", "The metrics token is missing or wrong.")


def not_found(what: str) -> ApiError:
    """404 for operators (the CLI, /admin/v1): the details name what is missing, e.g. "message 42 not found".

    The Solicitations API raises plain NOT_FOUND instead: its body must stay byte-for-byte Amazon's.
    """
    return ApiError(NOT_FOUND.with_details(f"{what} not found"))
