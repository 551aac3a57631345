"""Every text the customer pages show exists in Spanish and Portuguese (English is the source)."""

from __future__ import annotations

import re
from pathlib import Path

from intake.domain.lifecycle import TicketStatus
from web.i18n import PUBLIC_LANGUAGES, PUBLIC_STRINGS, public_translate
from web.public.views import STATE_WORDS

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates" / "public"
LITERAL = re.compile(r"""\bt\((["'])(.+?)\1\)""")
SHOWN_VALUES = {s.value for s in TicketStatus} | {
    "incident",
    "request",
    "customer_reply",
    "created",
    "validated",
}


def shown_texts() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        found |= {text for _, text in LITERAL.findall(template.read_text(encoding="utf-8"))}
    return found | set(STATE_WORDS.values()) | SHOWN_VALUES | {"Your message was sent.", "too large"}


def test_every_text_of_the_customer_pages_has_spanish_and_portuguese() -> None:
    texts = shown_texts()
    assert len(texts) > 40
    assert sorted(t for t in texts if t not in PUBLIC_STRINGS) == []


def test_translation_picks_the_language() -> None:
    assert PUBLIC_LANGUAGES == ("es", "en", "pt")
    assert public_translate("Send", "es") == "Enviar"
    assert public_translate("History", "pt") == "Histórico"
    assert public_translate("waiting_customer", "en") == "waiting customer"
    assert public_translate("History", "en") == "History"
