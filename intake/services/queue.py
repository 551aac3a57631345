"""The agents' queue as a read model: open tickets with their SLA state, per view, filtered and sorted.

Each row's SLA badge is computed with the pure engine (sla.clock.clock_status) on the customer's own
calendar and targets, with the ticket's pauses: the most urgent running clock decides the tone (red when
breached, grey when paused, amber from 75 %), and both clocks are kept for the hover text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import Agent, Company, Contact, Conversation, Message, Ticket, TicketEvent, TicketPause
from intake.domain.events import Actor
from intake.domain.lifecycle import OPEN_STATUSES, PAUSED_STATUSES
from intake.services.handoffs import Handoff, Handoffs
from intake.services.sla import SlaService
from sla.calendar import BusinessCalendar
from sla.clock import ClockState, ClockStatus, clock_status
from sla.priority import Priority, Target

OPEN = sorted(s.value for s in OPEN_STATUSES)
WAITING = sorted(s.value for s in PAUSED_STATUSES)
AT_RISK_FRACTION = 0.75


class QueueView(StrEnum):
    """The queue's tabs."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    OPEN = "open"
    WAITING = "waiting"
    AT_RISK = "at_risk"
    HANDOFFS = "handoffs"


class Tone(StrEnum):
    """The colour of an SLA badge."""

    OK = "ok"
    AMBER = "amber"  # >= 75 % of a target used
    RED = "red"  # breached
    GREY = "grey"  # paused (waiting on the customer, contingency)
    NONE = "none"  # SLA-exempt or no running clock


@dataclass(frozen=True, slots=True)
class ClockBadge:
    """One SLA clock of a ticket now: state, share used, business minutes left (negative = overdue)."""

    clock: str  # response | resolution
    state: ClockState
    fraction_used: float
    remaining_minutes: float
    due: datetime | None

    @property
    def running(self) -> bool:
        """Whether this clock still counts (not met; a breached clock still runs until it stops)."""
        return self.state != ClockState.MET


@dataclass(frozen=True, slots=True)
class SlaBadge:
    """What the queue shows for a ticket's SLA: the most urgent running clock and both clocks."""

    tone: Tone
    urgent: ClockBadge | None
    response: ClockBadge | None
    resolution: ClockBadge | None
    exempt: bool = False

    @property
    def at_risk(self) -> bool:
        """At least 75 % of a running target used, or breached."""
        return any(
            c is not None
            and c.running
            and (c.state == ClockState.BREACHED or c.fraction_used >= AT_RISK_FRACTION)
            for c in (self.response, self.resolution)
        )


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One ticket in the queue."""

    id: int
    number: str
    company: str
    contact: str
    channel: str
    title: str
    ticket_type: str
    priority: str
    status: str
    badge: SlaBadge
    waiting_since: datetime
    assignee: str | None
    assignee_id: int | None
    deadline: datetime  # the sort key: the most urgent running clock's deadline, else resolution_due
    user_error: bool = False  # issue 15: an incident marked "error de usuario — facturable"


@dataclass(frozen=True, slots=True)
class HandoffRow:
    """A customer who asked for a person, with their open ticket when there is one."""

    conversation_id: int
    channel: str
    address: str
    contact: str
    company: str
    since: datetime | None
    last_message: str
    ticket_number: str | None


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """Narrowing the queue: a search (number or text) and exact filters."""

    search: str = ""
    priority: str = ""
    channel: str = ""
    ticket_type: str = ""
    status: str = ""


@dataclass(frozen=True)
class QueuePage:
    """One view of the queue, with every view's count for the tabs."""

    view: QueueView
    rows: list[QueueRow]
    handoffs: list[HandoffRow]
    counts: dict[QueueView, int] = field(default_factory=dict)


