"""The monthly report of a seeded November 2026 (tests/support/report_month.py) against figures worked
out by hand: every figure of every row, the breaches, the bank. Times are desk-local (UTC−3), the
calendar Mon–Fri 08:30–17:30; "h" below means business hours."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from intake.domain.report import HistoryNote, Month, PriorityFigures, ReportError
from intake.services.report import ReportService
from intake.services.report_output import history_line
from intake.services.sla import SlaService
from tests.support.report_month import SANTIAGO, nov, seed_month


def figures(priority: str, **values: object) -> PriorityFigures:
    return PriorityFigures(priority=priority, **values)  # type: ignore[arg-type]


def assert_rows(actual: PriorityFigures, expected: PriorityFigures) -> None:
    for f in fields(PriorityFigures):
        want, got = getattr(expected, f.name), getattr(actual, f.name)
        if isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-6), f"{actual.priority}.{f.name}"
        else:
            assert got == want, f"{actual.priority}.{f.name}: {got!r} != {want!r}"


@pytest.fixture
def service(session_factory: sessionmaker[Session]) -> ReportService:
    with session_factory.begin() as session:
        seed_month(session)
    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    return ReportService(session_factory, SlaService("default"), lambda: now)


NOV = Month(2026, 11, SANTIAGO)

# --- Acme Industrial ---------------------------------------------------------------------------------
# Opened in November (desk time): A-1, A-2 (P1), A-9 (P2; A-8 at Nov 30 22:00 = Dec 1 UTC);
# A-3 (P3); A-4 (P4); A-5 (P5) = 8. Not A-12 (Oct 31 23:00, which is Nov 1 in UTC) nor A-13 (December).
# Closed (status closed, closed in November): A-1, A-2 (P1); A-3 (P3); A-4, A-11 (P4) = 5; A-7 is cancelled.
# Response clocks measured (opened in Nov, not exempt, not cancelled, met or broken by the month's end):
#   A-1 09:00→09:20 = 0.3333 h ≤ 0.5 met; A-2 16:00→16:45 = 0.75 h > 0.5 breached; A-3 0.5 h ≤ 1 met;
#   A-5 10:00→12:00 = 2 h ≤ 8 met; A-9 unanswered, 26.5 h at the month's end > 0.75 breached;
#   A-8 0 h (opened after hours on Nov 30): still running, left out; A-4 exempt (contingency pause).
# Resolution clocks (closed in Nov, not exempt), business time without pauses:
#   A-1 09:00→13:00 = 4 h ≤ 6 met; A-2 Nov 3 16:00→17:30 1.5 + Nov 4 08:30→11:00 2.5 + 15:00→17:30 2.5
#   + Nov 5 08:30→10:00 1.5 = 8 h > 6 breached; A-3 1 + 8.5 + 0.5 = 10 h ≤ 24 met;
#   A-11 Oct 28 7.5 + Oct 29 9 + Oct 30 9 + Nov 2 08:30→09:30 1 = 26.5 h ≤ 3 days from Oct 28 10:00
#   (= Nov 2 10:00: 27 h) met.
# Backlog at Dec 1 00:00: A-8 (2 h → 0–2), A-9 (4 d 15 h → 3–7), A-5 (5 d 14 h → 3–7), A-6 (41 d → >30).
# Solutions proposed in Nov: A-1, A-2 (reopened Nov 4), A-3, A-11 → 4, reopened 1.
# Surveys sent in Nov: A-1 (5), A-2 (no answer), A-3 (3), A-11 (4) → 3 of 4, average 12/3 = 4.
# Time in Nov: A-1 60 (P1, not charged), A-2 120 (P1, charged), A-6 90 (P3, charged).
ACME = {
    "P1": figures(
        "P1",
        opened=2,
        closed=2,
        response_met=1,
        response_measured=2,
        resolution_met=1,
        resolution_measured=2,
        response_median_hours=(1 / 3 + 0.75) / 2,  # (0.3333 + 0.75) / 2 = 0.5417
        response_p90_hours=0.75,  # nearest rank ⌈0.9·2⌉ = 2nd of [0.3333, 0.75]
        resolution_median_hours=6.0,  # (4 + 8) / 2
        resolution_p90_hours=8.0,
        solutions=2,
        reopened=1,
        surveys_sent=2,
        surveys_answered=1,
        survey_average=5.0,
        minutes_used=180,
        minutes_charged=120,  # 60 + 120; 120
    ),
    "P2": figures(
        "P2",
        opened=3,
        response_met=0,
        response_measured=1,  # A-9 only
        backlog=(1, 1, 0, 0),
    ),
    "P3": figures(
        "P3",
        opened=1,
        closed=1,
        response_met=1,
        response_measured=1,
        resolution_met=1,
        resolution_measured=1,
        response_median_hours=0.5,
        response_p90_hours=0.5,
        resolution_median_hours=10.0,
        resolution_p90_hours=10.0,
        backlog=(0, 0, 0, 1),
        solutions=1,
        surveys_sent=1,
        surveys_answered=1,
        survey_average=3.0,
        minutes_used=90,
        minutes_charged=90,
    ),
    "P4": figures(
        "P4",
        opened=1,
        closed=2,
        exempt=1,
        resolution_met=1,
        resolution_measured=1,  # A-4 exempt; A-11
        resolution_median_hours=26.5,
        resolution_p90_hours=26.5,
        solutions=1,
        surveys_sent=1,
        surveys_answered=1,
        survey_average=4.0,
    ),
    "P5": figures(
        "P5",
        opened=1,
        response_met=1,
        response_measured=1,
        response_median_hours=2.0,
        response_p90_hours=2.0,
        backlog=(0, 1, 0, 0),
    ),
    "total": figures(
        "total",
        opened=8,
        closed=5,
        exempt=1,
        response_met=3,
        response_measured=5,  # of → 60 %
        resolution_met=3,
        resolution_measured=4,  # of those + A-2 → 75 %
        response_median_hours=0.625,  # sorted [0.3333, 0.5, 0.75, 2]: (0.5 + 0.75) / 2
        response_p90_hours=2.0,  # ⌈0.9·4⌉ = 4th
        resolution_median_hours=9.0,  # sorted [4, 8, 10, 26.5]: (8 + 10) / 2
        resolution_p90_hours=26.5,
        backlog=(1, 2, 0, 1),
        solutions=4,
        reopened=1,  # 25 %
        surveys_sent=4,
        surveys_answered=3,
        survey_average=4.0,  # (5 + 3 + 4) / 3
        minutes_used=270,
        minutes_charged=210,  # 60 + 120 + 90; 120 + 90
    ),
}

# --- Beta Logística (plan Beta Plus: P2 response 120 min) ---------------------------------------------
# Opened: B-1 (P2), B-2 (P3, exempt: active contingency), B-3 (P1) = 3; closed B-1, B-3 = 2.
# Response: B-1 09:00→10:30 = 1.5 h ≤ 2 (the plan's target; the default 0.75 would break) met;
#   B-3 10 min = 0.1667 h met. Resolution: B-1 09:00→14:00 = 5 h ≤ 8 met; B-3 10:00→12:00 2 h
#   + 15:00→17:30 2.5 + Nov 13 08:30→09:00 0.5 = 5 h ≤ 6 met. No breach (B-2 exempt).
# Backlog: B-2 (Dec 1 − Nov 10 09:00 = 20 d 15 h → 8–30). Solutions B-1, B-3 (reopened) → 1 of 2.
# Surveys: B-1 (4), B-3 (2). Time: B-1 60 (P2, charged), B-3 30 (P1, not charged).
BETA = {
    "P1": figures(
        "P1",
        opened=1,
        closed=1,
        response_met=1,
        response_measured=1,
        resolution_met=1,
        resolution_measured=1,
        response_median_hours=1 / 6,
        response_p90_hours=1 / 6,
        resolution_median_hours=5.0,
        resolution_p90_hours=5.0,
        solutions=1,
        reopened=1,
        surveys_sent=1,
        surveys_answered=1,
        survey_average=2.0,
        minutes_used=30,
    ),
    "P2": figures(
        "P2",
        opened=1,
        closed=1,
        response_met=1,
        response_measured=1,
        resolution_met=1,
        resolution_measured=1,
        response_median_hours=1.5,
        response_p90_hours=1.5,
        resolution_median_hours=5.0,
        resolution_p90_hours=5.0,
        solutions=1,
        surveys_sent=1,
        surveys_answered=1,
        survey_average=4.0,
        minutes_used=60,
        minutes_charged=60,
    ),
    "P3": figures("P3", opened=1, exempt=1, backlog=(0, 0, 1, 0)),
    "P4": figures("P4"),
    "P5": figures("P5"),
    "total": figures(
        "total",
        opened=3,
        closed=2,
        exempt=1,
        response_met=2,
        response_measured=2,
        resolution_met=2,
        resolution_measured=2,
        response_median_hours=(1 / 6 + 1.5) / 2,  # 0.8333
        response_p90_hours=1.5,  # ⌈0.9·2⌉ = 2nd
        resolution_median_hours=5.0,
        resolution_p90_hours=5.0,
        backlog=(0, 0, 1, 0),
        solutions=2,
        reopened=1,
        surveys_sent=2,
        surveys_answered=2,
        survey_average=3.0,  # (4 + 2) / 2
        minutes_used=90,
        minutes_charged=60,
    ),
}

# --- the whole desk: Acme + Beta (Gamma has nothing) ---------------------------------------------------
DESK = {
    "P1": figures(
        "P1",
        opened=3,
        closed=3,
        response_met=2,
        response_measured=3,
        resolution_met=2,
        resolution_measured=3,
        response_median_hours=1 / 3,  # sorted [0.1667, 0.3333, 0.75]
        response_p90_hours=0.75,  # ⌈0.9·3⌉ = 3rd
        resolution_median_hours=5.0,
        resolution_p90_hours=8.0,  # sorted [4, 5, 8]
        solutions=3,
        reopened=2,
        surveys_sent=3,
        surveys_answered=2,
        survey_average=3.5,  # (5 + 2) / 2
        minutes_used=210,
        minutes_charged=120,  # 60 + 120 + 30
    ),
    "total": figures(
        "total",
        opened=11,
        closed=7,
        exempt=2,  # 8 + 3; 5 + 2; A-4, B-2
        response_met=5,
        response_measured=7,  # 71.4 %
        resolution_met=5,
        resolution_measured=6,  # 83.3 %
        response_median_hours=0.625,  # sorted [0.1667, 0.3333, 0.5, 0.75, 1.5, 2]: (0.5 + 0.75) / 2
        response_p90_hours=2.0,  # ⌈0.9·6⌉ = 6th
        resolution_median_hours=6.5,  # sorted [4, 5, 5, 8, 10, 26.5]: (5 + 8) / 2
        resolution_p90_hours=26.5,
        backlog=(1, 2, 1, 1),
        solutions=6,
        reopened=2,
        surveys_sent=6,
        surveys_answered=5,
        survey_average=3.6,  # (5 + 3 + 4 + 4 + 2) / 5
        minutes_used=360,
        minutes_charged=270,  # 270 + 90; 210 + 60
    ),
}


def test_acme_every_figure(service: ReportService) -> None:
    report = service.report(NOV, "Acme Industrial")
    assert report.company == "Acme Industrial" and report.month.label == "2026-11"
    assert [r.priority for r in report.rows] == ["P1", "P2", "P3", "P4", "P5", "total"]
    for row in report.rows:
        assert_rows(row, ACME[row.priority])
    total = report.total
    assert (total.response_pct, total.resolution_pct) == (60.0, 75.0)  # 3/5, 3/4
    assert (total.reopen_pct, total.survey_response_pct) == (25.0, 75.0)  # 1/4, 3/4
    assert total.backlog_total == 4
    # Bank: credits Oct 1 600 + Nov 15 300 = 900 (Dec 1's 600 is later); charged up to the month's end:
    # A-11 45 (Oct) + A-2 120 + A-6 90 = 255 (A-13's 300 is December); balance 900 − 255 = 645.
    assert (report.bank.credited, report.bank.charged, report.bank.balance) == (900, 255, 645)
    # Breaches, by priority then ticket then clock:
    # A-2 resolution 8 h / 6; A-2 response 0.75 h / 0.5; A-9 resolution 26.5 h / 8 (Nov 26 8.5 + 27 9 + 30 9);
    # A-9 response 26.5 h / 0.75; A-6 resolution, still open: Oct 20 10:00→17:30 7.5 + Oct 21–23 27
    # + five full weeks (Oct 26–30, Nov 2–6, 9–13, 16–20, 23–27) 225 + Nov 30 9 = 268.5 h / 24.
    got = [
        (b.number, b.clock, round(b.elapsed_hours, 4), b.target_hours, b.still_open) for b in report.breaches
    ]
    assert got == [
        ("A-2", "resolution", 8.0, 6.0, False),
        ("A-2", "response", 0.75, 0.5, False),
        ("A-9", "resolution", 26.5, 8.0, True),
        ("A-9", "response", 26.5, 0.75, True),
        ("A-6", "resolution", 268.5, 24.0, True),
    ]
    # What A-2's history records, in order, in desk time.
    assert report.breaches[0].reasons == (
        HistoryNote(nov(3, 16, 10), "priority_changed", "P2 → P1: production stopped"),
        HistoryNote(nov(4, 15), "reopened", "the fix broke invoicing"),
        HistoryNote(nov(4, 17), "sla_alert", "resolution"),
    )
    assert [history_line(note, "es", report) for note in report.breaches[0].reasons] == [
        "2026-11-03 16:10 prioridad P2 → P1: production stopped",
        "2026-11-04 15:00 reabierto por el cliente: the fix broke invoicing",
        "2026-11-04 17:00 alerta de incumplimiento (Resolución)",
    ]
    assert report.breaches[0].title == "Caída del punto de venta"


def test_beta_every_figure_under_its_plan(service: ReportService) -> None:
    report = service.report(NOV, "beta")  # an unambiguous part of the name
    assert report.company == "Beta Logística"
    for row in report.rows:
        assert_rows(row, BETA[row.priority])
    assert report.breaches == ()
    # Credit Nov 1 00:00 local 240; charged B-1 60; balance 180.
    assert (report.bank.credited, report.bank.charged, report.bank.balance) == (240, 60, 180)


def test_whole_desk(service: ReportService) -> None:
    report = service.report(NOV, None)
    assert report.company_id is None
    assert_rows(report.row("P1"), DESK["P1"])
    assert_rows(report.total, DESK["total"])
    assert len(report.breaches) == 5
    # 900 + 240; 255 + 60; 645 + 180.
    assert (report.bank.credited, report.bank.charged, report.bank.balance) == (1140, 315, 825)
    desk, per_company = service.all_reports(NOV)
    assert [r.company for r in per_company] == ["Acme Industrial", "Beta Logística", "Gamma Retail"]
    assert desk.total == report.total
    assert per_company[2].total == figures("total")  # Gamma: nothing at all


def test_other_months_and_bad_input(service: ReportService) -> None:
    october = service.report(service.month("2026-10"), "Acme Industrial")
    # October: opened (A-12 at Oct 31 23:00 local); closed.
    assert (october.total.opened, october.total.closed) == (4, 2)
    assert service.month(None).label == "2026-11"  # the clock says Dec 5: the previous month
    with pytest.raises(ReportError, match="YYYY-MM"):
        service.month("2026/11")
    with pytest.raises(ReportError, match="YYYY-MM"):
        service.month("2026-13")
    with pytest.raises(ReportError, match="no company is named"):
        service.report(NOV, "Nobody")
    with pytest.raises(ReportError, match="no company has id 999"):
        service.report(NOV, "999")
