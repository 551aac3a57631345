"""Hand-written edge cases of business time: edges of the day, weekends, holidays, DST, day budgets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sla.calendar import BusinessCalendar, parse_day_hours, weekly_hours
from sla.calendar_presets import DEFAULT_CALENDAR, get_calendar
from sla.clock import (
    Deadlines,
    OpenPauseError,
    add_business_time,
    budget_minutes,
    business_minutes_between,
    deadlines_for,
    is_open,
    next_opening,
    recompute_deadlines,
)
from sla.priority import DEFAULT_TARGETS, Budget, Priority, Target
from sla.windows import Pause

CAL = DEFAULT_CALENDAR
SCL = CAL.tz
TWENTY_FOUR_SEVEN = get_calendar("cl-24x7")
BOGOTA = get_calendar("co-bogota")


def scl(*fields: int, fold: int = 0) -> datetime:
    """An aware Santiago datetime from (year, month, day[, hour, minute, second, microsecond])."""
    return datetime(*fields, tzinfo=SCL, fold=fold)  # type: ignore[arg-type, misc]


def add_minutes(start: datetime, minutes: int, cal: BusinessCalendar = CAL) -> datetime:
    """The deadline of a budget in minutes, in the calendar's local time."""
    return add_business_time(cal, start, Budget(minutes=minutes)).astimezone(cal.tz)


def add_days(start: datetime, days: int, cal: BusinessCalendar = CAL) -> datetime:
    """The deadline of a budget in business days, in the calendar's local time."""
    return add_business_time(cal, start, Budget(business_days=days)).astimezone(cal.tz)


# --- edges of the business day (Monday 2 March 2026) -------------------------------------------


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ((8, 29, 59), scl(2026, 3, 2, 9, 0)),
        ((8, 30, 0), scl(2026, 3, 2, 9, 0)),
        ((17, 0, 0), scl(2026, 3, 2, 17, 30)),  # exactly used up at closing: 17:30, not 08:30 next day
        ((17, 29, 59), scl(2026, 3, 3, 8, 59, 59)),
        ((17, 30, 0), scl(2026, 3, 3, 9, 0)),
    ],
)
def test_thirty_minutes_from_the_edges_of_the_day(clock: tuple[int, int, int], expected: datetime) -> None:
    assert add_minutes(scl(2026, 3, 2, *clock), 30) == expected


def test_opening_and_closing_instants() -> None:
    assert not is_open(CAL, scl(2026, 3, 2, 8, 29, 59))
    assert is_open(CAL, scl(2026, 3, 2, 8, 30))
    assert is_open(CAL, scl(2026, 3, 2, 17, 29, 59, 999999))
    assert not is_open(CAL, scl(2026, 3, 2, 17, 30))
    assert next_opening(CAL, scl(2026, 3, 2, 17, 30)) == scl(2026, 3, 3, 8, 30)
    assert next_opening(CAL, scl(2026, 3, 2, 10, 0)) == scl(2026, 3, 2, 10, 0)


def test_results_are_utc_and_naive_datetimes_are_rejected() -> None:
    due = add_business_time(CAL, scl(2026, 3, 2, 9, 0), Budget(minutes=30))
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive datetime"):
        add_business_time(CAL, datetime(2026, 3, 2, 9, 0), Budget(minutes=30))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive datetime"):
        business_minutes_between(CAL, scl(2026, 3, 2), datetime(2026, 3, 3))  # noqa: DTZ001


def test_weekends_are_skipped() -> None:
    assert add_minutes(scl(2026, 3, 7, 10, 0), 30) == scl(2026, 3, 9, 9, 0)  # Saturday
    assert add_minutes(scl(2026, 3, 6, 17, 15), 30) == scl(2026, 3, 9, 8, 45)  # Friday
    assert business_minutes_between(CAL, scl(2026, 3, 6, 17, 0), scl(2026, 3, 9, 9, 0)) == 60


def test_measuring_is_exact_to_the_microsecond_and_zero_backwards() -> None:
    a, b = scl(2026, 3, 2, 9, 0), scl(2026, 3, 2, 9, 0, 0, 1)
    assert business_minutes_between(CAL, a, b) == 1 / 60_000_000
    assert business_minutes_between(CAL, b, a) == 0
    assert business_minutes_between(CAL, scl(2026, 3, 2), scl(2026, 3, 9)) == 5 * 540


