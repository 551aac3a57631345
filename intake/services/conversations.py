"""Runs the pure dialog for one conversation and executes the effects it asks for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from bot.context import (
    CompanyRef,
    ContactView,
    DeadlineQuote,
    DialogContext,
    LazySequence,
    RequestTerms,
    TicketView,
)
from bot.effects import (
    AddToTicket,
    CreateTicket,
    Effect,
    ForwardToAgent,
    HandOff,
    IdentifyContact,
    LeaveHandOff,
    SetLanguage,
    SurveyAnswered,
    ValidationAnswer,
)
from bot.engine import Turn, advance, begin_survey, begin_validation, end_handoff, expire_if_idle
from bot.messages import InboundMessage, Reply
from bot.state import DialogState
from bot.texts import supported_lang
from intake.db.events import record_event
from intake.db.models import (
    Agent,
    ChannelIdentity,
    Company,
    Contact,
    Conversation,
    Message,
    Ticket,
    TicketEvent,
)
from intake.domain.events import Actor, EventKind
from intake.domain.lifecycle import OPEN_STATUSES, TicketStatus
from intake.services.hours_bank import RequestRule, balance_minutes
from intake.services.notify import (
    AlertRouting,
    alert_agents,
    is_group_chat,
    notify_customer,
    reply_to_conversation,
)
from intake.services.sla import SlaService, deadline_states
from intake.services.tickets import NewTicket, TicketError, TicketService
from sla.clock import deadlines_for, is_open, next_opening
from sla.explain import deadline_phrase, explain_deadline, format_local
from sla.followup import auto_close_at
from sla.priority import Priority

log = logging.getLogger(__name__)
RECENT_TICKETS = 20
# A file sent this soon after the chat last talked about a ticket belongs to that ticket.
RECENT_TICKET_WINDOW = timedelta(minutes=10)


HANDOFF_MARK = "hand-off requested"  # the transcript line (author system) where a hand-off begins


@dataclass
class DialogSettings:
    """Dialog knobs from settings."""

    idle_timeout: timedelta = timedelta(hours=2)
    duplicate_window: timedelta = timedelta(days=7)
    default_language: str = "es"
    handoff_wait: timedelta = timedelta(minutes=30)
    alerts: AlertRouting = field(default_factory=AlertRouting)
    validation_auto_close_business_days: int = 3


class ConversationService:
    """The dialog's service side: builds its context, persists its state, executes its effects."""

    def __init__(self, sla: SlaService, tickets: TicketService, settings: DialogSettings) -> None:
        self.sla = sla
        self.tickets = tickets
        self.settings = settings

    # --- inbound -----------------------------------------------------------------------------
    def handle(
        self,
        session: Session,
        conversation: Conversation,
        inbound: InboundMessage,
        record: Message,
        now: datetime,
        *,
        quiet: bool = False,
    ) -> None:
        """Advance the dialog with one recorded inbound message (the caller owns the transaction);
        `quiet`: the turn's replies are not sent (a later item of an album already acknowledged)."""
        if inbound.is_edit:
            self._record_edit(session, conversation, inbound, now)
            return
        state = self._state(conversation, inbound)
        turn = advance(state, inbound, now, self.context(session, conversation, now))
        self._apply(
            session,
            conversation,
            turn,
            now,
            callback_query_id=inbound.callback_query_id,
            record=record,
            inbound=inbound,
            quiet=quiet,
        )

    def expire_idle(self, session: Session, conversation: Conversation, now: datetime) -> bool:
        """Close a half-finished intake after the idle timeout, telling the customer."""
        turn = expire_if_idle(self._state(conversation, None), now, self.context(session, conversation, now))
        if turn is None:
            return False
        self._apply(session, conversation, turn, now)
        return True

    # --- solution → validation → survey (the one place that orchestrates it) ------------------
    def propose_solution(
        self, session: Session, ticket: Ticket, agent: Agent, summary: str, *, now: datetime
    ) -> None:
        """Propose a solution and ask the customer, in their chat, to validate it."""
        self.tickets.propose_solution(session, ticket, agent, summary, now=now)
        self.begin_validation(session, ticket, summary, now)

    def remind_validation(self, session: Session, ticket: Ticket, now: datetime) -> None:
        """Remind the customer once of the proposed solution, naming when it closes without an answer."""
        self.begin_validation(session, ticket, _solution_summary(session, ticket), now, reminder=True)
        ticket.validation_reminded_at = now

    def auto_close(self, session: Session, ticket: Ticket, now: datetime) -> None:
        """Close an unanswered solution without validation, tell the customer and start the survey."""
        self.tickets.validate(session, ticket, True, None, now=now, automatic=True)
        notify_customer(session, ticket, "auto_closed", now=now, kind="auto_closed")
        self.begin_survey(session, ticket, now)

    def answer_validation(
        self, session: Session, ticket: Ticket, accepted: bool, comment: str | None, now: datetime
    ) -> bool:
        """The customer's answer to the solution: close then survey, or reopen (False: not awaited)."""
        answered = self._guarded(lambda: self.tickets.validate(session, ticket, accepted, comment, now=now))
        if answered and accepted:
            self.begin_survey(session, ticket, now)
        return answered

    def remind_survey(self, session: Session, ticket: Ticket, now: datetime) -> None:
        """Send the survey's single reminder."""
        self.begin_survey(session, ticket, now, reminder=True)
        ticket.survey_reminded_at = now

    def begin_validation(
        self, session: Session, ticket: Ticket, summary: str, now: datetime, *, reminder: bool = False
    ) -> None:
        """Ask the customer, in their chat, whether the proposed solution worked (or remind them)."""
        conversation = self._conversation_of(session, ticket)
        if conversation is not None:
            state = self._state(conversation, None)
            closes_at = self._auto_close_phrase(session, ticket, now, state.lang) if reminder else None
            turn = begin_validation(
                state, ticket.number or "", summary, now, reminder=reminder, closes_at=closes_at
            )
            self._apply(session, conversation, turn, now, ticket=ticket)

    def _auto_close_phrase(self, session: Session, ticket: Ticket, now: datetime, lang: str) -> str:
        """When the solution reminded now closes automatically, in the customer's time zone and words."""
        cal = self.sla.ticket_calendar(session, ticket)
        proposed = ticket.solution_proposed_at or now
        days = self.settings.validation_auto_close_business_days
        return format_local(cal, auto_close_at(cal, proposed, now, days), lang)

    def begin_survey(
        self, session: Session, ticket: Ticket, now: datetime, *, reminder: bool = False
    ) -> None:
        """Start the satisfaction survey in the customer's chat (or remind them of it)."""
        conversation = self._conversation_of(session, ticket)
        if conversation is not None:
            state = self._state(conversation, None)
            turn = begin_survey(state, ticket.number or "", now, reminder=reminder)
            self._apply(session, conversation, turn, now, ticket=ticket)

    # --- context -----------------------------------------------------------------------------
    def context(self, session: Session, conversation: Conversation, now: datetime) -> DialogContext:
        """What the dialog needs to know about this sender, their company and its tickets."""
        contact = session.get(Contact, conversation.contact_id) if conversation.contact_id else None
        plan = contact.company.plan if contact is not None and contact.company is not None else None

        def quote(priority: Priority, lang: str) -> DeadlineQuote:
            cal = self.sla.plan_calendar(plan, str(priority))
            due = deadlines_for(cal, now, priority, self.sla.plan_targets(plan))
            return DeadlineQuote(
                response=deadline_phrase(cal, due.response_due, "response", lang, now),
                resolution=explain_deadline(cal, due.resolution_due, "resolution", lang, now),
            )

        def when(instant: datetime, lang: str) -> str:
            return format_local(cal, instant, lang)

        # Only an unknown sender is asked for a company, so only then is the customer list needed.
        companies: list[CompanyRef] = []
        if contact is None:
            rows = session.execute(select(Company.id, Company.name).where(Company.active))
            companies = [CompanyRef(company_id, name) for company_id, name in rows]
        cal = self.sla.plan_calendar(plan)
        open_now = is_open(cal, now)
        return DialogContext(
            quote=quote,
            contact=_contact_view(contact),
            companies=companies,
            request_terms=request_terms(
                session, contact, now, in_group=group_conversation_id(conversation) is not None
            ),
            # Read only if a step asks (idle routing, the status, choosing a ticket): not mid-intake.
            tickets=LazySequence(
                lambda: self._ticket_views(session, contact, now, group_conversation_id(conversation))
            ),
            idle_timeout=self.settings.idle_timeout,
            duplicate_window=self.settings.duplicate_window,
            open_now=open_now,
            next_opening=None if open_now else next_opening(cal, now),
            when=when,
            handoff_wait=self.settings.handoff_wait,
            recent_ticket_lookup=lambda: self._recent_ticket(session, conversation, now),
        )

    def _recent_ticket(self, session: Session, conversation: Conversation, now: datetime) -> str | None:
        """The open ticket this chat's messages were about in the last few minutes, if any."""
        row = session.execute(
            select(Ticket.number, Ticket.status)
            .join(Message, Message.ticket_id == Ticket.id)
            .where(Message.conversation_id == conversation.id)
            .where(Message.created_at >= now - RECENT_TICKET_WINDOW)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(1)
        ).first()
        return row.number if row is not None and row.status in OPEN_STATUSES else None

    def _ticket_views(
        self, session: Session, contact: Contact | None, now: datetime, only_conversation: int | None = None
    ) -> list[TicketView]:
        if contact is None:
            return []
        query = select(Ticket).where(visible_to(contact))
        if only_conversation is not None:  # in a group, only the tickets opened in that conversation
            query = query.where(Ticket.conversation_id == only_conversation)
        rows = session.scalars(query.order_by(Ticket.updated_at.desc()).limit(RECENT_TICKETS))
        views = []
        for ticket in rows:
            tz = ZoneInfo(self.sla.ticket_calendar(session, ticket).timezone)
            states = deadline_states(ticket, now)
            views.append(
                TicketView(
                    number=ticket.number or "",
                    title=ticket.title,
                    status=ticket.status,
                    priority=ticket.priority,
                    response_due=_local(ticket.response_due, tz),
                    resolution_due=_local(ticket.resolution_due, tz),
                    last_update=_local(ticket.updated_at, tz),
                    waiting_on_customer=ticket.status == TicketStatus.WAITING_CUSTOMER,
                    awaiting_validation=ticket.status == TicketStatus.SOLUTION_PROPOSED,
                    open=ticket.status in OPEN_STATUSES,
                    description=ticket.description,
                    created_at=ticket.opened_at,
                    response_state=states.response,
                    resolution_state=states.resolution,
                )
            )
        return views

    # --- applying a turn ---------------------------------------------------------------------
    def _apply(
        self,
        session: Session,
        conversation: Conversation,
        turn: Turn,
        now: datetime,
        *,
        callback_query_id: str | None = None,
        record: Message | None = None,
        inbound: InboundMessage | None = None,
        ticket: Ticket | None = None,
        quiet: bool = False,
    ) -> None:
        conversation.state = turn.state.to_dict()
        conversation.step = turn.state.step
        conversation.language = turn.state.lang
        ticket_id = ticket.id if ticket is not None else None
        for index, reply in enumerate(() if quiet else turn.replies):
            reply_to_conversation(
                session,
                conversation,
                reply,
                now=now,
                ticket_id=ticket_id,
                callback_query_id=callback_query_id if index == 0 else None,
            )
        if callback_query_id and (quiet or not turn.replies):
            # A pressed button is always answered, also when the turn itself says nothing (confirming
            # the summary: the registration notice comes from the CreateTicket effect).
            reply_to_conversation(
                session, conversation, Reply(text=""), now=now, callback_query_id=callback_query_id
            )
        for effect in turn.effects:
            self._execute(session, conversation, effect, now, record)

    def _execute(
        self,
        session: Session,
        conversation: Conversation,
        effect: Effect,
        now: datetime,
        record: Message | None,
    ) -> None:
        run = _EffectRun(session, conversation, now, record)
        handlers: dict[type, Callable[[_EffectRun, Any], None]] = {
            IdentifyContact: self._on_identify,
            CreateTicket: self._on_create,
            AddToTicket: self._on_add,
            HandOff: self._on_handoff,
            ForwardToAgent: self._on_forward,
            LeaveHandOff: self._on_leave_handoff,
            ValidationAnswer: self._on_validation,
            SurveyAnswered: self._on_survey,
            SetLanguage: self._on_language,
        }
        handlers[type(effect)](run, effect)

    def _on_identify(self, run: _EffectRun, effect: IdentifyContact) -> None:
        self._identify(run.session, run.conversation, effect, run.now)

    def _on_create(self, run: _EffectRun, effect: CreateTicket) -> None:
        data, conversation = effect.data, run.conversation
        contact = run.session.get(Contact, conversation.contact_id) if conversation.contact_id else None
        new = NewTicket(
            ticket_type=str(data.ticket_type),
            description=data.description,
            impact=data.impact,
            urgency=data.urgency,
            module=data.module,
            billable=data.billable_confirmed,
            media=data.media,
            duplicate_of_number=data.possible_duplicate_of,
            title=data.title,
        )
        created = self.tickets.open_ticket(run.session, conversation, contact, new, now=run.now)
        run.link(created)

    def _on_add(self, run: _EffectRun, effect: AddToTicket) -> None:
        target = self._company_ticket(run.session, run.conversation, effect.ticket_number)
        if target is None:
            return
        self._guarded(
            lambda: self.tickets.customer_adds(
                run.session, target, run.conversation, effect.text, effect.media, now=run.now
            )
        )
        run.link(target)

    def _on_handoff(self, run: _EffectRun, effect: HandOff) -> None:
        conversation = run.conversation
        conversation.handoff_requested = True
        # a line in the chat's transcript marks when the hand-off began (agents list it from there)
        marker = Message(
            conversation_id=conversation.id,
            direction="out",
            channel=conversation.channel,
            author=Actor.SYSTEM.value,
            text=f"{HANDOFF_MARK} ({effect.reason})",
            created_at=run.now,
        )
        run.session.add(marker)
        lines = "; ".join(f"{k}: {v}" for k, v in effect.details)
        who = f"{conversation.address} on {conversation.channel}"
        body = f"Customer {who} asks for a human ({effect.reason}). {lines}"
        alerts = self.settings.alerts
        alert_agents(run.session, None, body, now=run.now, routing=alerts, conversation_id=conversation.id)

    def _on_forward(self, run: _EffectRun, effect: ForwardToAgent) -> None:
        conversation = run.conversation
        body = f"Message from {conversation.address} ({conversation.channel}): {effect.text}"
        alerts = self.settings.alerts
        alert_agents(run.session, None, body, now=run.now, routing=alerts, conversation_id=conversation.id)

    def _on_leave_handoff(self, run: _EffectRun, effect: LeaveHandOff) -> None:
        run.conversation.handoff_requested = False

    def end_handoff(self, session: Session, conversation: Conversation, now: datetime) -> None:
        """Agents end a hand-off: the flag is cleared and the customer told the bot is back."""
        conversation.handoff_requested = False
        turn = end_handoff(self._state(conversation, None), now)
        self._apply(session, conversation, turn, now)

    def _on_validation(self, run: _EffectRun, effect: ValidationAnswer) -> None:
        target = self._company_ticket(run.session, run.conversation, effect.ticket_number)
        if target is None:
            return
        self.answer_validation(run.session, target, effect.accepted, effect.comment, run.now)
        run.link(target)

    def _on_survey(self, run: _EffectRun, effect: SurveyAnswered) -> None:
        target = self._company_ticket(run.session, run.conversation, effect.ticket_number)
        if target is not None:
            self._guarded(
                lambda: self.tickets.record_survey(
                    run.session, target, effect.rating, effect.comment, now=run.now
                )
            )

    def _on_language(self, run: _EffectRun, effect: SetLanguage) -> None:
        """The chosen language belongs to this chat: the contact's other chats keep theirs (the
        contact's stored language stays a default for new chats, set by an agent or admin)."""
        run.conversation.language = effect.lang

    def _guarded(self, action: Callable[[], object]) -> bool:
        """Run a ticket use case; a state conflict (e.g. already closed) is logged, not fatal."""
        try:
            action()
        except TicketError as exc:
            log.info("dialog effect skipped: %s", exc)
            return False
        return True

    def _identify(
        self, session: Session, conversation: Conversation, effect: IdentifyContact, now: datetime
    ) -> None:
        # What a stranger types proves nothing: never merge into an existing contact with that e-mail
        # (that would hand over its tickets). A self-identified contact sees only its own tickets
        # until an agent verifies it; agents see the claimed e-mail and company.
        taken = bool(effect.email) and session.scalar(select(Contact.id).where(Contact.email == effect.email))
        company_id = int(effect.company_id) if effect.company_id is not None else None
        contact = Contact(
            name=effect.name,
            email=None if taken else effect.email,
            claimed_email=effect.email if taken else None,
            company_id=company_id,
            verified=effect.verified and not taken,
            self_identified=True,
            claimed_company=effect.company_name,
            language=conversation.language,
            created_at=now,
        )
        session.add(contact)
        session.flush()
        exists = session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == conversation.channel,
                ChannelIdentity.address == conversation.address,
            )
        )
        if exists is None:
            session.add(
                ChannelIdentity(
                    contact_id=contact.id,
                    channel=conversation.channel,
                    address=conversation.address,
                    chat_id=conversation.chat_id,
                    last_inbound_at=conversation.last_inbound_at,
                )
            )
        conversation.contact_id = contact.id

    def _company_ticket(self, session: Session, conversation: Conversation, number: str) -> Ticket | None:
        contact = session.get(Contact, conversation.contact_id) if conversation.contact_id else None
        if contact is None:
            return None
        query = select(Ticket).where(Ticket.number == number, visible_to(contact))
        in_group = group_conversation_id(conversation)
        if in_group is not None:
            query = query.where(Ticket.conversation_id == in_group)
        return session.scalar(query)

    def _conversation_of(self, session: Session, ticket: Ticket) -> Conversation | None:
        if ticket.conversation_id is None:
            return None
        return session.scalar(
            select(Conversation).where(Conversation.id == ticket.conversation_id).with_for_update()
        )

    def _state(self, conversation: Conversation, inbound: InboundMessage | None) -> DialogState:
        if conversation.state:
            return DialogState.from_dict(conversation.state)
        lang = supported_lang(inbound.language_code if inbound else None) or conversation.language
        return DialogState.initial(lang=lang or self.settings.default_language)

    def _record_edit(
        self, session: Session, conversation: Conversation, inbound: InboundMessage, now: datetime
    ) -> None:
        """An edited message is kept as a note on the latest open ticket, never re-run through the dialog."""
        contact_id = conversation.contact_id
        if contact_id is None:
            return
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.contact_id == contact_id, Ticket.status.in_([s.value for s in OPEN_STATUSES]))
            .order_by(Ticket.updated_at.desc())
            .limit(1)
        )
        if ticket is not None:
            record_event(
                session,
                ticket.id,
                EventKind.CUSTOMER_EDIT,
                Actor.CUSTOMER,
                inbound.text,
                now=now,
                visible=True,
            )


