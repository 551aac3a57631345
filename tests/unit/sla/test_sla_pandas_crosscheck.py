"""Cross-check of the engine against pandas CustomBusinessHour on thousands of generated cases."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pandas as pd
import pytest

from sla.calendars import DEFAULT_CALENDAR
from sla.clock import add_business_time, business_minutes_between
from sla.priority import Budget
from tests.unit.sla.reference import PandasBusinessHours, cl_holiday_dates

CAL = DEFAULT_CALENDAR
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


@pytest.mark.slow
def test_engine_matches_pandas_custom_business_hour_to_the_business_minute() -> None:
    reference = PandasBusinessHours(cl_holiday_dates(range(2019, 2033)))
    exact = closing_equivalents = 0
    for start, minutes in generated_cases(4000, seed=20240918):
        ours = add_business_time(CAL, start.replace(tzinfo=CAL.tz), Budget(minutes=minutes))
        theirs_naive = reference.deadline(pd.Timestamp(start), minutes).to_pydatetime()
        theirs = theirs_naive.replace(tzinfo=CAL.tz)
        low, high = sorted([ours, theirs])
        assert business_minutes_between(CAL, low, high) == 0, (start, minutes, ours, theirs)
        if ours == theirs:
            exact += 1
        else:
            # pandas writes a deadline that ends at closing time as the next opening.
            assert ours.astimezone(CAL.tz).time().isoformat() == "17:30:00", (start, minutes)
            assert theirs_naive.time().isoformat() == "08:30:00", (start, minutes)
            assert theirs > ours
            closing_equivalents += 1
    assert exact > 3000
    assert closing_equivalents > 0
