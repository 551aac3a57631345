"""The monthly service report: reads a month's tickets, time and hours bank and hands plain facts to the
pure computation (intake/domain/report.py). Read-only: one short transaction per report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db import unit_of_work
from intake.db.models import (
    Company,
    Contact,
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
from intake.domain.events import EventKind
from intake.domain.report import (
    CreditFacts,
    HistoryNote,
    Month,
    MonthlyReport,
    PauseFacts,
    ReportError,
    TicketFacts,
    TimeFacts,
    monthly_report,
)
from intake.services.companies import CompanyLookupError, CompanyRef, company_id_of
from intake.services.sla import SlaService, targets_with_overrides
from sla.calendar import BusinessCalendar
from sla.calendar_presets import resolve_calendar
from sla.priority import Priority, Target

DESK = "desk"  # how the whole desk is named where a company would be
HISTORY_KINDS = (EventKind.ESCALATED.value, EventKind.REOPENED.value)


@dataclass(frozen=True, slots=True)
class CompanyChoice:
    """A company the report can be produced for."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ReportContact:
    """Who receives a company's report: a name, an e-mail and the language to write in."""

    name: str
    email: str
    language: str


class ReportService:
    """The monthly report use cases: compute it for a company or the desk, list the choices."""

    def __init__(
        self, session_factory: sessionmaker[Session], sla: SlaService, clock: Callable[[], datetime]
    ) -> None:
        self.session_factory = session_factory
        self.sla = sla
        self.clock = clock

    @property
    def tz(self) -> ZoneInfo:
        """The desk's time zone: months are cut there."""
        return self.sla.default_calendar.tz

    def month(self, text: str | None) -> Month:
        """A month from ``YYYY-MM`` (None → the previous month, the one a report is usually sent for)."""
        if text:
            return Month.parse(text, self.tz)
        today = self.clock().astimezone(self.tz)
        year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        return Month(year, month, self.tz)

    def report(self, month: Month, company: CompanyRef | None = None) -> MonthlyReport:
        """The report of a company (by id or name) or of the whole desk (None); ReportError if unknown."""
        with unit_of_work(self.session_factory) as session:
            return build_report(session, self.sla, month, _company_id(session, company))

    def companies(self) -> list[CompanyChoice]:
        """Every company, by name (for the pickers)."""
        with unit_of_work(self.session_factory) as session:
            rows = session.execute(select(Company.id, Company.name).order_by(Company.name)).all()
            return [CompanyChoice(int(cid), name) for cid, name in rows]

    def all_reports(self, month: Month) -> tuple[MonthlyReport, list[MonthlyReport]]:
        """The whole desk's report and one per company (in name order), read in one transaction."""
        with unit_of_work(self.session_factory) as session:
            desk = build_report(session, self.sla, month, None)
            ids = list(session.scalars(select(Company.id).order_by(Company.name)))
            return desk, [build_report(session, self.sla, month, cid) for cid in ids]


def _company_id(session: Session, ref: CompanyRef | None) -> int | None:
    if ref is None or (isinstance(ref, str) and ref.strip().lower() in ("", DESK)):
        return None
    try:
        company_id = company_id_of(session, ref)
    except CompanyLookupError as exc:
        raise ReportError(str(exc)) from None
    if session.get(Company, company_id) is None:
        raise ReportError(f"no company has id {company_id} (see `intake-bot company list`)")
    return company_id


def report_contacts(session: Session, company_id: int) -> list[ReportContact]:
    """A company's contacts who receive its reports and have an e-mail."""
    rows = session.scalars(
        select(Contact)
        .where(
            Contact.company_id == company_id, Contact.receives_reports.is_(True), Contact.email.is_not(None)
        )
        .order_by(Contact.id)
    )
    return [ReportContact(c.name, c.email or "", c.language or "es") for c in rows if (c.email or "").strip()]


def build_report(session: Session, sla: SlaService, month: Month, company_id: int | None) -> MonthlyReport:
    """Read the facts of a month (for a company, or every ticket for the desk) and compute the report."""
    name = DESK
    if company_id is not None:
        company = session.get(Company, company_id)
        name = company.name if company else str(company_id)
    facts = _ticket_facts(session, sla, month, company_id)
    times, credits = _time_facts(session, month, company_id), _credit_facts(session, month, company_id)
    return monthly_report(month, company_id, name, facts, times, credits)


def _ticket_facts(
    session: Session, sla: SlaService, month: Month, company_id: int | None
) -> list[TicketFacts]:
    """Every ticket alive during the month: opened before its end, not finished before its start."""
    query = select(Ticket).where(
        Ticket.opened_at < month.end, or_(Ticket.closed_at.is_(None), Ticket.closed_at >= month.start)
    )
    if company_id is not None:
        query = query.where(Ticket.company_id == company_id)
    tickets = list(session.scalars(query.order_by(Ticket.id)))
    ids = [t.id for t in tickets]
    related = _Related.load(session, ids)
    names: dict[int, str] = {cid: name for cid, name in session.execute(select(Company.id, Company.name))}
    plans = _Plans(session, sla)
    facts = []
    for ticket in tickets:
        calendar, targets = plans.of(ticket)
        facts.append(
            TicketFacts(
                id=ticket.id,
                number=ticket.number or f"#{ticket.id}",
                title=ticket.title,
                company_id=ticket.company_id,
                company=names.get(ticket.company_id or 0, "-"),
                priority=ticket.priority,
                status=ticket.status,
                opened_at=ticket.opened_at,
                calendar=calendar,
                target=targets[Priority(ticket.priority)],
                first_response_at=ticket.first_response_at,
                closed_at=ticket.closed_at,
                sla_exempt=ticket.sla_exempt,
                pauses=tuple(related.pauses[ticket.id]),
                solutions_proposed_at=tuple(related.events[ticket.id, EventKind.SOLUTION_PROPOSED.value]),
                reopened_at=tuple(related.events[ticket.id, EventKind.REOPENED.value]),
                survey_sent_at=ticket.survey_sent_at,
                survey_rating=related.ratings.get(ticket.id),
                history=tuple(related.history[ticket.id]),
            )
        )
    return facts


