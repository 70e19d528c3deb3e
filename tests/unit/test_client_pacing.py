"""The client's token buckets, backoff and retries, on a fake monotonic clock and httpx's mock transport."""

import random
from collections.abc import Callable

import httpx
import pytest

from solicitations.client import Credentials, RetryPolicy, SellingPartnerClient, SpApiError
from solicitations.client.errors import NOT_AVAILABLE
from solicitations.client.pacing import TokenBucket
from solicitations.domain.usage_plans import UsagePlan

ORDER = "111-1111111-1111111"
US = "ATVPDKIKX0DER"


class FakeTime:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_bucket_keeps_one_token_of_the_burst_in_reserve_then_paces_at_the_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(UsagePlan(rate=20.0, burst=5), t)
    assert [bucket.reserve() for _ in range(4)] == [0.0] * 4
    assert bucket.reserve() == pytest.approx(0.05)
    assert bucket.reserve() == pytest.approx(0.10)  # queued behind the previous reservation


def test_bucket_follows_a_new_rate_and_drains_after_a_429() -> None:
    t = FakeTime()
    bucket = TokenBucket(UsagePlan(rate=1.0, burst=5), t)
    bucket.set_rate(10.0)
    bucket.drain()
    assert bucket.reserve() == pytest.approx(0.1)


def test_backoff_ceilings_double_up_to_the_maximum() -> None:
    policy = RetryPolicy(attempts=8, base_seconds=0.5, max_seconds=4.0)
    assert [policy.ceiling(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def client_for(handler: Callable[[httpx.Request], httpx.Response], t: FakeTime, **kw: object) -> SellingPartnerClient:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|x", "expires_in": 3600, "token_type": "bearer"})
        return handler(request)

    return SellingPartnerClient(
        Credentials("id", "secret", "Atzr|r"),
        endpoint="http://sp.test",
        token_url="http://sp.test/auth/o2/token",
        monotonic=t,
        sleep=t.sleep,
        rng=random.Random(7),
        http=httpx.Client(transport=httpx.MockTransport(route)),
        **kw,  # type: ignore[arg-type]
    )


def actions_body() -> dict[str, object]:
    return {"_links": {"actions": [{"name": "productReviewAndSellerFeedback", "href": "/x"}], "self": {"href": "/y"}}}


def test_the_stated_rate_paces_the_following_calls() -> None:
    t = FakeTime()
    client = client_for(
        lambda r: httpx.Response(200, json=actions_body(), headers={"x-amzn-RateLimit-Limit": "20.0"}), t
    )
    for _ in range(10):
        assert client.get_solicitation_actions_for_order(ORDER, US).offers_review_request
    # 4 tokens at once (one kept in reserve), then one every 1/20 s at the stated rate.
    assert t.now == pytest.approx(6 / 20)


def test_503s_are_retried_with_full_jitter_and_the_call_succeeds() -> None:
    t = FakeTime()
    answers = iter([503, 503, 500, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return httpx.Response(
            status, json=actions_body() if status == 200 else {"errors": [{"code": "X", "message": "m"}]}
        )

    client = client_for(handler, t, retry=RetryPolicy(attempts=5, base_seconds=1.0, max_seconds=8.0))
    assert client.get_solicitation_actions_for_order(ORDER, US).offers_review_request
    assert len(t.sleeps) == 3
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(t.sleeps, [1.0, 2.0, 4.0], strict=True))


def test_retries_are_bounded_and_the_last_error_carries_code_message_and_request_id() -> None:
    t = FakeTime()
    sent = []
    client = client_for(
        lambda r: (
            sent.append(r)
            or httpx.Response(
                429,
                json={"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]},
                headers={"x-amzn-RequestId": "req-1"},
            )
        ),
        t,
        retry=RetryPolicy(attempts=3),
    )
    with pytest.raises(SpApiError) as raised:
        client.get_solicitation_actions_for_order(ORDER, US)
    assert (raised.value.status, raised.value.code, raised.value.request_id) == (429, "QuotaExceeded", "req-1")
    assert len(sent) == 3


def test_a_403_not_available_after_a_lost_answer_means_already_asked() -> None:
    t = FakeTime()
    answers = iter(["lost", 403])

    def handler(request: httpx.Request) -> httpx.Response:
        if next(answers) == "lost":
            raise httpx.ReadTimeout("the answer never came", request=request)
        return httpx.Response(403, json={"errors": [{"code": "Unauthorized", "message": NOT_AVAILABLE, "details": ""}]})

    created = client_for(handler, t).create_product_review_and_seller_feedback_solicitation(ORDER, US)
    assert created.repeated


def test_a_403_not_available_without_a_lost_answer_is_a_refusal() -> None:
    t = FakeTime()
    client = client_for(
        lambda r: httpx.Response(403, json={"errors": [{"code": "Unauthorized", "message": NOT_AVAILABLE}]}), t
    )
    with pytest.raises(SpApiError) as raised:
        client.create_product_review_and_seller_feedback_solicitation(ORDER, US)
    assert raised.value.about_the_order


def test_the_access_token_is_exchanged_once_and_again_shortly_before_it_expires() -> None:
    t = FakeTime()
    exchanges = []

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            exchanges.append(t.now)
            return httpx.Response(200, json={"access_token": f"Atza|{len(exchanges)}", "expires_in": 3600})
        return httpx.Response(200, json=actions_body())

    client = SellingPartnerClient(
        Credentials("id", "secret", "Atzr|r"),
        endpoint="http://sp.test",
        token_url="http://sp.test/auth/o2/token",
        monotonic=t,
        sleep=t.sleep,
        http=httpx.Client(transport=httpx.MockTransport(route)),
    )
    client.get_solicitation_actions_for_order(ORDER, US)
    t.now = 3539.0
    client.get_solicitation_actions_for_order(ORDER, US)
    assert exchanges == [0.0]
    t.now = 3541.0
    client.get_solicitation_actions_for_order(ORDER, US)
    assert exchanges == [0.0, 3541.0]
