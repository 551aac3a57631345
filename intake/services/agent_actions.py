"""Agents' use cases on tickets, each owning its transaction: the CLI, the console, the API and the agents'
Telegram commands all call these.

Every action opens one unit of work, locks the ticket's conversation and then the ticket (the order the
inbound path and the sweeper use), finds the acting agent (by e-mail or id), acts, and commits. Any
refusal is one typed `ActionError`, raised before the commit, so nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.effects import TicketType
from intake.db import unit_of_work
from intake.db.models import Agent, ChannelIdentity, Contact, Conversation, Ticket
from intake.db.storage import FileStore
from intake.domain.lifecycle import IllegalTransitionError
from intake.services import billing
from intake.services.conversations import ConversationService
from intake.services.hours_bank import RequestRule
from intake.services.tickets import NewTicket, TicketError, TicketService, TicketStateError
from sla.priority import Impact, Priority, Urgency

E = TypeVar("E", bound=StrEnum)
AgentRef = str | int  # an agent's e-mail, or their id (the console and the API know the id)


class ActionErrorCode(StrEnum):
    """Why an agent action was refused."""

    UNKNOWN_TICKET = "unknown_ticket"
    UNKNOWN_AGENT = "unknown_agent"  # no such agent, or disabled
    UNKNOWN_CONTACT = "unknown_contact"
    ILLEGAL_TRANSITION = "illegal_transition"  # the ticket's status does not allow it
    BAD_INPUT = "bad_input"


class ActionError(Exception):
    """An agent action was refused; nothing was written. `message` is fit to show the agent."""

    def __init__(self, code: ActionErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action left behind: the ticket's number and status."""

    number: str
    status: str


@dataclass(frozen=True, slots=True)
class Registration:
    """A ticket an agent registers on behalf of a customer (what the intake dialog would collect)."""

    contact_id: int
    ticket_type: str  # "incident" | "request"
    description: str
    impact: str  # "alto" | "medio" | "bajo"
    urgency: str  # "alta" | "media" | "baja"
    module: str | None = None


TicketAct = Callable[[Session, Ticket, Agent, datetime], None]


