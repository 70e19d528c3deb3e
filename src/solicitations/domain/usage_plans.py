"""Usage plans: each operation's token bucket (rate, burst), and the bucket arithmetic itself.

A bucket holds at most `burst` tokens, refills continuously at `rate` tokens per second, and a request
takes one token or is refused. The arithmetic is exact: time in integer microseconds, levels in integer
units of 1e-12 token, rates in integer micro-tokens per second, so any two implementations (this one,
the Redis script, a reference model) admit exactly the same requests.
"""

from dataclasses import dataclass, field

TOKEN = 10**12  # one token, in level units
MICRO = 10**6


@dataclass(frozen=True, slots=True)
class UsagePlan:
    rate: float  # tokens added per second
    burst: int  # bucket capacity
    rate_micro: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate_micro", round(self.rate * MICRO))

    def header_value(self) -> str:
        """`x-amzn-RateLimit-Limit`: the rate as a decimal string, e.g. `1.0`, `0.5`, `0.0167`."""
        return repr(float(self.rate))


@dataclass(frozen=True, slots=True)
class BucketKey:
    """Whose bucket: one per seller, application and operation (a granted plan is keyed the same way)."""

    seller_id: str
    application_id: str
    operation: str


@dataclass(frozen=True, slots=True)
class Decision:
    admitted: bool
    level: int  # the bucket's level after this request, in level units
    retry_after: float  # seconds until the next token when refused, else 0


GET_ACTIONS = "getSolicitationActionsForOrder"
CREATE_REVIEW_SOLICITATION = "createProductReviewAndSellerFeedbackSolicitation"
GET_ORDERS = "getOrders"
GET_ORDER = "getOrder"
GET_ORDER_ITEMS = "getOrderItems"
GET_ORDER_BUYER_INFO = "getOrderBuyerInfo"
CREATE_RESTRICTED_DATA_TOKEN = "createRestrictedDataToken"

DEFAULT_PLANS: dict[str, UsagePlan] = {
    GET_ACTIONS: UsagePlan(rate=1.0, burst=5),
    CREATE_REVIEW_SOLICITATION: UsagePlan(rate=1.0, burst=5),
    # The Orders API v0 (each operation's description) and the Tokens API 2021-03-01.
    GET_ORDERS: UsagePlan(rate=0.0167, burst=20),
    GET_ORDER: UsagePlan(rate=0.5, burst=30),
    GET_ORDER_ITEMS: UsagePlan(rate=0.5, burst=30),
    GET_ORDER_BUYER_INFO: UsagePlan(rate=0.5, burst=30),
    CREATE_RESTRICTED_DATA_TOKEN: UsagePlan(rate=1.0, burst=10),
}

# Statuses on which the rate-limit header is returned (model: deprecated for 413, 415, 429, 500, 503;
# not declared for 403).
RATE_LIMIT_HEADER_STATUSES = frozenset({200, 201, 400, 404})


def level_at(level: int | None, updated_us: int, now_us: int, plan: UsagePlan) -> int:
    """The bucket's level at `now_us` (None: a new bucket, full). A clock stepping back refills nothing."""
    capacity = plan.burst * TOKEN
    if level is None:
        return capacity
    return min(capacity, level + max(0, now_us - updated_us) * plan.rate_micro)


def take(level: int | None, updated_us: int, now_us: int, plan: UsagePlan) -> Decision:
    """One request against a bucket last written at `updated_us`."""
    current = level_at(level, updated_us, now_us, plan)
    if current >= TOKEN:
        return Decision(True, current - TOKEN, 0.0)
    return refused(current, plan)


def refused(level: int, plan: UsagePlan) -> Decision:
    """A refusal at `level`, with the wait until the bucket holds one token again."""
    wait = (TOKEN - level) / (plan.rate_micro * MICRO) if plan.rate_micro > 0 else float("inf")
    return Decision(False, level, wait)
