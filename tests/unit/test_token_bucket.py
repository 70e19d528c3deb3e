"""The in-process bucket against a reference model in exact rational arithmetic, on random schedules."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from solicitations.adapters.ratelimit.memory import InProcessBuckets
from solicitations.domain.usage_plans import BucketKey, UsagePlan

KEY = BucketKey("A1SELLER", "amzn1.sp.solution.app", "getSolicitationActionsForOrder")


def reference_admitted(rate: Fraction, burst: int, times_us: list[int]) -> list[bool]:
    """A token bucket as the usage-plan guide defines it: starts full, refills continuously, one token a request."""
    level = Fraction(burst)
    last = times_us[0] if times_us else 0
    admitted = []
    for t in times_us:
        level = min(Fraction(burst), level + Fraction(t - last, 10**6) * rate)
        last = t
        if level >= 1:
            level -= 1
            admitted.append(True)
        else:
            admitted.append(False)
    return admitted


def run_bucket(plan: UsagePlan, times_us: list[int]) -> list[bool]:
    clock = iter(times_us)
    buckets = InProcessBuckets(clock_us=lambda: next(clock))
    return [buckets.take_now(KEY, plan).admitted for _ in times_us]


rates = st.integers(min_value=1, max_value=50_000_000).map(lambda micro: Fraction(micro, 10**6))
gaps = st.lists(
    st.one_of(st.just(0), st.integers(0, 2_000), st.integers(0, 2_000_000), st.integers(0, 60_000_000)),
    min_size=1,
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(rate=rates, burst=st.integers(1, 50), gaps=gaps, start=st.integers(0, 10**12))
def test_every_decision_matches_the_reference_model(rate: Fraction, burst: int, gaps: list[int], start: int) -> None:
    times = []
    t = start
    for gap in gaps:
        t += gap
        times.append(t)
    plan = UsagePlan(float(rate), burst)
    assert plan.rate_micro == rate * 10**6
    got = run_bucket(plan, times)
    expected = reference_admitted(rate, burst, times)
    assert got == expected
    assert sum(got) == sum(expected)


def test_a_burst_admits_exactly_burst_then_one_per_interval() -> None:
    plan = UsagePlan(1.0, 5)
    times = [0] * 50 + [999_999, 1_000_000, 1_000_001, 2_000_000]
    assert run_bucket(plan, times) == [True] * 5 + [False] * 45 + [False, True, False, True]


def test_a_refused_request_says_how_long_until_the_next_token() -> None:
    clock = iter([0] * 6)
    buckets = InProcessBuckets(clock_us=lambda: next(clock))
    plan = UsagePlan(0.5, 5)
    for _ in range(5):
        assert buckets.take_now(KEY, plan).admitted
    refusal = buckets.take_now(KEY, plan)
    assert not refusal.admitted
    assert refusal.retry_after == 2.0


def test_buckets_are_kept_apart_by_seller_application_and_operation() -> None:
    buckets = InProcessBuckets(clock_us=lambda: 0)
    plan = UsagePlan(1.0, 1)
    keys = [
        KEY,
        BucketKey("A2OTHER", KEY.application_id, KEY.operation),
        BucketKey(KEY.seller_id, "amzn1.sp.solution.other", KEY.operation),
        BucketKey(KEY.seller_id, KEY.application_id, "createProductReviewAndSellerFeedbackSolicitation"),
    ]
    assert [buckets.take_now(k, plan).admitted for k in keys] == [True] * 4
    assert [buckets.take_now(k, plan).admitted for k in keys] == [False] * 4
