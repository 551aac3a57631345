"""A demo month for the monthly report (`intake-bot demo month`), also the report tests' seeded month:
November 2026, two companies with tickets of every priority, a contingency, breaches, a reopen, surveys,
time entries and bank credits, plus tickets of other months that must not count.

Times are local to the desk (America/Santiago, UTC−3 in November; calendar Mon–Fri 08:30–17:30, no
weekday holiday between Oct 20 and Dec 1 2026). Nov 2 2026 is a Monday. The figures these rows must give
are worked out by hand in tests/integration/test_report.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.models import (
    Company,
    Contact,
    Contingency,
    HoursBankCredit,
    PriorityChange,
    SlaAlert,
    SupportPlan,
    SurveyAnswer,
    Ticket,
    TicketEvent,
    TicketPause,
    TimeEntry,
)

SANTIAGO = ZoneInfo("America/Santiago")


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A local desk time."""
    return datetime(year, month, day, hour, minute, tzinfo=SANTIAGO)


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in November 2026."""
    return at(11, day, hour, minute)


@dataclass(frozen=True)
class SeededMonth:
    """Ids of what was seeded."""

    acme: int
    beta: int
    gamma: int


DEMO_MONTH = "2026-11"
DEMO_MONTH_COMPANY = "Acme Industrial"


def load_demo_month(session: Session) -> bool:
    """Seed the demo month once; False when it is already there."""
    if session.scalar(select(Company).where(Company.name == DEMO_MONTH_COMPANY)) is not None:
        return False
    seed_month(session)
    return True


def seed_month(session: Session) -> SeededMonth:
    """Seed the month; returns the companies' ids (Acme, Beta, Gamma)."""
    beta_plan = SupportPlan(name="Beta Plus", target_overrides={"P2": {"response_minutes": 120}})
    session.add(beta_plan)
    acme = Company(name=DEMO_MONTH_COMPANY)
    beta = Company(name="Beta Logística", plan=beta_plan)
    gamma = Company(name="Gamma Retail")
    session.add_all([acme, beta, gamma])
    session.flush()
    session.add_all(
        [
            Contact(company_id=acme.id, name="Ana Acme", email="ana@acme.example", receives_reports=True),
            Contact(
                company_id=acme.id,
                name="Bob Acme",
                email="bob@acme.example",
                language="en",
                receives_reports=True,
            ),
            Contact(company_id=acme.id, name="Carla Acme", email="carla@acme.example"),
            Contact(
                company_id=beta.id,
                name="Paulo Beta",
                email="paulo@beta.example",
                language="pt",
                receives_reports=True,
            ),
            Contact(company_id=gamma.id, name="Gil Gamma", receives_reports=True),  # no e-mail
        ]
    )
    _acme(session, acme.id)
    _beta(session, beta.id, beta_plan.id)
    session.flush()
    return SeededMonth(acme.id, beta.id, gamma.id)


def _ticket(
    session: Session, company_id: int, number: str, priority: str, opened: datetime, **kw: object
) -> int:
    ticket = Ticket(
        number=number,
        tracking_token=secrets.token_urlsafe(24),
        company_id=company_id,
        channel="whatsapp",
        ticket_type="incident",
        title=kw.pop("title", f"Ticket {number}"),
        impact="medio",
        urgency="media",
        priority=priority,
        status=kw.pop("status", "closed"),
        opened_at=opened,
        response_due=opened,
        resolution_due=opened,
        **kw,
    )
    session.add(ticket)
    session.flush()
    return ticket.id


def _pause(session: Session, ticket: int, reason: str, start: datetime, end: datetime | None) -> None:
    session.add(TicketPause(ticket_id=ticket, reason=reason, started_at=start, ended_at=end))


def _event(session: Session, ticket: int, kind: str, when: datetime, body: str = "") -> None:
    session.add(TicketEvent(ticket_id=ticket, kind=kind, actor="agent", body=body, created_at=when))


def _time(session: Session, ticket: int, company: int, minutes: int, charged: bool, when: datetime) -> None:
    session.add(
        TimeEntry(
            ticket_id=ticket, company_id=company, minutes=minutes, charged_to_bank=charged, worked_at=when
        )
    )


