"""Business calendars: time zone, weekly opening hours, public holidays and extra closed dates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from sla.timeline import MINUTES_PER_DAY, Timeline

OpeningInterval = tuple[int, int]
"""Opening interval as minutes of the local day ``[open, close)``; close may be 1440 (24:00)."""

DayHours = tuple[OpeningInterval, ...]
WeeklyHours = tuple[DayHours, ...]
"""Seven DayHours, Monday first."""

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
_DICT_KEYS = frozenset({"name", "timezone", "hours", "country", "subdivision", "extra_closed"})


def parse_day_hours(spec: str) -> DayHours:
    """Parse opening hours such as ``"08:30-13:00, 14:00-17:30"`` (empty string = closed)."""
    if not spec.strip():
        return ()
    intervals: list[OpeningInterval] = []
    for part in spec.split(","):
        match = _INTERVAL_RE.match(part)
        if match is None:
            raise ValueError(f"bad opening interval {part.strip()!r}; expected HH:MM-HH:MM")
        oh, om, ch, cm = (int(g) for g in match.groups())
        if om > 59 or cm > 59 or oh > 23 or ch > 24 or (ch == 24 and cm != 0):
            raise ValueError(f"bad time in opening interval {part.strip()!r}")
        intervals.append((oh * 60 + om, ch * 60 + cm))
    return normalize_day_hours(intervals)


def normalize_day_hours(intervals: Iterable[OpeningInterval]) -> DayHours:
    """Validate one day's intervals (sorted, non-overlapping, within 00:00–24:00), merging touching ones."""
    merged: list[OpeningInterval] = []
    for open_minute, close_minute in intervals:
        if not 0 <= open_minute < close_minute <= MINUTES_PER_DAY:
            raise ValueError(
                f"opening interval {format_minute(open_minute)}-{format_minute(close_minute)}"
                " must open before it closes, within 00:00-24:00"
            )
        if merged and open_minute < merged[-1][1]:
            raise ValueError("opening intervals of a day must be sorted and must not overlap")
        if merged and open_minute == merged[-1][1]:
            merged[-1] = (merged[-1][0], close_minute)
        else:
            merged.append((open_minute, close_minute))
    return tuple(merged)


def format_minute(minute: int) -> str:
    """``HH:MM`` for a minute of the day (1440 gives ``24:00``)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_day_hours(day: DayHours) -> str:
    """The inverse of parse_day_hours."""
    return ", ".join(f"{format_minute(a)}-{format_minute(b)}" for a, b in day)


def weekly_hours(spec: str, days: Iterable[int] = range(5)) -> WeeklyHours:
    """The same opening hours on the given weekdays (0 = Monday), closed on the others."""
    day = parse_day_hours(spec)
    chosen = set(days)
    return tuple(day if weekday in chosen else () for weekday in range(7))


DEFAULT_HOURS: WeeklyHours = weekly_hours("08:30-17:30")
"""Monday to Friday 08:30–17:30, the contract's standard hours."""


@cache
def _supported_countries() -> dict[str, list[str]]:
    """Country codes the holidays package knows, with their subdivisions."""
    return holidays.list_supported_countries()


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A support calendar: IANA time zone, weekly hours, public holidays (observed dates kept), closures."""

    name: str = "default"
    timezone: str = "America/Santiago"
    hours: WeeklyHours = DEFAULT_HOURS
    country: str | None = "CL"
    subdivision: str | None = None
    extra_closed: frozenset[date] = frozenset()
    tz: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    timeline: Timeline = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("a calendar needs a non-empty name")
        object.__setattr__(self, "tz", _zone(self.timezone))
        object.__setattr__(self, "hours", _validated_week(self.hours))
        _check_country(self.country, self.subdivision)
        object.__setattr__(self, "extra_closed", frozenset(self.extra_closed))
        object.__setattr__(self, "timeline", _shared_timeline(self))

    def closed_dates(self, year: int) -> frozenset[date]:
        """Public holidays (with observed/moved dates) and extra closed dates of a year."""
        return _holiday_dates(self.country, self.subdivision, year) | {
            d for d in self.extra_closed if d.year == year
        }

    def is_holiday(self, day: date) -> bool:
        """Whether a local date is a public holiday or an extra closed date."""
        return day in self.closed_dates(day.year)

    @property
    def has_holidays(self) -> bool:
        """Whether holidays or extra closed dates interrupt the weekly hours."""
        return self.country is not None or bool(self.extra_closed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description; calendar_from_dict(cal.to_dict()) == cal."""
        return {
            "name": self.name,
            "timezone": self.timezone,
            "hours": {key: format_day_hours(day) for key, day in zip(WEEKDAY_KEYS, self.hours, strict=True)},
            "country": self.country,
            "subdivision": self.subdivision,
            "extra_closed": sorted(d.isoformat() for d in self.extra_closed),
        }


