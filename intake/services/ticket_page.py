"""The ticket page as a read model: facts, deadlines in words, pauses, one timeline, evidence, chat window.

The timeline merges the chat (customer messages, bot messages) with the ticket's audit trail (agent
replies, internal notes, questions, progress, escalations, priority changes, pauses, contingencies,
delivery failures). Agent messages are shown through their events (the event keeps what the agent
typed); their delivery status is taken from the matching outbound message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import (
    Agent,
    Attachment,
    Company,
    Contact,
    Conversation,
    Message,
    SurveyAnswer,
    Ticket,
    TicketEvent,
    TicketPause,
)
from intake.delivery.whatsapp_window import last_inbound_at
from intake.domain.events import Actor, EventKind
from intake.services.billing import TicketBilling, ticket_billing
from intake.services.queue import SlaBadge, sla_badge
from intake.services.sla import SlaService
from sla.explain import deadline_phrase

WHATSAPP_WINDOW = timedelta(hours=24)
PREVIEWABLE = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Customer messages already shown as chat messages; agent alerts are internal noise on the page.
HIDDEN_EVENTS = frozenset({EventKind.CUSTOMER_REPLY, EventKind.AGENT_ALERT})
# Events whose text went to the customer as an agent message (the message carries the delivery status).
SENT_BY_AGENT = frozenset(
    {EventKind.AGENT_REPLY, EventKind.INFO_REQUESTED, EventKind.PROGRESS, EventKind.AGENT_FILE}
)
CHAT_CONTEXT = 40  # messages of the intake dialog shown before the ticket existed


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    """One file of evidence (or an agent's file)."""

    id: int
    filename: str
    mime_type: str
    size: int | None
    status: str
    origin: str
    message_id: int | None
    refusal_reason: str | None

    @property
    def previewable(self) -> bool:
        """A stored image the browser may show inline (never SVG)."""
        return self.status == "stored" and self.mime_type in PREVIEWABLE

    @property
    def downloadable(self) -> bool:
        """Stored, so it can be downloaded."""
        return self.status == "stored"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the timeline: a chat message, an agent's action, a note or an event."""

    at: datetime
    kind: str  # customer | bot | agent | note | event
    author: str
    text: str
    event: str | None = None  # the event kind, for events and agent actions
    status: str | None = None  # delivery status of a message that left
    attachments: tuple[AttachmentRow, ...] = ()


@dataclass(frozen=True, slots=True)
class PauseRow:
    """A pause of the resolution clock."""

    reason: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChatWindow:
    """WhatsApp's 24-hour window for free-form messages to this customer."""

    open: bool
    last_inbound_at: datetime | None
    closes_at: datetime | None


@dataclass(frozen=True)
class TicketPage:
    """Everything the ticket page shows."""

    id: int
    number: str
    title: str
    description: str
    status: str
    priority: str
    impact: str
    urgency: str
    ticket_type: str
    module: str | None
    channel: str
    company: str
    contact: str
    contact_id: int | None
    assignee: str | None
    assignee_id: int | None
    opened_at: datetime
    closed_at: datetime | None
    escalation_level: int
    billable: bool
    needs_verification: bool
    sla_exempt: bool
    badge: SlaBadge
    response_words: str
    resolution_words: str
    pauses: list[PauseRow]
    timeline: list[TimelineEntry]
    attachments: list[AttachmentRow]
    survey_rating: int | None
    survey_comment: str | None
    window: ChatWindow | None
    conversation_id: int | None
    handoff_requested: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    billing: TicketBilling | None = None  # issue 15: billable, request rule, time entries, bank balance


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """Where an attachment's bytes are, for the authenticated download route."""

    storage_path: str
    filename: str
    mime_type: str


class TicketPages:
    """The ticket page's read model on one database, SLA service and clock."""

    def __init__(
        self, session_factory: sessionmaker[Session], sla: SlaService, clock: Callable[[], datetime]
    ) -> None:
        self.session_factory = session_factory
        self.sla = sla
        self.clock = clock

    def page(self, number: str, language: str = "es") -> TicketPage | None:
        """The ticket page of `number` (None when there is no such ticket)."""
        now = self.clock()
        with self.session_factory() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.number == number.strip().upper()))
            if ticket is None:
                return None
            pauses = list(
                session.scalars(
                    select(TicketPause)
                    .where(TicketPause.ticket_id == ticket.id)
                    .order_by(TicketPause.started_at)
                )
            )
            cal = self.sla.ticket_calendar(session, ticket)
            badge = sla_badge(ticket, pauses, cal, self.sla.ticket_targets(session, ticket), now)
            attachments = _attachments(session, ticket.id)
            conversation = (
                session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
            )
            survey = session.scalar(select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket.id))
            return TicketPage(
                id=ticket.id,
                number=ticket.number or "",
                title=ticket.title,
                description=ticket.description,
                status=ticket.status,
                priority=ticket.priority,
                impact=ticket.impact,
                urgency=ticket.urgency,
                ticket_type=ticket.ticket_type,
                module=ticket.module,
                channel=ticket.channel,
                company=_name(session, Company, ticket.company_id),
                contact=_name(session, Contact, ticket.contact_id),
                contact_id=ticket.contact_id,
                assignee=_name(session, Agent, ticket.assigned_agent_id) or None,
                assignee_id=ticket.assigned_agent_id,
                opened_at=ticket.opened_at,
                closed_at=ticket.closed_at,
                escalation_level=ticket.escalation_level,
                billable=ticket.billable,
                needs_verification=ticket.needs_verification,
                sla_exempt=ticket.sla_exempt,
                badge=badge,
                response_words=deadline_phrase(cal, ticket.response_due, "response", language, now),
                resolution_words=deadline_phrase(cal, ticket.resolution_due, "resolution", language, now),
                pauses=[PauseRow(p.reason, p.started_at, p.ended_at) for p in pauses],
                timeline=_timeline(session, ticket, attachments),
                attachments=attachments,
                survey_rating=survey.rating if survey else None,
                survey_comment=survey.comment if survey else None,
                window=_window(session, ticket, conversation, now),
                conversation_id=ticket.conversation_id,
                handoff_requested=bool(conversation and conversation.handoff_requested),
                billing=ticket_billing(session, ticket, now),
            )

    def attachment(self, attachment_id: int) -> StoredAttachment | None:
        """A stored attachment's file (any ticket's; the route decides who may have it)."""
        with self.session_factory() as session:
            found = session.get(Attachment, attachment_id)
            if found is None or found.status != "stored" or not found.storage_path:
                return None
            return StoredAttachment(
                found.storage_path,
                found.filename or f"file-{found.id}",
                found.mime_type or "application/octet-stream",
            )


