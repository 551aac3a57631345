"""Independent references for the SLA tests and the benchmark: pandas business hours, a wall-clock oracle.

Nothing here uses the engine's timeline: pandas does its own business-hour arithmetic on naive local
times, and the oracle looks at an instant's local wall clock, weekday and holidays directly.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import holidays
import pandas as pd

from sla.calendar import BusinessCalendar

OPEN, CLOSE = "08:30", "17:30"


def cl_holiday_dates(years: Iterable[int]) -> list[date]:
    """Chilean public holidays (observed/moved dates included) straight from the holidays package."""
    return sorted(holidays.country_holidays("CL", years=list(years)).keys())


class PandasBusinessHours:
    """Deadlines from pandas CustomBusinessHour (08:30–17:30, Mon–Fri, given holidays), naive local time.

    CustomBusinessHour only adds whole hours, so ``minutes = 60 h + r`` is added as h business hours
    by pandas, then r minutes on the same business day if they fit before 17:30, else the rest after
    pandas' next opening. Like pandas, a deadline ending at 17:30 may come out as the next 08:30.
    """

    def __init__(self, holiday_dates: Iterable[date]) -> None:
        self._holidays = list(holiday_dates)
        self._offsets: dict[int, pd.offsets.CustomBusinessHour] = {}
        self._step = self.offset(1)

    def offset(self, hours: int) -> pd.offsets.CustomBusinessHour:
        """The pandas offset of ``hours`` business hours (built once per size)."""
        if hours not in self._offsets:
            self._offsets[hours] = pd.offsets.CustomBusinessHour(
                n=hours, start=OPEN, end=CLOSE, holidays=self._holidays
            )
        return self._offsets[hours]

    def deadline(self, start: pd.Timestamp, minutes: int) -> pd.Timestamp:
        """Naive local deadline of ``minutes`` business minutes from a naive local start."""
        hours, rest = divmod(minutes, 60)
        t = start + self.offset(hours) if hours else self._step.rollforward(start)
        if not rest:
            return t
        close = t.normalize() + pd.Timedelta(hours=17, minutes=30)
        reached = t + pd.Timedelta(minutes=rest)
        if reached <= close:
            return reached
        next_opening = self._step.rollforward(close + pd.Timedelta(seconds=1))
        return next_opening + (reached - close)


def wall_clock_open(cal: BusinessCalendar, instant: datetime) -> bool:
    """Oracle: open iff the local date is not closed and its wall time is inside that weekday's hours."""
    local = instant.astimezone(cal.tz)
    if local.date() in cal.closed_dates(local.year):
        return False
    wall = timedelta(
        hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    return any(timedelta(minutes=a) <= wall < timedelta(minutes=b) for a, b in cal.hours[local.weekday()])


def is_ambiguous_wall_time(cal: BusinessCalendar, instant: datetime) -> bool:
    """Whether the instant's local wall time occurs twice (a repeated hour when clocks go back)."""
    local = instant.astimezone(cal.tz)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


FIRST, LAST = datetime(2020, 1, 1), datetime(2030, 12, 20)  # noqa: DTZ001 - naive local, as pandas
EDGE_CLOCKS = [(8, 29, 59), (8, 30, 0), (17, 29, 59), (17, 30, 0), (0, 0, 0), (12, 0, 0)]


def generated_cases(count: int, seed: int) -> list[tuple[datetime, int]]:
    """Naive local starts across 2020–2030 (some on edge clock times) with budgets in minutes."""
    rng = random.Random(seed)
    span = int((LAST - FIRST).total_seconds())
    cases = []
    for _ in range(count):
        start = FIRST + timedelta(seconds=rng.randrange(span))
        if rng.random() < 0.25:
            h, m, s = rng.choice(EDGE_CLOCKS)
            start = start.replace(hour=h, minute=m, second=s)
        minutes = rng.choice([rng.randint(1, 120), rng.randint(1, 540), rng.randint(1, 6000)])
        cases.append((start, minutes))
    return cases