class QueueService:
    """The queue's read model on one database, SLA service and clock."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        sla: SlaService,
        clock: Callable[[], datetime],
        handoffs: Handoffs,
    ) -> None:
        self.handoffs = handoffs
        self.session_factory = session_factory
        self.sla = sla
        self.clock = clock

    def page(self, view: QueueView, agent_id: int, filters: QueueFilters | None = None) -> QueuePage:
        """The rows of one view (sorted by nearest deadline) and the counts of every view."""
        filters = filters or QueueFilters()
        now = self.clock()
        waiting = self.handoffs.open()  # its own session: SQLite allows one open transaction at a time
        with self.session_factory() as session:
            rows = self._rows(session, filters, now)
            handoffs = self._handoffs(session, waiting, filters)
        counts: dict[QueueView, int] = {v: len(_select(rows, v, agent_id)) for v in QueueView}
        counts[QueueView.HANDOFFS] = len(handoffs)
        chosen = [] if view == QueueView.HANDOFFS else _select(rows, view, agent_id)
        return QueuePage(view, chosen, handoffs if view == QueueView.HANDOFFS else [], counts)

    def conversation(self, conversation_id: int) -> ConversationView | None:
        """One customer's chat (for the hand-off page)."""
        return conversation_view(self.session_factory, conversation_id)

    def badge(self, ticket_id: int) -> SlaBadge | None:
        """The SLA badge of one ticket now (None for an unknown ticket)."""
        with self.session_factory() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            pauses = _pauses_by_ticket(session, [ticket.id]).get(ticket.id, [])
            return sla_badge(
                ticket,
                pauses,
                self.sla.ticket_calendar(session, ticket),
                self.sla.ticket_targets(session, ticket),
                self.clock(),
            )

    def _rows(self, session: Session, filters: QueueFilters, now: datetime) -> list[QueueRow]:
        query = (
            select(Ticket, Company.name, Contact.name, Agent.name)
            .outerjoin(Company, Company.id == Ticket.company_id)
            .outerjoin(Contact, Contact.id == Ticket.contact_id)
            .outerjoin(Agent, Agent.id == Ticket.assigned_agent_id)
            .where(Ticket.status.in_(OPEN), Ticket.number.is_not(None), *_conditions(filters))
        )
        found = session.execute(query).all()
        ids = [ticket.id for ticket, *_ in found]
        pauses = _pauses_by_ticket(session, ids)
        waits = _last_activity(session, ids)
        calendars: dict[int | None, tuple[BusinessCalendar, dict[Priority, Target]]] = {}
        rows = []
        for ticket, company, contact, assignee in found:
            if ticket.company_id not in calendars:
                calendars[ticket.company_id] = (
                    self.sla.ticket_calendar(session, ticket),
                    self.sla.ticket_targets(session, ticket),
                )
            cal, targets = calendars[ticket.company_id]
            own = pauses.get(ticket.id, [])
            badge = sla_badge(ticket, own, cal, targets, now)
            rows.append(
                QueueRow(
                    id=ticket.id,
                    number=ticket.number or "",
                    company=company or "",
                    contact=contact or "",
                    channel=ticket.channel,
                    title=ticket.title,
                    ticket_type=ticket.ticket_type,
                    priority=ticket.priority,
                    status=ticket.status,
                    badge=badge,
                    waiting_since=_waiting_since(ticket, own, waits.get(ticket.id, (None, None))),
                    assignee=assignee,
                    assignee_id=ticket.assigned_agent_id,
                    deadline=(
                        badge.urgent.due if badge.urgent and badge.urgent.due else ticket.resolution_due
                    ),
                    user_error=ticket.billable and ticket.ticket_type == "incident",
                )
            )
        return sorted(rows, key=lambda r: (r.deadline, r.number))

    def _handoffs(self, session: Session, waiting: list[Handoff], filters: QueueFilters) -> list[HandoffRow]:
        """Open hand-offs (the Handoffs use case's list), with each chat's open ticket, filtered."""
        rows = []
        text = filters.search.strip().lower()
        for handoff in waiting:
            if filters.channel and handoff.channel != filters.channel:
                continue
            said = " ".join(m.text for m in handoff.messages)
            if text and text not in f"{handoff.contact} {handoff.company} {handoff.address} {said}".lower():
                continue
            ticket = session.scalar(
                select(Ticket.number)
                .where(Ticket.conversation_id == handoff.conversation_id, Ticket.status.in_(OPEN))
                .order_by(Ticket.opened_at.desc())
                .limit(1)
            )
            rows.append(
                HandoffRow(
                    conversation_id=handoff.conversation_id,
                    channel=handoff.channel,
                    address=handoff.address,
                    contact=handoff.contact,
                    company=handoff.company,
                    since=handoff.since,
                    last_message=handoff.messages[-1].text if handoff.messages else "",
                    ticket_number=ticket,
                )
            )
        return rows


def sla_badge(
    ticket: Ticket,
    pauses: Sequence[TicketPause],
    cal: BusinessCalendar,
    targets: dict[Priority, Target],
    now: datetime,
) -> SlaBadge:
    """Both clocks of a ticket at `now` and the badge's tone (pure given its inputs)."""
    if ticket.sla_exempt or ticket.status not in OPEN:
        return SlaBadge(Tone.NONE, None, None, None, exempt=ticket.sla_exempt)
    target = targets[Priority(ticket.priority)]
    contingency = [(p.started_at, p.ended_at) for p in pauses if p.reason == "contingency"]
    response = _badge(
        "response",
        clock_status(
            cal,
            ticket.opened_at,
            target.response,
            now,
            pauses=contingency,
            stopped_at=ticket.first_response_at,
        ),
    )
    every = [(p.started_at, p.ended_at) for p in pauses]
    resolution = _badge(
        "resolution", clock_status(cal, ticket.opened_at, target.resolution, now, pauses=every)
    )
    running = [c for c in (response, resolution) if c.running]
    urgent = min(running, key=lambda c: c.remaining_minutes, default=None)
    return SlaBadge(_tone(urgent, running), urgent, response, resolution)