# --- holidays ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (scl(2021, 9, 16, 17, 0), scl(2021, 9, 20, 9, 0)),  # Fri 17 bridge, weekend 18–19
        (scl(2022, 9, 15, 17, 0), scl(2022, 9, 20, 9, 0)),  # Fri 16 bridge, Sun 18, Mon 19
        (scl(2023, 9, 15, 17, 0), scl(2023, 9, 20, 9, 0)),  # Mon 18, Tue 19
        (scl(2024, 9, 17, 17, 0), scl(2024, 9, 23, 9, 0)),  # Wed 18, Thu 19, Fri 20 bridge
        (scl(2025, 9, 17, 17, 0), scl(2025, 9, 22, 9, 0)),  # Thu 18, Fri 19
        (scl(2023, 6, 23, 17, 0), scl(2023, 6, 27, 9, 0)),  # Saint Peter and Paul moved to Mon 26
        (scl(2023, 10, 6, 17, 0), scl(2023, 10, 10, 9, 0)),  # Meeting of Two Worlds moved to Mon 9
        (scl(2023, 10, 26, 17, 0), scl(2023, 10, 30, 9, 0)),  # Reformation moved to Fri 27
        (scl(2022, 12, 30, 17, 0), scl(2023, 1, 3, 9, 0)),  # New Year on Sunday, Mon 2 observed
        (scl(2025, 12, 31, 17, 0), scl(2026, 1, 2, 9, 0)),  # New Year on Thursday
    ],
)
def test_one_hour_over_chilean_holidays(start: datetime, expected: datetime) -> None:
    assert add_minutes(start, 60) == expected


def test_the_original_date_of_a_moved_holiday_is_a_business_day() -> None:
    assert add_minutes(scl(2023, 6, 28, 17, 0), 60) == scl(2023, 6, 29, 9, 0)


def test_new_year_crossing_with_a_large_budget() -> None:
    # 2025-12-22 .. 2026-01-08 has 12 open days: Christmas (Thu 25) and New Year (Thu 1) closed.
    start = scl(2025, 12, 22, 8, 30)
    assert add_minutes(start, 12 * 540) == scl(2026, 1, 8, 17, 30)
    assert add_days(start, 12) == scl(2026, 1, 8, 17, 30)


def test_years_of_budget_are_found_without_walking_day_by_day() -> None:
    start = scl(2020, 1, 1, 0, 0)
    minutes = int(business_minutes_between(CAL, start, scl(2030, 12, 31, 12, 0)))
    assert add_minutes(start, minutes) == scl(2030, 12, 31, 12, 0)


# --- daylight saving time in Santiago ------------------------------------------------------------


def test_dst_end_in_april_weekday_hours_keep_their_wall_clock() -> None:
    # Saturday 6 April 2024 24:00 -03 became 23:00 -04.
    due = add_minutes(scl(2024, 4, 5, 17, 0), 60)
    assert due == scl(2024, 4, 8, 9, 0)
    assert due.utcoffset() == timedelta(hours=-4)
    assert due.astimezone(UTC) == datetime(2024, 4, 8, 13, 0, tzinfo=UTC)


def test_dst_start_in_september_weekday_hours_keep_their_wall_clock() -> None:
    # Sunday 8 September 2024 00:00 -04 became 01:00 -03.
    due = add_minutes(scl(2024, 9, 6, 17, 0), 60)
    assert due == scl(2024, 9, 9, 9, 0)
    assert due.astimezone(UTC) == datetime(2024, 9, 9, 12, 0, tzinfo=UTC)


