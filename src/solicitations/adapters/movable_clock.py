"""The emulator's clock: business time that tests move forward, shared by every component of one process.

It is an offset over another clock (the wall clock in `serve --emulator`), not a fixed instant: time keeps
flowing at the wall's pace between moves, so access tokens still expire, buckets refill and email retries
fall due as they would, and a jump only adds to that. An offset also keeps `faketime` working (it moves the
base) and is what buckets timed by another clock (monotonic, Redis) can add to follow a jump.
"""

import threading
from datetime import datetime, timedelta

from solicitations.service.ports.clock import Clock

_MICROSECOND = timedelta(microseconds=1)


class TimeGoesForward(ValueError):
    """A move to an instant before now: emulated time, like Amazon's, never runs backwards."""


class MovableClock:
    def __init__(self, base: Clock) -> None:
        self._base = base
        self._offset = timedelta(0)
        self._lock = threading.Lock()  # moves come from the event loop, reads from store threads too

    def __call__(self) -> datetime:
        return self._base() + self._offset

    def offset_us(self) -> int:
        """How far ahead of the base clock business time is, in microseconds (for the buckets)."""
        return self._offset // _MICROSECOND

    def move_to(self, when: datetime) -> datetime:
        """Jump to `when` (timezone-aware), which must not lie before now; returns the new now."""
        with self._lock:
            now = self()
            if when < now:
                raise TimeGoesForward(f"the clock is at {now.isoformat()}; it only moves forward")
            self._offset += when - now
        return self()

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise TimeGoesForward("the clock only moves forward: advance by zero or more")
        with self._lock:
            self._offset += by
        return self()
