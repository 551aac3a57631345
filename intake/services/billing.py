"""Billable incidents and time logged on tickets (in the caller's transaction; AgentActions owns it).

- `mark_billable` / `unmark_billable`: an agent classifies an incident as "error de usuario — facturable"
  with a required reason (or undoes it). The customer is told in the contract's words; the trail keeps
  who and why. Requests (served under the plan's request rule) and closed or cancelled tickets are
  refused.
- `log_time`: minutes and a note by an agent; `charged_to_bank` is decided by `hours_bank.charges_bank`
  and `Ticket.minutes_logged` stays the sum of the ticket's entries. Marking or unmarking an incident
  re-decides the charge of its entries, so the bank always follows the ticket's classification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.events import record_event
from intake.db.models import Agent, Ticket, TimeEntry
from intake.domain.events import Actor, EventKind
from intake.domain.lifecycle import OPEN_STATUSES
from intake.services.hours_bank import (
    balance_minutes,
    charges_bank,
    format_minutes,
    lock_bank,
    plan_has_bank,
    warn_on_crossing,
)
from intake.services.notify import AlertRouting, notify_customer
from intake.services.sla import ticket_plan
from intake.services.tickets import TicketError, TicketStateError

MAX_MINUTES = 24 * 60
"""One entry is at most a day of work."""
MAX_TIME_NOTE = 1000
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class TimeLogged:
    """What one time entry left: its minutes, whether the bank paid, the ticket's total and the balance."""

    minutes: int
    charged_to_bank: bool
    ticket_minutes: int
    balance_minutes: int | None  # None when the ticket has no company
    warning: str | None  # "low" | "empty" when this entry crossed a level


def check_minutes(minutes: int) -> int:
    """Minutes of one entry, 1..1440; TicketError otherwise."""
    if not 1 <= minutes <= MAX_MINUTES:
        raise TicketError(f"time is logged in entries of 1 to {MAX_MINUTES} minutes, not {minutes}")
    return minutes


def check_text(value: str, what: str, limit: int) -> str:
    """A required one-paragraph text of at most `limit` characters; TicketError otherwise."""
    cleaned = value.strip()
    if not cleaned:
        raise TicketError(f"{what} is required")
    if len(cleaned) > limit:
        raise TicketError(f"{what} is at most {limit} characters")
    return cleaned


def log_time(
    session: Session,
    ticket: Ticket,
    agent: Agent,
    minutes: int,
    note: str,
    *,
    now: datetime,
    routing: AlertRouting,
) -> TimeLogged:
    """Log an agent's minutes on the ticket; charge the bank when the rule says so, and warn on crossings."""
    minutes = check_minutes(minutes)
    note = check_text(note, "a time entry's note", MAX_TIME_NOTE)
    charged = charges_bank(ticket, ticket_plan(session, ticket))
    if ticket.company_id is not None:
        lock_bank(session, ticket.company_id)
    before = balance_minutes(session, ticket.company_id, now) if ticket.company_id is not None else None
    session.add(
        TimeEntry(
            ticket_id=ticket.id,
            company_id=ticket.company_id,
            agent_id=agent.id,
            minutes=minutes,
            note=note,
            charged_to_bank=charged,
            worked_at=now,
            created_at=now,
        )
    )
    ticket.minutes_logged = (ticket.minutes_logged or 0) + minutes
    ticket.updated_at = now
    session.flush()
    where = " (charged to the hours bank)" if charged else ""
    body = f"{minutes} min logged by {agent.name}{where}: {note}"
    data = {"minutes": minutes, "charged_to_bank": charged}
    record_event(
        session, ticket.id, EventKind.TIME_LOGGED, Actor.AGENT, body, now=now, agent_id=agent.id, data=data
    )
    after, warning = _after_charge(session, ticket, before, now, routing)
    return TimeLogged(minutes, charged, ticket.minutes_logged, after, warning)


def mark_billable(
    session: Session, ticket: Ticket, agent: Agent, reason: str, *, now: datetime, routing: AlertRouting
) -> None:
    """Mark an incident "error de usuario — facturable" with a reason; the customer is told."""
    reason = check_text(reason, "the reason it is billable", MAX_REASON)
    _check_incident_open(ticket)
    if ticket.billable:
        raise TicketError(f"ticket {ticket.number} is already billable: {ticket.billable_reason or ''}")
    ticket.billable, ticket.billable_reason, ticket.updated_at = True, reason, now
    record_event(
        session,
        ticket.id,
        EventKind.BILLABLE_MARKED,
        Actor.AGENT,
        f"User error — billable: {reason}",
        now=now,
        agent_id=agent.id,
        data={"reason": reason},
    )
    notify_customer(session, ticket, "ticket_billable", now=now, kind="progress", reason=reason)
    _recharge(session, ticket, now, routing)