class _Related:
    """The rows hanging off a month's tickets, loaded in a few queries (not one per ticket)."""

    def __init__(self) -> None:
        self.pauses: defaultdict[int, list[PauseFacts]] = defaultdict(list)
        self.events: defaultdict[tuple[int, str], list[datetime]] = defaultdict(list)
        self.history: defaultdict[int, list[HistoryNote]] = defaultdict(list)
        self.ratings: dict[int, int] = {}

    @classmethod
    def load(cls, session: Session, ids: list[int]) -> _Related:
        related = cls()
        for chunk in _chunks(ids):
            related._load(session, chunk)
        return related

    def _load(self, session: Session, ids: list[int]) -> None:
        for pause in session.scalars(select(TicketPause).where(TicketPause.ticket_id.in_(ids))):
            self.pauses[pause.ticket_id].append(PauseFacts(pause.reason, pause.started_at, pause.ended_at))
        kinds = (EventKind.SOLUTION_PROPOSED.value, EventKind.REOPENED.value, EventKind.ESCALATED.value)
        notes: list[tuple[int, HistoryNote]] = []
        events = select(TicketEvent).where(TicketEvent.ticket_id.in_(ids), TicketEvent.kind.in_(kinds))
        for event in session.scalars(events.order_by(TicketEvent.created_at, TicketEvent.id)):
            self.events[event.ticket_id, event.kind].append(event.created_at)
            if event.kind in HISTORY_KINDS:
                notes.append((event.ticket_id, HistoryNote(event.created_at, event.kind, event.body.strip())))
        for change in session.scalars(select(PriorityChange).where(PriorityChange.ticket_id.in_(ids))):
            detail = f"{change.old_priority or '-'} → {change.new_priority}: {change.reason}"
            notes.append((change.ticket_id, HistoryNote(change.changed_at, "priority_changed", detail)))
        alerts = select(SlaAlert).where(SlaAlert.ticket_id.in_(ids), SlaAlert.level == 100)
        for alert in session.scalars(alerts):
            notes.append((alert.ticket_id, HistoryNote(alert.fired_at, "sla_alert", alert.clock)))
        for ticket_id, note in sorted(notes, key=lambda pair: pair[1]):
            self.history[ticket_id].append(note)
        answers = select(SurveyAnswer.ticket_id, SurveyAnswer.rating).where(SurveyAnswer.ticket_id.in_(ids))
        for ticket_id, rating in session.execute(answers):
            if rating is not None:
                self.ratings[ticket_id] = int(rating)


class _Plans:
    """The calendar and targets of a ticket: the plan it was opened under, else its company's plan."""

    def __init__(self, session: Session, sla: SlaService) -> None:
        self.session, self.sla = session, sla
        self.cache: dict[int | None, tuple[BusinessCalendar, dict[Priority, Target]]] = {}

    def of(self, ticket: Ticket) -> tuple[BusinessCalendar, dict[Priority, Target]]:
        plan_id = ticket.plan_id
        if plan_id is None and ticket.company_id is not None:
            company = self.session.get(Company, ticket.company_id)
            plan_id = company.plan_id if company else None
        if plan_id not in self.cache:
            plan = self.session.get(SupportPlan, plan_id) if plan_id is not None else None
            self.cache[plan_id] = _calendar_and_targets(plan, self.sla)
        return self.cache[plan_id]


def _calendar_and_targets(
    plan: SupportPlan | None, sla: SlaService
) -> tuple[BusinessCalendar, dict[Priority, Target]]:
    if plan is None:
        return sla.default_calendar, targets_with_overrides(None)
    if plan.calendar_config or plan.calendar_name:
        calendar = resolve_calendar(plan.calendar_name, plan.calendar_config)
    else:
        calendar = sla.default_calendar
    return calendar, targets_with_overrides(plan.target_overrides)


def _time_facts(session: Session, month: Month, company_id: int | None) -> list[TimeFacts]:
    """Time entries worked before the month's end (the bank needs them all; the month's hours its own)."""
    query = (
        select(TimeEntry, Ticket.priority, Ticket.company_id)
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(TimeEntry.worked_at < month.end)
    )
    facts = []
    for entry, priority, ticket_company in session.execute(query):
        owner = entry.company_id if entry.company_id is not None else ticket_company
        if company_id is None or owner == company_id:
            facts.append(TimeFacts(owner, priority, entry.minutes, entry.charged_to_bank, entry.worked_at))
    return facts


def _credit_facts(session: Session, month: Month, company_id: int | None) -> list[CreditFacts]:
    query = select(HoursBankCredit).where(HoursBankCredit.credited_at < month.end)
    if company_id is not None:
        query = query.where(HoursBankCredit.company_id == company_id)
    return [CreditFacts(c.company_id, c.minutes, c.credited_at) for c in session.scalars(query)]


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]
