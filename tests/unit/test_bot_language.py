"""Language of a new e-mail (es/en/pt) from real fixture texts; Spanish when unsure."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language import guess_language
from channels.email_in import parse_mail, reply_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"


def words_of(name: str) -> str:
    mail = parse_mail((FIXTURES / name).read_bytes())
    return f"{mail.subject}\n{reply_text(mail.text)}"


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        ("html_only.eml", "es"),
        ("multipart_attachments.eml", "es"),
        ("gmail_reply_es.eml", "es"),
        ("new_mail_en.eml", "en"),
        ("gmail_reply_en.eml", "en"),
        ("rfc2047_subject.eml", "pt"),
        ("outlook_reply_pt.eml", "pt"),
    ],
)
def test_fixture_mails_are_recognised(name: str, lang: str) -> None:
    assert guess_language(words_of(name)) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("No podemos emitir la factura electrónica, el sistema muestra un error", "es"),
        ("The report is not loading and we cannot close the month", "en"),
        ("Não conseguimos emitir a nota fiscal, o sistema está com erro", "pt"),
        ("", "es"),
        ("Factura 123 / SII", "es"),  # nothing telling: the default
        ("ok", "es"),
    ],
)
def test_short_texts_and_the_default(text: str, lang: str) -> None:
    assert guess_language(text) == lang


def test_the_default_can_be_chosen() -> None:
    assert guess_language("12345", default="pt") == "pt"
