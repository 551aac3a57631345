"""The hours bank: credits, the balance, which time is charged to it, and the low-balance warnings.

**The balance** (computed only by `balance_minutes`, which `HoursBank.balance` and every page and
report call): for a company at an instant `at`,

    balance = Σ HoursBankCredit.minutes   with credited_at ≤ at
            − Σ TimeEntry.minutes         with charged_to_bank and worked_at ≤ at

in minutes. It may go below zero: work done beyond the bank is still logged, and owed.

**What is charged** (`charges_bank`): time logged on a request of a ticket opened under an
`hours_bank` plan, and time on an incident an agent marked billable when the ticket's plan has a bank
(`request_rule == "hours_bank"` or a `hours_bank_minutes` allotment). The plan is the one the ticket was
opened under (`Ticket.plan_id`), like its deadlines.

**Warnings** (`warn_on_crossing`): when a charge takes the balance from above the company plan's
`low_balance_minutes` to at or below it, and again from above zero to zero or below, the agents (their
alert path) and the company's report contacts (`Contact.receives_reports`: e-mail, else their chat) are
told once. A charge that crosses both levels at once sends only the "used up" warning. Crossings are
judged from the balance before and after the charge, so a credit that lifts the balance re-arms them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.context import hours_and_minutes
from bot.messages import Channel, Reply
from bot.texts import text
from channels.base import OutboundMessage
from intake.db import unit_of_work
from intake.db.models import (
    Company,
    Contact,
    Conversation,
    HoursBankCredit,
    SupportPlan,
    Ticket,
    TimeEntry,
)
from intake.delivery.outbox import enqueue
from intake.domain.events import Actor
from intake.services.notify import AlertRouting, alert_agents, is_group_chat, reply_to_conversation
from intake.services.setup_rules import agent_id_for, audit

MAX_CREDIT_MINUTES = 10_000 * 60
"""One credit adds at most 10 000 hours (a typo guard, not a business limit)."""
MAX_NOTE = 500
DEFAULT_LOW_BALANCE = 120


class RequestRule(StrEnum):
    """How a plan serves requests (`SupportPlan.request_rule`)."""

    INCLUDED = "included"
    HOURS_BANK = "hours_bank"
    QUOTE = "quote"


class BankError(ValueError):
    """A bank change was refused (unknown company, bad amount or note); nothing was written."""


@dataclass(frozen=True, slots=True)
class BankStatus:
    """A company's bank as pages show it: minutes credited, charged, the balance and the warning level."""

    company_id: int
    company: str
    credited_minutes: int
    charged_minutes: int
    balance_minutes: int
    low_balance_minutes: int
    has_bank: bool

    @property
    def low(self) -> bool:
        """At or below the warning level."""
        return self.balance_minutes <= self.low_balance_minutes


def credited_minutes(session: Session, company_id: int, at: datetime | None = None) -> int:
    """Minutes credited to the company's bank up to `at` (all of them without `at`)."""
    query = select(func.coalesce(func.sum(HoursBankCredit.minutes), 0)).where(
        HoursBankCredit.company_id == company_id
    )
    if at is not None:
        query = query.where(HoursBankCredit.credited_at <= at)
    return int(session.scalar(query) or 0)


def charged_minutes(session: Session, company_id: int, at: datetime | None = None) -> int:
    """Minutes of time entries charged to the company's bank, worked up to `at`."""
    query = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
        TimeEntry.company_id == company_id, TimeEntry.charged_to_bank.is_(True)
    )
    if at is not None:
        query = query.where(TimeEntry.worked_at <= at)
    return int(session.scalar(query) or 0)


def lock_bank(session: Session, company_id: int) -> None:
    """Lock the company's row before reading a balance that a charge or credit will change.

    Two agents logging time for one company at once then judge their crossings one after the other,
    so a warning is sent once (the ticket, if any, is locked first: conversation → ticket → company).
    """
    session.execute(select(Company.id).where(Company.id == company_id).with_for_update())


def balance_minutes(session: Session, company_id: int, at: datetime | None = None) -> int:
    """The company's bank balance at `at`: credits minus time charged to the bank (see module doc)."""
    return credited_minutes(session, company_id, at) - charged_minutes(session, company_id, at)


def plan_has_bank(plan: SupportPlan | None) -> bool:
    """Whether a plan comes with an hours bank (requests charged to it, or an allotment of hours)."""
    return plan is not None and (plan.request_rule == RequestRule.HOURS_BANK or plan.hours_bank_minutes > 0)


def charges_bank(ticket: Ticket, plan: SupportPlan | None) -> bool:
    """Whether time on this ticket counts against the bank, under the plan it was opened under."""
    if ticket.company_id is None or plan is None:
        return False
    if ticket.ticket_type == "request":
        return plan.request_rule == RequestRule.HOURS_BANK
    return ticket.billable and plan_has_bank(plan)


def low_balance_level(session: Session, company_id: int) -> int:
    """The company's current plan's warning level in minutes (the default without a plan)."""
    company = session.get(Company, company_id)
    plan = company.plan if company is not None else None
    return plan.low_balance_minutes if plan is not None else DEFAULT_LOW_BALANCE


