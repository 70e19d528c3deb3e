"""The buyer's email and the opt-out page, rendered from Jinja2 templates in the buyer's language.

Texts live in gettext catalogs (`locale/<language>.po`, msgids in English); dates and numbers are
formatted by Babel for the buyer's full locale. A language without a catalog reads English, formatted
as en_US, so no email mixes two languages.
"""

import gettext
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from importlib.resources import files
from io import BytesIO
from typing import Any
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.messages import OPT_OUT_PATH
from solicitations.domain.orders import Order
from solicitations.service.ports.mail import DeliveryFailed

TRANSLATED = frozenset({"de", "fr", "it", "es", "ja"})
FALLBACK_LOCALE = "en_US"


def sender_domain(sender: str) -> str:
    """The domain of the From address (`Name <local@domain>`), which also names our Message-IDs."""
    _, address = parseaddr(sender)
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"SOLICITATIONS_MAIL_FROM is not an address: {sender!r}")
    return domain


def reading_locale(locale: str) -> Locale:
    """The locale the buyer reads the email in: theirs when we speak their language, else en_US."""
    language = locale.split("_", 1)[0]
    if language != "en" and language not in TRANSLATED:
        return Locale.parse(FALLBACK_LOCALE)
    try:
        return Locale.parse(locale)
    except (ValueError, UnknownLocaleError):  # a country Babel does not know: the language alone
        return Locale.parse(language)


def _translations(language: str) -> gettext.NullTranslations:
    """The catalog compiled in memory from its .po file, so the package ships only text sources."""
    if language not in TRANSLATED:
        return gettext.NullTranslations()
    source = files("solicitations.adapters.mail").joinpath("locale", f"{language}.po").read_bytes()
    compiled = BytesIO()
    write_mo(compiled, read_po(BytesIO(source), locale=language))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def _environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("solicitations.adapters.mail", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(_translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def _lang_tag(locale: Locale) -> str:
    return f"{locale.language}-{locale.territory}" if locale.territory else locale.language


class MailRenderer:
    """Renders messages and pages; links point at the marketplace's website and at our public URL."""

    def __init__(self, public_url: str, sender: str) -> None:
        self._public_url = public_url.rstrip("/")
        self._sender = sender

    def opt_out_url(self, token: str) -> str:
        return f"{self._public_url}{OPT_OUT_PATH}/{token}"

    def render(
        self, order: Order, seller_name: str, message_id: str, opt_out_token: str, now: datetime
    ) -> EmailMessage:
        """The multipart (text + HTML) email; DeliveryFailed(permanent) when the address cannot be sent to."""
        assert order.buyer_email is not None, "domain.messages.before_sending holds back orders without one"
        try:
            recipient = Address(addr_spec=order.buyer_email)
        except (ValueError, IndexError, HeaderParseError) as exc:  # what the email package's parser raises
            raise DeliveryFailed(f"invalid recipient address ({type(exc).__name__})", permanent=True) from None
        locale = reading_locale(order.locale())
        env = _environment(locale.language)
        opt_out_url = self.opt_out_url(opt_out_token)
        context = self._context(order, seller_name, locale, opt_out_url)
        subject = env.get_template("review_request_subject.txt").render(context).strip()
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self._sender
        message["To"] = recipient
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no replies, no auto-responders
        message["List-Unsubscribe"] = f"<{opt_out_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        message.set_content(env.get_template("review_request.txt").render(context))
        message.add_alternative(
            env.get_template("review_request.html").render(context, subject=subject), subtype="html"
        )
        message["Content-Language"] = context["lang_tag"]  # after the content: set_content clears Content-*
        return message

    def opt_out_page(self, locale: str, *, done: bool) -> str:
        """The confirmation page (done=False: asks, with a form posting back) or the page after opting out."""
        reading = reading_locale(locale)
        return (
            _environment(reading.language).get_template("opt_out.html").render(lang_tag=_lang_tag(reading), done=done)
        )

    @staticmethod
    def _context(order: Order, seller_name: str, locale: Locale, opt_out_url: str) -> dict[str, Any]:
        website = MARKETPLACES[order.marketplace_id].website
        return {
            "lang_tag": _lang_tag(locale),
            "seller": seller_name,
            "order_id": order.amazon_order_id,
            "purchase_date": None
            if order.purchase_date is None
            else format_date(order.purchase_date, format="long", locale=locale),
            "items": [
                {
                    "title": item.title or item.asin,
                    "quantity": format_decimal(item.quantity_ordered, locale=locale),
                    "review_url": f"{website}/review/create-review?asin={item.asin}",
                }
                for item in order.items
            ],
            "reviews_url": f"{website}/review/review-your-purchases",
            "feedback_url": f"{website}/hz/feedback?orderID={quote(order.amazon_order_id, safe='')}",
            "opt_out_url": opt_out_url,
        }
