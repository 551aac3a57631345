"""Clock status at an instant, alert instants for the sweeper, and contingency windows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sla.calendar_presets import DEFAULT_CALENDAR
from sla.clock import ClockState, alert_times, clock_status
from sla.priority import Budget
from sla.windows import Pause, TimeWindow, touched_by_contingency, window_contains, window_overlaps

CAL = DEFAULT_CALENDAR
HOUR = Budget(minutes=60)


def scl(*fields: int, fold: int = 0) -> datetime:
    """An aware Santiago datetime from (year, month, day[, hour, minute, second, microsecond])."""
    return datetime(*fields, tzinfo=CAL.tz, fold=fold)  # type: ignore[arg-type, misc]


START = scl(2026, 3, 6, 17, 0)  # Friday: 30 minutes today, the rest on Monday from 08:30


@pytest.mark.parametrize(
    ("now", "state", "fraction"),
    [
        (scl(2026, 3, 6, 16, 0), ClockState.ON_TRACK, 0.0),  # before the ticket: nothing used
        (scl(2026, 3, 6, 17, 15), ClockState.ON_TRACK, 0.25),
        (scl(2026, 3, 8, 12, 0), ClockState.ON_TRACK, 0.5),  # the weekend does not count
        (scl(2026, 3, 9, 8, 44, 59), ClockState.ON_TRACK, (30 + 14 + 59 / 60) / 60),
        (scl(2026, 3, 9, 8, 45), ClockState.AT_RISK_75, 0.75),
        (scl(2026, 3, 9, 8, 54), ClockState.AT_RISK_90, 0.9),
        (scl(2026, 3, 9, 8, 59, 59), ClockState.AT_RISK_90, (59 + 59 / 60) / 60),
        (scl(2026, 3, 9, 9, 0), ClockState.BREACHED, 1.0),
        (scl(2026, 3, 9, 12, 0), ClockState.BREACHED, 4.0),
    ],
)
def test_running_clock_states(now: datetime, state: ClockState, fraction: float) -> None:
    status = clock_status(CAL, START, HOUR, now)
    assert status.state is state
    assert status.fraction_used == pytest.approx(fraction)
    assert status.budget_minutes == 60
    assert status.due == scl(2026, 3, 9, 9, 0)


def test_stopped_clock_is_met_within_budget_and_breached_beyond() -> None:
    later = scl(2026, 3, 10, 12, 0)
    met = clock_status(CAL, START, HOUR, later, stopped_at=scl(2026, 3, 9, 9, 0))
    assert (met.state, met.fraction_used, met.elapsed_minutes) == (ClockState.MET, 1.0, 60.0)
    late = clock_status(CAL, START, HOUR, later, stopped_at=scl(2026, 3, 9, 9, 0, 1))
    assert late.state is ClockState.BREACHED
    # Stopped in the future relative to now: still running at now.
    running = clock_status(CAL, START, HOUR, scl(2026, 3, 6, 17, 10), stopped_at=scl(2026, 3, 9, 8, 40))
    assert running.state is ClockState.ON_TRACK


def test_answered_after_closing_without_business_time_elapsed_is_met() -> None:
    start = scl(2026, 3, 9, 16, 30)
    due = clock_status(CAL, start, HOUR, scl(2026, 3, 9, 17, 30))
    assert (due.state, due.due) == (ClockState.BREACHED, scl(2026, 3, 9, 17, 30))
    answered = clock_status(CAL, start, HOUR, scl(2026, 3, 9, 18, 0), stopped_at=scl(2026, 3, 9, 17, 45))
    assert answered.state is ClockState.MET


def test_open_pause_makes_the_clock_paused_without_a_deadline() -> None:
    pauses = [Pause(scl(2026, 3, 9, 8, 40))]  # waiting on the customer since 08:40 Monday
    status = clock_status(CAL, START, HOUR, scl(2026, 3, 9, 12, 0), pauses=pauses)
    assert status.state is ClockState.PAUSED
    assert status.elapsed_minutes == 40
    assert status.due is None


def test_closed_pause_moves_the_deadline_and_resumes_the_clock() -> None:
    pauses = [Pause(scl(2026, 3, 9, 8, 40), scl(2026, 3, 9, 10, 0))]
    inside = clock_status(CAL, START, HOUR, scl(2026, 3, 9, 9, 30), pauses=pauses)
    assert inside.state is ClockState.PAUSED
    assert inside.due == scl(2026, 3, 9, 10, 20)
    after = clock_status(CAL, START, HOUR, scl(2026, 3, 9, 10, 10), pauses=pauses)
    assert (after.state, after.elapsed_minutes) == (ClockState.AT_RISK_75, 50)


def test_breach_is_not_undone_by_a_later_pause() -> None:
    pauses = [Pause(scl(2026, 3, 9, 9, 30))]
    status = clock_status(CAL, START, HOUR, scl(2026, 3, 9, 10, 0), pauses=pauses)
    assert status.state is ClockState.BREACHED


def test_day_budget_status_uses_its_business_minutes() -> None:
    status = clock_status(CAL, START, Budget(business_days=3), scl(2026, 3, 10, 17, 0))
    assert status.budget_minutes == 3 * 540
    assert status.elapsed_minutes == 30 + 540 + 510
    assert status.state is ClockState.ON_TRACK


def test_alert_times_agree_with_clock_status() -> None:
    times = alert_times(CAL, START, HOUR)
    assert times.at_risk_75 == scl(2026, 3, 9, 8, 45)
    assert times.at_risk_90 == scl(2026, 3, 9, 8, 54)
    assert times.due == scl(2026, 3, 9, 9, 0)
    tick = timedelta(microseconds=1)
    for instant, before, at in [
        (times.at_risk_75, ClockState.ON_TRACK, ClockState.AT_RISK_75),
        (times.at_risk_90, ClockState.AT_RISK_75, ClockState.AT_RISK_90),
        (times.due, ClockState.AT_RISK_90, ClockState.BREACHED),
    ]:
        assert clock_status(CAL, START, HOUR, instant - tick).state is before
        assert clock_status(CAL, START, HOUR, instant).state is at


def test_alert_times_with_an_odd_budget_round_up_to_the_microsecond() -> None:
    budget = Budget(minutes=7)
    start = scl(2026, 3, 9, 10, 0)
    times = alert_times(CAL, start, budget)
    assert times.at_risk_75 == start + timedelta(minutes=5, seconds=15)
    assert clock_status(CAL, start, budget, times.at_risk_90).state is ClockState.AT_RISK_90
    assert clock_status(CAL, start, budget, times.at_risk_90 - timedelta(microseconds=1)).state is (
        ClockState.AT_RISK_75
    )


# --- contingency windows --------------------------------------------------------------------------

OUTAGE = TimeWindow(scl(2026, 3, 9, 10, 0), scl(2026, 3, 9, 12, 0))
ONGOING = TimeWindow(scl(2026, 3, 9, 10, 0))


def test_window_contains_is_half_open() -> None:
    assert not window_contains(OUTAGE, scl(2026, 3, 9, 9, 59, 59))
    assert window_contains(OUTAGE, scl(2026, 3, 9, 10, 0))
    assert window_contains(OUTAGE, scl(2026, 3, 9, 11, 59, 59))
    assert not window_contains(OUTAGE, scl(2026, 3, 9, 12, 0))
    assert window_contains(ONGOING, scl(2030, 1, 1))


def test_window_overlaps_intervals_and_running_tickets() -> None:
    assert window_overlaps(OUTAGE, scl(2026, 3, 9, 8, 0), scl(2026, 3, 9, 10, 30))
    assert not window_overlaps(OUTAGE, scl(2026, 3, 9, 8, 0), scl(2026, 3, 9, 10, 0))
    assert not window_overlaps(OUTAGE, scl(2026, 3, 9, 12, 0))
    assert window_overlaps(OUTAGE, scl(2026, 3, 6, 9, 0))  # opened before, still open
    assert window_overlaps(ONGOING, scl(2026, 3, 9, 15, 0))
    assert window_overlaps(OUTAGE, scl(2026, 3, 9, 11, 0), scl(2026, 3, 9, 11, 0))  # an instant
    with pytest.raises(ValueError, match="ends before it starts"):
        window_overlaps(OUTAGE, scl(2026, 3, 9, 11, 0), scl(2026, 3, 9, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        window_contains(OUTAGE, datetime(2026, 3, 9, 11, 0))  # noqa: DTZ001


def test_tickets_touched_by_a_contingency_are_exempt() -> None:
    windows = [OUTAGE, TimeWindow(scl(2026, 3, 12, 9, 0), scl(2026, 3, 12, 9, 30))]
    assert touched_by_contingency(windows, scl(2026, 3, 9, 11, 30), scl(2026, 3, 9, 15, 0))
    assert touched_by_contingency(windows, scl(2026, 3, 11, 9, 0))
    assert not touched_by_contingency(windows, scl(2026, 3, 9, 12, 0), scl(2026, 3, 12, 9, 0))
    assert not touched_by_contingency([], scl(2026, 3, 9, 11, 30))


def test_contingency_window_pauses_the_clock() -> None:
    status = clock_status(CAL, scl(2026, 3, 9, 9, 30), HOUR, scl(2026, 3, 9, 13, 0), pauses=[OUTAGE])
    assert status.elapsed_minutes == 30 + 60
    assert status.due == scl(2026, 3, 9, 12, 30)