def test_24x7_saturday_before_dst_end_lasts_25_hours() -> None:
    cal = TWENTY_FOUR_SEVEN
    assert business_minutes_between(cal, scl(2024, 4, 6), scl(2024, 4, 7)) == 25 * 60
    first = scl(2024, 4, 6, 23, 30)  # first 23:30, at -03
    due = add_business_time(cal, first, Budget(minutes=60))
    assert due == datetime(2024, 4, 7, 3, 30, tzinfo=UTC)
    local = due.astimezone(SCL)
    assert (local.hour, local.minute, local.fold, local.utcoffset()) == (23, 30, 1, timedelta(hours=-4))
    second = scl(2024, 4, 6, 23, 30, fold=1)  # the repeated 23:30, at -04
    assert business_minutes_between(cal, first, second) == 60


def test_24x7_sunday_of_dst_start_lasts_23_hours_and_skipped_times_map_to_the_jump() -> None:
    cal = TWENTY_FOUR_SEVEN
    assert business_minutes_between(cal, scl(2024, 9, 8), scl(2024, 9, 9)) == 23 * 60
    assert add_minutes(scl(2024, 9, 7, 23, 30), 60, cal) == scl(2024, 9, 8, 1, 30)
    # Same clock time one day later does not exist (00:30 is skipped): the jump instant, 01:00 -03.
    assert add_days(scl(2024, 9, 7, 0, 30), 1, cal) == scl(2024, 9, 8, 1, 0)
    assert add_days(scl(2024, 9, 7, 0, 30), 1, cal).utcoffset() == timedelta(hours=-3)


def test_boundaries_inside_a_repeated_hour_span_both_occurrences() -> None:
    # New York clocks go back 02:00 -> 01:00 on 3 November 2024: 01:30 happens twice.
    cal = BusinessCalendar(
        name="ny-night",
        timezone="America/New_York",
        hours=weekly_hours("01:30-03:00", days=[6]),
        country=None,
    )
    ny = cal.tz
    opens, closes = datetime(2024, 11, 3, 5, 30, tzinfo=UTC), datetime(2024, 11, 3, 8, 0, tzinfo=UTC)
    assert opens.astimezone(ny).hour == 1 and opens.astimezone(ny).fold == 0
    assert (
        business_minutes_between(cal, datetime(2024, 11, 3, tzinfo=ny), datetime(2024, 11, 4, tzinfo=ny))
        == 150
    )
    assert next_opening(cal, datetime(2024, 11, 2, 12, tzinfo=ny)) == opens
    assert add_business_time(cal, opens, Budget(minutes=150)) == closes


def test_boundaries_inside_a_skipped_hour_move_to_the_jump() -> None:
    # New York clocks jump 02:00 -> 03:00 on 10 March 2024: 02:30 does not exist.
    cal = BusinessCalendar(
        name="ny-gap",
        timezone="America/New_York",
        hours=weekly_hours("02:30-04:00", days=[6]),
        country=None,
    )
    assert next_opening(cal, datetime(2024, 3, 9, 12, tzinfo=UTC)) == datetime(2024, 3, 10, 7, 0, tzinfo=UTC)
    assert (
        business_minutes_between(cal, datetime(2024, 3, 10, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC))
        == 60
    )


# --- business-day budgets -------------------------------------------------------------------------


def test_day_budget_is_the_same_clock_time_n_open_days_later() -> None:
    assert add_days(scl(2026, 3, 2, 10, 15), 3) == scl(2026, 3, 5, 10, 15)
    assert add_days(scl(2026, 3, 5, 10, 15), 3) == scl(2026, 3, 10, 10, 15)  # over the weekend
    assert add_days(scl(2024, 9, 17, 11, 0), 1) == scl(2024, 9, 23, 11, 0)  # over 18–20 September


def test_day_budget_from_outside_hours_starts_at_the_next_opening() -> None:
    # Next opening Monday 08:30; three full days are used up on Wednesday at 17:30.
    assert add_days(scl(2026, 3, 6, 18, 0), 3) == scl(2026, 3, 11, 17, 30)
    assert add_days(scl(2026, 3, 2, 8, 30), 1) == scl(2026, 3, 2, 17, 30)


def test_day_budget_equals_540_minutes_per_day_on_the_default_calendar() -> None:
    start = scl(2026, 3, 6, 17, 0)
    assert budget_minutes(CAL, start, Budget(business_days=3)) == 3 * 540
    assert add_days(start, 3) == add_minutes(start, 3 * 540)


