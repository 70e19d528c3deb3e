"""Usage plans: the rate and burst of each operation's token bucket (Amazon's published defaults)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UsagePlan:
    rate: float  # tokens added per second
    burst: int  # bucket capacity

    def header_value(self) -> str:
        """`x-amzn-RateLimit-Limit`: the rate as a decimal string, e.g. `1.0`, `0.5`, `0.0167`."""
        return repr(float(self.rate))


GET_ACTIONS = "getSolicitationActionsForOrder"
CREATE_REVIEW_SOLICITATION = "createProductReviewAndSellerFeedbackSolicitation"

DEFAULT_PLANS: dict[str, UsagePlan] = {
    GET_ACTIONS: UsagePlan(rate=1.0, burst=5),
    CREATE_REVIEW_SOLICITATION: UsagePlan(rate=1.0, burst=5),
}

# Statuses on which the rate-limit header is returned (model: deprecated for 413, 415, 429, 500, 503;
# not declared for 403).
RATE_LIMIT_HEADER_STATUSES = frozenset({200, 201, 400, 404})
