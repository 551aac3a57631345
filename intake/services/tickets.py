"""Ticket use cases: open, agent actions, customer answers, SLA pauses (in the caller's transaction)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.messages import Channel, InboundMedia
from bot.texts import text
from channels.base import OutboundMessage
from intake.db.events import record_event
from intake.db.models import (
    Agent,
    Attachment,
    Contact,
    Conversation,
    PriorityChange,
    SurveyAnswer,
    Ticket,
    TicketPause,
)
from intake.db.storage import StoredFile
from intake.delivery.outbox import enqueue
from intake.domain.events import Actor, EventKind
from intake.domain.lifecycle import OPEN_STATUSES, PAUSED_STATUSES, TicketStatus, transition
from intake.services.notify import AlertRouting, alert_agents, new_ticket_card, notify_customer
from intake.services.sla import SlaService, next_sla_check
from sla.explain import format_local
from sla.priority import Impact, Priority, Urgency, priority_for

S = TicketStatus
K = EventKind
A = Actor


class TicketError(ValueError):
    """A use case was asked something it cannot do (bad input or state); the message says why."""


class TicketStateError(TicketError):
    """The ticket's current status does not allow the use case."""


@dataclass(frozen=True, slots=True)
class NewTicket:
    """What the intake dialog collected."""

    ticket_type: str
    description: str
    impact: Impact
    urgency: Urgency
    module: str | None = None
    billable: bool = False
    media: Sequence[InboundMedia] = ()
    duplicate_of_number: str | None = None
    title: str | None = None