def test_day_budget_on_a_shorter_target_day_ends_at_its_closing() -> None:
    short_friday = BusinessCalendar(
        name="short-friday",
        hours=(*weekly_hours("08:30-17:30", days=range(4))[:4], parse_day_hours("08:30-13:00"), (), ()),
    )
    assert add_days(scl(2026, 3, 3, 15, 0), 3, short_friday) == scl(2026, 3, 6, 13, 0)
    assert add_days(scl(2026, 3, 3, 11, 0), 3, short_friday) == scl(2026, 3, 6, 11, 0)


def test_day_budget_landing_in_a_lunch_break_is_due_when_the_break_starts() -> None:
    lunch_friday = BusinessCalendar(
        name="lunch-friday",
        hours=(
            *weekly_hours("09:00-18:00", days=range(4))[:4],
            parse_day_hours("09:00-12:00, 13:00-18:00"),
            (),
            (),
        ),
    )
    # Monday 12:30 + 4 days -> Friday 12:30, inside lunch: the budget is used up at 12:00.
    assert add_days(scl(2026, 3, 2, 12, 30), 4, lunch_friday) == scl(2026, 3, 6, 12, 0)


def test_lunch_break_calendar_minutes() -> None:
    bog = BOGOTA.tz
    assert add_minutes(datetime(2026, 3, 2, 11, 30, tzinfo=bog), 60, BOGOTA) == datetime(
        2026, 3, 2, 14, 30, tzinfo=bog
    )
    assert add_minutes(datetime(2026, 3, 2, 11, 0, tzinfo=bog), 60, BOGOTA) == datetime(
        2026, 3, 2, 12, 0, tzinfo=bog
    )
    assert add_minutes(datetime(2026, 3, 2, 12, 30, tzinfo=bog), 1, BOGOTA) == datetime(
        2026, 3, 2, 14, 1, tzinfo=bog
    )
    assert add_days(datetime(2026, 3, 2, 15, 0, tzinfo=bog), 2, BOGOTA) == datetime(
        2026, 3, 4, 15, 0, tzinfo=bog
    )


def test_24x7_calendar_counts_every_minute() -> None:
    cal = TWENTY_FOUR_SEVEN
    assert add_minutes(scl(2026, 3, 7, 23, 0), 120, cal) == scl(2026, 3, 8, 1, 0)
    assert add_days(scl(2026, 3, 7, 23, 0), 5, cal) == scl(2026, 3, 12, 23, 0)
    assert add_minutes(scl(2025, 12, 31, 23, 30), 60, cal) == scl(2026, 1, 1, 0, 30)  # no holidays


# --- priorities -----------------------------------------------------------------------------------


def test_p4_opened_friday_at_17_00() -> None:
    due = deadlines_for(CAL, scl(2026, 3, 6, 17, 0), Priority.P4)
    assert due.response_due == scl(2026, 3, 9, 12, 0)  # 30 min on Friday + 3.5 h on Monday
    assert due.resolution_due == scl(2026, 3, 11, 17, 0)  # three business days later


@pytest.mark.parametrize(
    ("priority", "response", "resolution"),
    [
        (Priority.P1, scl(2026, 3, 2, 10, 30), scl(2026, 3, 2, 16, 0)),
        (Priority.P2, scl(2026, 3, 2, 10, 45), scl(2026, 3, 3, 9, 0)),
        (Priority.P3, scl(2026, 3, 2, 11, 0), scl(2026, 3, 4, 16, 0)),
        (Priority.P4, scl(2026, 3, 2, 14, 0), scl(2026, 3, 5, 10, 0)),
        (Priority.P5, scl(2026, 3, 3, 9, 0), scl(2026, 3, 9, 10, 0)),
    ],
)
def test_contract_targets_from_monday_10_00(
    priority: Priority, response: datetime, resolution: datetime
) -> None:
    assert deadlines_for(CAL, scl(2026, 3, 2, 10, 0), priority) == Deadlines(response, resolution)