def unmark_billable(
    session: Session, ticket: Ticket, agent: Agent, reason: str, *, now: datetime, routing: AlertRouting
) -> None:
    """Undo "facturable" (with a reason kept on the trail); the customer is told there is no charge."""
    reason = check_text(reason, "the reason for undoing it", MAX_REASON)
    _check_incident_open(ticket)
    if not ticket.billable:
        raise TicketError(f"ticket {ticket.number} is not marked billable")
    ticket.billable, ticket.billable_reason, ticket.updated_at = False, None, now
    record_event(
        session,
        ticket.id,
        EventKind.BILLABLE_UNMARKED,
        Actor.AGENT,
        f"Not billable after all: {reason}",
        now=now,
        agent_id=agent.id,
        data={"reason": reason},
    )
    notify_customer(session, ticket, "ticket_billable_undone", now=now, kind="progress")
    _recharge(session, ticket, now, routing)


def _check_incident_open(ticket: Ticket) -> None:
    if ticket.ticket_type != "incident":
        raise TicketError(
            f"ticket {ticket.number} is a request: requests follow the plan's rule, only incidents are "
            "marked billable"
        )
    if ticket.status not in OPEN_STATUSES:
        raise TicketStateError(f"cannot change the billing of a ticket that is {ticket.status}")


def _recharge(session: Session, ticket: Ticket, now: datetime, routing: AlertRouting) -> None:
    """Re-decide the charge of the ticket's entries after its classification changed."""
    charged = charges_bank(ticket, ticket_plan(session, ticket))
    entries = list(session.scalars(select(TimeEntry).where(TimeEntry.ticket_id == ticket.id)))
    if ticket.company_id is None or all(e.charged_to_bank == charged for e in entries):
        return
    lock_bank(session, ticket.company_id)
    before = balance_minutes(session, ticket.company_id, now)
    for entry in entries:
        entry.charged_to_bank = charged
    session.flush()
    _after_charge(session, ticket, before, now, routing)


def _after_charge(
    session: Session, ticket: Ticket, before: int | None, now: datetime, routing: AlertRouting
) -> tuple[int | None, str | None]:
    if ticket.company_id is None or before is None:
        return None, None
    after = balance_minutes(session, ticket.company_id, now)
    warning = warn_on_crossing(
        session, ticket.company_id, before, after, now=now, routing=routing, ticket=ticket
    )
    return after, warning


# --- what agents see of a ticket's billing (CLI, console, API, Telegram) ---------------------------


@dataclass(frozen=True, slots=True)
class TimeLine:
    """One time entry as pages list it."""

    worked_at: datetime
    agent: str
    minutes: int
    note: str
    charged_to_bank: bool


@dataclass(frozen=True, slots=True)
class TicketBilling:
    """A ticket's commercial facts: billable or not (and why), its plan's request rule, time logged."""

    billable: bool
    billable_reason: str | None
    plan: str | None  # the plan the ticket was opened under
    request_rule: str | None  # requests only: included | hours_bank | quote | unknown
    minutes_logged: int
    charged_minutes: int
    balance_minutes: int | None  # the company's bank balance now, when its plan has a bank
    entries: tuple[TimeLine, ...]

    @property
    def user_error(self) -> bool:
        """An incident an agent marked "error de usuario — facturable"."""
        return self.billable and self.request_rule is None


def ticket_billing(session: Session, ticket: Ticket, now: datetime) -> TicketBilling:
    """The ticket's billing facts now (one read model for every place a ticket is shown)."""
    plan = ticket_plan(session, ticket)
    rows = session.execute(
        select(TimeEntry, Agent.name)
        .outerjoin(Agent, Agent.id == TimeEntry.agent_id)
        .where(TimeEntry.ticket_id == ticket.id)
        .order_by(TimeEntry.worked_at, TimeEntry.id)
    ).all()
    entries = tuple(
        TimeLine(e.worked_at, name or "-", e.minutes, e.note, e.charged_to_bank) for e, name in rows
    )
    rule = None
    if ticket.ticket_type == "request":
        rule = plan.request_rule if plan is not None and ticket.company_id is not None else "unknown"
    banked = ticket.company_id is not None and (
        plan_has_bank(plan) or any(e.charged_to_bank for e in entries)
    )
    return TicketBilling(
        billable=ticket.billable,
        billable_reason=ticket.billable_reason,
        plan=plan.name if plan is not None else None,
        request_rule=rule,
        minutes_logged=ticket.minutes_logged or 0,
        charged_minutes=sum(e.minutes for e in entries if e.charged_to_bank),
        balance_minutes=balance_minutes(session, ticket.company_id, now)
        if banked and ticket.company_id is not None
        else None,
        entries=entries,
    )


RULE_WORDS = {
    "included": "included in the plan",
    "hours_bank": "charged to the hours bank",
    "quote": "quoted before work starts",
    "unknown": "to review: no known plan",
}


def billing_lines(b: TicketBilling) -> list[str]:
    """The billing lines agents read in plain text (`ticket show`, the agents' Telegram)."""
    lines = [f"plan {b.plan or '-'}"]
    if b.request_rule is not None:
        lines[0] += f" · request {RULE_WORDS.get(b.request_rule, b.request_rule)}"
    if b.user_error:
        lines.append(f"BILLABLE (user error): {b.billable_reason or ''}")
    time = f"time logged {format_minutes(b.minutes_logged)}"
    if b.charged_minutes:
        time += f" ({format_minutes(b.charged_minutes)} charged to the bank)"
    if b.balance_minutes is not None:
        time += f" · bank balance {format_minutes(b.balance_minutes)}"
    lines.append(time)
    return lines
