"""The outbox rules: backoff, verdicts after a failure, who may be sent to, Message-IDs, opt-out keys."""

import hashlib
import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import T0
from solicitations.domain.messages import (
    MessageState,
    RetryPolicy,
    after_failure,
    before_sending,
    buyer_key,
    message_id,
    redact,
    respecting_opt_outs,
)
from solicitations.domain.orders import Order

POLICY = RetryPolicy(base=timedelta(seconds=1), cap=timedelta(minutes=10), max_attempts=12)


def order(**fields: object) -> Order:
    values: dict[str, object] = {
        "amazon_order_id": "111-0000000-0000001",
        "seller_id": "S",
        "marketplace_id": "ATVPDKIKX0DER",
        "order_status": "Shipped",
        "buyer_email": "buyer@example.com",
    }
    values.update(fields)
    return Order(**values)  # type: ignore[arg-type]


# --- backoff ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 1), (2, 2), (3, 4), (4, 8), (9, 256), (10, 512), (11, 600), (12, 600)]
)
def test_the_ceiling_doubles_from_the_base_up_to_the_cap(attempt: int, ceiling: float) -> None:
    assert POLICY.delay(attempt, 0.0) == timedelta(0)
    assert POLICY.delay(attempt, 0.5) == timedelta(seconds=ceiling / 2)
    assert POLICY.delay(attempt, 0.999999) < timedelta(seconds=ceiling)
    assert POLICY.delay(attempt, 0.999999) > timedelta(seconds=ceiling * 0.99)


@given(
    attempt=st.integers(min_value=1, max_value=10_000), draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
)
def test_full_jitter_stays_between_zero_and_the_ceiling(attempt: int, draw: float) -> None:
    delay = POLICY.delay(attempt, draw)
    assert timedelta(0) <= delay <= min(POLICY.cap, POLICY.base * 2 ** min(attempt - 1, 20))


def test_a_transient_failure_is_retried_after_the_drawn_delay() -> None:
    verdict = after_failure(POLICY, 3, permanent=False, reason="421 try later", now=T0, draw=0.25)
    assert verdict.state is MessageState.PENDING
    assert verdict.due_at == T0 + timedelta(seconds=1)  # 0.25 * 4 s
    assert verdict.reason == "421 try later"


def test_a_permanent_failure_is_dead_at_once() -> None:
    verdict = after_failure(POLICY, 1, permanent=True, reason="550 no such user", now=T0, draw=0.5)
    assert (verdict.state, verdict.due_at, verdict.reason) == (MessageState.DEAD, None, "550 no such user")


def test_the_last_allowed_attempt_failing_is_dead_with_the_count() -> None:
    assert after_failure(POLICY, 11, permanent=False, reason="x", now=T0, draw=0.5).state is MessageState.PENDING
    verdict = after_failure(POLICY, 12, permanent=False, reason="timed out", now=T0, draw=0.5)
    assert verdict.state is MessageState.DEAD
    assert verdict.reason == "gave up after 12 attempts: timed out"


def test_failure_reasons_never_keep_an_address() -> None:
    verdict = after_failure(
        POLICY, 1, permanent=True, reason="550 5.1.1 <Buyer.Name+x@Example.COM>: unknown", now=T0, draw=0
    )
    assert verdict.reason == "550 5.1.1 <<address>>: unknown"


@pytest.mark.parametrize(
    "text",
    ["rcpt buyer@example.com refused", "<a.b@c.de>", "'x@y.z'", "(first@a.io, second@b.io)", "mailto:q@w.e;"],
)
def test_redact_removes_every_address(text: str) -> None:
    assert "@" not in redact(text)


def test_redact_bounds_the_reason() -> None:
    assert len(redact("x" * 5000)) == 500


# --- before sending --------------------------------------------------------------------------------------------------


def test_a_message_for_a_buyer_who_opted_out_is_suppressed() -> None:
    verdict = before_sending(order(buyer_opted_out=True), 1, POLICY)
    assert verdict is not None
    assert verdict.state is MessageState.SUPPRESSED


def test_a_message_without_an_address_is_dead() -> None:
    verdict = before_sending(order(buyer_email=None), 1, POLICY)
    assert verdict is not None
    assert (verdict.state, verdict.reason) == (MessageState.DEAD, "the order has no buyer address")


def test_a_message_abandoned_by_crashed_workers_too_often_is_dead() -> None:
    assert before_sending(order(), POLICY.max_attempts, POLICY) is None
    verdict = before_sending(order(), POLICY.max_attempts + 1, POLICY)
    assert verdict is not None
    assert verdict.state is MessageState.DEAD
    assert verdict.reason == "abandoned by workers 12 times"


def test_an_ordinary_message_may_go() -> None:
    assert before_sending(order(), 1, POLICY) is None


# --- identity ---------------------------------------------------------------------------------------------------------


def test_the_message_id_is_derived_from_the_order_id_alone() -> None:
    expected = hashlib.sha256(b"111-0000000-0000001").hexdigest()[:32]
    assert message_id("111-0000000-0000001", "mail.example") == f"<solicitation.{expected}@mail.example>"
    assert message_id("111-0000000-0000001", "mail.example") == message_id("111-0000000-0000001", "mail.example")
    assert message_id("111-0000000-0000002", "mail.example") != message_id("111-0000000-0000001", "mail.example")


@given(st.text(min_size=1, max_size=64))
def test_every_order_id_gives_a_valid_msg_id(order_id: str) -> None:
    assert re.fullmatch(r"<solicitation\.[0-9a-f]{32}@d\.example>", message_id(order_id, "d.example"))


def test_a_buyer_key_ignores_case_and_surrounding_space() -> None:
    assert buyer_key(" Buyer@Example.COM ") == buyer_key("buyer@example.com")
    assert buyer_key("buyer@example.com") == hashlib.sha256(b"buyer@example.com").hexdigest()
    assert buyer_key("other@example.com") != buyer_key("buyer@example.com")


def test_stored_orders_of_an_opted_out_buyer_stay_opted_out() -> None:
    mine = order(amazon_order_id="1", buyer_email="Me@Example.com")
    theirs = order(amazon_order_id="2", buyer_email="them@example.com")
    anonymous = order(amazon_order_id="3", buyer_email=None)
    stored = respecting_opt_outs([mine, theirs, anonymous], {buyer_key("me@example.com")})
    assert [o.buyer_opted_out for o in stored] == [True, False, False]
    assert stored[1] is theirs
