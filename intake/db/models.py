"""ORM models (SQLAlchemy 2.0 typed mappings). Datetimes are stored in UTC and always come back aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC (edges only: the core takes `now` as a parameter)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations are stable across backends."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class SupportPlan(Base):
    """A customer's contract: calendar, what is included, SLA target overrides and hours bank."""

    __tablename__ = "support_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    calendar_name: Mapped[str] = mapped_column(String(60), default="default")
    calendar_config: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    includes_requests: Mapped[bool] = mapped_column(Boolean, default=False)
    hours_bank_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # How requests are served: included | hours_bank (charged to the company's bank) | quote.
    request_rule: Mapped[str] = mapped_column(String(20), default="quote", server_default=text("'quote'"))
    # Agents and report contacts are warned when a company's bank balance falls to this or below.
    low_balance_minutes: Mapped[int] = mapped_column(Integer, default=120, server_default=text("120"))
    target_overrides: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class Company(Base):
    """A customer company."""

    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The company's tax id (RUT in Chile, RFC in Mexico…), as typed; unique when present.
    tax_id: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("support_plans.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    plan: Mapped[SupportPlan | None] = relationship()


class Contact(Base):
    """A person at a customer company (or not yet matched to one: `verified` false)."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), default=None, index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), default=None, index=True)
    # A phone number to call (E.164); the WhatsApp number is a channel identity of its own.
    phone: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    # Only set when the customer chose a language; otherwise the channel's language or the default applies.
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    claimed_company: Mapped[str | None] = mapped_column(String(200), default=None)
    # An e-mail a stranger typed that belongs to another contact: kept for agents, never mailed to.
    claimed_email: Mapped[str | None] = mapped_column(String(254), default=None)
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    # Created from what the person typed in a chat: sees only their own tickets until an agent verifies.
    self_identified: Mapped[bool] = mapped_column(Boolean, default=False)
    # Gets the company's monthly service report and its hours-bank warnings.
    receives_reports: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    company: Mapped[Company | None] = relationship()
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="contact")


class ChannelIdentity(Base):
    """How a contact is reached on one channel; `last_inbound_at` drives WhatsApp's 24-hour window."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(254))
    chat_id: Mapped[str | None] = mapped_column(String(64), default=None)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    contact: Mapped[Contact] = relationship(back_populates="identities")


class Agent(Base):
    """A support agent (or supervisor) and where they want alerts."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The agent's own Telegram user id (who may use the agents' Telegram commands); unique when present.
    telegram_user_id: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    is_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    api_token_hash: Mapped[str | None] = mapped_column(String(128), default=None)
    # The console: agent | supervisor | admin; a password hash (werkzeug scrypt), never the password.
    role: Mapped[str] = mapped_column(String(20), default="agent", server_default=text("'agent'"))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    language: Mapped[str] = mapped_column(String(5), default="es", server_default=text("'es'"))
    # Bumped when the password is reset or the agent disabled: every signed-in session ends.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEntry(Base):
    """Who did what, when, outside a ticket: agents added, disabled, reset; sign-ins; desk set-up changes."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), default=None, index=True)
    actor: Mapped[str] = mapped_column(String(254))  # the agent's e-mail, or "cli" for the server's shell
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(254), default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """An agent's API token: only its SHA-256 is kept; the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # The token's first characters ("ib_" + 6), so agents can tell their tokens apart; never enough to use.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    agent: Mapped[Agent] = relationship()


class Conversation(Base):
    """The dialog with one sender on one channel; `state` is the pure dialog's JSON state."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(254))
    chat_id: Mapped[str | None] = mapped_column(String(64), default=None)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    language: Mapped[str] = mapped_column(String(5), default="es")
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    step: Mapped[str | None] = mapped_column(String(60), default=None)
    handoff_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    contact: Mapped[Contact | None] = relationship()


class Message(Base):
    """Every inbound and outbound message: the transcript, with delivery status for outbound."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_provider", "channel", "provider_message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id"), default=None, index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None, index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), default=None)
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    channel: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(20), default="customer")  # customer|bot|agent|system
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    status: Mapped[str | None] = mapped_column(String(20), default=None)
    error_code: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedMessage(Base):
    """Provider message ids already handled: the idempotency key of every webhook."""

    __tablename__ = "processed_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxItem(Base):
    """A verified provider message a webhook accepted, waiting for (or done with) its dialog turn.

    Webhooks only write these rows (one INSERT) and answer; the worker runs the turns, one sender at a
    time in the order accepted (see intake/services/inbox.py).
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        # The in-order claim asks "is there an older unfinished row from this sender?" for each candidate.
        Index("ix_inbox_sender", "channel", "sender", "status", "id"),
        Index("ix_inbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(100))
    sender: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column()
    # pending | working | done | failed
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    accepted_at: Mapped[datetime] = mapped_column()
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class Ticket(Base):
    """A support ticket with its priority, status and SLA clocks."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_open_resolution_due", "status", "resolution_due"),
        Index("ix_tickets_open_response_due", "status", "response_due"),
        Index("ix_tickets_company_status", "company_id", "status"),
        Index("ix_tickets_sla_next_check", "sla_next_check_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True, default=None)
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), default=None)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), default=None, index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), default=None)
    channel: Mapped[str] = mapped_column(String(20))
    ticket_type: Mapped[str] = mapped_column(String(20))  # incident | request
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    module: Mapped[str | None] = mapped_column(String(80), default=None)
    impact: Mapped[str] = mapped_column(String(10))
    urgency: Mapped[str] = mapped_column(String(10))
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), default="new")
    language: Mapped[str] = mapped_column(String(5), default="es")
    billable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why an agent marked the incident "error de usuario — facturable".
    billable_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The plan the ticket was opened under: its calendar and targets stay with the ticket.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("support_plans.id"), default=None)
    needs_verification: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    minutes_logged: Mapped[int] = mapped_column(Integer, default=0)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), default=None)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    opened_at: Mapped[datetime] = mapped_column()
    response_due: Mapped[datetime] = mapped_column()
    resolution_due: Mapped[datetime] = mapped_column()
    # When the sweeper must next look at this ticket (next 75/90/100 % crossing); null = nothing pending.
    sla_next_check_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    solution_proposed_at: Mapped[datetime | None] = mapped_column(default=None)
    validation_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    survey_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    survey_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    company: Mapped[Company | None] = relationship()
    contact: Mapped[Contact | None] = relationship()


class PriorityChange(Base):
    """The history of a ticket's priority, with who changed it and why."""

    __tablename__ = "priority_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    old_priority: Mapped[str | None] = mapped_column(String(2), default=None)
    new_priority: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), default=None)
    changed_at: Mapped[datetime] = mapped_column()


