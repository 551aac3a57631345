"""Deadlines explained in words for customers, in Spanish (default), English and Portuguese.

Day and month names are spelled here, so nothing depends on the machine's locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sla.calendar import BusinessCalendar, DayHours, format_minute
from sla.clock import Deadlines
from sla.timeline import MINUTES_PER_DAY

DeadlineKind = Literal["response", "resolution", "due"]
"""Which deadline: first response, resolution, or a plain budget (``due``)."""


@dataclass(frozen=True, slots=True)
class _Words:
    """The vocabulary of one language."""

    days: tuple[str, ...]
    range_days: tuple[str, ...]
    months: tuple[str, ...]
    deadlines: dict[str, str]
    and_word: str
    to_word: str
    every_day: str
    all_hours: str
    runs_in_hours: str
    runs_always: str
    except_holidays: str
    date_format: str
    year_format: str
    range_prefix: str


_WORDS: dict[str, _Words] = {
    "es": _Words(
        days=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        range_days=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        months=(
            "enero", "febrero", "marzo", "abril", "mayo", "junio",
            "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
        ),
        deadlines={
            "response": "respuesta antes del {when}",
            "resolution": "solución antes del {when}",
            "due": "plazo hasta el {when}",
        },
        and_word="y",
        to_word="a",
        every_day="todos los días",
        all_hours="las 24 horas",
        runs_in_hours="el plazo corre en horario hábil, {hours}",
        runs_always="el plazo corre {hours}",
        except_holidays=", excepto feriados",
        date_format="{weekday} {day} de {month}{year} {clock}",
        year_format=" de {year}",
        range_prefix="",
    ),
    "en": _Words(
        days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        range_days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        months=(
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ),
        deadlines={
            "response": "response by {when}",
            "resolution": "resolution by {when}",
            "due": "due by {when}",
        },
        and_word="and",
        to_word="to",
        every_day="every day",
        all_hours="24 hours a day",
        runs_in_hours="the clock runs during business hours, {hours}",
        runs_always="the clock runs {hours}",
        except_holidays=", except public holidays",
        date_format="{weekday} {day} {month}{year} {clock}",
        year_format=" {year}",
        range_prefix="",
    ),
    "pt": _Words(
        days=(
            "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
            "sábado", "domingo",
        ),
        range_days=("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"),
        months=(
            "janeiro", "fevereiro", "março", "abril", "maio", "junho",
            "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
        ),
        deadlines={
            "response": "resposta até {when}",
            "resolution": "solução até {when}",
            "due": "prazo até {when}",
        },
        and_word="e",
        to_word="a",
        every_day="todos os dias",
        all_hours="24 horas por dia",
        runs_in_hours="o prazo corre em horário comercial, {hours}",
        runs_always="o prazo corre {hours}",
        except_holidays=", exceto feriados",
        date_format="{weekday}, {day} de {month}{year}, {clock}",
        year_format=" de {year}",
        range_prefix="de ",
    ),
}  # fmt: skip

_FULL_DAY: DayHours = ((0, MINUTES_PER_DAY),)


def _words(lang: str) -> _Words:
    """Vocabulary for a language tag such as ``es``, ``pt-BR`` or ``en_US``; Spanish otherwise."""
    return _WORDS.get(lang.lower().replace("_", "-").split("-")[0], _WORDS["es"])


def format_local(cal: BusinessCalendar, instant: datetime, lang: str = "es", with_year: bool = False) -> str:
    """An instant in the calendar's local time, e.g. ``lunes 2 de marzo 09:00``."""
    words = _words(lang)
    local = instant.astimezone(cal.tz)
    return words.date_format.format(
        weekday=words.days[local.weekday()],
        day=local.day,
        month=words.months[local.month - 1],
        year=words.year_format.format(year=local.year) if with_year else "",
        clock=f"{local.hour:02d}:{local.minute:02d}",
    )


def describe_hours(cal: BusinessCalendar, lang: str = "es") -> str:
    """The calendar's opening hours in words, e.g. ``lunes a viernes 08:30–17:30, excepto feriados``."""
    words = _words(lang)
    groups: dict[DayHours, list[int]] = {}
    for weekday, day in enumerate(cal.hours):
        if day:
            groups.setdefault(day, []).append(weekday)
    parts = [_describe_group(words, days, hours) for hours, days in groups.items()]
    holidays = words.except_holidays if cal.has_holidays else ""
    return ", ".join(parts) + holidays


def describe_clock(cal: BusinessCalendar, lang: str = "es") -> str:
    """How the clock runs, e.g. ``el plazo corre en horario hábil, lunes a viernes 08:30–17:30, ...``."""
    words = _words(lang)
    template = words.runs_always if _always_open(cal) else words.runs_in_hours
    return template.format(hours=describe_hours(cal, lang))


def explain_deadline(
    cal: BusinessCalendar,
    due: datetime,
    kind: DeadlineKind = "response",
    lang: str = "es",
    reference: datetime | None = None,
) -> str:
    """One deadline in words plus how the clock runs; the year is shown when it differs from reference."""
    return f"{deadline_phrase(cal, due, kind, lang, reference)}; {describe_clock(cal, lang)}"


def explain_deadlines(
    cal: BusinessCalendar, deadlines: Deadlines, lang: str = "es", reference: datetime | None = None
) -> str:
    """Both deadlines of a ticket in words plus how the clock runs."""
    words = _words(lang)
    response = deadline_phrase(cal, deadlines.response_due, "response", lang, reference)
    resolution = deadline_phrase(cal, deadlines.resolution_due, "resolution", lang, reference)
    return f"{response} {words.and_word} {resolution}; {describe_clock(cal, lang)}"


def deadline_phrase(
    cal: BusinessCalendar,
    due: datetime,
    kind: DeadlineKind = "response",
    lang: str = "es",
    reference: datetime | None = None,
) -> str:
    """The deadline alone, e.g. ``respuesta antes del lunes 2 de marzo 09:00`` (year if not reference's)."""
    words = _words(lang)
    with_year = reference is not None and (reference.astimezone(cal.tz).year != due.astimezone(cal.tz).year)
    when = format_local(cal, due, lang, with_year)
    return words.deadlines[kind].format(when=when)


def _always_open(cal: BusinessCalendar) -> bool:
    """Open 24 hours on every day of the week."""
    return all(day == _FULL_DAY for day in cal.hours)


def _describe_group(words: _Words, days: list[int], hours: DayHours) -> str:
    """E.g. ``lunes a viernes 08:30–17:30``, ``sábado las 24 horas``, ``todos los días, las 24 horas``."""
    if hours == _FULL_DAY:
        if len(days) == 7:
            return f"{words.every_day}, {words.all_hours}"
        return f"{_describe_days(words, days)} {words.all_hours}"
    day_text = words.every_day if len(days) == 7 else _describe_days(words, days)
    spans = [f"{format_minute(a)}–{format_minute(b)}" for a, b in hours]
    return f"{day_text} {_join(words, spans)}"


def _describe_days(words: _Words, days: list[int]) -> str:
    """Consecutive weekdays as ranges (``lunes a viernes``), others listed (``lunes y miércoles``)."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    items: list[str] = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"{words.range_days[run[0]]} {words.to_word} {words.range_days[run[-1]]}")
        else:
            items.extend(words.days[day] if len(days) == 1 else words.range_days[day] for day in run)
    text = _join(words, items)
    return words.range_prefix + text if len(runs[0]) >= 3 else text


def _join(words: _Words, items: list[str]) -> str:
    """``a``, ``a y b``, ``a, b y c``."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {words.and_word} {items[-1]}"