def bank_status(session: Session, company: Company, at: datetime | None = None) -> BankStatus:
    """The company's bank at `at` (now without it), for pages and the CLI."""
    credited = credited_minutes(session, company.id, at)
    charged = charged_minutes(session, company.id, at)
    return BankStatus(
        company_id=company.id,
        company=company.name,
        credited_minutes=credited,
        charged_minutes=charged,
        balance_minutes=credited - charged,
        low_balance_minutes=low_balance_level(session, company.id),
        has_bank=plan_has_bank(company.plan) or credited > 0,
    )


def crossed_level(before: int, after: int, low: int) -> str | None:
    """Which level a change of balance crossed: "empty" (above zero → zero or below), "low" (above the
    warning level → at or below it), or None."""
    if before > 0 >= after:
        return "empty"
    if before > low >= after:
        return "low"
    return None


def warn_on_crossing(
    session: Session,
    company_id: int,
    before: int,
    after: int,
    *,
    now: datetime,
    routing: AlertRouting,
    ticket: Ticket | None = None,
) -> str | None:
    """Warn agents and the company's report contacts if the balance just crossed a level; the level."""
    low = low_balance_level(session, company_id)
    level = crossed_level(before, after, low)
    if level is None:
        return None
    company = session.get(Company, company_id)
    name = company.name if company is not None else str(company_id)
    agents = (
        f"Hours bank of {name} {'used up' if level == 'empty' else 'running low'}: balance "
        f"{format_minutes(after)} (warning level {format_minutes(low)})"
    )
    alert_agents(session, ticket, agents, now=now, routing=routing)
    for contact in session.scalars(
        select(Contact).where(Contact.company_id == company_id, Contact.receives_reports.is_(True))
    ):
        _tell_report_contact(session, contact, f"hours_bank.{level}", name, after, now)
    return level


def _tell_report_contact(
    session: Session, contact: Contact, key: str, company: str, balance: int, now: datetime
) -> None:
    """E-mail the contact when they have an address, else write to their most recent private chat."""
    lang = contact.language or "es"
    body = text(key, lang, company=company, balance=format_minutes(balance))
    if contact.email:
        message = OutboundMessage(
            channel=Channel.EMAIL, recipient=contact.email, text=body, kind="hours_bank", language=lang
        )
        enqueue(session, message, now=now, author=Actor.SYSTEM.value)
        return
    chats = session.scalars(
        select(Conversation)
        .where(Conversation.contact_id == contact.id, Conversation.channel != Channel.WEB.value)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(20)
    )
    # A company's balance is never written in a group chat: the most recent private chat, or none.
    conversation = next((c for c in chats if not is_group_chat(c.channel, c.chat_id)), None)
    if conversation is not None:
        reply = Reply(text=body, kind="hours_bank")
        reply_to_conversation(session, conversation, reply, now=now, author=Actor.SYSTEM.value)


def format_minutes(minutes: int) -> str:
    """Minutes as hours and minutes (the dialog's own format: "12 h 30 min")."""
    return hours_and_minutes(minutes)


class HoursBank:
    """The companies' hours banks: balances and credits added by admins."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Callable[[], datetime],
        routing: AlertRouting | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.routing = routing or AlertRouting()

    def balance(self, company_id: int, at: datetime | None = None) -> int:
        """The company's balance in minutes at `at` (now by default): see `balance_minutes`."""
        with self.session_factory() as session:
            return balance_minutes(session, company_id, at or self.clock())

    def status(self, company: str | int) -> BankStatus:
        """A company's bank now, by id or exact name; BankError when there is no such company."""
        with self.session_factory() as session:
            return bank_status(session, _company(session, company), self.clock())

    def credit(self, actor: str, company: str | int, minutes: int, note: str) -> BankStatus:
        """Add minutes to a company's bank (admins), audited; the new status."""
        if not 1 <= minutes <= MAX_CREDIT_MINUTES:
            raise BankError(f"a credit is between 1 minute and {MAX_CREDIT_MINUTES // 60} hours")
        note = " ".join(note.split())
        if len(note) > MAX_NOTE:
            raise BankError(f"a credit's note is at most {MAX_NOTE} characters")
        with unit_of_work(self.session_factory) as session:
            now = self.clock()
            found = _company(session, company)
            lock_bank(session, found.id)
            agent_id = agent_id_for(session, actor)
            session.add(
                HoursBankCredit(
                    company_id=found.id,
                    minutes=minutes,
                    note=note,
                    agent_id=agent_id,
                    credited_at=now,
                    created_at=now,
                )
            )
            session.flush()
            audit(session, now, actor, "hours_bank.credit", found.name, {"minutes": minutes, "note": note})
            return bank_status(session, found, now)


def _company(session: Session, company: str | int) -> Company:
    if isinstance(company, int):
        found = session.get(Company, company)
    else:
        found = session.scalar(select(Company).where(func.lower(Company.name) == company.strip().lower()))
    if found is None:
        raise BankError(f"no company {company!r}")
    return found