class TicketService:
    """The ticket lifecycle's use cases, with the SLA service and settings they need."""

    def __init__(self, sla: SlaService, *, prefix: str = "LA", alerts: AlertRouting | None = None) -> None:
        self.sla = sla
        self.prefix = prefix
        self.alerts = alerts or AlertRouting()

    def lock(self, session: Session, number: str) -> Ticket | None:
        """Load a ticket for an agent action, locking its conversation first, then the ticket.

        Inbound messages and the sweeper lock in that order too, so agent actions never deadlock them.
        """
        found = session.execute(
            select(Ticket.id, Ticket.conversation_id).where(Ticket.number == number)
        ).first()
        if found is None:
            return None
        if found.conversation_id is not None:
            session.scalar(
                select(Conversation.id).where(Conversation.id == found.conversation_id).with_for_update()
            )
        # populate_existing: the object may already be in this session with attributes read before the lock
        locked = select(Ticket).where(Ticket.id == found.id).with_for_update()
        return session.scalar(locked.execution_options(populate_existing=True))

    # --- opening -----------------------------------------------------------------------------
    def open_ticket(
        self,
        session: Session,
        conversation: Conversation,
        contact: Contact | None,
        data: NewTicket,
        *,
        now: datetime,
        agent: Agent | None = None,
    ) -> Ticket:
        """Create a ticket with deadlines, attachments, events, the customer's receipt and agents' alert.

        `agent` registers it on the customer's behalf (the trail says who); otherwise the customer did.
        """
        priority = priority_for(data.impact, data.urgency)
        company = contact.company if contact is not None else None
        ticket = Ticket(
            tracking_token=secrets.token_urlsafe(24),
            company_id=company.id if company else None,
            # The one place a ticket gets its plan: its calendar and targets stay with it (see sla.py).
            plan_id=company.plan_id if company else None,
            contact_id=contact.id if contact else None,
            conversation_id=conversation.id,
            channel=conversation.channel,
            ticket_type=data.ticket_type,
            title=_title(data.title or data.description),
            description=data.description,
            module=data.module,
            impact=str(data.impact),
            urgency=str(data.urgency),
            priority=str(priority),
            status=S.NEW,
            language=conversation.language,
            billable=data.billable,
            needs_verification=contact is None or not contact.verified or contact.self_identified,
            opened_at=now,
            response_due=now,
            resolution_due=now,
            created_at=now,
            updated_at=now,
        )
        ticket.duplicate_of_id = self._id_of(session, data.duplicate_of_number)
        session.add(ticket)
        session.flush()
        ticket.number = f"{self.prefix}-{ticket.id:06d}"
        ticket.response_due, ticket.resolution_due = self.sla.deadlines(session, ticket, [])
        session.add(
            PriorityChange(
                ticket_id=ticket.id,
                old_priority=None,
                new_priority=str(priority),
                reason=f"matrix: impact {data.impact}, urgency {data.urgency}",
                changed_at=now,
            )
        )
        opened = f"Ticket opened on {conversation.channel}"
        if agent is None:
            self._event(session, ticket, K.CREATED, A.CUSTOMER, opened, now)
        else:
            self._event(session, ticket, K.CREATED, A.AGENT, f"{opened} by {agent.name}", now, agent=agent)
        for media in data.media:
            session.add(_attachment(ticket, conversation, media, now))
        self._exempt_if_in_contingency(session, ticket, now)
        self.refresh_sla_check(session, ticket)
        resp, resol = self.sla.explain(session, ticket)
        notify_customer(
            session,
            ticket,
            "ticket_registered",
            now=now,
            kind="registration",
            priority=str(priority),
            response=resp,
            resolution=resol,
        )
        who = contact.name if contact else conversation.address
        flag = " [contact to verify]" if ticket.needs_verification else ""
        headline = f"New {priority} {data.ticket_type} {ticket.number} from {who}{flag}: {ticket.title}"
        card = new_ticket_card(ticket, company.name if company else None, who, len(data.media))
        cal = self.sla.ticket_calendar(session, ticket)
        deadlines = (
            f"Response due {format_local(cal, ticket.response_due, 'en')}, resolution due "
            f"{format_local(cal, ticket.resolution_due, 'en')} ({cal.timezone})"
        )
        alert_agents(session, ticket, f"{headline}\n{card}\n{deadlines}", now=now, routing=self.alerts)
        return ticket

    # --- agents ------------------------------------------------------------------------------
    def take(self, session: Session, ticket: Ticket, agent: Agent, *, now: datetime) -> None:
        """An agent takes the ticket and starts the analysis (never a closed or cancelled one)."""
        if ticket.status not in OPEN_STATUSES:
            raise TicketStateError(f"cannot take a ticket that is {ticket.status}")
        if ticket.status in (S.NEW, S.REOPENED):
            self._move(session, ticket, S.IN_ANALYSIS if ticket.status == S.NEW else S.IN_PROGRESS, now)
        ticket.assigned_agent_id = agent.id
        self._first_response(session, ticket, now)  # the customer is told who took it: a first response
        self._event(session, ticket, K.TAKEN, A.AGENT, f"Taken by {agent.name}", now, agent=agent)
        notify_customer(session, ticket, "ticket_taken", now=now, kind="progress", agent=agent.name)

    def request_info(
        self, session: Session, ticket: Ticket, agent: Agent, question: str, *, now: datetime
    ) -> None:
        """Ask the customer for information: the resolution clock pauses until they answer."""
        self._move(session, ticket, S.WAITING_CUSTOMER, now)
        self._first_response(session, ticket, now)
        self._event(session, ticket, K.INFO_REQUESTED, A.AGENT, question, now, agent=agent, visible=True)
        notify_customer(
            session,
            ticket,
            "info_requested",
            now=now,
            kind="info_request",
            author=A.AGENT,
            agent_id=agent.id,
            question=question,
        )

    def post_progress(
        self, session: Session, ticket: Ticket, agent: Agent, note: str, *, now: datetime
    ) -> None:
        """Tell the customer how the work is going."""
        if ticket.status in (S.NEW, S.IN_ANALYSIS, S.REOPENED):
            self._move(session, ticket, S.IN_PROGRESS, now)
        elif ticket.status not in (S.IN_PROGRESS, S.WAITING_CUSTOMER):
            raise TicketStateError(f"cannot post progress on a ticket that is {ticket.status}")
        self._first_response(session, ticket, now)
        self._event(session, ticket, K.PROGRESS, A.AGENT, note, now, agent=agent, visible=True)
        notify_customer(
            session,
            ticket,
            "progress",
            now=now,
            kind="progress",
            author=A.AGENT,
            agent_id=agent.id,
            note=note,
        )

    def reply(self, session: Session, ticket: Ticket, agent: Agent, body: str, *, now: datetime) -> None:
        """A public reply in the customer's chat (it counts as the first response)."""
        if ticket.status not in OPEN_STATUSES:
            raise TicketStateError(f"cannot reply on a ticket that is {ticket.status}")
        conversation = session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
        if conversation is None:
            raise TicketError(f"ticket {ticket.number} has no customer chat to reply in")
        self._first_response(session, ticket, now)
        ticket.updated_at = now
        self._event(session, ticket, K.AGENT_REPLY, A.AGENT, body, now, agent=agent, visible=True)
        notify_customer(
            session,
            ticket,
            "agent_reply",
            now=now,
            kind="progress",
            author=A.AGENT,
            agent_id=agent.id,
            agent=agent.name,
            message=body,
            note=body,  # what WhatsApp's "progress" template quotes outside the 24-hour window
        )

    def note(self, session: Session, ticket: Ticket, agent: Agent, body: str, *, now: datetime) -> None:
        """An internal note on the ticket's trail: never sent to the customer."""
        self._event(session, ticket, K.NOTE, A.AGENT, body, now, agent=agent)

    def escalate(
        self, session: Session, ticket: Ticket, reason: str, *, now: datetime, agent: Agent | None = None
    ) -> None:
        """Escalate to the next level: supervisors are alerted and the customer is told."""
        if ticket.status not in OPEN_STATUSES:
            raise TicketStateError(f"cannot escalate a ticket that is {ticket.status}")
        ticket.escalation_level += 1
        self._event(
            session,
            ticket,
            K.ESCALATED,
            A.AGENT if agent else A.SYSTEM,
            reason,
            now,
            agent=agent,
            visible=True,
        )
        notify_customer(session, ticket, "escalated", now=now, kind="escalation")
        alert_agents(
            session,
            ticket,
            f"ESCALATED {ticket.number} (level {ticket.escalation_level}): {reason}",
            now=now,
            routing=self.alerts,
            supervisors_only=True,
        )

    def propose_solution(
        self, session: Session, ticket: Ticket, agent: Agent, summary: str, *, now: datetime
    ) -> None:
        """Mark a solution proposed (the clock pauses); the conversation service asks the customer."""
        self._move(session, ticket, S.SOLUTION_PROPOSED, now)
        self._first_response(session, ticket, now)
        ticket.solution_proposed_at, ticket.resolved_at, ticket.validation_reminded_at = now, now, None
        self._event(session, ticket, K.SOLUTION_PROPOSED, A.AGENT, summary, now, agent=agent, visible=True)

    def send_file(
        self,
        session: Session,
        ticket: Ticket,
        agent: Agent,
        stored: StoredFile,
        relative_path: str,
        *,
        filename: str,
        content_type: str | None,
        caption: str,
        now: datetime,
    ) -> Attachment:
        """Send an agent's file into the customer's chat (kept on the ticket as an attachment)."""
        conversation = session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
        if conversation is None:
            raise TicketError(f"ticket {ticket.number} has no customer chat to send a file to")
        attachment = Attachment(
            ticket_id=ticket.id,
            conversation_id=conversation.id,
            origin="agent",
            provider_ref=stored.sha256,
            status="stored",
            storage_path=relative_path,
            sha256=stored.sha256,
            mime_type=content_type,
            size=stored.size,
            filename=filename,
            kind="document",
            created_at=now,
        )
        session.add(attachment)
        session.flush()
        message = OutboundMessage(
            channel=Channel(conversation.channel),
            recipient=conversation.chat_id or conversation.address,
            text=caption,
            kind="progress",
            media_path=str(stored.path),
            media_filename=filename,
            media_content_type=content_type,
            media_attachment_id=attachment.id,
        )
        enqueue(
            session,
            message,
            now=now,
            ticket_id=ticket.id,
            conversation_id=conversation.id,
            author=A.AGENT,
            agent_id=agent.id,
        )
        self._first_response(session, ticket, now)
        self._event(
            session, ticket, K.AGENT_FILE, A.AGENT, f"{filename}: {caption}", now, agent=agent, visible=True
        )
        return attachment

    def change_priority(
        self,
        session: Session,
        ticket: Ticket,
        new: Priority,
        reason: str,
        *,
        now: datetime,
        agent: Agent | None = None,
    ) -> None:
        """Change the priority with a kept reason; deadlines are recomputed from the opening time."""
        if not reason.strip():
            raise TicketError("a priority change needs a reason")
        if new == ticket.priority:
            raise TicketError(f"the ticket is already {new}")
        session.add(
            PriorityChange(
                ticket_id=ticket.id,
                old_priority=ticket.priority,
                new_priority=str(new),
                reason=reason,
                agent_id=agent.id if agent else None,
                changed_at=now,
            )
        )
        old, ticket.priority = ticket.priority, str(new)
        self.recompute_deadlines(session, ticket)
        self._event(
            session,
            ticket,
            K.PRIORITY_CHANGED,
            A.AGENT if agent else A.SYSTEM,
            f"{old} → {new}: {reason}",
            now,
            agent=agent,
        )
        self._tell_priority(session, ticket, old, reason, now)

    def _tell_priority(self, session: Session, ticket: Ticket, old: str, reason: str, now: datetime) -> None:
        """The customer learns the new priority, why, and the deadlines recomputed for it."""
        response, resolution = self.sla.explain(session, ticket)
        lang = ticket.language
        # once answered, only the resolution deadline still runs
        deadlines = (
            resolution
            if ticket.first_response_at is not None
            else text("deadlines_joined", lang, first=response, second=resolution)
        )
        new, why = ticket.priority, reason.strip()
        number = ticket.number or ""
        values = {"old": old, "new": new, "reason": why, "deadlines": deadlines}
        summary = text("priority_changed", lang, number=number, **values)
        notify_customer(
            session,
            ticket,
            "priority_changed",
            now=now,
            kind="progress",
            note=summary,
            old=old,
            new=new,
            reason=why,
            deadlines=deadlines,
        )

    def cancel(
        self, session: Session, ticket: Ticket, reason: str, *, now: datetime, agent: Agent | None = None
    ) -> None:
        """Cancel the ticket (duplicate, withdrawn)."""
        self._move(session, ticket, S.CANCELLED, now)
        ticket.closed_at = now
        self._event(session, ticket, K.CANCELLED, A.AGENT if agent else A.CUSTOMER, reason, now, agent=agent)
        if agent is not None:  # a customer who cancels in the chat is answered by the dialog
            summary = text("ticket_cancelled", ticket.language, number=ticket.number or "", reason=reason)
            notify_customer(
                session, ticket, "ticket_cancelled", now=now, kind="progress", reason=reason, note=summary
            )

    # --- customers ---------------------------------------------------------------------------
    def customer_adds(
        self,
        session: Session,
        ticket: Ticket,
        conversation: Conversation,
        body: str,
        media: Sequence[InboundMedia],
        *,
        now: datetime,
    ) -> None:
        """The customer adds text or files; when we were waiting on them the clock resumes."""
        if ticket.status in (S.CLOSED, S.CANCELLED):
            raise TicketStateError(f"ticket {ticket.number} is {ticket.status}")
        for item in media:
            session.add(_attachment(ticket, conversation, item, now))
        self._event(
            session, ticket, K.CUSTOMER_REPLY, A.CUSTOMER, body or f"{len(media)} file(s)", now, visible=True
        )
        if ticket.status == S.WAITING_CUSTOMER:
            self._move(session, ticket, S.IN_PROGRESS, now)
        alert_agents(
            session,
            ticket,
            f"Customer replied on {ticket.number}: {_reply_summary(body, media)}",
            now=now,
            routing=self.alerts,
        )

    def validate(
        self,
        session: Session,
        ticket: Ticket,
        accepted: bool,
        comment: str | None,
        *,
        now: datetime,
        automatic: bool = False,
    ) -> None:
        """The customer's answer to the solution: close (then survey) or reopen."""
        if ticket.status != S.SOLUTION_PROPOSED:
            raise TicketStateError(f"ticket {ticket.number} has no solution waiting for validation")
        if accepted:
            self._move(session, ticket, S.CLOSED, now)
            ticket.closed_at, ticket.survey_sent_at = now, now
            kind = K.AUTO_CLOSED if automatic else K.VALIDATED
            self._event(session, ticket, kind, A.SYSTEM if automatic else A.CUSTOMER, comment or "", now)
            return
        self._move(session, ticket, S.REOPENED, now)
        ticket.resolved_at = None
        self._event(session, ticket, K.REOPENED, A.CUSTOMER, comment or "", now, visible=True)
        alert_agents(
            session,
            ticket,
            f"REOPENED {ticket.number}: {comment or 'the solution did not work'}",
            now=now,
            routing=self.alerts,
        )

    def record_survey(
        self, session: Session, ticket: Ticket, rating: int | None, comment: str | None, *, now: datetime
    ) -> SurveyAnswer:
        """Store (or complete) the satisfaction answer for a closed ticket."""
        if rating is not None and not 1 <= rating <= 5:
            raise TicketError("a rating is between 1 and 5")
        answer = session.scalar(select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket.id))
        if answer is None:
            answer = SurveyAnswer(ticket_id=ticket.id, rating=rating, comment=comment, answered_at=now)
            session.add(answer)
        else:
            answer.rating = rating if rating is not None else answer.rating
            answer.comment = comment if comment is not None else answer.comment
            answer.answered_at = now
        self._event(session, ticket, K.SURVEY_ANSWERED, A.CUSTOMER, f"rating {answer.rating}", now)
        return answer

    # --- internals ---------------------------------------------------------------------------
    def _move(self, session: Session, ticket: Ticket, target: TicketStatus, now: datetime) -> None:
        current = TicketStatus(ticket.status)
        ticket.status = transition(current, target)
        ticket.updated_at = now
        was_paused, paused = current in PAUSED_STATUSES, target in PAUSED_STATUSES
        if paused and not was_paused:
            reason = "validation" if target == S.SOLUTION_PROPOSED else "waiting_customer"
            session.add(TicketPause(ticket_id=ticket.id, reason=reason, started_at=now))
        elif was_paused and not paused:
            self._end_pauses(session, ticket, now, reasons=("validation", "waiting_customer"))
        elif was_paused and paused:
            self._end_pauses(session, ticket, now, reasons=("validation", "waiting_customer"))
            reason = "validation" if target == S.SOLUTION_PROPOSED else "waiting_customer"
            session.add(TicketPause(ticket_id=ticket.id, reason=reason, started_at=now))
        self._event(session, ticket, K.STATUS, A.SYSTEM, f"{current} → {target}", now)
        self.refresh_sla_check(session, ticket)

    def _end_pauses(self, session: Session, ticket: Ticket, now: datetime, reasons: tuple[str, ...]) -> None:
        session.flush()
        open_pauses = session.scalars(
            select(TicketPause).where(
                TicketPause.ticket_id == ticket.id,
                TicketPause.ended_at.is_(None),
                TicketPause.reason.in_(reasons),
            )
        )
        for pause in open_pauses:
            pause.ended_at = now
        self.recompute_deadlines(session, ticket)

    def recompute_deadlines(self, session: Session, ticket: Ticket) -> None:
        """Deadlines from the opening time without the finished pauses, and the next SLA check."""
        session.flush()
        pauses = list(session.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket.id)))
        ticket.response_due, ticket.resolution_due = self.sla.deadlines(session, ticket, pauses)
        self.refresh_sla_check(session, ticket)

    def refresh_sla_check(self, session: Session, ticket: Ticket) -> None:
        """Keep the sweeper's wake-up current: the next 75/90/100 % crossing not yet alerted, or None."""
        ticket.sla_next_check_at = next_sla_check(session, self.sla, ticket)

    def _first_response(self, session: Session, ticket: Ticket, now: datetime) -> None:
        """The first agent action the customer sees stops the response clock (and its alerts)."""
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            self.refresh_sla_check(session, ticket)

    def _exempt_if_in_contingency(self, session: Session, ticket: Ticket, now: datetime) -> None:
        if self.sla.active_contingency(session, ticket.company_id, now) is not None:
            ticket.sla_exempt = True

    def _event(
        self,
        session: Session,
        ticket: Ticket,
        kind: EventKind,
        actor: Actor,
        body: str,
        now: datetime,
        *,
        agent: Agent | None = None,
        visible: bool = False,
    ) -> None:
        agent_id = agent.id if agent else None
        record_event(session, ticket.id, kind, actor, body, now=now, agent_id=agent_id, visible=visible)

    def _id_of(self, session: Session, number: str | None) -> int | None:
        if not number:
            return None
        return session.scalar(select(Ticket.id).where(Ticket.number == number))


