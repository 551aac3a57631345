"""A ticket opened without the two triage answers (e-mail): whether it still waits for them, and the
answers applied — from an e-mail reply or the tracking page, through the same function."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.events import record_event
from intake.db.models import Ticket, TicketEvent
from intake.domain.events import Actor, EventKind
from intake.services.tickets import TicketService
from sla.priority import Impact, Urgency, priority_for


def triage_pending(session: Session, ticket: Ticket) -> bool:
    """Whether the ticket still waits for the customer's impact and urgency."""
    states = [
        (data or {}).get("triage")
        for data in session.scalars(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.NOTE
            )
        )
    ]
    return "pending" in states and "answered" not in states


def apply_triage(
    session: Session,
    tickets: TicketService,
    ticket: Ticket,
    answer: tuple[Impact, Urgency],
    via: str,
    now: datetime,
) -> None:
    """The customer's impact and urgency replace the default priority (new deadlines, customer told)."""
    impact, urgency = answer
    ticket.impact, ticket.urgency = str(impact), str(urgency)
    new = priority_for(impact, urgency)
    if new != ticket.priority:
        reason = f"triage by {via}: impact {impact}, urgency {urgency}"
        tickets.change_priority(session, ticket, new, reason, now=now)
    record_event(
        session,
        ticket.id,
        EventKind.NOTE,
        Actor.CUSTOMER,
        f"Triage answered by {via}: impact {impact}, urgency {urgency} ({new})",
        now=now,
        data={"triage": "answered"},
    )