class AgentActions:
    """The agents' use cases on tickets, on one database, clock and file store."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        tickets: TicketService,
        conversations: ConversationService,
        store: FileStore,
        clock: Callable[[], datetime],
    ) -> None:
        self.session_factory = session_factory
        self.tickets = tickets
        self.conversations = conversations
        self.store = store
        self.clock = clock

    def take(self, number: str, agent: AgentRef) -> ActionResult:
        """Take the ticket and start the analysis (the customer is told who took it)."""
        return self._act(number, agent, lambda s, t, a, now: self.tickets.take(s, t, a, now=now))

    def reply(self, number: str, agent: AgentRef, body: str) -> ActionResult:
        """A public reply in the customer's chat (counts as the first response)."""
        body = _required(body, "a reply needs a text")
        return self._act(number, agent, lambda s, t, a, now: self.tickets.reply(s, t, a, body, now=now))

    def note(self, number: str, agent: AgentRef, body: str) -> ActionResult:
        """An internal note on the ticket: never sent to the customer."""
        body = _required(body, "a note needs a text")
        return self._act(number, agent, lambda s, t, a, now: self.tickets.note(s, t, a, body, now=now))

    def ask(self, number: str, agent: AgentRef, question: str) -> ActionResult:
        """Ask the customer for information (the resolution clock pauses until they answer)."""
        question = _required(question, "a question needs a text")
        return self._act(
            number, agent, lambda s, t, a, now: self.tickets.request_info(s, t, a, question, now=now)
        )

    def progress(self, number: str, agent: AgentRef, note: str) -> ActionResult:
        """Tell the customer how the work is going."""
        note = _required(note, "a progress note needs a text")
        return self._act(
            number, agent, lambda s, t, a, now: self.tickets.post_progress(s, t, a, note, now=now)
        )

    def escalate(self, number: str, agent: AgentRef, reason: str) -> ActionResult:
        """Escalate: supervisors are alerted and the customer is told."""
        reason = _required(reason, "an escalation needs a reason")
        return self._act(
            number, agent, lambda s, t, a, now: self.tickets.escalate(s, t, reason, now=now, agent=a)
        )

    def solve(self, number: str, agent: AgentRef, summary: str) -> ActionResult:
        """Propose a solution; the customer is asked to validate it in their chat."""
        summary = _required(summary, "a solution needs a summary")
        return self._act(
            number,
            agent,
            lambda s, t, a, now: self.conversations.propose_solution(s, t, a, summary, now=now),
        )

    def change_priority(
        self, number: str, agent: AgentRef, priority: Priority | str, reason: str
    ) -> ActionResult:
        """Change the priority with a kept reason; deadlines are recomputed from the opening time."""
        new = _parse(Priority, str(priority).upper(), "priority")
        return self._act(
            number,
            agent,
            lambda s, t, a, now: self.tickets.change_priority(s, t, new, reason, now=now, agent=a),
        )

    def cancel(self, number: str, agent: AgentRef, reason: str) -> ActionResult:
        """Cancel the ticket (duplicate, withdrawn), with a reason."""
        reason = _required(reason, "a cancellation needs a reason")
        return self._act(
            number, agent, lambda s, t, a, now: self.tickets.cancel(s, t, reason, now=now, agent=a)
        )

    def mark_billable(self, number: str, agent: AgentRef, reason: str) -> ActionResult:
        """Mark an incident "error de usuario — facturable" with a reason; the customer is told."""
        routing = self.tickets.alerts
        return self._act(
            number,
            agent,
            lambda s, t, a, now: billing.mark_billable(s, t, a, reason, now=now, routing=routing),
        )

    def unmark_billable(self, number: str, agent: AgentRef, reason: str) -> ActionResult:
        """Undo "facturable" with a reason; the customer is told there is no charge."""
        routing = self.tickets.alerts
        return self._act(
            number,
            agent,
            lambda s, t, a, now: billing.unmark_billable(s, t, a, reason, now=now, routing=routing),
        )

    def log_time(self, number: str, agent: AgentRef, minutes: int, note: str) -> billing.TimeLogged:
        """Log minutes and a note on a ticket; the hours bank is charged when the plan's rule says so."""
        logged: list[billing.TimeLogged] = []
        routing = self.tickets.alerts

        def act(session: Session, ticket: Ticket, who: Agent, now: datetime) -> None:
            logged.append(billing.log_time(session, ticket, who, minutes, note, now=now, routing=routing))

        self._act(number, agent, act)
        return logged[0]

    def send_file(
        self,
        number: str,
        agent: AgentRef,
        content: bytes,
        filename: str,
        *,
        content_type: str | None = None,
        caption: str = "",
    ) -> ActionResult:
        """Send a file to the customer's chat; it is kept on the ticket as an attachment."""
        filename = _required(filename, "a file needs a name")
        mime = content_type or "application/octet-stream"

        def act(session: Session, ticket: Ticket, who: Agent, now: datetime) -> None:
            stored = self.store.put(content, mime, filename)
            relative = self.store.relative(stored)
            self.tickets.send_file(
                session,
                ticket,
                who,
                stored,
                relative,
                filename=filename,
                content_type=mime,
                caption=caption,
                now=now,
            )

        return self._act(number, agent, act)

    def register(self, agent: AgentRef, data: Registration) -> ActionResult:
        """Open a ticket on behalf of a customer: matrix priority, calendar deadlines, told in their chat."""
        new = _new_ticket(data)
        with _refusals(), unit_of_work(self.session_factory) as session:
            now = self.clock()
            contact = session.get(Contact, data.contact_id)
            if contact is None:
                raise ActionError(ActionErrorCode.UNKNOWN_CONTACT, f"no contact {data.contact_id}")
            language = self.conversations.settings.default_language
            conversation = _lock_chat_of(session, contact, now, language)
            who = find_agent(session, agent)
            billable = _billable(contact, new.ticket_type)
            new = NewTicket(
                new.ticket_type, new.description, new.impact, new.urgency, new.module, billable=billable
            )
            ticket = self.tickets.open_ticket(session, conversation, contact, new, now=now, agent=who)
            return ActionResult(ticket.number or "", ticket.status)

    def _act(self, number: str, agent: AgentRef, act: TicketAct) -> ActionResult:
        """Lock the ticket (conversation first), find the agent, act and commit; refusals write nothing."""
        number = number.strip().upper()
        with _refusals(), unit_of_work(self.session_factory) as session:
            ticket = self.tickets.lock(session, number)
            if ticket is None:
                raise ActionError(ActionErrorCode.UNKNOWN_TICKET, f"no ticket {number}")
            who = find_agent(session, agent)
            act(session, ticket, who, self.clock())
            return ActionResult(number, ticket.status)


