"""Every customer-facing text exists in es/en/pt with the same placeholders; buttons fit."""

from __future__ import annotations

import pytest

from bot import texts
from bot.flow import STEPS, option_id
from bot.texts import LANGS, TEXTS, placeholders, supported_lang, text

NOTIFICATIONS = (
    "ticket_registered", "info_requested", "progress", "escalated", "solution_proposed",
    "ticket_closed", "ticket_reopened", "validation_reminder", "auto_closed", "survey_question",
    "survey_reminder", "survey_thanks", "contingency_started", "contingency_ended",
    "file_refused", "file_received", "handoff", "idle_expired", "whatsapp_unreachable",
    "agent_reply",
)


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_key_exists_in_every_language_with_the_same_placeholders(key: str) -> None:
    entry = TEXTS[key]
    assert set(entry) == set(LANGS), key
    assert all(entry[lang].strip() for lang in LANGS)
    assert {placeholders(entry[lang]) for lang in LANGS} == {placeholders(entry["es"])}


@pytest.mark.parametrize("key", NOTIFICATIONS)
def test_the_service_notifications_exist(key: str) -> None:
    assert key in TEXTS


def test_notification_placeholders_the_service_fills() -> None:
    assert placeholders(TEXTS["ticket_registered"]["es"]) == {
        "number", "priority", "response", "resolution"}
    assert placeholders(TEXTS["info_requested"]["es"]) == {"number", "question"}
    assert placeholders(TEXTS["progress"]["es"]) == {"number", "note"}
    assert placeholders(TEXTS["file_refused"]["es"]) == {"filename", "reason"}
    assert placeholders(TEXTS["agent_reply"]["es"]) == {"agent", "message"}
    assert "le mantendremos informado en todo momento" in text(
        "contingency_ended", "es", reason="caída del hosting", number="LA-000001").lower()


def test_text_fills_placeholders_and_falls_back_to_spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    assert text("ticket_closed", "en", number="LA-000001") == (
        "Your ticket LA-000001 was closed. Thank you for trusting us!")
    monkeypatch.setitem(TEXTS, "only_spanish", {"es": "Solo en español {x}"})
    assert text("only_spanish", "pt", x="!") == "Solo en español !"
    assert text("only_spanish", "xx", x="?") == "Solo en español ?"


def test_missing_placeholder_is_an_error_naming_it() -> None:
    with pytest.raises(KeyError, match="number"):
        text("ticket_closed", "es")


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        text("no_such_text", "es")


@pytest.mark.parametrize(("code", "lang"), [
    ("es", "es"), ("en-US", "en"), ("pt-BR", "pt"), ("PT_br", "pt"), ("fr", None), (None, None),
    ("", None)])
def test_supported_lang(code: str | None, lang: str | None) -> None:
    assert supported_lang(code) == lang


@pytest.mark.parametrize("lang", LANGS)
def test_option_titles_fit_whatsapp_buttons_and_ids_fit_telegram(lang: str) -> None:
    for step in STEPS:
        for choice in step.choices:
            title = text(choice.title, lang)
            assert 0 < len(title) <= 20, (step.name, title)
            assert len(option_id(step.name, choice.id).encode()) <= 64


def test_every_step_prompt_and_option_title_is_a_text() -> None:
    used = {s.prompt for s in STEPS if s.prompt} | {c.title for s in STEPS for c in s.choices}
    assert used <= set(TEXTS)


def test_texts_for_resolves_every_key() -> None:
    assert set(texts.texts_for("pt")) == set(TEXTS)
