"""The transports against a real SMTP server and a real Maildir: what is delivered, and how failures classify."""

import asyncio
import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from helpers import free_port
from smtp_sink import SmtpServer
from solicitations.adapters.mail.transports import MaildirTransport, SmtpTransport, parse_smtp_url
from solicitations.service.ports.mail import DeliveryFailed


def message(to: str = "buyer@example.com") -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Shop <no-reply@shop.example>"
    m["To"] = to
    m["Subject"] = "Wie war's?"
    m["Message-ID"] = "<solicitation.1@shop.example>"
    m["Date"] = datetime(2026, 11, 27, tzinfo=UTC)
    m.set_content("Grüße")
    return m


def send(transport: SmtpTransport | MaildirTransport, m: EmailMessage) -> None:
    asyncio.run(transport.send(m))


def test_smtp_delivers_the_message_as_is(smtp: SmtpServer) -> None:
    send(SmtpTransport(smtp.url, timeout=5), message())
    (received,) = smtp.sink.received()
    assert received["Message-ID"] == "<solicitation.1@shop.example>"
    assert received.get_content().strip() == "Grüße"


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [
        ("550 5.1.1 <buyer@example.com>: User unknown", True),
        ("553 5.1.3 Bad recipient address syntax", True),
        ("451 4.3.0 Try again later", False),
        ("452 4.2.2 Mailbox full", False),
    ],
)
def test_a_refused_recipient_is_permanent_on_5xx_and_transient_on_4xx(
    smtp: SmtpServer, reply: str, permanent: bool
) -> None:
    smtp.sink.refuse["buyer@example.com"] = reply
    with pytest.raises(DeliveryFailed) as failed:
        send(SmtpTransport(smtp.url, timeout=5), message())
    assert failed.value.permanent is permanent
    assert failed.value.reason.startswith(reply[:3])
    assert smtp.sink.received() == []


def test_a_server_that_is_not_there_is_transient() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        send(SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout=2), message())
    assert not failed.value.permanent


def test_the_maildir_gets_one_file_per_message(tmp_path: Path) -> None:
    box = tmp_path / "mail"
    transport = MaildirTransport(box)
    send(transport, message())
    send(transport, message("other@example.com"))
    stored = sorted(str(m["To"]) for m in mailbox.Maildir(box, create=False))
    assert stored == ["buyer@example.com", "other@example.com"]


def test_concurrent_first_sends_into_a_new_maildir_all_land(tmp_path: Path) -> None:
    """The worker sends a batch at once; the first batch into a Maildir that does not exist yet must not race."""

    async def first_batch() -> None:
        for trial in range(20):
            transport = MaildirTransport(tmp_path / f"mail-{trial}")
            await asyncio.gather(*(transport.send(message(f"b{i}@example.com")) for i in range(8)))

    asyncio.run(first_batch())
    for trial in range(20):
        assert len(mailbox.Maildir(tmp_path / f"mail-{trial}", create=False)) == 8


def test_a_maildir_that_cannot_be_written_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DeliveryFailed) as failed:
        send(MaildirTransport(blocker / "mail"), message())
    assert not failed.value.permanent


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, None, None, False, False)),
        ("smtp://u%40x:p%3Aw@mail.example:2525", ("mail.example", 2525, "u@x", "p:w", False, False)),
        ("smtps://mail.example", ("mail.example", 465, None, None, True, False)),
        ("smtp://mail.example?starttls=true", ("mail.example", 587, None, None, False, True)),
        ("smtp://mail.example:25?starttls=false", ("mail.example", 25, None, None, False, False)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    s = parse_smtp_url(url)
    assert (s.hostname, s.port, s.username, s.password, s.implicit_tls, s.starttls) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtps://mail.example?starttls=true"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"SMTP URL|smtps"):
        parse_smtp_url(url)
