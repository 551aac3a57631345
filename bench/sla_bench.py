"""Deadlines per second: our SLA engine vs pandas CustomBusinessHour on the same inputs.

Run: .venv/bin/python bench/sla_bench.py [--count N] [--seed S]

Inputs: (start, minutes) pairs across 2020–2030 from a fixed seed, on the default calendar
(Monday–Friday 08:30–17:30, America/Santiago, Chilean holidays). pandas gets naive local times and
CustomBusinessHour(start="08:30", end="17:30", holidays=<CL holidays>); since it only adds whole
hours, a budget of 60 h + r minutes is h pandas business hours plus r minutes (see
tests/unit/sla/reference.py). A second line compares plain whole-hour adds, pandas' best case.
Timings are the best of several warm runs (at least 5 and 1.5 s); our engine's first (cold) run,
which builds the per-year index, is shown too. Every answer is checked against pandas (zero
business minutes apart).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sla.calendar import BusinessCalendar
from sla.clock import add_business_time, business_minutes_between
from sla.priority import Budget
from tests.unit.sla.reference import PandasBusinessHours, cl_holiday_dates, generated_cases

MIN_REPEATS, MIN_SECONDS = 5, 1.5


def best_rate(run: Callable[[], object], count: int) -> float:
    """Best deadlines/second over at least MIN_REPEATS runs and MIN_SECONDS (other load only slows)."""
    best, spent, repeats = float("inf"), 0.0, 0
    while repeats < MIN_REPEATS or spent < MIN_SECONDS:
        began = time.perf_counter()
        run()
        elapsed = time.perf_counter() - began
        best, spent, repeats = min(best, elapsed), spent + elapsed, repeats + 1
    return count / best


def ours(cal: BusinessCalendar, starts: Sequence[datetime], budgets: Sequence[Budget]) -> list[datetime]:
    """Deadlines from our engine."""
    return [add_business_time(cal, s, b) for s, b in zip(starts, budgets, strict=True)]


def check(cal: BusinessCalendar, mine: Sequence[datetime], theirs: Sequence[pd.Timestamp]) -> int:
    """How many answers differ from pandas by any business time (should be 0)."""
    wrong = 0
    for a, b in zip(mine, theirs, strict=True):
        low, high = sorted([a, b.to_pydatetime().replace(tzinfo=cal.tz)])
        wrong += business_minutes_between(cal, low, high) != 0
    return wrong


def main() -> None:
    """Generate inputs, time both engines, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240918)
    args = parser.parse_args()

    cal = BusinessCalendar()
    cases = generated_cases(args.count, args.seed)
    naive = [pd.Timestamp(start) for start, _ in cases]
    starts = [start.replace(tzinfo=cal.tz) for start, _ in cases]
    budgets = [Budget(minutes=minutes) for _, minutes in cases]
    reference = PandasBusinessHours(cl_holiday_dates(range(2019, 2033)))

    began = time.perf_counter()
    mine = ours(cal, starts, budgets)
    cold = args.count / (time.perf_counter() - began)
    theirs = [reference.deadline(t, m) for t, (_, m) in zip(naive, cases, strict=True)]
    wrong = check(cal, mine, theirs)

    ours_rate = best_rate(lambda: ours(cal, starts, budgets), args.count)
    pandas_rate = best_rate(
        lambda: [reference.deadline(t, m) for t, (_, m) in zip(naive, cases, strict=True)], args.count
    )
    hours = [max(1, m // 60) for _, m in cases]
    offsets = [reference.offset(h) for h in hours]
    hour_budgets = [Budget(minutes=60 * h) for h in hours]
    ours_hours = best_rate(lambda: ours(cal, starts, hour_budgets), args.count)
    pandas_hours = best_rate(lambda: [t + o for t, o in zip(naive, offsets, strict=True)], args.count)

    print(f"inputs: {args.count} (start, minutes) pairs, 2020–2030, seed {args.seed}, default calendar")
    print(f"answers differing from pandas by any business time: {wrong}")
    print(
        f"minute budgets   ours {ours_rate:>10,.0f}/s   pandas {pandas_rate:>8,.0f}/s   "
        f"ratio {ours_rate / pandas_rate:6.1f}x"
    )
    print(
        f"whole hours      ours {ours_hours:>10,.0f}/s   pandas {pandas_hours:>8,.0f}/s   "
        f"ratio {ours_hours / pandas_hours:6.1f}x"
    )
    print(f"ours, cold first run (builds the per-year index): {cold:,.0f}/s")


if __name__ == "__main__":
    main()