def _badge(name: str, status: ClockStatus) -> ClockBadge:
    return ClockBadge(
        clock=name,
        state=status.state,
        fraction_used=status.fraction_used,
        remaining_minutes=status.budget_minutes - status.elapsed_minutes,
        due=status.due,
    )


def _tone(urgent: ClockBadge | None, running: Iterable[ClockBadge]) -> Tone:
    if urgent is None:
        return Tone.NONE
    states = {c.state for c in running}
    if ClockState.BREACHED in states:
        return Tone.RED
    if urgent.state == ClockState.PAUSED:
        return Tone.GREY
    return Tone.AMBER if urgent.fraction_used >= AT_RISK_FRACTION else Tone.OK


def _select(rows: list[QueueRow], view: QueueView, agent_id: int) -> list[QueueRow]:
    if view == QueueView.MINE:
        return [r for r in rows if r.assignee_id == agent_id]
    if view == QueueView.UNASSIGNED:
        return [r for r in rows if r.assignee_id is None]
    if view == QueueView.WAITING:
        return [r for r in rows if r.status in WAITING]
    if view == QueueView.AT_RISK:
        return [r for r in rows if r.badge.at_risk]
    if view == QueueView.HANDOFFS:
        return []
    return list(rows)


def _conditions(filters: QueueFilters) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters and the search (number, title, description, company, contact)."""
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (Ticket.priority, filters.priority.upper()),
        (Ticket.channel, filters.channel),
        (Ticket.ticket_type, filters.ticket_type),
        (Ticket.status, filters.status),
    ):
        if value:
            conditions.append(column == value)
    text = filters.search.strip()
    if text:
        like = f"%{text.lower()}%"
        conditions.append(
            or_(
                func.lower(Ticket.number).like(like),
                func.lower(Ticket.title).like(like),
                func.lower(Ticket.description).like(like),
                func.lower(Company.name).like(like),
                func.lower(Contact.name).like(like),
            )
        )
    return conditions


def _pauses_by_ticket(session: Session, ids: Sequence[int]) -> dict[int, list[TicketPause]]:
    found: dict[int, list[TicketPause]] = {}
    if not ids:
        return found
    for pause in session.scalars(select(TicketPause).where(TicketPause.ticket_id.in_(ids))):
        found.setdefault(pause.ticket_id, []).append(pause)
    return found


def _last_activity(
    session: Session, ids: Sequence[int]
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Per ticket: the last customer message and the last agent action."""
    if not ids:
        return {}
    customer: dict[int, datetime] = {
        ticket_id: at
        for ticket_id, at in session.execute(
            select(Message.ticket_id, func.max(Message.created_at))
            .where(Message.ticket_id.in_(ids), Message.direction == "in")
            .group_by(Message.ticket_id)
        )
        if ticket_id is not None
    }
    agent: dict[int, datetime] = {
        ticket_id: at
        for ticket_id, at in session.execute(
            select(TicketEvent.ticket_id, func.max(TicketEvent.created_at))
            .where(TicketEvent.ticket_id.in_(ids), TicketEvent.actor == Actor.AGENT)
            .group_by(TicketEvent.ticket_id)
        )
    }
    return {i: (customer.get(i), agent.get(i)) for i in ids}


def _waiting_since(
    ticket: Ticket, pauses: Sequence[TicketPause], activity: tuple[datetime | None, datetime | None]
) -> datetime:
    """Since when the ticket waits: on the customer (the open pause), else on us (their last word)."""
    if ticket.status in WAITING:
        started = [p.started_at for p in pauses if p.ended_at is None and p.reason != "contingency"]
        if started:
            return min(started)
    customer, agent = activity
    if agent is None:
        return ticket.opened_at
    if customer is not None and customer > agent:
        return customer
    return agent


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One message of a conversation, as the hand-off page shows it."""

    at: datetime
    direction: str  # in | out
    author: str
    text: str
    status: str | None


@dataclass(frozen=True)
class ConversationView:
    """A customer's chat with the bot: who, whether they asked for a person, the latest messages."""

    id: int
    channel: str
    address: str
    contact: str
    company: str
    handoff_requested: bool
    lines: list[ChatLine]
    open_tickets: list[str]


def conversation_view(
    session_factory: sessionmaker[Session], conversation_id: int, limit: int = 60
) -> ConversationView | None:
    """The latest messages of one conversation (None when unknown)."""
    with session_factory() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return None
        contact = conversation.contact
        messages = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        ).all()
        tickets = session.scalars(
            select(Ticket.number)
            .where(
                Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN), Ticket.number.is_not(None)
            )
            .order_by(Ticket.opened_at)
        ).all()
        return ConversationView(
            id=conversation.id,
            channel=conversation.channel,
            address=conversation.address,
            contact=contact.name if contact else "",
            company=contact.company.name if contact and contact.company else "",
            handoff_requested=conversation.handoff_requested,
            lines=[
                ChatLine(m.created_at, m.direction, m.author, m.text, m.status) for m in reversed(messages)
            ],
            open_tickets=[n for n in tickets if n],
        )
