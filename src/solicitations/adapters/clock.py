"""The wall clock: the one place that reads it for business time (ruff's banned-api rule keeps it so).

Every use case gets its time from the clock the composition root hands it, so tests, and the emulator,
can set time; durations (`time.perf_counter`, `time.monotonic`) are not business time and stay where needed.
"""

from datetime import UTC, datetime


class SystemClock:
    """Business time from the operating system, always timezone-aware UTC."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)
