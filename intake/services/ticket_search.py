"""Tickets listed and filtered for the JSON API: any status, exact filters, views, text, one page at a time.

Newest first (opened_at, then id, descending), so pages are stable while tickets are worked on. The SLA
badge of each listed ticket comes from the queue's pure `sla_badge`; the at-risk view needs it for
every open ticket, so that view is filtered in Python before it is paged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import Agent, Company, Contact, Ticket, TicketPause
from intake.domain.lifecycle import OPEN_STATUSES, PAUSED_STATUSES
from intake.services.queue import SlaBadge, sla_badge
from intake.services.sla import SlaService

OPEN = sorted(s.value for s in OPEN_STATUSES)
WAITING = sorted(s.value for s in PAUSED_STATUSES)
MAX_PER_PAGE = 100


class TicketListView(StrEnum):
    """Named subsets of the tickets (the queue's tabs)."""

    MINE = "mine"  # assigned to the asking agent, open
    UNASSIGNED = "unassigned"  # open, nobody assigned
    OPEN = "open"
    WAITING = "waiting"  # waiting on the customer
    AT_RISK = "at_risk"  # open, >= 75 % of a running target used, or breached


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """What to list: exact filters, a view, a text search, which page."""

    agent_id: int  # who asks (the "mine" view)
    status: str = ""
    priority: str = ""
    company_id: int | None = None
    assignee_id: int | None = None
    view: TicketListView | None = None
    text: str = ""
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """One ticket in a list."""

    number: str
    title: str
    status: str
    priority: str
    ticket_type: str
    channel: str
    company_id: int | None
    company: str | None
    contact_id: int | None
    contact: str | None
    assignee_id: int | None
    assignee: str | None
    opened_at: datetime
    closed_at: datetime | None
    first_response_at: datetime | None
    response_due: datetime
    resolution_due: datetime
    badge: SlaBadge


@dataclass(frozen=True)
class TicketList:
    """One page of tickets and how many match in all."""

    items: list[TicketSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, -(-self.total // self.per_page))


class TicketSearch:
    """The API's ticket list on one database, SLA service and clock."""

    def __init__(
        self, session_factory: sessionmaker[Session], sla: SlaService, clock: Callable[[], datetime]
    ) -> None:
        self.session_factory = session_factory
        self.sla = sla
        self.clock = clock

    def search(self, query: TicketQuery) -> TicketList:
        """The page of tickets matching `query`, newest first."""
        per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
        page = max(query.page, 1)
        offset = (page - 1) * per_page
        now = self.clock()
        with self.session_factory() as session:
            base = _base(query)
            if query.view == TicketListView.AT_RISK:
                rows = self._summaries(session, session.execute(base).all(), now)
                risky = [r for r in rows if r.badge.at_risk]
                return TicketList(risky[offset : offset + per_page], len(risky), page, per_page)
            total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
            found = session.execute(base.offset(offset).limit(per_page)).all()
            return TicketList(self._summaries(session, found, now), total, page, per_page)

    def one(self, number: str) -> TicketSummary | None:
        """One ticket's summary by number (None when there is none)."""
        with self.session_factory() as session:
            query = _base(TicketQuery(agent_id=0)).where(Ticket.number == number.strip().upper())
            found = session.execute(query).all()
            summaries = self._summaries(session, found, self.clock())
            return summaries[0] if summaries else None

    def _summaries(self, session: Session, found: Sequence[Any], now: datetime) -> list[TicketSummary]:
        pauses = _pauses(session, [row[0].id for row in found])
        summaries = []
        for ticket, company, contact, assignee in found:
            badge = sla_badge(
                ticket,
                pauses.get(ticket.id, []),
                self.sla.ticket_calendar(session, ticket),
                self.sla.ticket_targets(session, ticket),
                now,
            )
            summaries.append(_summary(ticket, company, contact, assignee, badge))
        return summaries


def _base(query: TicketQuery) -> Select[Ticket, str, str, str]:
    return (
        select(Ticket, Company.name, Contact.name, Agent.name)
        .outerjoin(Company, Company.id == Ticket.company_id)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .outerjoin(Agent, Agent.id == Ticket.assigned_agent_id)
        .where(Ticket.number.is_not(None), *_conditions(query))
        .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
    )


def _conditions(query: TicketQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.status:
        conditions.append(Ticket.status == query.status)
    if query.priority:
        conditions.append(Ticket.priority == query.priority.upper())
    if query.company_id is not None:
        conditions.append(Ticket.company_id == query.company_id)
    if query.assignee_id is not None:
        conditions.append(Ticket.assigned_agent_id == query.assignee_id)
    conditions.extend(_view(query))
    text = query.text.strip().lower()
    if text:
        conditions.append(
            or_(
                func.lower(Ticket.number).contains(text, autoescape=True),
                func.lower(Ticket.title).contains(text, autoescape=True),
                func.lower(Ticket.description).contains(text, autoescape=True),
                func.lower(Company.name).contains(text, autoescape=True),
                func.lower(Contact.name).contains(text, autoescape=True),
            )
        )
    return conditions


def _view(query: TicketQuery) -> list[ColumnElement[bool]]:
    if query.view is None:
        return []
    if query.view == TicketListView.WAITING:
        return [Ticket.status.in_(WAITING)]
    conditions: list[ColumnElement[bool]] = [Ticket.status.in_(OPEN)]
    if query.view == TicketListView.MINE:
        conditions.append(Ticket.assigned_agent_id == query.agent_id)
    elif query.view == TicketListView.UNASSIGNED:
        conditions.append(Ticket.assigned_agent_id.is_(None))
    return conditions


def _pauses(session: Session, ids: Sequence[int]) -> dict[int, list[TicketPause]]:
    found: dict[int, list[TicketPause]] = {}
    if ids:
        for pause in session.scalars(select(TicketPause).where(TicketPause.ticket_id.in_(ids))):
            found.setdefault(pause.ticket_id, []).append(pause)
    return found


def _summary(
    ticket: Ticket, company: str | None, contact: str | None, assignee: str | None, badge: SlaBadge
) -> TicketSummary:
    return TicketSummary(
        number=ticket.number or "",
        title=ticket.title,
        status=ticket.status,
        priority=ticket.priority,
        ticket_type=ticket.ticket_type,
        channel=ticket.channel,
        company_id=ticket.company_id,
        company=company,
        contact_id=ticket.contact_id,
        contact=contact,
        assignee_id=ticket.assigned_agent_id,
        assignee=assignee,
        opened_at=ticket.opened_at,
        closed_at=ticket.closed_at,
        first_response_at=ticket.first_response_at,
        response_due=ticket.response_due,
        resolution_due=ticket.resolution_due,
        badge=badge,
    )
