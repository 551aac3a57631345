"""Built-in named calendars that a customer's plan can refer to by name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sla.calendar import BusinessCalendar, calendar_from_dict, weekly_hours

DEFAULT_CALENDAR = BusinessCalendar()
"""The contract's calendar: Monday–Friday 08:30–17:30, America/Santiago, Chilean holidays."""

BUILTIN_CALENDARS: Mapping[str, BusinessCalendar] = MappingProxyType(
    {
        "default": DEFAULT_CALENDAR,
        "cl-24x7": BusinessCalendar(
            name="cl-24x7",
            timezone="America/Santiago",
            hours=weekly_hours("00:00-24:00", days=range(7)),
            country=None,
        ),
        "co-bogota": BusinessCalendar(
            name="co-bogota",
            timezone="America/Bogota",
            hours=weekly_hours("08:00-12:00, 14:00-18:00"),
            country="CO",
        ),
        "mx-cdmx": BusinessCalendar(
            name="mx-cdmx",
            timezone="America/Mexico_City",
            hours=weekly_hours("09:00-18:00"),
            country="MX",
        ),
    }
)


def get_calendar(name: str) -> BusinessCalendar:
    """A built-in calendar by name; ValueError listing the known names otherwise."""
    try:
        return BUILTIN_CALENDARS[name]
    except KeyError:
        known = ", ".join(sorted(BUILTIN_CALENDARS))
        raise ValueError(f"unknown calendar {name!r}; known calendars: {known}") from None


def resolve_calendar(name: str, config: Mapping[str, Any] | None = None) -> BusinessCalendar:
    """A plan's calendar: its stored JSON config when present, else the built-in calendar ``name``."""
    if config:
        return calendar_from_dict(config)
    return get_calendar(name)
