"""Business calendars: validation, JSON form, built-in registry, holidays with observed/moved dates."""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from sla.calendar import (
    BusinessCalendar,
    calendar_from_dict,
    format_day_hours,
    parse_day_hours,
    weekly_hours,
)
from sla.calendar_presets import BUILTIN_CALENDARS, DEFAULT_CALENDAR, get_calendar, resolve_calendar


def test_default_calendar_is_the_contract_calendar() -> None:
    cal = BusinessCalendar()
    assert cal == DEFAULT_CALENDAR == get_calendar("default")
    assert cal.timezone == "America/Santiago"
    assert cal.country == "CL"
    assert cal.hours[:5] == (((8 * 60 + 30, 17 * 60 + 30),),) * 5
    assert cal.hours[5:] == ((), ())


def test_parse_day_hours_handles_lunch_breaks_24_00_and_touching_intervals() -> None:
    assert parse_day_hours("08:00-12:00, 14:00-18:00") == ((480, 720), (840, 1080))
    assert parse_day_hours("00:00-24:00") == ((0, 1440),)
    assert parse_day_hours("09:00–13:00") == ((540, 780),)  # en dash accepted
    assert parse_day_hours("08:00-10:00, 10:00-12:00") == ((480, 720),)
    assert parse_day_hours("") == ()
    assert format_day_hours(parse_day_hours("08:00-12:00,14:00-24:00")) == "08:00-12:00, 14:00-24:00"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("8-17", "expected HH:MM-HH:MM"),
        ("17:30-08:30", "must open before it closes"),
        ("09:00-09:00", "must open before it closes"),
        ("08:00-24:30", "bad time"),
        ("08:60-17:00", "bad time"),
        ("12:00-14:00, 08:00-13:00", "sorted and must not overlap"),
        ("08:00-13:00, 12:00-14:00", "sorted and must not overlap"),
    ],
)
def test_bad_opening_hours_are_rejected_with_a_clear_message(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_day_hours(spec)


def test_calendar_validates_zone_country_subdivision_and_week() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'America/Nowhere'"):
        BusinessCalendar(timezone="America/Nowhere")
    with pytest.raises(ValueError, match="country 'ZZ'"):
        BusinessCalendar(country="ZZ")
    with pytest.raises(ValueError, match="unknown subdivision 'XX' for CL"):
        BusinessCalendar(subdivision="XX")
    with pytest.raises(ValueError, match="subdivision needs a country"):
        BusinessCalendar(country=None, subdivision="RM")
    with pytest.raises(ValueError, match="open at some time"):
        BusinessCalendar(hours=((),) * 7)
    with pytest.raises(ValueError, match="exactly seven days"):
        BusinessCalendar(hours=weekly_hours("08:00-17:00")[:5])
    with pytest.raises(ValueError, match="non-empty name"):
        BusinessCalendar(name=" ")


@pytest.mark.parametrize("name", sorted(BUILTIN_CALENDARS))
def test_builtin_calendars_round_trip_through_json(name: str) -> None:
    cal = get_calendar(name)
    assert cal.name == name
    assert calendar_from_dict(cal.to_dict()) == cal


def test_custom_calendar_round_trips_with_subdivision_lunch_and_closures() -> None:
    data = {
        "name": "arica-plan",
        "timezone": "America/Santiago",
        "hours": {"mon": "09:00-13:00, 14:00-18:00", "fri": ["09:00-13:00"], "sat": []},
        "country": "CL",
        "subdivision": "AP",
        "extra_closed": ["2026-12-24", "2026-12-31"],
    }
    cal = calendar_from_dict(data)
    assert cal.hours[0] == ((540, 780), (840, 1080))
    assert cal.hours[1] == ()
    assert cal.hours[4] == ((540, 780),)
    assert cal.extra_closed == {date(2026, 12, 24), date(2026, 12, 31)}
    assert calendar_from_dict(cal.to_dict()) == cal
    assert cal.to_dict()["hours"]["mon"] == "09:00-13:00, 14:00-18:00"


def test_calendar_from_dict_defaults_to_the_contract_calendar() -> None:
    assert calendar_from_dict({}) == DEFAULT_CALENDAR


def test_equal_calendars_share_their_precomputed_timeline() -> None:
    data = {"name": "plan-7", "hours": {"mon": "09:00-18:00"}, "extra_closed": ["2026-05-04"]}
    first, second = calendar_from_dict(data), calendar_from_dict(data)
    assert first == second and first is not second
    assert first.timeline is second.timeline
    assert calendar_from_dict({**data, "name": "plan-8"}).timeline is not first.timeline


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"zone": "UTC"}, "unknown calendar keys: zone"),
        ({"timezone": 5}, "'timezone' must be a string"),
        ({"country": 1}, "'country' must be a string or null"),
        ({"hours": "mon-fri"}, "keyed by mon..sun"),
        ({"hours": {"monday": "08:00-12:00"}}, "unknown weekdays in hours: monday"),
        ({"hours": {"mon": 8}}, "hours for 'mon' must be a string"),
        ({"hours": {"tue": "08:00-25:00"}}, "hours for 'tue': bad time"),
        ({"extra_closed": "2026-12-24"}, "list of ISO dates"),
        ({"extra_closed": ["24/12/2026"]}, "bad date in extra_closed: '24/12/2026'"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_calendar_from_dict_rejects_bad_input(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calendar_from_dict(data)  # type: ignore[arg-type]


def test_registry_lookup_and_plan_resolution() -> None:
    assert {"default", "cl-24x7", "co-bogota", "mx-cdmx"} <= set(BUILTIN_CALENDARS)
    assert get_calendar("co-bogota").tz.key == "America/Bogota"
    with pytest.raises(ValueError, match="unknown calendar 'nope'; known calendars: cl-24x7, "):
        get_calendar("nope")
    custom = {"name": "mx-late", "timezone": "America/Mexico_City", "country": "MX"}
    assert resolve_calendar("default", custom).name == "mx-late"
    assert resolve_calendar("mx-cdmx", None) is get_calendar("mx-cdmx")


@pytest.mark.parametrize("year", range(2020, 2031))
def test_chilean_closed_dates_are_the_packages_holidays_with_observed_dates(year: int) -> None:
    expected = set(holidays.country_holidays("CL", years=year, observed=True))
    assert DEFAULT_CALENDAR.closed_dates(year) == expected


@pytest.mark.parametrize(
    "day",
    [
        date(2022, 9, 16),  # bridge Friday before 18–19 September
        date(2023, 1, 2),  # Monday after New Year on a Sunday
        date(2023, 6, 26),  # Saint Peter and Saint Paul moved to Monday
        date(2023, 10, 9),  # Meeting of Two Worlds moved to Monday
        date(2023, 10, 27),  # Reformation Day moved to Friday
        date(2024, 9, 20),  # bridge Friday after 18–19 September
        date(2024, 6, 20),  # National Indigenous Peoples Day (solstice)
        date(2021, 9, 17),
    ],
)
def test_moved_and_observed_chilean_holidays_are_closed(day: date) -> None:
    assert DEFAULT_CALENDAR.is_holiday(day)


def test_original_dates_of_moved_holidays_stay_open() -> None:
    assert not DEFAULT_CALENDAR.is_holiday(date(2023, 6, 29))
    assert not DEFAULT_CALENDAR.is_holiday(date(2023, 10, 12))


def test_subdivision_and_extra_closed_dates_close_the_calendar() -> None:
    arica = BusinessCalendar(name="arica", subdivision="AP", extra_closed=frozenset({date(2024, 12, 24)}))
    assert arica.is_holiday(date(2024, 6, 7))
    assert not DEFAULT_CALENDAR.is_holiday(date(2024, 6, 7))
    assert arica.is_holiday(date(2024, 12, 24))
    assert not arica.is_holiday(date(2024, 12, 23))
    assert arica.has_holidays
    assert not get_calendar("cl-24x7").has_holidays