def calendar_from_dict(data: Mapping[str, Any]) -> BusinessCalendar:
    """Build a calendar from its JSON form (see to_dict); raise ValueError on bad input."""
    if not isinstance(data, Mapping):
        raise ValueError("a calendar must be a JSON object")
    unknown = set(data) - _DICT_KEYS
    if unknown:
        raise ValueError(f"unknown calendar keys: {', '.join(sorted(unknown))}")
    defaults = BusinessCalendar()
    return BusinessCalendar(
        name=_text(data, "name", defaults.name),
        timezone=_text(data, "timezone", defaults.timezone),
        hours=_hours_from_json(data["hours"]) if "hours" in data else defaults.hours,
        country=_optional_text(data, "country", defaults.country),
        subdivision=_optional_text(data, "subdivision", None),
        extra_closed=_dates_from_json(data.get("extra_closed", [])),
    )


def _text(data: Mapping[str, Any], key: str, default: str) -> str:
    """A required-type string field with a default."""
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"calendar {key!r} must be a string")
    return value


def _optional_text(data: Mapping[str, Any], key: str, default: str | None) -> str | None:
    """A string-or-null field with a default."""
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"calendar {key!r} must be a string or null")
    return value


def _hours_from_json(value: Any) -> WeeklyHours:
    """Weekly hours from ``{"mon": "08:30-17:30", "sat": ["09:00-13:00"], ...}`` (missing = closed)."""
    if not isinstance(value, Mapping):
        raise ValueError('calendar "hours" must be an object keyed by mon..sun')
    unknown = set(value) - set(WEEKDAY_KEYS)
    if unknown:
        raise ValueError(f"unknown weekdays in hours: {', '.join(sorted(map(str, unknown)))}")
    week: list[DayHours] = []
    for key in WEEKDAY_KEYS:
        spec = value.get(key, "")
        if isinstance(spec, list) and all(isinstance(item, str) for item in spec):
            spec = ", ".join(spec)
        if not isinstance(spec, str):
            raise ValueError(f"hours for {key!r} must be a string or a list of strings")
        try:
            week.append(parse_day_hours(spec))
        except ValueError as exc:
            raise ValueError(f"hours for {key!r}: {exc}") from None
    return tuple(week)


def _dates_from_json(value: Any) -> frozenset[date]:
    """Extra closed dates from a list of ISO dates."""
    if not isinstance(value, list):
        raise ValueError('calendar "extra_closed" must be a list of ISO dates')
    dates: set[date] = set()
    for item in value:
        try:
            dates.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            raise ValueError(f"bad date in extra_closed: {item!r}; expected YYYY-MM-DD") from None
    return frozenset(dates)


def _zone(name: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name, or ValueError."""
    if not isinstance(name, str) or not name:
        raise ValueError("calendar timezone must be an IANA name such as America/Santiago")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _validated_week(hours: WeeklyHours) -> WeeklyHours:
    """Check seven valid days with some opening time in the week."""
    if len(hours) != 7:
        raise ValueError("weekly hours need exactly seven days, Monday first")
    week = tuple(normalize_day_hours(day) for day in hours)
    if not any(week):
        raise ValueError("a calendar must be open at some time of the week")
    return week


def _check_country(country: str | None, subdivision: str | None) -> None:
    """Check the country and subdivision against the holidays package."""
    if country is None:
        if subdivision is not None:
            raise ValueError("a subdivision needs a country")
        return
    supported = _supported_countries()
    if country not in supported:
        raise ValueError(f"country {country!r} has no public holidays in the holidays package")
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "none"
        raise ValueError(f"unknown subdivision {subdivision!r} for {country}; known: {known}")


@cache
def _holiday_dates(country: str | None, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of a year, observed/moved dates included (observed is never disabled)."""
    if country is None:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


@lru_cache(maxsize=256)
def _shared_timeline(cal: BusinessCalendar) -> Timeline:
    """One timeline (and its per-year index) for all equal calendars, e.g. rebuilt from a plan's JSON."""
    return Timeline(cal.tz, cal.hours, cal.closed_dates)
