"""The buyer's email and opt-out page: every language, its formats, links, headers and escaping."""

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from importlib.resources import files
from io import BytesIO

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from solicitations.adapters.mail.rendering import MailRenderer, reading_locale, sender_domain
from solicitations.domain.orders import Order, OrderItem
from solicitations.service.ports.mail import DeliveryFailed

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PURCHASED = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
RENDERER = MailRenderer("https://reviews.example.com/", "Shop Mail <no-reply@mail.example.com>")
MESSAGE_ID = "<solicitation.0123456789abcdef0123456789abcdef@mail.example.com>"
TOKEN = "tok_abc-123"
ITEMS = (
    OrderItem("B00TEST001", 1234, "SKU-1", "Coffee grinder"),
    OrderItem("B00TEST002", 1, None, None),
)
MARKETPLACE_OF = {
    "en_US": "ATVPDKIKX0DER",
    "en_GB": "A1F83G8C2ARO7P",
    "de_DE": "A1PA6795UKMFR9",
    "fr_FR": "A13V1IB3VIYZZH",
    "it_IT": "APJ6JRA9NG5V4",
    "es_ES": "A1RKKUPIHCS9HS",
    "ja_JP": "A1VC38T7YXB528",
}


def order(locale: str | None = None, marketplace_id: str = "ATVPDKIKX0DER", **fields: object) -> Order:
    values: dict[str, object] = {
        "amazon_order_id": "111-2222222-3333333",
        "seller_id": "S",
        "marketplace_id": marketplace_id,
        "order_status": "Shipped",
        "purchase_date": PURCHASED,
        "buyer_email": "buyer@example.com",
        "buyer_locale": locale,
        "items": ITEMS,
    }
    values.update(fields)
    return Order(**values)  # type: ignore[arg-type]


