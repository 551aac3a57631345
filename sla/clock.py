"""The SLA clock: business time added and measured, deadlines per priority, clock status at an instant.

Every function takes aware datetimes (naive ones raise ValueError) and returns aware UTC datetimes
(convert with ``.astimezone(cal.tz)`` to show them). Time is exact to the microsecond.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sla.calendar import BusinessCalendar
from sla.priority import DEFAULT_TARGETS, Budget, Priority, Target
from sla.timeline import US_PER_MINUTE, Timeline, from_us, to_us
from sla.windows import WindowLike, merged_windows

_Merged = list[tuple[int, int | None]]
_MINUTE = timedelta(minutes=1)


class OpenPauseError(ValueError):
    """A deadline is undefined: a pause that began before it has no end yet."""


def add_business_time(
    cal: BusinessCalendar, start: datetime, budget: Budget, pauses: Iterable[WindowLike] = ()
) -> datetime:
    """Earliest instant at which ``budget`` of business time has elapsed since start, pauses excluded."""
    timeline, t = cal.timeline, to_us(start)
    amount = _budget_us(timeline, t, budget)
    if not pauses:
        return from_us(timeline.add(t, amount))
    return from_us(_add_paused(timeline, t, amount, merged_windows(pauses)))


def business_time_between(
    cal: BusinessCalendar, a: datetime, b: datetime, pauses: Iterable[WindowLike] = ()
) -> timedelta:
    """Business time in ``[a, b)`` outside the pauses, exact to the microsecond (zero when b <= a)."""
    us = _between_paused(cal.timeline, to_us(a), to_us(b), merged_windows(pauses))
    return timedelta(microseconds=us)


def business_minutes_between(
    cal: BusinessCalendar, a: datetime, b: datetime, pauses: Iterable[WindowLike] = ()
) -> float:
    """Business minutes in ``[a, b)`` outside the pauses, as a float (0.0 when b <= a)."""
    return business_time_between(cal, a, b, pauses) / _MINUTE


def budget_minutes(cal: BusinessCalendar, start: datetime, budget: Budget) -> float:
    """Business minutes a budget is worth from start (day budgets depend on where they start)."""
    return _budget_us(cal.timeline, to_us(start), budget) / US_PER_MINUTE


def is_open(cal: BusinessCalendar, instant: datetime) -> bool:
    """Whether the calendar is open at an instant (closing instants are not open)."""
    return cal.timeline.is_open(to_us(instant))


def next_opening(cal: BusinessCalendar, instant: datetime) -> datetime:
    """The instant itself if open, else the next opening: where a budget starts to run."""
    return from_us(cal.timeline.next_open(to_us(instant)))


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Response and resolution deadlines of a ticket (UTC)."""

    response_due: datetime
    resolution_due: datetime


def deadlines_for(
    cal: BusinessCalendar,
    opened_at: datetime,
    priority: Priority,
    targets: Mapping[Priority, Target] = DEFAULT_TARGETS,
    *,
    pauses: Iterable[WindowLike] = (),
    response_pauses: Iterable[WindowLike] = (),
) -> Deadlines:
    """Deadlines of a ticket opened at opened_at; pauses stop resolution, response_pauses the response."""
    target = targets[priority]
    return Deadlines(
        response_due=add_business_time(cal, opened_at, target.response, response_pauses),
        resolution_due=add_business_time(cal, opened_at, target.resolution, pauses),
    )


def recompute_deadlines(
    cal: BusinessCalendar,
    opened_at: datetime,
    new_priority: Priority,
    targets: Mapping[Priority, Target] = DEFAULT_TARGETS,
    *,
    pauses: Iterable[WindowLike] = (),
    response_pauses: Iterable[WindowLike] = (),
) -> Deadlines:
    """Deadlines after a priority change: always from the ORIGINAL opening time, never from the change."""
    return deadlines_for(
        cal, opened_at, new_priority, targets, pauses=pauses, response_pauses=response_pauses
    )


class ClockState(StrEnum):
    """Where an SLA clock stands at an instant."""

    ON_TRACK = "on_track"
    AT_RISK_75 = "at_risk_75"
    AT_RISK_90 = "at_risk_90"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"


@dataclass(frozen=True, slots=True)
class ClockStatus:
    """A clock at an instant: state, share of the budget used, and its deadline (None while paused)."""

    state: ClockState
    fraction_used: float
    elapsed_minutes: float
    budget_minutes: float
    due: datetime | None


