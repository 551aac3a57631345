"""Contingencies (force majeure): a declared window that pauses clocks, exempts tickets and tells customers.

Declaring one records its window and scope (all companies or some), pauses both clocks of every open
ticket in scope (``TicketPause(reason="contingency")``), marks those tickets SLA-exempt and tells each
affected conversation once, in its language. Ending it closes the window and the pauses, moves the
deadlines later by the paused business time, lifts the exemption (the sweeper watches the tickets again;
alerts and breaches raised before the window stand) and tells the same customers. Tickets opened while it
was active are exempt already (``TicketService.open_ticket``); at the end they get the same pause, from
their opening, so their deadlines move too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Reply
from bot.texts import text
from intake.db import unit_of_work
from intake.db.events import record_event
from intake.db.models import Company, Contingency, Conversation, Ticket, TicketPause
from intake.domain.events import Actor, EventKind
from intake.domain.lifecycle import OPEN_STATUSES
from intake.services.companies import CompanyLookupError, CompanyRef, company_id_of
from intake.services.notify import reply_to_conversation

if TYPE_CHECKING:
    from intake.services.tickets import TicketService

OPEN = sorted(s.value for s in OPEN_STATUSES)
REASON = "contingency"


class ContingencyError(ValueError):
    """A contingency cannot be declared or ended as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class ContingencySummary:
    """A contingency with how many tickets it paused and how many conversations it told."""

    contingency: Contingency
    tickets: int
    conversations: int

    @property
    def scope(self) -> str:
        """'all companies' or 'companies 1, 3'."""
        return scope_of(self.contingency)


class ContingencyService:
    """Declares and ends contingencies on top of the ticket service (deadlines, next SLA checks)."""

    def __init__(self, tickets: TicketService) -> None:
        self.tickets = tickets

    def declare(
        self,
        session: Session,
        title: str,
        company_ids: Sequence[int] | None,
        declared_by: str,
        now: datetime,
    ) -> Contingency:
        """Open a contingency for some companies (None = all): pause, exempt and tell every open ticket."""
        title, declared_by = title.strip(), declared_by.strip()
        if not title or not declared_by:
            raise ContingencyError("a contingency needs a title and who declares it")
        ids = None if company_ids is None else self._known_companies(session, company_ids)
        self._refuse_overlap(session, ids)
        contingency = Contingency(
            title=title,
            all_companies=ids is None,
            company_ids=ids,
            declared_by=declared_by,
            started_at=now,
        )
        session.add(contingency)
        session.flush()
        affected = self._lock(session, _open_in_scope(ids))
        for ticket in affected:
            session.add(
                TicketPause(ticket_id=ticket.id, reason=REASON, contingency_id=contingency.id, started_at=now)
            )
            ticket.sla_exempt = True
            _event(
                session, ticket, EventKind.CONTINGENCY_STARTED, f"Contingency #{contingency.id}: {title}", now
            )
            self.tickets.refresh_sla_check(session, ticket)
        _tell(session, affected, "contingency_started", title, now)
        return contingency

    def end(self, session: Session, contingency_id: int, now: datetime) -> Contingency:
        """Close the window and its pauses, move the deadlines later, tell the same customers."""
        contingency = session.scalar(
            select(Contingency).where(Contingency.id == contingency_id).with_for_update()
        )
        if contingency is None:
            raise ContingencyError(f"there is no contingency #{contingency_id}")
        if contingency.ended_at is not None:
            raise ContingencyError(
                f"contingency #{contingency_id} already ended at {contingency.ended_at.isoformat()}"
            )
        if now < contingency.started_at:
            raise ContingencyError(f"contingency #{contingency_id} cannot end before it started")
        contingency.ended_at = now
        paused_ids = set(
            session.scalars(
                select(TicketPause.ticket_id).where(
                    TicketPause.contingency_id == contingency.id, TicketPause.ended_at.is_(None)
                )
            )
        )
        opened_during = self._opened_during(session, contingency, now, paused_ids)
        tickets = self._lock(session, Ticket.id.in_(paused_ids | {t for t, _ in opened_during}))
        for ticket_id, opened_at in opened_during:
            session.add(
                TicketPause(
                    ticket_id=ticket_id, reason=REASON, contingency_id=contingency.id, started_at=opened_at
                )
            )
        session.flush()
        for pause in session.scalars(
            select(TicketPause).where(
                TicketPause.contingency_id == contingency.id, TicketPause.ended_at.is_(None)
            )
        ):
            pause.ended_at = now
        for ticket in tickets:
            ticket.sla_exempt = False  # the exemption covers the window only: the sweeper watches again
        still_open = [t for t in tickets if t.status in OPEN]
        for ticket in still_open:
            # from the opening, without the closed pause; alerts raised before the window stand
            self.tickets.recompute_deadlines(session, ticket)
            _event(session, ticket, EventKind.CONTINGENCY_ENDED, f"Contingency #{contingency.id} ended", now)
        _tell(session, still_open, "contingency_ended", contingency.title, now)
        return contingency

    def summary(self, session: Session, contingency: Contingency) -> ContingencySummary:
        """How many tickets the contingency paused and in how many conversations."""
        query = (
            select(
                func.count(func.distinct(TicketPause.ticket_id)),
                func.count(func.distinct(Ticket.conversation_id)),
            )
            .join(Ticket, Ticket.id == TicketPause.ticket_id)
            .where(TicketPause.contingency_id == contingency.id)
        )
        tickets, conversations = session.execute(query).one()
        return ContingencySummary(contingency, int(tickets), int(conversations))

    def history(self, session: Session) -> list[Contingency]:
        """Every contingency, newest first."""
        return list(
            session.scalars(
                select(Contingency).order_by(Contingency.started_at.desc(), Contingency.id.desc())
            )
        )

    # --- internals ----------------------------------------------------------------------------
    def _known_companies(self, session: Session, company_ids: Sequence[int]) -> list[int]:
        ids = sorted(set(company_ids))
        if not ids:
            raise ContingencyError("name at least one company, or none at all for every company")
        found = set(session.scalars(select(Company.id).where(Company.id.in_(ids))))
        missing = [i for i in ids if i not in found]
        if missing:
            raise ContingencyError(f"unknown company id(s): {', '.join(map(str, missing))}")
        return ids

    def _refuse_overlap(self, session: Session, ids: list[int] | None) -> None:
        """Declaring twice (an active contingency already covers one of these companies) is an error."""
        for active in session.scalars(select(Contingency).where(Contingency.ended_at.is_(None))):
            theirs = None if active.all_companies else set(active.company_ids or [])
            if theirs is None or ids is None or theirs & set(ids):
                raise ContingencyError(
                    f"contingency #{active.id} ({active.title!r}, {scope_of(active)}) is already active; "
                    f"end it first (intake-bot contingency end {active.id})"
                )

    def _opened_during(
        self, session: Session, contingency: Contingency, now: datetime, paused: set[int]
    ) -> list[tuple[int, datetime]]:
        """Open tickets in scope opened inside the window (exempt at opening, never paused)."""
        ids = None if contingency.all_companies else list(contingency.company_ids or [])
        query = select(Ticket.id, Ticket.opened_at).where(
            _open_in_scope(ids), Ticket.opened_at >= contingency.started_at, Ticket.opened_at < now
        )
        return [
            (ticket_id, opened) for ticket_id, opened in session.execute(query) if ticket_id not in paused
        ]

    def _lock(self, session: Session, where: ColumnElement[bool]) -> list[Ticket]:
        """Lock the tickets' conversations, then the tickets (the inbound path's order), by id."""
        conversation_ids = select(Ticket.conversation_id).where(where, Ticket.conversation_id.is_not(None))
        session.execute(
            select(Conversation.id)
            .where(Conversation.id.in_(conversation_ids))
            .order_by(Conversation.id)
            .with_for_update()
        ).all()
        return list(session.scalars(select(Ticket).where(where).order_by(Ticket.id).with_for_update()))


