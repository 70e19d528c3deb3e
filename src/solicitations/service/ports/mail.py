"""Handing a rendered email on for delivery (SMTP, Maildir)."""

from email.message import EmailMessage
from typing import Protocol


class DeliveryFailed(Exception):
    """A message could not be delivered. Permanent failures are not retried; the reason names no buyer."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message on for delivery, or raise DeliveryFailed."""
        ...