def group_conversation_id(conversation: Conversation) -> int | None:
    """The conversation's id when it takes place in a group chat, else None.

    Nothing about a company is said in a group: there the dialog sees and acts only on the tickets
    opened from that same group conversation, never the contact's or the company's other tickets.
    """
    return conversation.id if is_group_chat(conversation.channel, conversation.chat_id) else None


def visible_to(contact: Contact) -> ColumnElement[bool]:
    """The tickets a contact may see and act on in the chat.

    Their own, and — only for contacts an agent or admin vouched for — their company's tickets opened by
    other vouched-for contacts. What a stranger types (a company, an e-mail) never widens the view,
    and a stranger's tickets are never shown to the company until an agent verifies them.
    """
    if contact.company_id is None or contact.self_identified:
        return Ticket.contact_id == contact.id
    # One IN over contact ids (not an OR of two conditions), so the tickets.contact_id index serves it.
    vouched = select(Contact.id).where(
        or_(
            Contact.id == contact.id,
            and_(Contact.company_id == contact.company_id, Contact.self_identified.is_(False)),
        )
    )
    return Ticket.contact_id.in_(vouched)


@dataclass
class _EffectRun:
    """Where effects of one turn execute."""

    session: Session
    conversation: Conversation
    now: datetime
    record: Message | None

    def link(self, ticket: Ticket) -> None:
        """Attach the inbound message that caused this to the ticket's transcript."""
        if self.record is not None:
            self.record.ticket_id = ticket.id