def _acme(session: Session, c: int) -> None:
    # A1 P1: answered in 20 min; solution at 4 h; validated the next day; survey 5.
    a1 = _ticket(
        session,
        c,
        "A-1",
        "P1",
        nov(2, 9),
        first_response_at=nov(2, 9, 20),
        solution_proposed_at=nov(2, 13),
        resolved_at=nov(2, 13),
        closed_at=nov(3, 10),
        survey_sent_at=nov(3, 10),
        title="Facturas no se emiten",
    )
    _pause(session, a1, "validation", nov(2, 13), nov(3, 10))
    _event(session, a1, "solution_proposed", nov(2, 13))
    session.add(SurveyAnswer(ticket_id=a1, rating=5, answered_at=nov(3, 11)))
    _time(session, a1, c, 60, False, nov(2, 12))

    # A2 P1 (raised from P2): answered in 45 min (late); solution, reopened, solution again: 8 h (late).
    a2 = _ticket(
        session,
        c,
        "A-2",
        "P1",
        nov(3, 16),
        first_response_at=nov(3, 16, 45),
        closed_at=nov(5, 12),
        solution_proposed_at=nov(5, 10),
        resolved_at=nov(5, 10),
        survey_sent_at=nov(5, 12),
        title="Caída del punto de venta",
    )
    session.add(
        PriorityChange(
            ticket_id=a2,
            old_priority="P2",
            new_priority="P1",
            reason="production stopped",
            changed_at=nov(3, 16, 10),
        )
    )
    _pause(session, a2, "validation", nov(4, 11), nov(4, 15))
    _pause(session, a2, "validation", nov(5, 10), nov(5, 12))
    _event(session, a2, "solution_proposed", nov(4, 11))
    _event(session, a2, "reopened", nov(4, 15), "the fix broke invoicing")
    _event(session, a2, "solution_proposed", nov(5, 10))
    session.add(SlaAlert(ticket_id=a2, clock="resolution", level=100, fired_at=nov(4, 17)))
    _time(session, a2, c, 120, True, nov(4, 10))

    # A3 P3: answered in 30 min; waited on the customer overnight; 10 business hours; survey 3.
    a3 = _ticket(
        session,
        c,
        "A-3",
        "P3",
        nov(9, 10),
        first_response_at=nov(9, 10, 30),
        closed_at=nov(12, 9),
        solution_proposed_at=nov(11, 9),
        resolved_at=nov(11, 9),
        survey_sent_at=nov(12, 9),
    )
    _pause(session, a3, "waiting_customer", nov(9, 11), nov(10, 9))
    _pause(session, a3, "validation", nov(11, 9), nov(12, 9))
    _event(session, a3, "solution_proposed", nov(11, 9))
    session.add(SurveyAnswer(ticket_id=a3, rating=3, answered_at=nov(12, 10)))

    # A4 P4: touched by a contingency (ended, so no longer flagged sla_exempt): out of the SLA figures.
    session.add(
        Contingency(
            title="Caída del hosting", declared_by="Carlos", started_at=nov(16, 9), ended_at=nov(16, 14)
        )
    )
    a4 = _ticket(session, c, "A-4", "P4", nov(16, 10), first_response_at=nov(17, 10), closed_at=nov(20, 10))
    _pause(session, a4, "contingency", nov(16, 10), nov(16, 14))

    # A5 P5: answered in 2 h; open at the month's end (5 days old).
    _ticket(session, c, "A-5", "P5", nov(25, 10), first_response_at=nov(25, 12), status="in_progress")
    # A6 P3: opened in October, still open (41 days old), far past its 24 h; 90 min charged in November.
    a6 = _ticket(
        session, c, "A-6", "P3", at(10, 20, 10), first_response_at=at(10, 20, 10, 30), status="in_progress"
    )
    _time(session, a6, c, 90, True, nov(10, 15))
    # A7 P2: cancelled an hour after opening.
    _ticket(session, c, "A-7", "P2", nov(18, 10), status="cancelled", closed_at=nov(18, 11))
    # A8 P2: opened on the last evening (Dec 1 01:00 UTC), calendar closed: its response clock has not run.
    _ticket(session, c, "A-8", "P2", nov(30, 22), status="new")
    # A9 P2: never answered; open at the month's end (4 days old).
    _ticket(session, c, "A-9", "P2", nov(26, 9), status="new")
    # A10 P3: opened and closed in October: not in November at all.
    _ticket(
        session, c, "A-10", "P3", at(10, 5, 10), first_response_at=at(10, 5, 10, 5), closed_at=at(10, 9, 10)
    )
    # A11 P4: opened in October, solution Nov 2 09:30 (26.5 h of a 27 h budget), closed Nov 3; survey 4.
    a11 = _ticket(
        session,
        c,
        "A-11",
        "P4",
        at(10, 28, 10),
        first_response_at=at(10, 28, 11),
        closed_at=nov(3, 10),
        solution_proposed_at=nov(2, 9, 30),
        resolved_at=nov(2, 9, 30),
        survey_sent_at=nov(3, 10),
    )
    _pause(session, a11, "validation", nov(2, 9, 30), nov(3, 10))
    _event(session, a11, "solution_proposed", nov(2, 9, 30))
    session.add(SurveyAnswer(ticket_id=a11, rating=4, answered_at=nov(3, 12)))
    _time(session, a11, c, 45, True, at(10, 28, 12))  # October: in the bank, not in November's hours
    # A12 P4: opened and closed on Oct 31 late evening (Nov 1 UTC): October in the desk's zone.
    _ticket(
        session,
        c,
        "A-12",
        "P4",
        at(10, 31, 23),
        first_response_at=at(10, 31, 23, 5),
        closed_at=at(10, 31, 23, 30),
        survey_sent_at=at(10, 31, 23, 30),
    )
    # A13 P1: December.
    a13 = _ticket(session, c, "A-13", "P1", at(12, 1, 9), status="new")
    _time(session, a13, c, 300, True, at(12, 2, 10))
    session.add_all(
        [
            HoursBankCredit(company_id=c, minutes=600, credited_at=at(10, 1, 9)),
            HoursBankCredit(company_id=c, minutes=300, credited_at=nov(15, 9)),
            HoursBankCredit(company_id=c, minutes=600, credited_at=at(12, 1, 10)),
        ]
    )


