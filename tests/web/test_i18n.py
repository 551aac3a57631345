"""Every text the console shows has its Spanish version (the default language)."""

from __future__ import annotations

import re
from pathlib import Path

from intake.domain.events import EventKind
from intake.domain.lifecycle import TicketStatus
from web.console.ticket import ACTIONS
from web.i18n import SPANISH, translate

WEB = Path(__file__).resolve().parents[2] / "web"
LITERAL = re.compile(r"""_\((["'])(.+?)\1\)""")
ACTION_LABELS = re.compile(r'\("\w+", "([^"]+)", "([^"]*)"\)')
FLASHED = re.compile(r'flash\("([^"]+)"')


def shown_texts() -> set[str]:
    found: set[str] = set()
    for template in WEB.glob("templates/**/*.html"):
        source = template.read_text(encoding="utf-8")
        found |= {text for _, text in LITERAL.findall(source)}
        found |= {text for pair in ACTION_LABELS.findall(source) for text in pair if text}
    for module in WEB.glob("**/*.py"):
        found |= set(FLASHED.findall(module.read_text(encoding="utf-8")))
    found |= {done for _, _, done in ACTIONS.values()}
    return found


def test_every_literal_text_has_a_spanish_version() -> None:
    texts = shown_texts()
    assert len(texts) > 60
    assert sorted(t for t in texts if t not in SPANISH) == []


def test_stored_values_shown_to_agents_have_a_spanish_version() -> None:
    values = {s.value for s in TicketStatus} | {k.value for k in EventKind}
    values |= {"incident", "request", "waiting_customer", "validation", "contingency"}
    values |= {"queued", "sent", "delivered", "read", "failed", "undelivered", "pending", "stored", "refused"}
    assert sorted(v for v in values if v not in SPANISH) == []


def test_english_is_the_source_and_unknown_languages_fall_back_to_it() -> None:
    assert translate("Queue", "es") == "Cola"
    assert translate("Queue", "en") == "Queue"
    assert translate("no such text", "es") == "no such text"