def _reply_summary(body: str, media: Sequence[InboundMedia]) -> str:
    """What agents read of a customer's reply: its text (cut) and the files it carried, by name."""
    parts = [body.strip()[:200]] if body.strip() else []
    if media:
        names = ", ".join(item.filename or f"({item.kind})" for item in media)
        parts.append(f"[{len(media)} file(s): {names}]")
    return " ".join(parts) or "(empty message)"


def _title(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else "(sin descripción)"
    return first if len(first) <= 80 else first[:77].rstrip() + "..."


def _attachment(ticket: Ticket, conversation: Conversation, media: InboundMedia, now: datetime) -> Attachment:
    return Attachment(
        ticket_id=ticket.id,
        conversation_id=conversation.id,
        origin=conversation.channel,
        provider_ref=media.ref,
        mime_type=clip(media.content_type, 120),
        filename=clip(media.filename, 255),
        size=media.size,
        kind=str(media.kind),
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )


def clip(value: str | None, limit: int) -> str | None:
    """Cut a provider-supplied string to its column's size (keeping a file name's extension)."""
    if value is None or len(value) <= limit:
        return value
    stem, dot, ext = value.rpartition(".")
    if dot and 0 < len(ext) <= 10:
        return stem[: limit - len(ext) - 1] + "." + ext
    return value[:limit]
