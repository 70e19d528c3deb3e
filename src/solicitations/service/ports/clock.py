"""Business time."""

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Business time, read only through the clock the composition root owns: now, timezone-aware UTC."""

    def __call__(self) -> datetime: ...
