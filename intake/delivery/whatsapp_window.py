"""WhatsApp delivery rules: the 24-hour window, notification templates, held messages, status callbacks.

`WhatsAppRouter` is the outbox worker's `router` and the handler of Twilio's status callbacks;
`release_held` is called by the inbound pipeline when a customer writes again. Every function
works in the caller's transaction; `now` is always a parameter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select, union_all
from sqlalchemy import update as sql_update  # `update` names status updates below
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel
from channels.base import OutboundMessage
from channels.whatsapp.adapter import PREFIX, StatusUpdate, e164, is_within_window
from intake.db import unit_of_work
from intake.db.events import record_event
from intake.db.models import (
    ChannelIdentity,
    Contact,
    Conversation,
    EarlyStatus,
    Message,
    OutboxMessage,
    Ticket,
)
from intake.delivery.outbox import WINDOW_OPENED_KEY, enqueue, from_payload
from intake.delivery.tracking_links import tracking_line
from intake.delivery.wakeup import mark_written
from intake.domain.events import Actor, EventKind, OutboxStatus

log = logging.getLogger(__name__)

WHATSAPP = str(Channel.WHATSAPP)
EMAIL = str(Channel.EMAIL)

# ContentVariables per notification kind: position N of the tuple fills template variable {{N}}.
# A slot "a|b" takes the first non-empty of the message's variables a, b; "name" is the contact's
# name (looked up when the notifier did not pass one) and "text" the message's own text.
DEFAULT_TEMPLATE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "registration": ("name", "number|ticket", "priority"),
    "info_request": ("name", "number|ticket", "question"),
    "progress": ("name", "number|ticket", "note|text"),
    "escalation": ("name", "number|ticket"),
    "solution": ("name", "number|ticket", "summary"),
    "survey": ("name", "number|ticket"),
}
FALLBACK_TEMPLATE_FIELDS: tuple[str, ...] = ("name", "number|ticket", "text")
VARIABLE_LIMIT = 200  # characters per variable; WhatsApp caps the whole template body at 1024
EMPTY_VARIABLE = "-"  # WhatsApp refuses empty template parameters
CUSTOMER_WORD = {"es": "cliente", "en": "customer", "pt": "cliente"}

# Status ranks: a callback never moves a message backwards. Failures are terminal.
STATUS_RANK: Mapping[str, int] = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
}
TERMINAL_STATUSES = frozenset({"failed", "undelivered", "canceled"})

# Markers kept in the outbox row's JSON payload (ignored by from_payload) so each row triggers
# the unreachable notice / e-mail copy and the template re-send at most once.
NOTIFIED_KEY = "_unreachable_notified"
REROUTED_KEY = "_rerouted_to"


class TemplateSource(Protocol):
    """What the router needs from the WhatsApp adapter: the ContentSid per notification kind."""

    def template_for(self, kind: str) -> str | None:
        """The approved ContentSid configured for a notification kind, if any."""
        ...


def whatsapp_addresses(address: str) -> list[str]:
    """The spellings a WhatsApp number may be stored under: '+569…' and 'whatsapp:+569…'."""
    number = e164(address)
    number = number if number.startswith("+") or not number else f"+{number}"
    return sorted({address, number, f"{PREFIX}{number}"})


def last_inbound_at(session: Session, address: str) -> datetime | None:
    """The latest inbound time of a WhatsApp number, from its identity and its conversation."""
    addresses = whatsapp_addresses(address)
    identities = select(ChannelIdentity.last_inbound_at.label("at")).where(
        ChannelIdentity.channel == WHATSAPP, ChannelIdentity.address.in_(addresses)
    )
    conversations = select(Conversation.last_inbound_at.label("at")).where(
        Conversation.channel == WHATSAPP, Conversation.address.in_(addresses)
    )
    # One round trip for both (every WhatsApp send asks).
    times = session.scalars(select(union_all(identities, conversations).subquery().c.at))
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _stamped_open(row: OutboxMessage, now: datetime) -> bool:
    """The window is open by the last inbound time stamped when the row was queued (no query)."""
    stamped = (row.payload or {}).get(WINDOW_OPENED_KEY)
    if not isinstance(stamped, str):
        return False
    try:
        opened = datetime.fromisoformat(stamped)
    except ValueError:
        return False
    return opened.tzinfo is not None and is_within_window(opened, now)


def release_held(session: Session, channel: str, address: str, now: datetime) -> int:
    """Put the recipient's held messages back in the queue (due now); return how many.

    Call it in the inbound transaction, after the conversation row is locked and its
    `last_inbound_at` updated, so a worker deciding to hold at the same moment is serialized.
    """
    addresses = whatsapp_addresses(address) if channel == WHATSAPP else [address]
    # A Core UPDATE on the table (every WhatsApp turn runs it, and it nearly always finds nothing).
    outbox = OutboxMessage.metadata.tables[OutboxMessage.__tablename__]
    released = session.execute(
        sql_update(outbox)
        .where(
            outbox.c.status == OutboxStatus.HELD,
            outbox.c.channel == channel,
            outbox.c.recipient.in_(addresses),
        )
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, locked_until=None)
        .returning(outbox.c.id)
    ).all()
    if released:
        mark_written(session)
        log.info("released %d held %s message(s)", len(released), channel)
    return len(released)


def _clean(value: str) -> str:
    """A template parameter: one line, no runs of spaces, at most VARIABLE_LIMIT characters."""
    text = " ".join(value.split())
    if len(text) > VARIABLE_LIMIT:
        text = text[: VARIABLE_LIMIT - 1].rstrip() + "…"
    return text or EMPTY_VARIABLE


class WhatsAppRouter:
    """The outbox router for WhatsApp and the handler of Twilio status callbacks."""

    def __init__(
        self,
        templates: TemplateSource,
        *,
        template_fields: Mapping[str, Sequence[str]] | None = None,
        email_ready: Callable[[], bool] | None = None,
    ) -> None:
        self.templates = templates
        # Whether e-mail can be delivered at all (an e-mail channel is configured); None: assume so.
        self.email_ready = email_ready or (lambda: True)
        fields = DEFAULT_TEMPLATE_FIELDS if template_fields is None else template_fields
        self.template_fields: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in fields.items()}

    # --- outbox router ---------------------------------------------------------------------------

    def __call__(
        self, session: Session, row: OutboxMessage, message: OutboundMessage, now: datetime
    ) -> OutboundMessage | None:
        """Send inside the window, as a template outside it, or hold (None) when there is none."""
        if row.channel != WHATSAPP or message.template_sid:
            return message
        if _stamped_open(row, now) or is_within_window(last_inbound_at(session, row.recipient), now):
            return message
        templated = self.template_version(session, row, message)
        if templated is not None:
            log.info("outbox %s: outside the window, sending template %s", row.id, templated.template_sid)
            return templated
        if self._window_opened_meanwhile(session, row.recipient, now):
            return message
        cause = f"no template for {message.kind or 'replies'}"
        self.notify_unreachable(session, row, message, now, cause=cause)
        return None

    def _window_opened_meanwhile(self, session: Session, address: str, now: datetime) -> bool:
        """Re-read the last inbound time under the conversation's row lock before holding."""
        session.scalars(
            select(Conversation.id)
            .where(Conversation.channel == WHATSAPP, Conversation.address.in_(whatsapp_addresses(address)))
            .with_for_update()
        ).all()
        return is_within_window(last_inbound_at(session, address), now)

    def template_version(
        self, session: Session, row: OutboxMessage, message: OutboundMessage
    ) -> OutboundMessage | None:
        """The message as its kind's approved template, or None when no template is configured."""
        sid = self.templates.template_for(message.kind) if message.kind else None
        if not sid:
            return None
        variables = self.content_variables(session, row, message)
        return replace(message, template_sid=sid, template_variables=variables)

    def content_variables(
        self, session: Session, row: OutboxMessage, message: OutboundMessage
    ) -> dict[str, str]:
        """ContentVariables {"1": …, "2": …} from the kind's field list (numeric keys pass through)."""
        given = dict(message.template_variables)
        if given and all(key.isdigit() for key in given):
            return {key: _clean(value) for key, value in given.items()}
        fields = self.template_fields.get(message.kind or "", FALLBACK_TEMPLATE_FIELDS)
        return {
            str(index): _clean(self._slot(session, row, message, slot))
            for index, slot in enumerate(fields, start=1)
        }

    def _slot(self, session: Session, row: OutboxMessage, message: OutboundMessage, slot: str) -> str:
        """The first non-empty value among a slot's alternatives."""
        for name in slot.split("|"):
            if name == "text":
                value = message.text
            elif name == "name":
                value = message.template_variables.get("name") or self._contact_name(session, row)
            else:
                value = message.template_variables.get(name, "")
            if value.strip():
                return value
        return ""

    def _contact_name(self, session: Session, row: OutboxMessage) -> str:
        """The contact's name, or 'cliente' in the contact's (else the conversation's) language."""
        contact = _contact(session, row)
        if contact is not None and contact.name.strip():
            return contact.name
        conversation = session.get(Conversation, row.conversation_id) if row.conversation_id else None
        # the chat's own language first (chosen per chat), then the contact's default
        default = contact.language if contact is not None else None
        language = (conversation.language if conversation is not None else None) or default or "es"
        return CUSTOMER_WORD.get(language, CUSTOMER_WORD["es"])

    # --- customer unreachable --------------------------------------------------------------------

    def notify_unreachable(
        self, session: Session, row: OutboxMessage, message: OutboundMessage, now: datetime, *, cause: str
    ) -> None:
        """Tell agents on the ticket and send an e-mail copy, once per outbox row."""
        if row.payload.get(NOTIFIED_KEY):
            return
        email = _email_address(session, _contact(session, row))
        # Without SMTP a copy could never leave: it is not queued (it would stay pending forever).
        mailable = bool(email) and self.email_ready()
        copy_id = _email_copy(session, row, message, email, now) if email and mailable else None
        row.payload = {**row.payload, NOTIFIED_KEY: True}
        if row.ticket_id is None:
            return
        if mailable:
            sent = f" A copy was sent by e-mail to {email}."
        elif email:
            sent = f" No e-mail copy was sent to {email}: e-mail (SMTP) is not configured."
        else:
            sent = " The contact has no e-mail address."
        body = (
            f"The customer cannot be reached on WhatsApp ({e164(row.recipient)}): outside the 24-hour window "
            f"and {cause}. The message is held and goes out when the customer writes again.{sent}"
        )
        data: dict[str, Any] = {
            "outbox_id": row.id, "kind": message.kind, "email": email, "email_outbox_id": copy_id
        }
        if email and not mailable:
            data["email_unavailable"] = "smtp_not_configured"
        _event(session, row.ticket_id, EventKind.CUSTOMER_UNREACHABLE, body, data=data, now=now)

    # --- status callbacks ------------------------------------------------------------------------

    def handle_status(
        self, session_factory: sessionmaker[Session], update: StatusUpdate, now: datetime
    ) -> None:
        """Apply one status callback in its own transaction.

        A callback kept as early (its sid not recorded yet) is looked at again after it is committed:
        the worker may have recorded the sid meanwhile without seeing it (each side only sees the
        other's committed rows), and applying a status twice changes nothing.
        """
        with unit_of_work(session_factory) as session:
            kept_early = self.apply_status(session, update, now)
        if kept_early:
            with unit_of_work(session_factory) as session:
                self.apply_early(session, [update.message_sid], now)

    def apply_status(self, session: Session, update: StatusUpdate, now: datetime) -> bool:
        """Record a status callback on the outbound message(s); react to failures once.

        Returns True when the sid is not recorded yet and the callback was kept for later.
        """
        messages = _sent_messages(session, update.message_sid)
        if not messages:
            # Twilio may call back before the worker has recorded the sid it just got: keep the callback
            # for the worker to apply when it does (on_sent), instead of waiting for the send here.
            session.add(
                EarlyStatus(
                    channel=WHATSAPP,
                    provider_message_id=update.message_sid,
                    status=update.status,
                    error_code=update.error_code,
                    error_message=update.error_message,
                    recipient=update.recipient,
                    received_at=now,
                )
            )
            log.info("status %s for not yet recorded message %s kept", update.status, update.message_sid)
            # Callbacks for messages that never turn out to be ours (sent elsewhere) do not pile up.
            session.execute(delete(EarlyStatus).where(EarlyStatus.received_at < now - timedelta(days=1)))
            return True
        self._apply_to(session, messages, update, now)
        return False

    def on_sent(self, session: Session, row_id: int, ids: Sequence[str], now: datetime) -> None:
        """The worker recorded these sids (committed): apply callbacks that arrived before it did."""
        self.apply_early(session, ids, now)

    def apply_early(self, session: Session, ids: Sequence[str], now: datetime) -> None:
        """Apply kept callbacks for sids that are recorded now, oldest first, and forget them."""
        early = list(
            session.scalars(
                select(EarlyStatus)
                .where(EarlyStatus.provider_message_id.in_(list(ids)))
                .order_by(EarlyStatus.id)
                .with_for_update()
            )
        )
        for kept in early:
            update = StatusUpdate(
                message_sid=kept.provider_message_id,
                status=kept.status,
                error_code=kept.error_code,
                error_message=kept.error_message,
                recipient=kept.recipient,
            )
            messages = _sent_messages(session, kept.provider_message_id)
            if messages:  # still unrecorded: keep it for the worker
                self._apply_to(session, messages, update, now)
                session.delete(kept)

    def _apply_to(
        self, session: Session, messages: list[Message], update: StatusUpdate, now: datetime
    ) -> None:
        for message in messages:
            if _advance(message, update) and update.failed:
                self._on_failure(session, message, update, now)

    def _on_failure(self, session: Session, message: Message, update: StatusUpdate, now: datetime) -> None:
        """63016 re-routes the outbox row; any other failure is shown to agents on the ticket."""
        row = None
        if message.outbox_id is not None:
            row = session.get(OutboxMessage, message.outbox_id, with_for_update=True)
        if update.outside_window and row is not None:
            self.reroute_outside_window(session, row, now)
            return
        ticket_id = message.ticket_id or (row.ticket_id if row is not None else None)
        if ticket_id is None:
            return
        detail = f": {update.error_message}" if update.error_message else ""
        code = update.error_code or "unknown"
        body = f"WhatsApp message not delivered ({update.status}, error {code}{detail})."
        data: dict[str, Any] = {
            "message_id": message.id,
            "message_sid": update.message_sid,
            "status": update.status,
            "code": update.error_code,
            "outbox_id": message.outbox_id,
        }
        _event(session, ticket_id, EventKind.DELIVERY_FAILED, body, data=data, now=now)

    def reroute_outside_window(self, session: Session, row: OutboxMessage, now: datetime) -> None:
        """WhatsApp refused a sent row (63016): re-send it as a template, else hold it and notify."""
        if row.payload.get(REROUTED_KEY):
            return
        message = from_payload(row.payload)
        templated = None if message.template_sid else self.template_version(session, row, message)
        if templated is None:
            if row.status in (OutboxStatus.SENT, OutboxStatus.DEAD):
                row.status, row.locked_until = OutboxStatus.HELD, None
            cause = "no template for " + (message.kind or "replies")
            if message.template_sid:
                cause = "even the template was refused (63016)"
            self.notify_unreachable(session, row, message, now, cause=cause)
            return
        again = enqueue(
            session,
            templated,
            now=now,
            ticket_id=row.ticket_id,
            conversation_id=row.conversation_id,
            author=Actor.SYSTEM,
        )
        row.payload = {**row.payload, REROUTED_KEY: again.id}
        if row.ticket_id is not None:
            body = (
                "WhatsApp refused a message outside the 24-hour window (63016); "
                f"it is sent again as the approved template for {message.kind}."
            )
            data = {
                "outbox_id": row.id,
                "template_outbox_id": again.id,
                "template_sid": templated.template_sid,
            }
            _event(session, row.ticket_id, EventKind.DELIVERY_REROUTED, body, data=data, now=now)