def find_agent(session: Session, agent: AgentRef) -> Agent:
    """The active agent with this e-mail (or id), or an UNKNOWN_AGENT refusal."""
    if isinstance(agent, int):
        found = session.scalar(select(Agent).where(Agent.id == agent, Agent.active))
        if found is None:
            raise ActionError(ActionErrorCode.UNKNOWN_AGENT, f"no active agent with id {agent}")
        return found
    found = session.scalar(select(Agent).where(Agent.email == agent.strip().lower(), Agent.active))
    if found is None:
        raise ActionError(ActionErrorCode.UNKNOWN_AGENT, f"no active agent with e-mail {agent}")
    return found


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn the ticket service's refusals into ActionErrors (the transaction inside has rolled back)."""
    try:
        yield
    except IllegalTransitionError as exc:
        raise ActionError(ActionErrorCode.ILLEGAL_TRANSITION, str(exc)) from None
    except TicketStateError as exc:
        raise ActionError(ActionErrorCode.ILLEGAL_TRANSITION, str(exc)) from None
    except TicketError as exc:
        raise ActionError(ActionErrorCode.BAD_INPUT, str(exc)) from None


def _required(value: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise ActionError(ActionErrorCode.BAD_INPUT, message)
    return value


def _parse(enum: type[E], value: str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ActionError(ActionErrorCode.BAD_INPUT, f"unknown {what} {value!r}; one of {allowed}") from None


def _new_ticket(data: Registration) -> NewTicket:
    return NewTicket(
        ticket_type=str(_parse(TicketType, data.ticket_type.strip().lower(), "ticket type")),
        description=_required(data.description, "a ticket needs a description"),
        impact=_parse(Impact, data.impact.strip().lower(), "impact"),
        urgency=_parse(Urgency, data.urgency.strip().lower(), "urgency"),
        module=(data.module or "").strip() or None,
    )


def _billable(contact: Contact, ticket_type: str) -> bool:
    """A request costs the customer when their plan charges requests (hours bank or quote), as the dialog
    tells them before they confirm one."""
    plan = contact.company.plan if contact.company is not None else None
    return (
        ticket_type == TicketType.REQUEST and plan is not None and plan.request_rule != RequestRule.INCLUDED
    )


def _lock_chat_of(session: Session, contact: Contact, now: datetime, default_language: str) -> Conversation:
    """Lock the contact's most recent conversation, or open one on its most recently used channel."""
    latest = session.scalar(
        select(Conversation.id)
        .where(Conversation.contact_id == contact.id)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    if latest is not None:
        return session.scalars(select(Conversation).where(Conversation.id == latest).with_for_update()).one()
    identity = session.scalar(
        select(ChannelIdentity)
        .where(ChannelIdentity.contact_id == contact.id)
        .order_by(ChannelIdentity.last_inbound_at.desc().nulls_last(), ChannelIdentity.id.desc())
        .limit(1)
    )
    if identity is None:
        raise ActionError(ActionErrorCode.BAD_INPUT, f"contact {contact.id} has no chat to tell them in")
    query = select(Conversation).where(
        Conversation.channel == identity.channel, Conversation.address == identity.address
    )
    conversation = session.scalar(query.with_for_update())
    if conversation is not None:
        return conversation
    conversation = Conversation(
        channel=identity.channel,
        address=identity.address,
        chat_id=identity.chat_id,
        contact_id=contact.id,
        language=contact.language or default_language,
        last_inbound_at=identity.last_inbound_at,
        state={},
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    session.flush()
    return conversation