def _name(session: Session, model: type[Company] | type[Contact] | type[Agent], row_id: int | None) -> str:
    if row_id is None:
        return ""
    return session.scalar(select(model.name).where(model.id == row_id)) or ""


def _attachments(session: Session, ticket_id: int) -> list[AttachmentRow]:
    rows = session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
    )
    return [
        AttachmentRow(
            id=a.id,
            filename=a.filename or f"file-{a.id}",
            mime_type=a.mime_type or "application/octet-stream",
            size=a.size,
            status=a.status,
            origin=a.origin,
            message_id=a.message_id,
            refusal_reason=a.refusal_reason,
        )
        for a in rows
    ]


def _window(
    session: Session, ticket: Ticket, conversation: Conversation | None, now: datetime
) -> ChatWindow | None:
    if ticket.channel != "whatsapp" or conversation is None:
        return None
    last = last_inbound_at(session, conversation.address)
    closes = last + WHATSAPP_WINDOW if last is not None else None
    return ChatWindow(open=closes is not None and now < closes, last_inbound_at=last, closes_at=closes)


def _timeline(session: Session, ticket: Ticket, attachments: Sequence[AttachmentRow]) -> list[TimelineEntry]:
    by_message: dict[int, list[AttachmentRow]] = {}
    for item in attachments:
        if item.message_id is not None:
            by_message.setdefault(item.message_id, []).append(item)
    agents = {agent_id: name for agent_id, name in session.execute(select(Agent.id, Agent.name))}
    messages = _messages(session, ticket)
    sent = {(m.agent_id, m.created_at): m.status for m in messages if m.author == Actor.AGENT}
    entries = [
        TimelineEntry(
            at=m.created_at,
            kind="customer" if m.direction == "in" else "bot",
            author=m.author,
            text=m.text,
            status=m.status if m.direction == "out" else None,
            attachments=tuple(by_message.get(m.id, ())),
        )
        for m in messages
        if m.author != Actor.AGENT
    ]
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    )
    for event in events:
        if event.kind in HIDDEN_EVENTS:
            continue
        entries.append(_event_entry(event, agents, sent))
    # At one instant: what the customer wrote, then what it caused (events, actions), then the bot's answer.
    rank = {"customer": 0, "bot": 2}
    return sorted(entries, key=lambda e: (e.at, rank.get(e.kind, 1)))


def _event_entry(
    event: TicketEvent, agents: dict[int, str], sent: dict[tuple[int | None, datetime], str | None]
) -> TimelineEntry:
    author = agents.get(event.agent_id or 0, "") or event.actor
    if event.kind == EventKind.NOTE:
        kind = "note"
    elif event.kind in SENT_BY_AGENT or (event.actor == Actor.AGENT and event.visible_to_customer):
        kind = "agent"
    else:
        kind = "event"
    status = sent.get((event.agent_id, event.created_at)) if kind == "agent" else None
    return TimelineEntry(event.created_at, kind, author, event.body, event=event.kind, status=status)


def _messages(session: Session, ticket: Ticket) -> list[Message]:
    """The ticket's own messages, plus the intake dialog that led to it (unlinked, before it opened)."""
    linked = Message.ticket_id == ticket.id
    if ticket.conversation_id is None:
        return list(session.scalars(select(Message).where(linked).order_by(Message.created_at, Message.id)))
    previous = session.scalar(
        select(Ticket.opened_at)
        .where(Ticket.conversation_id == ticket.conversation_id, Ticket.opened_at < ticket.opened_at)
        .order_by(Ticket.opened_at.desc())
        .limit(1)
    )
    dialog = (
        (Message.conversation_id == ticket.conversation_id)
        & Message.ticket_id.is_(None)
        & (Message.created_at <= ticket.opened_at)
    )
    if previous is not None:
        dialog = dialog & (Message.created_at > previous)
    before = list(
        session.scalars(
            select(Message)
            .where(dialog)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(CHAT_CONTEXT)
        )
    )
    own = list(session.scalars(select(Message).where(linked).order_by(Message.created_at, Message.id)))
    return sorted(before, key=lambda m: (m.created_at, m.id)) + own
