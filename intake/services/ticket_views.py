"""What agents see of tickets (CLI, console): who, where, deadlines as they stand now, files, survey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.models import Agent, Attachment, Company, Contact, SurveyAnswer, Ticket, TicketEvent
from intake.domain.lifecycle import OPEN_STATUSES
from intake.services.billing import TicketBilling, ticket_billing
from intake.services.sla import SlaService, deadline_states

# How a clock that is not simply running is shown to agents.
AGENT_CLOCK_WORDS = {
    "answered": "answered",
    "overdue": "OVERDUE",
    "paused_customer": "paused: waiting on the customer",
    "paused_validation": "paused: waiting for the customer's validation",
    "paused_contingency": "paused: contingency",
}


@dataclass(frozen=True, slots=True)
class AttachmentLine:
    """One file on a ticket: its name, size, where it is stored (relative to the data dir), status."""

    filename: str
    size: int | None
    stored_at: str | None
    status: str
    origin: str


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """A ticket as an agent's list shows it; deadlines are local text or a clock state in words."""

    number: str
    title: str
    status: str
    priority: str
    company: str
    contact: str
    channel: str
    module: str
    assignee: str
    response: str
    resolution: str


@dataclass(frozen=True, slots=True)
class TicketDetails:
    """A ticket with everything an agent needs on one screen."""

    summary: TicketSummary
    impact: str
    urgency: str
    ticket_type: str
    description: str
    attachments: list[AttachmentLine]
    survey_rating: int | None
    survey_comment: str | None
    events: list[tuple[str, str, str]]  # (local time, kind, body)
    billing: TicketBilling | None = None  # issue 15: billable, request rule, time logged, bank balance


def ticket_summaries(
    session: Session, sla: SlaService, now: datetime, *, everything: bool
) -> list[TicketSummary]:
    """Tickets, the most urgent resolution deadline first (only open ones unless `everything`)."""
    query = select(Ticket).order_by(Ticket.resolution_due, Ticket.id)
    if not everything:
        query = query.where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
    return [_summary(session, sla, ticket, now) for ticket in session.scalars(query)]


def ticket_details(session: Session, sla: SlaService, number: str, now: datetime) -> TicketDetails | None:
    """One ticket in full, or None when there is no such number."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number.strip().upper()))
    if ticket is None:
        return None
    tz = _tz(session, sla, ticket)
    files = session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    )
    survey = session.scalar(select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket.id))
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    )
    return TicketDetails(
        summary=_summary(session, sla, ticket, now),
        impact=ticket.impact,
        urgency=ticket.urgency,
        ticket_type=ticket.ticket_type,
        description=ticket.description,
        attachments=[
            AttachmentLine(a.filename or a.mime_type or a.kind, a.size, a.storage_path, a.status, a.origin)
            for a in files
        ],
        survey_rating=survey.rating if survey else None,
        survey_comment=survey.comment if survey else None,
        events=[(local_time(e.created_at, tz), e.kind, e.body) for e in events],
        billing=ticket_billing(session, ticket, now),
    )


def local_time(instant: datetime, tz: ZoneInfo) -> str:
    """An instant as 'YYYY-MM-DD HH:MM' in a time zone."""
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def human_size(size: int | None) -> str:
    """1234567 → '1.2 MB'; unknown sizes as '?'."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} MB"


def _summary(session: Session, sla: SlaService, ticket: Ticket, now: datetime) -> TicketSummary:
    tz = _tz(session, sla, ticket)
    states = deadline_states(ticket, now)
    company = session.get(Company, ticket.company_id) if ticket.company_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    agent = session.get(Agent, ticket.assigned_agent_id) if ticket.assigned_agent_id else None
    return TicketSummary(
        number=ticket.number or "",
        title=ticket.title,
        status=ticket.status,
        priority=ticket.priority,
        company=company.name if company else "(no company)",
        contact=_contact(contact),
        channel=ticket.channel,
        module=ticket.module or "-",
        assignee=agent.name if agent else "(unassigned)",
        response=_deadline(ticket.response_due, states.response, tz),
        resolution=_deadline(ticket.resolution_due, states.resolution, tz),
    )


def _deadline(due: datetime, state: str, tz: ZoneInfo) -> str:
    """'due 2026-03-02 15:00' while the clock runs, else its state in words."""
    if not state:
        return f"due {local_time(due, tz)}"
    if state == "overdue":
        return f"OVERDUE since {local_time(due, tz)}"
    return AGENT_CLOCK_WORDS[state]


def _contact(contact: Contact | None) -> str:
    if contact is None:
        return "(unknown contact)"
    return f"{contact.name} <{contact.email}>" if contact.email else contact.name


def _tz(session: Session, sla: SlaService, ticket: Ticket) -> ZoneInfo:
    return ZoneInfo(sla.ticket_calendar(session, ticket).timezone)