def _beta(session: Session, c: int, plan: int) -> None:
    # B1 P2 under the Beta Plus plan (P2 response 120 min): answered in 1.5 h (met); 5 h to solve; survey 4.
    b1 = _ticket(
        session,
        c,
        "B-1",
        "P2",
        nov(4, 9),
        plan_id=plan,
        first_response_at=nov(4, 10, 30),
        closed_at=nov(5, 9),
        solution_proposed_at=nov(4, 14),
        resolved_at=nov(4, 14),
        survey_sent_at=nov(5, 9),
    )
    _pause(session, b1, "validation", nov(4, 14), nov(5, 9))
    _event(session, b1, "solution_proposed", nov(4, 14))
    session.add(SurveyAnswer(ticket_id=b1, rating=4, answered_at=nov(5, 10)))
    _time(session, b1, c, 60, True, nov(4, 12))
    # B2 P3: opened during an active contingency (sla_exempt), still open (20 days old).
    session.add(
        Contingency(
            title="Corte de enlace",
            all_companies=False,
            company_ids=[c],
            declared_by="Carlos",
            started_at=nov(10, 8),
        )
    )
    b2 = _ticket(
        session,
        c,
        "B-2",
        "P3",
        nov(10, 9),
        plan_id=plan,
        first_response_at=nov(10, 9, 40),
        sla_exempt=True,
        status="in_progress",
    )
    _pause(session, b2, "contingency", nov(10, 9), None)
    # B3 P1: answered in 10 min; solution at 2 h, reopened, solution again at 5 h (met); survey 2.
    b3 = _ticket(
        session,
        c,
        "B-3",
        "P1",
        nov(12, 10),
        plan_id=plan,
        first_response_at=nov(12, 10, 10),
        closed_at=nov(13, 10),
        solution_proposed_at=nov(13, 9),
        resolved_at=nov(13, 9),
        survey_sent_at=nov(13, 10),
    )
    _pause(session, b3, "validation", nov(12, 12), nov(12, 15))
    _pause(session, b3, "validation", nov(13, 9), nov(13, 10))
    _event(session, b3, "solution_proposed", nov(12, 12))
    _event(session, b3, "reopened", nov(12, 15))
    _event(session, b3, "solution_proposed", nov(13, 9))
    session.add(SurveyAnswer(ticket_id=b3, rating=2, answered_at=nov(13, 11)))
    _time(session, b3, c, 30, False, nov(12, 11))
    session.add(HoursBankCredit(company_id=c, minutes=240, credited_at=nov(1, 0)))
