"""The emulator's clock: an offset over its base clock that only grows."""

from datetime import timedelta

import pytest

from helpers import T0, Clock
from solicitations.adapters.movable_clock import MovableClock, TimeGoesForward


def test_it_follows_its_base_until_moved_then_keeps_the_lead() -> None:
    base = Clock()
    clock = MovableClock(base)
    assert clock() == T0
    assert clock.offset_us() == 0
    assert clock.advance(timedelta(days=3)) == T0 + timedelta(days=3)
    base.advance(timedelta(seconds=5))  # wall time flows on under the jump
    assert clock() == T0 + timedelta(days=3, seconds=5)
    assert clock.offset_us() == 3 * 86_400 * 10**6


def test_it_moves_to_an_instant_not_before_now() -> None:
    clock = MovableClock(Clock())
    assert clock.move_to(T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)
    assert clock.move_to(T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)  # standing still is allowed
    with pytest.raises(TimeGoesForward):
        clock.move_to(T0)
    with pytest.raises(TimeGoesForward):
        clock.advance(timedelta(microseconds=-1))
    assert clock() == T0 + timedelta(hours=1)