def _sent_messages(session: Session, sid: str) -> list[Message]:
    """Our outbound WhatsApp transcript rows with this MessageSid, locked."""
    query = (
        select(Message)
        .where(Message.channel == WHATSAPP, Message.provider_message_id == sid, Message.direction == "out")
        .order_by(Message.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def _advance(message: Message, update: StatusUpdate) -> bool:
    """Move a message's status forward (never backwards, never out of a failure); True if changed."""
    current = message.status or ""
    new = update.status
    if current in TERMINAL_STATUSES:
        return False
    if new in TERMINAL_STATUSES:
        if STATUS_RANK.get(current, -1) >= STATUS_RANK["delivered"]:
            log.warning("message %s: %s after %s ignored", message.id, new, current)
            return False
        message.status, message.error_code = new, update.error_code
        return True
    if new not in STATUS_RANK:
        log.info("message %s: unknown status %r ignored", message.id, new)
        return False
    if STATUS_RANK[new] <= STATUS_RANK.get(current, -1):
        return False
    message.status = new
    return True


def _contact(session: Session, row: OutboxMessage) -> Contact | None:
    """The contact behind an outbox row: its identity, its conversation, or its ticket."""
    identity = session.scalars(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == row.channel,
            ChannelIdentity.address.in_(whatsapp_addresses(row.recipient)),
        )
    ).first()
    contact_id = identity.contact_id if identity is not None else None
    if contact_id is None and row.conversation_id is not None:
        conversation = session.get(Conversation, row.conversation_id)
        contact_id = conversation.contact_id if conversation is not None else None
    if contact_id is None and row.ticket_id is not None:
        ticket = session.get(Ticket, row.ticket_id)
        contact_id = ticket.contact_id if ticket is not None else None
    return session.get(Contact, contact_id) if contact_id is not None else None


def _email_address(session: Session, contact: Contact | None) -> str | None:
    """The contact's e-mail: its e-mail channel identity, else the contact's own field."""
    if contact is None:
        return None
    address = session.scalars(
        select(ChannelIdentity.address)
        .where(ChannelIdentity.contact_id == contact.id, ChannelIdentity.channel == EMAIL)
        .order_by(ChannelIdentity.id)
    ).first()
    return address or contact.email or None


def _email_copy(
    session: Session, row: OutboxMessage, message: OutboundMessage, address: str, now: datetime
) -> int:
    """Queue the same text (options, file) to the contact's e-mail; return the new outbox id."""
    variables = message.template_variables
    named = {} if variables and all(key.isdigit() for key in variables) else dict(variables)
    copy = OutboundMessage(
        channel=Channel.EMAIL,
        recipient=address,
        text=_with_tracking_link(session, row, message.text, now),
        options=message.options,
        kind=message.kind,
        template_variables=named,
        media_path=message.media_path,
        media_filename=message.media_filename,
        media_content_type=message.media_content_type,
        media_url=message.media_url,
    )
    return enqueue(session, copy, now=now, ticket_id=row.ticket_id, author=Actor.SYSTEM).id


def _with_tracking_link(session: Session, row: OutboxMessage, text: str, now: datetime) -> str:
    """The e-mail copy of a ticket's message always carries the tracking link (when links are public)."""
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
    line = tracking_line(session, ticket, ticket.language, now=now) if ticket is not None else None
    if line is None or line in text:
        return text
    return f"{text}\n\n{line}"


def _event(
    session: Session, ticket_id: int, kind: EventKind, body: str, *, data: dict[str, Any], now: datetime
) -> None:
    """An agent-visible system event on the ticket's trail."""
    record_event(session, ticket_id, kind, Actor.SYSTEM, body, now=now, data=data)
