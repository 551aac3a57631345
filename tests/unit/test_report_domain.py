"""The pure monthly-report computation (intake/domain/report.py) on small hand-made cases: month edges,
backlog buckets, percentiles, a clock met exactly at its budget, open pauses at the month's end."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain.report import Month, PauseFacts, ReportError, TicketFacts, monthly_report
from sla.calendar_presets import DEFAULT_CALENDAR
from sla.priority import DEFAULT_TARGETS, Priority

TZ = ZoneInfo("America/Santiago")
NOV = Month(2026, 11, TZ)
END = NOV.end  # 2026-12-01 00:00 −03


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def ticket(
    number: str, opened: datetime, priority: str = "P1", status: str = "in_progress", **kw: object
) -> TicketFacts:
    return TicketFacts(
        id=int(number.split("-")[1]),
        number=number,
        title=number,
        company_id=1,
        company="Acme",
        priority=priority,
        status=status,
        opened_at=opened,
        calendar=DEFAULT_CALENDAR,
        target=DEFAULT_TARGETS[Priority(priority)],
        **kw,  # type: ignore[arg-type]
    )


def test_months_are_cut_in_the_desk_zone() -> None:
    assert (NOV.start.isoformat(), NOV.end.isoformat()) == (
        "2026-11-01T00:00:00-03:00",
        "2026-12-01T00:00:00-03:00",
    )
    december = Month.parse("2026-12", TZ)
    assert december.end == datetime(2027, 1, 1, tzinfo=TZ)
    for bad in ("2026-13", "11-2026", "2026", "", "1999-01"):
        with pytest.raises(ReportError):
            Month.parse(bad, TZ)


def test_backlog_buckets_by_whole_days_at_the_months_end() -> None:
    ages = {
        "T-1": timedelta(days=2, hours=23),  # 2 days → 0–2
        "T-2": timedelta(days=3),  # 3 → 3–7
        "T-3": timedelta(days=7, hours=23),  # 7 → 3–7
        "T-4": timedelta(days=8),  # 8 → 8–30
        "T-5": timedelta(days=30, hours=23),  # 30 → 8–30
        "T-6": timedelta(days=31),  # 31 → >30
    }
    tickets = [ticket(n, END - age, priority="P5") for n, age in ages.items()]
    tickets.append(
        ticket("T-7", local(2, 9), priority="P5", status="closed")
    )  # closed, date missing: not open
    tickets.append(ticket("T-8", local(1, 9, month=12), priority="P5"))  # December
    report = monthly_report(NOV, None, "desk", tickets, [], [])
    assert report.total.backlog == (1, 2, 2, 1)


def test_a_response_exactly_at_its_budget_is_met_and_percentiles_are_nearest_rank() -> None:
    # P1 response budget 30 min; answered after 10, 20, …, 100 minutes (Mon Nov 2 from 09:00).
    tickets = [
        ticket(f"R-{i}", local(2, 9), first_response_at=local(2, 9) + timedelta(minutes=10 * i))
        for i in range(1, 11)
    ]
    row = monthly_report(NOV, None, "desk", tickets, [], []).total
    assert (row.response_met, row.response_measured) == (3, 10)  # 10, 20 and exactly 30 minutes
    assert row.response_median_hours == pytest.approx(55 / 60)  # (50 + 60) / 2 minutes
    assert row.response_p90_hours == pytest.approx(90 / 60)  # ⌈0.9·10⌉ = 9th value


def test_open_tickets_at_the_months_end_past_their_budget_are_breaches() -> None:
    # W-1 waits on the customer since 10:00 on Nov 30 (pause still open): 1 h of its 6 h, no breach.
    waiting = ticket(
        "W-1",
        local(30, 9),
        first_response_at=local(30, 9, 10),
        pauses=(PauseFacts("waiting_customer", local(30, 10), None),),
    )
    # L-2 has run since Fri Nov 27 09:00: 8.5 + 9 (Mon Nov 30) = 17.5 h of 6 h.
    late = ticket("L-2", local(27, 9), first_response_at=local(27, 9, 10))
    report = monthly_report(NOV, None, "desk", [waiting, late], [], [])
    assert [(b.number, b.clock, round(b.elapsed_hours, 6), b.still_open) for b in report.breaches] == [
        ("L-2", "resolution", 17.5, True)
    ]