def _contact_view(contact: Contact | None) -> ContactView | None:
    if contact is None:
        return None
    company = contact.company
    return ContactView(
        name=contact.name,
        company_name=company.name if company else contact.claimed_company,
        company_id=company.id if company else None,
        email=contact.email,
        language=contact.language,
    )


def _local(instant: datetime | None, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M") if instant else ""


def _solution_summary(session: Session, ticket: Ticket) -> str:
    """The text of the latest proposed solution (what the reminder quotes)."""
    body = session.scalar(
        select(TicketEvent.body)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.SOLUTION_PROPOSED.value)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return body or ""


def request_terms(
    session: Session, contact: Contact | None, now: datetime, *, in_group: bool = False
) -> RequestTerms:
    """The contact's plan's rule for requests and, for an hours bank, its balance now ("unknown" without
    a known company and plan: the desk reviews it). Nothing about a company is said in a group chat, so
    there the bank's balance is left out."""
    trusted = contact is not None and contact.verified and not contact.self_identified
    company = contact.company if trusted and contact is not None else None
    plan = company.plan if company is not None else None
    if company is None or plan is None:
        return RequestTerms("unknown")
    if plan.request_rule == RequestRule.HOURS_BANK and not in_group:
        company_id = company.id  # read when a text says the balance, within this turn's transaction
        return RequestTerms(
            plan.request_rule, balance_lookup=lambda: balance_minutes(session, company_id, now)
        )
    return RequestTerms(plan.request_rule)
