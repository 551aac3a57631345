"""Property tests (hypothesis) of the calendar invariants, on built-in and random calendars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar, DayHours, normalize_day_hours
from sla.calendar_presets import BUILTIN_CALENDARS, DEFAULT_CALENDAR
from sla.clock import add_business_time, business_minutes_between, business_time_between, is_open
from sla.priority import Budget
from sla.windows import Pause
from tests.unit.sla.reference import is_ambiguous_wall_time, wall_clock_open

EXAMPLES = settings(max_examples=150, deadline=None)
TICK = timedelta(microseconds=1)
# Zones with DST at midnight (Santiago, Havana), at 01:00/02:00 (London, New York), by 30 minutes
# (Lord Howe), and none (Bogotá).
ZONES = ["America/Santiago", "America/Havana", "Europe/London", "America/New_York",
         "Australia/Lord_Howe", "America/Bogota"]  # fmt: skip


@st.composite
def day_hours(draw: st.DrawFn) -> DayHours:
    """Zero to three opening intervals on a 30-minute grid, sometimes reaching 24:00."""
    cuts = sorted(set(draw(st.lists(st.integers(0, 48), max_size=6))))
    pairs = [(cuts[i] * 30, cuts[i + 1] * 30) for i in range(0, len(cuts) - 1, 2)]
    return normalize_day_hours(pairs)


@st.composite
def random_calendars(draw: st.DrawFn) -> BusinessCalendar:
    """A calendar with random weekly hours in a random zone, with or without Chilean holidays."""
    week = tuple(draw(day_hours()) for _ in range(7))
    assume(any(week))
    return BusinessCalendar(
        name="random",
        timezone=draw(st.sampled_from(ZONES)),
        hours=week,
        country=draw(st.sampled_from([None, "CL"])),
    )


calendars = st.one_of(st.sampled_from(list(BUILTIN_CALENDARS.values())), random_calendars())
instants = st.integers(
    int(datetime(2020, 1, 1, tzinfo=UTC).timestamp()), int(datetime(2030, 12, 1, tzinfo=UTC).timestamp())
).flatmap(
    lambda s: st.sampled_from([0, 1, 999_999]).map(lambda us: datetime.fromtimestamp(s, UTC) + us * TICK)
)
minutes = st.integers(1, 20 * 540)
budgets = st.one_of(
    minutes.map(lambda m: Budget(minutes=m)), st.integers(1, 10).map(lambda d: Budget(business_days=d))
)


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[Pause]:
    """Up to three closed pauses from around the start onwards."""
    result = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + timedelta(minutes=draw(st.integers(-600, 20_000)))
        result.append(Pause(begin, begin + timedelta(minutes=draw(st.integers(0, 5_000)))))
    return result


@EXAMPLES
@given(cal=calendars, start=instants, budget=minutes)
def test_adding_then_measuring_gives_back_the_budget(
    cal: BusinessCalendar, start: datetime, budget: int
) -> None:
    due = add_business_time(cal, start, Budget(minutes=budget))
    assert business_minutes_between(cal, start, due) == budget
    # ... and it is the earliest such instant.
    assert business_minutes_between(cal, start, due - TICK) < budget


@EXAMPLES
@given(cal=calendars, start=instants, budget=budgets, data=st.data())
def test_adding_then_measuring_with_pauses_gives_back_the_budget(
    cal: BusinessCalendar, start: datetime, budget: Budget, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    plain = add_business_time(cal, start, budget)
    due = add_business_time(cal, start, budget, pauses)
    assert due >= plain  # pauses only ever move deadlines later
    assert business_time_between(cal, start, due, pauses) == business_time_between(cal, start, plain)


@EXAMPLES
@given(cal=calendars, start=instants, budget=budgets)
def test_deadline_is_never_inside_a_closed_period_unless_it_is_the_closing_instant(
    cal: BusinessCalendar, start: datetime, budget: Budget
) -> None:
    due = add_business_time(cal, start, budget)
    just_before = due - TICK
    assume(not is_ambiguous_wall_time(cal, just_before))
    assert wall_clock_open(cal, just_before)  # open up to the deadline: inside, or its closing instant


@EXAMPLES
@given(cal=calendars, instant=instants)
def test_open_instants_match_the_wall_clock_oracle(cal: BusinessCalendar, instant: datetime) -> None:
    assume(not is_ambiguous_wall_time(cal, instant))
    assert is_open(cal, instant) == wall_clock_open(cal, instant)


@EXAMPLES
@given(cal=calendars, a=instants, b=instants, budget=budgets)
def test_deadlines_are_monotonic_in_start(
    cal: BusinessCalendar, a: datetime, b: datetime, budget: Budget
) -> None:
    early, late = sorted([a, b])
    assert add_business_time(cal, early, budget) <= add_business_time(cal, late, budget)


@EXAMPLES
@given(cal=calendars, start=instants, m=minutes, n=minutes)
def test_deadlines_are_monotonic_in_minutes(cal: BusinessCalendar, start: datetime, m: int, n: int) -> None:
    small, large = sorted([m, n])
    assert add_business_time(cal, start, Budget(minutes=small)) <= add_business_time(
        cal, start, Budget(minutes=large)
    )


@EXAMPLES
@given(cal=calendars, start=instants, days=st.integers(1, 10), more=st.integers(0, 10))
def test_deadlines_are_monotonic_in_days(
    cal: BusinessCalendar, start: datetime, days: int, more: int
) -> None:
    fewer = add_business_time(cal, start, Budget(business_days=days))
    assert fewer <= add_business_time(cal, start, Budget(business_days=days + more))


@EXAMPLES
@given(cal=calendars, a=instants, b=instants, c=instants)
def test_measuring_is_additive(cal: BusinessCalendar, a: datetime, b: datetime, c: datetime) -> None:
    x, y, z = sorted([a, b, c])
    whole = business_time_between(cal, x, z)
    assert business_time_between(cal, x, y) + business_time_between(cal, y, z) == whole


@EXAMPLES
@given(start=instants, days=st.integers(1, 15))
def test_day_budgets_are_540_minutes_a_day_on_the_default_calendar(start: datetime, days: int) -> None:
    by_days = add_business_time(DEFAULT_CALENDAR, start, Budget(business_days=days))
    assert by_days == add_business_time(DEFAULT_CALENDAR, start, Budget(minutes=540 * days))
