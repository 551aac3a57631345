"""Deadlines explained in words (es, en, pt) from the calendar's actual hours."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sla.calendar import BusinessCalendar, parse_day_hours, weekly_hours
from sla.calendar_presets import DEFAULT_CALENDAR, get_calendar
from sla.clock import deadlines_for
from sla.explain import (
    deadline_phrase,
    describe_clock,
    describe_hours,
    explain_deadline,
    explain_deadlines,
    format_local,
)
from sla.priority import Priority

MONDAY_9 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 09:00 in Santiago


def test_the_contract_example_in_spanish() -> None:
    assert explain_deadline(DEFAULT_CALENDAR, MONDAY_9) == (
        "respuesta antes del lunes 2 de marzo 09:00; el plazo corre en horario hábil, "
        "lunes a viernes 08:30–17:30, excepto feriados"
    )


def test_english_and_portuguese() -> None:
    assert explain_deadline(DEFAULT_CALENDAR, MONDAY_9, "resolution", lang="en") == (
        "resolution by Monday 2 March 09:00; the clock runs during business hours, "
        "Monday to Friday 08:30–17:30, except public holidays"
    )
    assert explain_deadline(DEFAULT_CALENDAR, MONDAY_9, lang="pt-BR") == (
        "resposta até segunda-feira, 2 de março, 09:00; o prazo corre em horário comercial, "
        "de segunda a sexta 08:30–17:30, exceto feriados"
    )


def test_deadline_phrase_alone() -> None:
    assert deadline_phrase(DEFAULT_CALENDAR, MONDAY_9) == "respuesta antes del lunes 2 de marzo 09:00"
    assert deadline_phrase(
        DEFAULT_CALENDAR, MONDAY_9, "resolution", "pt", datetime(2025, 12, 1, tzinfo=UTC)
    ) == ("solução até segunda-feira, 2 de março de 2026, 09:00")


def test_a_plain_budget_is_explained_as_due() -> None:
    assert explain_deadline(DEFAULT_CALENDAR, MONDAY_9, "due").startswith(
        "plazo hasta el lunes 2 de marzo 09:00; "
    )
    assert explain_deadline(DEFAULT_CALENDAR, MONDAY_9, "due", "en").startswith(
        "due by Monday 2 March 09:00; "
    )
    assert explain_deadline(DEFAULT_CALENDAR, MONDAY_9, "due", "pt").startswith("prazo até segunda-feira")


def test_unknown_language_falls_back_to_spanish() -> None:
    assert explain_deadline(DEFAULT_CALENDAR, MONDAY_9, lang="fr") == explain_deadline(
        DEFAULT_CALENDAR, MONDAY_9
    )


@pytest.mark.parametrize(
    ("instant", "lang", "text"),
    [
        (datetime(2026, 9, 16, 20, 30, tzinfo=UTC), "es", "miércoles 16 de septiembre 17:30"),
        (datetime(2026, 2, 7, 13, 5, tzinfo=UTC), "es", "sábado 7 de febrero 10:05"),
        (datetime(2026, 4, 5, 3, 0, tzinfo=UTC), "pt", "sábado, 4 de abril, 23:00"),  # DST -04 already
        (datetime(2026, 12, 3, 12, 0, tzinfo=UTC), "pt", "quinta-feira, 3 de dezembro, 09:00"),
        (datetime(2026, 8, 11, 12, 0, tzinfo=UTC), "en", "Tuesday 11 August 08:00"),
    ],
)
def test_day_and_month_names_without_locale(instant: datetime, lang: str, text: str) -> None:
    assert format_local(DEFAULT_CALENDAR, instant, lang) == text


def test_year_is_shown_when_the_deadline_falls_in_another_year() -> None:
    opened = datetime(2025, 12, 31, 19, 0, tzinfo=UTC)  # 16:00 in Santiago, Wednesday
    deadlines = deadlines_for(DEFAULT_CALENDAR, opened, Priority.P3)
    assert explain_deadlines(DEFAULT_CALENDAR, deadlines, reference=opened) == (
        "respuesta antes del miércoles 31 de diciembre 17:00 y solución antes del martes "
        "6 de enero de 2026 13:00; el plazo corre en horario hábil, lunes a viernes 08:30–17:30, "
        "excepto feriados"
    )
    assert "2026" not in explain_deadlines(DEFAULT_CALENDAR, deadlines)


def test_24x7_lunch_break_and_mixed_weeks_are_described_as_they_are() -> None:
    assert describe_clock(get_calendar("cl-24x7")) == "el plazo corre todos los días, las 24 horas"
    assert describe_clock(get_calendar("cl-24x7"), "en") == "the clock runs every day, 24 hours a day"
    assert describe_clock(get_calendar("cl-24x7"), "pt") == "o prazo corre todos os dias, 24 horas por dia"
    assert describe_hours(get_calendar("co-bogota")) == (
        "lunes a viernes 08:00–12:00 y 14:00–18:00, excepto feriados"
    )
    mixed = BusinessCalendar(
        name="mixed",
        hours=(
            parse_day_hours("09:00-13:00"), (), parse_day_hours("09:00-13:00"), (),
            parse_day_hours("09:00-13:00"), parse_day_hours("10:00-14:00"), parse_day_hours("00:00-24:00"),
        ),
        country=None,
    )  # fmt: skip
    assert (
        describe_hours(mixed)
        == "lunes, miércoles y viernes 09:00–13:00, sábado 10:00–14:00, domingo las 24 horas"
    )
    assert describe_hours(mixed, "en") == (
        "Monday, Wednesday and Friday 09:00–13:00, Saturday 10:00–14:00, Sunday 24 hours a day"
    )
    weekend = BusinessCalendar(name="we", hours=weekly_hours("10:00-14:00", days=[5, 6]), country=None)
    assert describe_hours(weekend, "pt") == "sábado e domingo 10:00–14:00"


def test_extra_closed_dates_alone_mention_holidays() -> None:
    closures = BusinessCalendar(name="c", country=None, extra_closed=frozenset({date(2026, 12, 24)}))
    assert describe_hours(closures).endswith(", excepto feriados")
    assert not describe_hours(BusinessCalendar(name="n", country=None)).endswith("feriados")
