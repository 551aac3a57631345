"""A ticket's e-mail, threaded at send time: subject tag and title, the customer's IDs, Auto-Submitted.

The outbox stores what to say; how an e-mail threads depends on what the customer sent by then, so the
worker fills it in just before the send (see `OutboxWorker._prepare`). The acknowledgement is
`auto-replied`, an agent's own reply is a plain reply, every other notification `auto-generated`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.messages import Channel
from bot.texts import text
from channels.base import OutboundMessage
from intake.db.models import Message, OutboxMessage, Ticket
from intake.delivery.tracking_links import tracking_line
from intake.domain.events import Actor

MAX_REFERENCES = 10
# The questions an e-mail ticket's customer answers by replying: the hint that says how.
_ANSWER_HINTS = {
    "solution": "email_answer_validation",
    "validation_reminder": "email_answer_validation",
    "survey": "email_answer_survey",
    "survey_reminder": "email_answer_survey",
}
_NOT_CUSTOMER_FACING = frozenset({"agent_alert", "agent_answer"})


def thread_email(
    session: Session, row: OutboxMessage, message: OutboundMessage, now: datetime
) -> OutboundMessage:
    """The message with its ticket's threading filled in (unchanged if it is not a ticket's e-mail).

    An e-mail ticket's messages are tagged `[LA-000123] <title>`; e-mail copies of a chat ticket's notices
    (WhatsApp outside its window, the web form) keep their worded subject but are signed and marked too."""
    if message.channel != Channel.EMAIL or row.ticket_id is None or row.kind in _NOT_CUSTOMER_FACING:
        return message
    ticket = session.get(Ticket, row.ticket_id)
    if ticket is None:
        return message
    own_thread = ticket.channel == Channel.EMAIL  # copies of a chat's notices keep their worded subject
    if own_thread and row.kind in _ANSWER_HINTS:
        hinted = _with_answer_hint(session, ticket, message, row.kind, now)
        message = replace(message, text=hinted, options=())  # the options are listed in the text
    return replace(
        message,
        ticket_number=ticket.number if own_thread else None,
        ticket_title=ticket.title,
        ticket_id=ticket.id,
        reply_to_ids=customer_message_ids(session, ticket.id),
        auto_submitted=_auto_submitted(session, row, message),
    )


def customer_message_ids(session: Session, ticket_id: int) -> tuple[str, ...]:
    """The Message-IDs of the customer's e-mails on the ticket, oldest first (the first and the latest)."""
    ids = session.scalars(
        select(Message.provider_message_id)
        .where(Message.ticket_id == ticket_id, Message.direction == "in", Message.channel == Channel.EMAIL)
        .where(Message.provider_message_id.is_not(None))
        .order_by(Message.id)
    ).all()
    real = list(dict.fromkeys(i for i in ids if i and not i.startswith("<sha256-")))
    return tuple(real[:1] + real[1:][-(MAX_REFERENCES - 1) :])


def _with_answer_hint(
    session: Session, ticket: Ticket, message: OutboundMessage, kind: str, now: datetime
) -> str:
    """The question and its options with our reply marker on top, how to answer by reply below, and the
    tracking link."""
    lang = ticket.language
    parts = [text("email_reply_marker", lang), message.text.strip()]
    if message.options:
        parts.append("\n".join(f"{i}. {o.title}" for i, o in enumerate(message.options, start=1)))
    parts.append(text(_ANSWER_HINTS[kind], lang))
    line = tracking_line(session, ticket, lang, now=now)
    if line is not None and line not in message.text:
        parts.append(line)
    return "\n\n".join(parts)


def _auto_submitted(session: Session, row: OutboxMessage, message: OutboundMessage) -> str | None:
    """RFC 3834: the acknowledgement is auto-replied, an agent's reply none, a notification auto-generated."""
    if row.kind == "registration":
        return "auto-replied"
    author = session.scalar(select(Message.author).where(Message.outbox_id == row.id).limit(1))
    if author == Actor.AGENT and "message" in message.template_variables:
        return None  # TicketService.reply: the agent's own words
    return "auto-generated"