class TicketPause(Base):
    """An interval during which a ticket's resolution clock did not run (open while `ended_at` is null)."""

    __tablename__ = "ticket_pauses"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))  # waiting_customer|validation|contingency
    contingency_id: Mapped[int | None] = mapped_column(ForeignKey("contingencies.id"), default=None)
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class TicketEvent(Base):
    """The audit trail: who did what to a ticket, when."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(20))  # customer|agent|system
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    visible_to_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column()


class Attachment(Base):
    """A file of evidence: where it is stored, its hash, type, size and origin."""

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("origin", "provider_ref", "message_id"),
        Index("ix_attachments_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None, index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), default=None)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), default=None)
    origin: Mapped[str] = mapped_column(String(20))  # whatsapp|telegram|email|web|agent
    provider_ref: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|stored|refused|failed
    refusal_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    storage_path: Mapped[str | None] = mapped_column(String(500), default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    mime_type: Mapped[str | None] = mapped_column(String(120), default=None)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimeEntry(Base):
    """Time an agent spent on a ticket; `charged_to_bank` when it counts against the company's hours bank."""

    __tablename__ = "time_entries"
    __table_args__ = (Index("ix_time_entries_company_worked", "company_id", "worked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), default=None)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), default=None)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    charged_to_bank: Mapped[bool] = mapped_column(Boolean, default=False)
    worked_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HoursBankCredit(Base):
    """Hours added to a company's bank (a package bought, a monthly allotment).

    A company's balance is the sum of its credits minus its time entries charged to the bank.
    """

    __tablename__ = "hours_bank_credits"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), default=None)
    credited_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyAnswer(Base):
    """A customer's satisfaction rating (1–5) and optional comment for a closed ticket."""

    __tablename__ = "survey_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    answered_at: Mapped[datetime] = mapped_column()


class Contingency(Base):
    """A declared force-majeure window; tickets it touches are SLA-exempt."""

    __tablename__ = "contingencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    all_companies: Mapped[bool] = mapped_column(Boolean, default=True)
    company_ids: Mapped[list[Any] | None] = mapped_column(default=None)
    declared_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class SlaAlert(Base):
    """An SLA warning or breach already raised, so each is raised once."""

    __tablename__ = "sla_alerts"
    __table_args__ = (UniqueConstraint("ticket_id", "clock", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    clock: Mapped[str] = mapped_column(String(12))  # response|resolution
    level: Mapped[int] = mapped_column(Integer)  # 75|90|100
    fired_at: Mapped[datetime] = mapped_column()


class EarlyStatus(Base):
    """A delivery-status callback that arrived before the worker recorded the provider's message id."""

    __tablename__ = "early_statuses"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(20), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    recipient: Mapped[str | None] = mapped_column(String(254), default=None)
    received_at: Mapped[datetime] = mapped_column()


class OutboxMessage(Base):
    """An outbound message waiting for (or done with) delivery by a worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # The in-order claim asks "is there an older unsent row for this chat?" for each candidate.
        Index("ix_outbox_chat", "channel", "recipient", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column()
    kind: Mapped[str | None] = mapped_column(String(40), default=None)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None, index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), default=None)
    # pending | sending | sent | held | dead
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # Which worker's claim this is: a worker whose lease expired must not record over the new owner.
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    provider_message_ids: Mapped[list[Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class AgentAlert(Base):
    """What an agents' Telegram message is about: replying to it acts on this ticket or hand-off chat.

    Written with the outbox row of the alert (or prompt); the sent message's Telegram id is found through
    the transcript row the worker stamps with it (`messages.provider_message_id`, indexed).
    """

    __tablename__ = "agent_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), default=None)
    # What a reply to this message does: reply (public reply) | ask (information request) | solve
    action: Mapped[str] = mapped_column(String(20), default="reply", server_default=text("'reply'"))
    created_at: Mapped[datetime] = mapped_column()


class AgentUpload(Base):
    """A file an agent sent from Telegram for a ticket's customer: downloaded by the media job, then sent."""

    __tablename__ = "agent_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    chat_id: Mapped[str] = mapped_column(String(64))  # where the agent is told the outcome
    caption: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()


class TrackingLink(Base):
    """A customer's link to a ticket's tracking page: the token is kept only as its SHA-256 (to look it up)
    and sealed with the app's secret key (to quote it again in later notifications); revocable."""

    __tablename__ = "tracking_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
