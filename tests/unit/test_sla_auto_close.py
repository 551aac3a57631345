"""The moment a proposed solution closes automatically (what the reminder names), and the reminder text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.engine import begin_validation
from bot.state import DialogState
from sla.calendar_presets import get_calendar
from sla.explain import format_local
from sla.followup import auto_close_at, validation_action

SANTIAGO = ZoneInfo("America/Santiago")
CAL = get_calendar("default")


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SANTIAGO).astimezone(UTC)


def test_the_close_moment_is_the_one_validation_action_acts_on() -> None:
    proposed, reminded = at(6, 10), at(9, 10)  # Friday, reminded Monday
    close = auto_close_at(CAL, proposed, reminded, 3)
    assert close == at(11, 10)  # Wednesday: three business days after Friday
    assert validation_action(CAL, proposed, reminded, close - timedelta(seconds=1), 3) is None
    assert validation_action(CAL, proposed, reminded, close, 3) == "close"


def test_a_late_reminder_pushes_the_close_one_business_day_after_it() -> None:
    proposed, reminded = at(6, 10), at(12, 10)  # the sweeper was down until Thursday
    assert auto_close_at(CAL, proposed, reminded, 3) == at(13, 10)


def test_the_reminder_names_the_close_moment_in_the_chat_language() -> None:
    now = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    for lang, expected in (
        ("es", "se cerrará automáticamente el miércoles 11 de marzo 10:00."),
        ("en", "will be closed automatically on Wednesday 11 March 10:00."),
        ("pt", "será fechado automaticamente em quarta-feira, 11 de março, 10:00."),
    ):
        closes = format_local(CAL, at(11, 10), lang)
        turn = begin_validation(DialogState.initial(lang), "LA-000001", "Reindexamos", now,
                                reminder=True, closes_at=closes)
        assert turn.replies[0].text.endswith(expected), turn.replies[0].text
    plain = begin_validation(DialogState.initial("es"), "LA-000001", "Reindexamos", now, reminder=True)
    assert plain.replies[0].text.endswith("el ticket se cerrará automáticamente.")
