"""Transports: SMTP through aiosmtplib, or a local Maildir when no SMTP server is configured.

Both raise DeliveryFailed, classified: a refusal the server means for good (5xx, a recipient it rejects)
is permanent; everything else (4xx, refused connections, timeouts) is worth another try.
"""

import asyncio
import mailbox
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from solicitations.service.ports.mail import DeliveryFailed

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpSettings:
    """`smtp://user:pass@host:port` (plain), `smtps://…` (implicit TLS), `smtp://…?starttls=true`."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("the SMTP URL must look like smtp://user:pass@host:port or smtps://host")
    implicit_tls = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["false"])[-1].lower() in _TRUE
    if implicit_tls and starttls:
        raise ValueError("smtps:// already encrypts; drop starttls=true")
    return SmtpSettings(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit_tls else 587 if starttls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit_tls,
        starttls=starttls,
    )


def _is_permanent(code: int) -> bool:
    return 500 <= code <= 599


class SmtpTransport:
    """One connection per message: a refused recipient or a dropped connection spoils nothing else."""

    def __init__(self, url: str, timeout: float) -> None:
        self._settings = parse_smtp_url(url)
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.hostname,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.implicit_tls,
                start_tls=s.starttls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise DeliveryFailed(
                "; ".join(f"{r.code} {r.message}" for r in exc.recipients),
                permanent=all(_is_permanent(code) for code in codes),
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"{exc.code} {exc.message}", permanent=_is_permanent(exc.code)) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", permanent=False) from None


class MaildirTransport:
    """Delivers into a local Maildir (created on first use), so a demo shows real messages without SMTP."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _add(self, message: EmailMessage) -> None:
        # Concurrent first sends would race mailbox.Maildir's own creation (FileExistsError): make the three
        # folders idempotently first, then open it as an existing Maildir.
        for folder in ("tmp", "new", "cur"):
            (self._path / folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        mailbox.Maildir(self._path, create=False).add(message)

    async def send(self, message: EmailMessage) -> None:
        try:
            await asyncio.to_thread(self._add, message)
        except OSError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc.strerror}", permanent=False) from None
