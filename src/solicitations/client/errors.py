"""Amazon's errors as exceptions: the HTTP status, Amazon's code and message, and the request id to quote."""

from dataclasses import dataclass

# The 403 messages that say something about the order rather than about the caller (docs/behaviour.md, Errors).
NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
OUTSIDE_WINDOW = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)


@dataclass
class SpApiError(Exception):
    """An SP-API error response: `{"errors":[{"code","message","details"}]}` and `x-amzn-RequestId`."""

    status: int
    code: str
    message: str
    details: str = ""
    request_id: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message} (request id {self.request_id or 'none'})"

    @property
    def retryable(self) -> bool:
        """429 and the 5xx Amazon documents as transient: the same request may succeed later."""
        return self.status in RETRYABLE_STATUSES

    @property
    def about_the_order(self) -> bool:
        """A 403 refusing this order's solicitation (not a refused caller: those stop a whole run)."""
        return self.status == 403 and self.message in (NOT_AVAILABLE, OUTSIDE_WINDOW)


RETRYABLE_STATUSES = frozenset({429, 500, 503})


@dataclass
class LwaError(Exception):
    """Login with Amazon refused the refresh-token exchange (OAuth 2.0 `error` and `error_description`)."""

    status: int
    error: str
    description: str = ""

    def __str__(self) -> str:
        return f"Login with Amazon answered {self.status} {self.error}: {self.description}".rstrip(": ")