class Contingencies:
    """The contingency use cases, each in its own transaction (for the CLI, the console, the API)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        service: ContingencyService,
        clock: Callable[[], datetime],
    ) -> None:
        self.session_factory = session_factory
        self.service = service
        self.clock = clock

    def declare(
        self, title: str, companies: Sequence[CompanyRef] | None, declared_by: str
    ) -> ContingencySummary:
        """Declare a contingency now for companies named by id or name (None = every company); a refusal
        (ContingencyError) writes nothing."""
        with unit_of_work(self.session_factory) as session:
            try:
                ids = None if companies is None else [company_id_of(session, c) for c in companies]
            except CompanyLookupError as exc:
                raise ContingencyError(str(exc)) from None
            contingency = self.service.declare(session, title, ids, declared_by, self.clock())
            return self.service.summary(session, contingency)

    def end(self, contingency_id: int) -> ContingencySummary:
        """End a contingency now: clocks resume, deadlines move later, the same customers are told."""
        with unit_of_work(self.session_factory) as session:
            return self.service.summary(session, self.service.end(session, contingency_id, self.clock()))

    def history(self) -> list[ContingencySummary]:
        """Every contingency with its counts, newest first."""
        with self.session_factory() as session:
            return [self.service.summary(session, c) for c in self.service.history(session)]


def scope_of(contingency: Contingency) -> str:
    """'all companies' or 'companies 1, 3'."""
    if contingency.all_companies:
        return "all companies"
    return "companies " + ", ".join(str(i) for i in contingency.company_ids or [])


def _open_in_scope(company_ids: list[int] | None) -> ColumnElement[bool]:
    scope = true() if company_ids is None else Ticket.company_id.in_(company_ids)
    return Ticket.status.in_(OPEN) & scope


def _event(session: Session, ticket: Ticket, kind: EventKind, body: str, now: datetime) -> None:
    record_event(session, ticket.id, kind, Actor.SYSTEM, body, now=now, visible=True)


def _tell(session: Session, tickets: Iterable[Ticket], key: str, reason: str, now: datetime) -> None:
    """One message per conversation, in its language, naming its affected tickets."""
    by_conversation: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        if ticket.conversation_id is not None:
            by_conversation[ticket.conversation_id].append(ticket)
    for conversation_id, theirs in sorted(by_conversation.items()):
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            continue
        numbers = ", ".join(t.number or "" for t in theirs)
        variables = {"reason": reason, "number": numbers}
        reply = Reply(text(key, conversation.language, **variables), kind="contingency", variables=variables)
        reply_to_conversation(session, conversation, reply, now=now, ticket_id=theirs[0].id)
