"""Pushes texts into the customer's chat and alerts to agents, always through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.messages import Channel, Option, Reply
from bot.texts import TEXTS, text
from channels.base import OutboundMessage
from intake.db.events import record_event
from intake.db.models import Agent, Attachment, Contact, Conversation, Ticket
from intake.delivery.outbox import enqueue
from intake.delivery.tracking_links import link_keys, tracking_line
from intake.domain.events import Actor, EventKind


def reply_to_conversation(
    session: Session,
    conversation: Conversation,
    reply: Reply,
    *,
    now: datetime,
    ticket_id: int | None = None,
    callback_query_id: str | None = None,
    author: str = Actor.BOT,
    agent_id: int | None = None,
) -> None:
    """Queue one dialog reply to the conversation's chat."""
    message = OutboundMessage(
        channel=Channel(conversation.channel),
        recipient=conversation.chat_id or conversation.address,
        text=reply.text,
        options=reply.options,
        step=reply.step,
        kind=reply.kind,
        template_variables=dict(reply.variables),
        callback_query_id=callback_query_id,
        language=conversation.language,
    )
    enqueue(
        session,
        message,
        now=now,
        ticket_id=ticket_id,
        conversation_id=conversation.id,
        author=author,
        agent_id=agent_id,
    )


def notify_customer(
    session: Session,
    ticket: Ticket,
    key: str,
    /,
    *,
    now: datetime,
    kind: str,
    options: tuple[Option, ...] = (),
    step: str | None = None,
    author: str = Actor.BOT,
    agent_id: int | None = None,
    **variables: str,
) -> None:
    """Queue a lifecycle notification (text id `key`) to the ticket's conversation, in its language."""
    conversation = session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    if conversation is None:
        return
    values = {"number": ticket.number or "", **variables}
    body = text(key, ticket.language, **values)
    line = tracking_line(session, ticket, ticket.language, now=now)  # set when PUBLIC_BASE_URL is
    if line is not None:
        body = f"{body}\n\n{line}"
    reply = Reply(text=body, options=options, step=step, kind=kind, variables=values)
    reply_to_conversation(
        session, conversation, reply, now=now, ticket_id=ticket.id, author=author, agent_id=agent_id
    )
    if conversation.channel == Channel.WEB:
        _email_web_customer(session, ticket, reply, now)


def _email_web_customer(session: Session, ticket: Ticket, reply: Reply, now: datetime) -> None:
    """A web form's customer has no chat we can push to: the notification also goes to their e-mail."""
    keys = link_keys(session)
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id is not None else None
    if keys is None or not keys.email_copies or contact is None or not contact.email:
        return
    message = OutboundMessage(
        channel=Channel.EMAIL,
        recipient=contact.email,
        text=reply.text,
        kind=reply.kind,
        language=ticket.language,
    )
    enqueue(session, message, now=now, ticket_id=ticket.id, author=Actor.BOT)


@dataclass(frozen=True, slots=True)
class AlertRouting:
    """Where agents' alerts go besides each agent's own Telegram chat."""

    agent_chat_id: str | None = None  # a Telegram group of the support team
    email_enabled: bool = False  # also e-mail active agents (SMTP configured)
    supervisor_email: str | None = None  # breach alerts also go here


def alert_agents(
    session: Session,
    ticket: Ticket | None,
    body: str,
    *,
    now: datetime,
    routing: AlertRouting,
    supervisors_only: bool = False,
) -> None:
    """Queue an alert to agents where they work (Telegram, e-mail) and keep it on the ticket's trail."""
    agents = select(Agent).where(Agent.active.is_(True))
    if supervisors_only:
        agents = agents.where(Agent.is_supervisor.is_(True))
    team = list(session.scalars(agents))
    chats = {a.telegram_chat_id for a in team if a.telegram_chat_id}
    if routing.agent_chat_id and not supervisors_only:
        chats.add(routing.agent_chat_id)
    emails: set[str] = set()
    if routing.email_enabled:
        emails = {a.email for a in team}
        if supervisors_only and routing.supervisor_email:
            emails.add(routing.supervisor_email)
    ticket_id = ticket.id if ticket is not None else None
    for channel, recipients in ((Channel.TELEGRAM, chats), (Channel.EMAIL, emails)):
        for recipient in sorted(recipients):
            alert = OutboundMessage(
                channel=channel, recipient=recipient, text=body, kind="agent_alert", language="en"
            )
            enqueue(session, alert, now=now, ticket_id=ticket_id, author=Actor.SYSTEM.value)
    if ticket is not None:
        data = {"supervisors_only": supervisors_only}
        record_event(session, ticket.id, EventKind.AGENT_ALERT, Actor.SYSTEM, body, now=now, data=data)


def tell_file_refused(session: Session, attachment: Attachment, code: str, now: datetime) -> None:
    """Tell the customer, in their ticket's chat, that a file they sent was not kept, and why."""
    ticket = session.get(Ticket, attachment.ticket_id) if attachment.ticket_id else None
    if ticket is None:
        return
    key = f"refusal.{code}" if f"refusal.{code}" in TEXTS else "refusal.download_failed"
    name = attachment.filename or attachment.mime_type or ""
    reason = text(key, ticket.language)
    notify_customer(session, ticket, "file_refused", now=now, kind="progress", filename=name, reason=reason)
