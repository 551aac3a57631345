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
from intake.db.models import Agent, AgentAlert, Attachment, Contact, Conversation, OutboxMessage, Ticket
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
        window_opened_at=conversation.last_inbound_at,
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


# The buttons on a ticket's alert in Telegram: callback_data "a:<action>:<number>" (≤ 64 bytes).
ALERT_BUTTONS = (
    ("take", "Tomar"),
    ("ask", "Pedir información"),
    ("solve", "Proponer solución"),
    ("view", "Ver"),
)
ALERT_CALLBACK_PREFIX = "a:"


def alert_buttons(number: str) -> tuple[Option, ...]:
    """The inline buttons of a ticket's alert: Tomar, Pedir información, Proponer solución, Ver."""
    return tuple(
        Option(f"{ALERT_CALLBACK_PREFIX}{action}:{number}", title) for action, title in ALERT_BUTTONS
    )


def remember_alert(
    session: Session,
    outbox_id: int,
    *,
    now: datetime,
    ticket_id: int | None = None,
    conversation_id: int | None = None,
    action: str = "reply",
) -> None:
    """Note what an agents' Telegram message is about, so a reply to it acts on that ticket or chat."""
    session.add(
        AgentAlert(
            outbox_id=outbox_id,
            ticket_id=ticket_id,
            conversation_id=conversation_id,
            action=action,
            created_at=now,
        )
    )


def new_ticket_card(ticket: Ticket, company: str | None, contact: str, files: int) -> str:
    """The lines of a new ticket's alert after its headline: who, what, how urgent, the description."""
    evidence = f"\nEvidence: {files} file(s), forwarded here once downloaded" if files else ""
    return (
        f"Company: {company or '(no company)'} · Contact: {contact}\n"
        f"Type: {ticket.ticket_type} · Priority {ticket.priority} "
        f"(impact {ticket.impact}, urgency {ticket.urgency})\n"
        f"Description: {ticket.description}{evidence}"
    )


def _active_agents(session: Session, supervisors_only: bool) -> list[Agent]:
    agents = select(Agent).where(Agent.active.is_(True))
    if supervisors_only:
        agents = agents.where(Agent.is_supervisor.is_(True))
    return list(session.scalars(agents))


def forward_evidence(
    session: Session, attachment: Attachment, path: str, *, now: datetime, routing: AlertRouting
) -> None:
    """Forward a customer's stored file to the agents' Telegram chats (a reply to it answers the customer)."""
    ticket = session.get(Ticket, attachment.ticket_id) if attachment.ticket_id else None
    if ticket is None or attachment.origin not in {c.value for c in Channel} or not ticket.number:
        return
    chats = {a.telegram_chat_id for a in _active_agents(session, False) if a.telegram_chat_id}
    if routing.agent_chat_id:
        chats.add(routing.agent_chat_id)
    name = attachment.filename or attachment.mime_type or "file"
    for recipient in sorted(chats):
        message = OutboundMessage(
            channel=Channel.TELEGRAM,
            recipient=recipient,
            text=f"Evidence on {ticket.number}: {name}",
            options=alert_buttons(ticket.number),
            kind="agent_alert",
            media_path=path,
            media_filename=attachment.filename,
            media_content_type=attachment.mime_type,
            language="en",
        )
        row = enqueue(session, message, now=now, ticket_id=ticket.id, author=Actor.SYSTEM.value)
        remember_alert(session, row.id, now=now, ticket_id=ticket.id)


def alert_agents(
    session: Session,
    ticket: Ticket | None,
    body: str,
    *,
    now: datetime,
    routing: AlertRouting,
    supervisors_only: bool = False,
    conversation_id: int | None = None,
) -> None:
    """Queue an alert to agents where they work (Telegram, e-mail) and keep it on the ticket's trail.

    Telegram alerts about a ticket carry its buttons; replying to any Telegram alert in the agents' chat
    answers the customer (the ticket's, or the hand-off chat `conversation_id`).
    """
    team = _active_agents(session, supervisors_only)
    chats = {a.telegram_chat_id for a in team if a.telegram_chat_id}
    if routing.agent_chat_id and not supervisors_only:
        chats.add(routing.agent_chat_id)
    emails: set[str] = set()
    if routing.email_enabled:
        emails = {a.email for a in team}
        if supervisors_only and routing.supervisor_email:
            emails.add(routing.supervisor_email)
    ticket_id = ticket.id if ticket is not None else None
    buttons = alert_buttons(ticket.number) if ticket is not None and ticket.number else ()
    if not buttons and conversation_id is not None:
        buttons = (Option(f"{ALERT_CALLBACK_PREFIX}endchat:{conversation_id}", "Devolver al bot"),)
    for channel, recipients in ((Channel.TELEGRAM, chats), (Channel.EMAIL, emails)):
        options = buttons if channel == Channel.TELEGRAM else ()
        for recipient in sorted(recipients):
            alert = OutboundMessage(
                channel=channel,
                recipient=recipient,
                text=body,
                options=options,
                kind="agent_alert",
                language="en",
            )
            row = enqueue(session, alert, now=now, ticket_id=ticket_id, author=Actor.SYSTEM.value)
            if channel == Channel.TELEGRAM and (ticket_id is not None or conversation_id is not None):
                remember_alert(session, row.id, now=now, ticket_id=ticket_id, conversation_id=conversation_id)
    if ticket is not None:
        data = {"supervisors_only": supervisors_only}
        record_event(session, ticket.id, EventKind.AGENT_ALERT, Actor.SYSTEM, body, now=now, data=data)


def alert_delivery_failed(
    session: Session, row: OutboxMessage, reason: str, *, now: datetime, routing: AlertRouting
) -> None:
    """Agents learn that a message to a ticket's customer was given up on (with the ticket's buttons)."""
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
    if ticket is None:
        return
    body = f"Message to the customer of {ticket.number} on {row.channel} not delivered: {reason}"
    alert_agents(session, ticket, body, now=now, routing=routing)


def tell_file_refused(session: Session, attachment: Attachment, code: str, now: datetime) -> None:
    """Tell the customer, in their ticket's chat, that a file they sent was not kept, and why."""
    ticket = session.get(Ticket, attachment.ticket_id) if attachment.ticket_id else None
    if ticket is None:
        return
    key = f"refusal.{code}" if f"refusal.{code}" in TEXTS else "refusal.download_failed"
    name = attachment.filename or attachment.mime_type or ""
    reason = text(key, ticket.language)
    notify_customer(session, ticket, "file_refused", now=now, kind="progress", filename=name, reason=reason)


def is_group_chat(channel: str, chat_id: str | None) -> bool:
    """A Telegram group, supergroup or channel (negative chat ids; private chats are positive)."""
    return channel == "telegram" and (chat_id or "").strip().startswith("-")
