"""Cross-check of the engine against pandas CustomBusinessHour on thousands of generated cases."""

from __future__ import annotations

import pandas as pd
import pytest

from sla.calendar_presets import DEFAULT_CALENDAR
from sla.clock import add_business_time, business_minutes_between
from sla.priority import Budget
from tests.unit.sla.reference import PandasBusinessHours, cl_holiday_dates, generated_cases

CAL = DEFAULT_CALENDAR


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