def clock_status(
    cal: BusinessCalendar,
    start: datetime,
    budget: Budget,
    now: datetime,
    *,
    pauses: Iterable[WindowLike] = (),
    stopped_at: datetime | None = None,
) -> ClockStatus:
    """Status of a clock at ``now``: met/breached once stopped, else breached/paused/at risk/on track.

    A clock stopped (``stopped_at <= now``) is met when its elapsed business time is within the budget.
    A running clock is breached from the instant its budget is used up (100 %), even while paused;
    an open-ended pause (or one containing ``now``) makes it paused; 90 % and 75 % make it at risk.
    """
    timeline = cal.timeline
    s, n = to_us(start), to_us(now)
    stop = n if stopped_at is None else to_us(stopped_at)
    stopped = stop <= n and stopped_at is not None
    end = stop if stopped else n
    windows = merged_windows(pauses)
    budget_us = _budget_us(timeline, s, budget)
    elapsed = _between_paused(timeline, s, end, windows)
    state = _state(elapsed, budget_us, stopped, _paused_at(windows, n))
    try:
        due: datetime | None = from_us(_add_paused(timeline, s, budget_us, windows))
    except OpenPauseError:
        due = None
    return ClockStatus(
        state=state,
        fraction_used=elapsed / budget_us,
        elapsed_minutes=elapsed / US_PER_MINUTE,
        budget_minutes=budget_us / US_PER_MINUTE,
        due=due,
    )


@dataclass(frozen=True, slots=True)
class AlertTimes:
    """Instants at which a running clock reaches 75 %, 90 % and 100 % of its budget (UTC)."""

    at_risk_75: datetime
    at_risk_90: datetime
    due: datetime


def alert_times(
    cal: BusinessCalendar, start: datetime, budget: Budget, pauses: Iterable[WindowLike] = ()
) -> AlertTimes:
    """When the sweeper must warn (75 %, 90 %) and escalate (100 %); consistent with clock_status."""
    timeline = cal.timeline
    s = to_us(start)
    windows = merged_windows(pauses)
    budget_us = _budget_us(timeline, s, budget)

    def reached(percent: int) -> datetime:
        amount = -(-budget_us * percent // 100)
        return from_us(_add_paused(timeline, s, amount, windows))

    return AlertTimes(at_risk_75=reached(75), at_risk_90=reached(90), due=reached(100))


def _state(elapsed: int, budget_us: int, stopped: bool, paused: bool) -> ClockState:
    """Classify a clock from integer microseconds (no float rounding at the thresholds)."""
    if stopped:
        return ClockState.MET if elapsed <= budget_us else ClockState.BREACHED
    if elapsed >= budget_us:
        return ClockState.BREACHED
    if paused:
        return ClockState.PAUSED
    if elapsed * 100 >= budget_us * 90:
        return ClockState.AT_RISK_90
    if elapsed * 100 >= budget_us * 75:
        return ClockState.AT_RISK_75
    return ClockState.ON_TRACK


def _paused_at(windows: _Merged, t: int) -> bool:
    """Whether instant t lies inside a (possibly open-ended) pause."""
    return any(start <= t and (end is None or t < end) for start, end in windows)


def _budget_us(timeline: Timeline, t: int, budget: Budget) -> int:
    """A budget as business microseconds from t (a day budget measured to its deadline)."""
    if budget.business_days:
        return timeline.between(t, timeline.add_open_days(t, budget.business_days))
    return budget.minutes * US_PER_MINUTE


def _add_paused(timeline: Timeline, t: int, amount: int, windows: _Merged) -> int:
    """Earliest instant at which ``amount`` business microseconds elapsed since t outside the pauses."""
    for start, end in windows:
        if end is not None and end <= t:
            continue
        if start > t:
            reached = timeline.add(t, amount)
            if reached <= start:
                return reached
            amount -= timeline.between(t, start)
        if end is None:
            raise OpenPauseError("the deadline depends on a pause that has not ended yet")
        t = max(t, end)
    return timeline.add(t, amount)


def _between_paused(timeline: Timeline, a: int, b: int, windows: _Merged) -> int:
    """Business microseconds in [a, b) minus those inside the pauses."""
    total = timeline.between(a, b)
    for start, end in windows:
        if start >= b:
            break
        total -= timeline.between(max(a, start), b if end is None else min(b, end))
    return total