def render(o: Order, seller: str = "Acme Kitchen") -> EmailMessage:
    """Rendered, flattened and parsed back as a receiver would see it."""
    sent = RENDERER.render(o, seller, MESSAGE_ID, TOKEN, NOW)
    parsed = message_from_bytes(sent.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


# Per locale: a phrase of the text, the subject's start, the purchase date and 1234 as Babel writes them.
LANGUAGES = {
    "en_US": ("Thank you for your order", "Your order from", "November 1, 2026", "1,234"),
    "en_GB": ("Thank you for your order", "Your order from", "1 November 2026", "1,234"),
    "de_DE": ("vielen Dank für Ihre Bestellung", "Ihre Bestellung bei", "1. November 2026", "1.234"),
    "fr_FR": ("Merci pour votre commande", "Votre commande chez", "1 novembre 2026", "1\u202f234"),
    "it_IT": ("grazie per il tuo ordine", "Il tuo ordine da", "1 novembre 2026", "1.234"),
    "es_ES": ("Gracias por tu pedido", "Tu pedido de", "1 de noviembre de 2026", "1.234"),
    "ja_JP": ("ご利用いただき、ありがとうございます", "Acme Kitchen でのご注文", "2026年11月1日", "1,234"),
}


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_each_locale_reads_its_language_with_its_formats(locale: str) -> None:
    phrase, subject, date, number = LANGUAGES[locale]
    message = render(order(locale, MARKETPLACE_OF[locale]))
    text, html = parts(message)
    assert str(message["Subject"]).startswith(subject)
    assert message["Content-Language"] == locale.replace("_", "-")
    for body in (text, html):
        assert phrase in body
        assert date in body
        assert number in body
    assert f'<html lang="{locale.replace("_", "-")}">' in html


def test_without_a_buyer_locale_the_marketplace_decides() -> None:
    text, _ = parts(render(order(None, "A1PA6795UKMFR9")))
    assert "vielen Dank" in text


@pytest.mark.parametrize(("locale", "marketplace"), [("pt_BR", "A2Q3Y263D00KWC"), ("nl_NL", "A1805IZSGTT6HS")])
def test_a_language_without_a_catalog_falls_back_to_english_in_us_formats(locale: str, marketplace: str) -> None:
    message = render(order(locale, marketplace))
    text, _ = parts(message)
    assert "Thank you for your order 111-2222222-3333333 of November 1, 2026 from Acme Kitchen." in text
    assert message["Content-Language"] == "en-US"


def test_a_country_babel_does_not_know_keeps_the_language() -> None:
    assert str(reading_locale("de_XX")) == "de"
    text, _ = parts(render(order("de_XX", "A1PA6795UKMFR9")))
    assert "vielen Dank" in text


def test_every_product_gets_a_review_link_on_the_marketplace_website() -> None:
    text, html = parts(render(order("en_GB", "A1F83G8C2ARO7P")))
    for body in (text, html):
        assert "https://www.amazon.co.uk/review/create-review?asin=B00TEST001" in body
        assert "https://www.amazon.co.uk/review/create-review?asin=B00TEST002" in body
        assert "Coffee grinder" in body
        assert "B00TEST002" in body  # an item without a title is named by its ASIN
        assert "https://www.amazon.co.uk/hz/feedback?orderID=111-2222222-3333333" in body
        assert "Acme Kitchen" in body


def test_an_order_without_items_still_gets_a_message_with_a_general_review_link() -> None:
    text, html = parts(render(order("ja_JP", "A1VC38T7YXB528", items=(), purchase_date=None)))
    for body in (text, html):
        assert "https://www.amazon.co.jp/review/review-your-purchases" in body
        assert "create-review" not in body
        assert "ご利用いただき、ありがとうございます（注文番号 111-2222222-3333333）" in body


def test_headers_make_it_a_one_click_unsubscribable_message_from_us_to_the_buyer() -> None:
    message = render(order())
    assert message["From"] == "Shop Mail <no-reply@mail.example.com>"
    assert message["To"] == "buyer@example.com"
    assert str(message["Message-ID"]).strip() == MESSAGE_ID
    assert message["Date"].datetime == NOW
    assert str(message["List-Unsubscribe"]).strip() == f"<https://reviews.example.com/opt-out/{TOKEN}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text, html = parts(message)
    assert f"https://reviews.example.com/opt-out/{TOKEN}" in text
    assert f'href="https://reviews.example.com/opt-out/{TOKEN}"' in html


def test_names_are_escaped_in_html_and_left_alone_in_text() -> None:
    hostile = (OrderItem("B00TEST003", 1, None, '<script>alert("x")</script>'),)
    text, html = parts(render(order(items=hostile), seller="Bits & <b>Bobs</b>"))
    assert '<script>alert("x")</script>' in text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "Bits &amp; &lt;b&gt;Bobs&lt;/b&gt;" in html


@pytest.mark.parametrize("address", ["no-at-sign", "two@@example.com", "white space@example.com"])
def test_an_address_the_mail_format_cannot_carry_is_a_permanent_failure(address: str) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        RENDERER.render(order(buyer_email=address), "Acme", MESSAGE_ID, TOKEN, NOW)
    assert failed.value.permanent
    assert address not in failed.value.reason


def test_the_english_text_offers_no_incentive_and_asks_for_any_opinion() -> None:
    text, _ = parts(render(order()))
    lowered = text.lower()
    for word in ("free", "discount", "refund", "gift", "coupon", "reward", "positive", "5-star", "five-star"):
        assert word not in lowered
    assert "whatever your experience was" in lowered


@pytest.mark.parametrize(
    ("locale", "ask", "done"),
    [
        ("en_US", "Stop review requests?", "You have opted out"),
        ("de_DE", "Keine Bewertungsanfragen mehr?", "Sie haben sich abgemeldet"),
        ("pt_BR", "Stop review requests?", "You have opted out"),
    ],
)
def test_the_opt_out_page_asks_then_confirms_in_the_buyers_language(locale: str, ask: str, done: str) -> None:
    asking = RENDERER.opt_out_page(locale, done=False)
    assert ask in asking
    assert '<form method="post"' in asking
    confirmed = RENDERER.opt_out_page(locale, done=True)
    assert done in confirmed
    assert "<form" not in confirmed


def test_the_sender_names_the_message_id_domain() -> None:
    assert sender_domain("Solicitations <no-reply@solicitations.invalid>") == "solicitations.invalid"
    assert sender_domain("bare@example.org") == "example.org"
    with pytest.raises(ValueError, match="MAIL_FROM"):
        sender_domain("nobody")


# --- catalogs --------------------------------------------------------------------------------------------------------


def _template_msgids() -> set[str]:
    templates = files("solicitations.adapters.mail").joinpath("templates")
    found: set[str] = set()
    for template in templates.iterdir():
        for _, _, message, _ in babel_extract(BytesIO(template.read_bytes()), ["_"], [], {}):
            found.add(message[0] if isinstance(message, tuple) else message)  # (msgid, None…) with keywords
    return found


@pytest.mark.parametrize("language", ["de", "fr", "it", "es", "ja"])
def test_every_catalog_translates_every_template_string_with_the_same_placeholders(language: str) -> None:
    source = files("solicitations.adapters.mail").joinpath("locale", f"{language}.po").read_bytes()
    catalog = read_po(BytesIO(source), locale=language)
    translated = {m.id: m.string for m in catalog if m.id}
    wanted = _template_msgids()
    assert len(wanted) > 10
    assert wanted == set(translated)
    for msgid, msgstr in translated.items():
        assert msgstr, msgid
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", str(msgstr))), msgid