def test_priority_change_recomputes_from_the_original_opening_time() -> None:
    opened, changed = scl(2026, 3, 2, 10, 0), scl(2026, 3, 2, 11, 0)
    recomputed = recompute_deadlines(CAL, opened, Priority.P2)
    assert recomputed == deadlines_for(CAL, opened, Priority.P2)
    assert recomputed.response_due == scl(2026, 3, 2, 10, 45)
    assert recomputed != deadlines_for(CAL, changed, Priority.P2)


def test_plan_targets_override_the_contract() -> None:
    targets = {**DEFAULT_TARGETS, Priority.P1: Target(Budget(minutes=15), Budget(minutes=120))}
    due = deadlines_for(CAL, scl(2026, 3, 2, 10, 0), Priority.P1, targets)
    assert due == Deadlines(scl(2026, 3, 2, 10, 15), scl(2026, 3, 2, 12, 0))


# --- pauses ---------------------------------------------------------------------------------------


def test_ticket_paused_over_a_weekend() -> None:
    opened = scl(2026, 3, 6, 10, 0)  # Friday
    plain = deadlines_for(CAL, opened, Priority.P3).resolution_due
    assert plain == scl(2026, 3, 10, 16, 0)
    # Waiting on the customer Friday 16:00 -> Monday 11:00: 90 + 150 business minutes paused.
    pause = Pause(scl(2026, 3, 6, 16, 0), scl(2026, 3, 9, 11, 0))
    paused = deadlines_for(CAL, opened, Priority.P3, pauses=[pause])
    assert paused.resolution_due == scl(2026, 3, 11, 11, 0)
    assert paused.response_due == deadlines_for(CAL, opened, Priority.P3).response_due
    # A pause entirely outside business hours changes nothing.
    weekend = Pause(scl(2026, 3, 6, 18, 0), scl(2026, 3, 9, 8, 0))
    assert deadlines_for(CAL, opened, Priority.P3, pauses=[weekend]).resolution_due == plain


def test_pauses_are_merged_and_subtracted_when_measuring() -> None:
    a, b = scl(2026, 3, 2, 9, 0), scl(2026, 3, 2, 13, 0)
    pauses = [
        (scl(2026, 3, 2, 10, 0), scl(2026, 3, 2, 11, 0)),
        (scl(2026, 3, 2, 10, 30), scl(2026, 3, 2, 11, 30)),
    ]
    assert business_minutes_between(CAL, a, b, pauses) == 240 - 90
    assert business_minutes_between(CAL, a, b, [(scl(2026, 3, 2, 12, 0), None)]) == 180


def test_open_pause_makes_the_deadline_undefined_unless_it_starts_after_it() -> None:
    start = scl(2026, 3, 2, 9, 0)
    with pytest.raises(OpenPauseError):
        add_business_time(CAL, start, Budget(minutes=60), [Pause(scl(2026, 3, 2, 9, 30))])
    later = [Pause(scl(2026, 3, 2, 10, 30))]
    assert add_business_time(CAL, start, Budget(minutes=60), later) == scl(2026, 3, 2, 10, 0)


def test_pause_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        add_business_time(
            CAL, scl(2026, 3, 2, 9), Budget(minutes=60), [(scl(2026, 3, 2, 11), scl(2026, 3, 2, 10))]
        )


def test_day_budget_with_a_pause_shifts_by_the_paused_business_time() -> None:
    start = scl(2026, 3, 2, 10, 0)
    pause = Pause(scl(2026, 3, 3, 9, 0), scl(2026, 3, 3, 10, 0))
    due = add_business_time(CAL, start, Budget(business_days=3), [pause])
    assert due.astimezone(SCL) == scl(2026, 3, 5, 11, 0)


def test_a_calendar_closed_for_good_raises_instead_of_looping() -> None:
    closed_from_2026 = BusinessCalendar(
        name="closing-down",
        country=None,
        extra_closed=frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(366 * 32)),
    )
    start = scl(2025, 12, 31, 17, 0)
    assert add_minutes(start, 30, closed_from_2026) == scl(2025, 12, 31, 17, 30)
    with pytest.raises(ValueError, match="no opening hours left"):
        add_minutes(start, 31, closed_from_2026)
    with pytest.raises(ValueError, match="no open days left"):
        add_days(start, 1, closed_from_2026)
