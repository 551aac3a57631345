"""E-mail in: one RFC 822 message becomes a ticket (or is refused as automatic), in one transaction.

The pure parser (channels/email_in.py) reads the message; this use case dedupes it on its Message-ID, refuses
automatic mail (auto-replies, bounces, lists, our own address) and senders over the rate limit, matches the
sender to a known contact by address (an unknown sender becomes a self-identified contact agents verify),
opens the ticket with a "triage pending" default priority (P3: impact and urgency medium) and rewrites the
registration receipt into the e-mail acknowledgement: tracking number, tracking link and the two triage
questions. The raw message is always kept, stored by hash as a `message/rfc822` attachment of the ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.language import guess_language
from bot.mail_answers import survey_answer, validation_answer
from bot.messages import Channel, InboundMedia, MediaKind
from bot.texts import text
from channels.base import MediaRefusedError
from channels.email_ids import verified_ticket_id
from channels.email_imap import RetryLater
from channels.email_in import MAX_ID_CHARS, InboundMail, parse_mail, reply_text, ticket_tag
from channels.media_policy import MediaPolicy
from intake.db import unit_of_work
from intake.db.events import record_event
from intake.db.models import (
    Attachment,
    ChannelIdentity,
    Contact,
    Conversation,
    Message,
    OutboxMessage,
    ProcessedMessage,
    SurveyAnswer,
    Ticket,
)
from intake.db.storage import FileStore
from intake.delivery.tracking_links import tracking_line
from intake.domain.events import Actor, EventKind
from intake.domain.lifecycle import TicketStatus as S
from intake.services.conversations import ConversationService
from intake.services.inbound_limits import MAX_FILES_PER_INTAKE, MAX_TEXT_CHARS
from intake.services.tickets import NewTicket, TicketService
from intake.services.triage import apply_triage, triage_pending
from sla.priority import Impact, Urgency

CHANNEL = str(Channel.EMAIL)
RAW_TYPE = "message/rfc822"
TRIAGE_IMPACT = Impact.MEDIUM  # with TRIAGE_URGENCY: P3 until the customer answers
TRIAGE_URGENCY = Urgency.MEDIUM
RATE_LIMIT = 5  # new tickets per sender
RATE_WINDOW = timedelta(hours=1)
_ENDED = ("closed", "cancelled")  # a reply opens a new ticket (unless it answers the survey)
_LEVEL = {
    "alto": "1", "alta": "1", "high": "1",
    "medio": "2", "media": "2", "médio": "2", "média": "2", "medium": "2",
    "bajo": "3", "baja": "3", "baixo": "3", "baixa": "3", "low": "3",
}  # fmt: skip
_WORDS = tuple(rf"\b{word}\b" for word in _LEVEL)
_KINDS = {"image": MediaKind.IMAGE, "audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}


@dataclass(frozen=True, slots=True)
class MailOutcome:
    """What became of one message: "opened", "duplicate" or "ignored", with the ticket or the reason."""

    result: str
    number: str | None = None
    reason: str | None = None
    refused: tuple[tuple[str, str], ...] = ()


class MailIntake:
    """The e-mail channel's inbound use case."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        tickets: TicketService,
        store: FileStore,
        clock: Callable[[], datetime],
        own_addresses: tuple[str, ...],
        policy: MediaPolicy | None = None,
        signing_key: str | None = None,
        conversations: ConversationService | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.signing_key = signing_key
        self.conversations = conversations  # validation and survey by reply (the chats' use case)
        self.tickets = tickets
        self.store = store
        self.clock = clock
        self.own = tuple(a.strip().lower() for a in own_addresses)
        self.policy = policy or MediaPolicy()

    def ingest_from_mailbox(self, raw: bytes) -> MailOutcome:
        """`ingest` for the IMAP poller: a database that cannot be reached is `RetryLater`, not this
        message's failure (the poller would otherwise park every message during an outage)."""
        try:
            return self.ingest(raw)
        except (OperationalError, InterfaceError) as exc:
            raise RetryLater(f"database unavailable: {type(exc).__name__}") from exc

    def ingest(self, raw: bytes) -> MailOutcome:
        """Handle one message as received (an MTA pipe's stdin): dedupe, refuse, or open a ticket."""
        mail = parse_mail(raw)
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            if _seen(session, mail.message_id):
                return MailOutcome("duplicate", reason=mail.message_id)
            seen = ProcessedMessage(channel=CHANNEL, provider_message_id=mail.message_id, processed_at=now)
            session.add(seen)
            ticket = _thread(session, mail, self.signing_key)
            if mail.automatic and ticket is not None and mail.out_of_office:
                _log_absence(session, ticket, mail, now)
            reason = self._refusal(mail)
            if reason is not None:
                return MailOutcome("ignored", ticket.number if ticket else None, reason)
            answered = self._answer(session, ticket, mail, now) if ticket is not None else None
            if answered is not None:
                return answered
            if ticket is not None and ticket.status not in _ENDED:
                return self._add(session, ticket, mail, now)
            if _over_limit(session, mail.sender, now):
                return MailOutcome("ignored", reason="rate-limit")
            return self._open(session, mail, now)

    # --- internals ---------------------------------------------------------------------------
    def _refusal(self, mail: InboundMail) -> str | None:
        """Why this message must not open a ticket nor be answered (None: it may)."""
        if mail.automatic:
            return mail.automatic
        return "own-address" if mail.sender in self.own else None

    def _open(self, session: Session, mail: InboundMail, now: datetime) -> MailOutcome:
        """Open the ticket, keep the raw message, file the attachments and acknowledge."""
        contact = _contact(session, mail, now)
        conversation = _conversation(session, mail.sender, contact, now)
        # The customer's chosen language, else the one this mail is written in (Spanish when unsure).
        conversation.language = contact.language or guess_language(f"{mail.subject}\n{mail.text}")
        media, refused = self._store(mail)
        description = _description(mail)
        data = NewTicket(
            ticket_type="incident",
            description=description,
            impact=TRIAGE_IMPACT,
            urgency=TRIAGE_URGENCY,
            media=media,
            title=mail.subject or None,
        )
        row = _transcript(conversation, mail, description, now)
        session.add(row)
        ticket = self.tickets.open_ticket(session, conversation, contact, data, now=now)
        row.ticket_id = ticket.id
        _mark_stored(session, ticket, media)
        self._keep_raw(session, ticket, conversation, mail, now)
        record_event(
            session,
            ticket.id,
            EventKind.NOTE,
            Actor.SYSTEM,
            f"Triage pending: default priority {ticket.priority} until the customer rates impact and urgency",
            now=now,
            data={"triage": "pending", "message_id": mail.message_id},
        )
        _acknowledge(session, ticket, now)
        return MailOutcome("opened", ticket.number, refused=refused)

    def _add(self, session: Session, ticket: Ticket, mail: InboundMail, now: datetime) -> MailOutcome:
        """A reply on an open ticket: its new text (quotes stripped), files; a triage answer sets priority."""
        locked = self.tickets.lock(session, ticket.number or "")
        assert locked is not None
        conversation = _conversation(session, mail.sender, _contact(session, mail, now), now)
        media, refused = self._store(mail)
        body = reply_text(mail.text)[:MAX_TEXT_CHARS]
        row = _transcript(conversation, mail, body, now)
        row.ticket_id = locked.id
        session.add(row)
        self.tickets.customer_adds(session, locked, conversation, body, media, now=now)
        _mark_stored(session, locked, media)
        self._keep_raw(session, locked, conversation, mail, now)
        answer = triage_answer(body) if triage_pending(session, locked) else None
        if answer is not None:
            self._triage(session, locked, answer, now)
        return MailOutcome("added", locked.number, refused=refused)

    def _answer(
        self, session: Session, ticket: Ticket, mail: InboundMail, now: datetime
    ) -> MailOutcome | None:
        """A reply that answers the proposed solution or the survey, through the chats' use cases."""
        if self.conversations is None or ticket.status not in (S.SOLUTION_PROPOSED, S.CLOSED):
            return None
        if not _may_answer(session, ticket, mail.sender):  # a forwarded copy's reader is not the customer
            return None
        locked = self.tickets.lock(session, ticket.number or "")
        assert locked is not None
        body = reply_text(mail.text)[:MAX_TEXT_CHARS]
        if locked.status == S.SOLUTION_PROPOSED:
            answer = validation_answer(body)
            if answer is None or answer.accepted is None:
                return None
            self._record_answer(session, locked, mail, body, now)
            self.conversations.answer_validation(session, locked, answer.accepted, answer.comment, now)
            return MailOutcome("validated" if answer.accepted else "reopened", locked.number)
        answer = survey_answer(body) if _survey_pending(session, locked) else None
        if answer is None or answer.rating is None:
            return None
        self._record_answer(session, locked, mail, body, now)
        self.tickets.record_survey(session, locked, answer.rating, answer.comment, now=now)
        return MailOutcome("rated", locked.number)

    def _record_answer(
        self, session: Session, ticket: Ticket, mail: InboundMail, body: str, now: datetime
    ) -> None:
        """The answering mail in the transcript, and kept raw, like any reply."""
        conversation = _conversation(session, mail.sender, _contact(session, mail, now), now)
        row = _transcript(conversation, mail, body, now)
        row.ticket_id = ticket.id
        session.add(row)
        self._keep_raw(session, ticket, conversation, mail, now)

    def _triage(
        self, session: Session, ticket: Ticket, answer: tuple[Impact, Urgency], now: datetime
    ) -> None:
        """The customer's impact and urgency replace the default priority."""
        apply_triage(session, self.tickets, ticket, answer, "e-mail", now)

    def _store(self, mail: InboundMail) -> tuple[tuple[InboundMedia, ...], tuple[tuple[str, str], ...]]:
        """Check each attachment by its bytes and store it by hash; refused ones are named with the reason."""
        media: list[InboundMedia] = []
        refused: list[tuple[str, str]] = []
        for file in mail.files[:MAX_FILES_PER_INTAKE]:
            try:
                ctype = self.policy.check_content(file.content, file.content_type, file.filename)
            except MediaRefusedError as exc:
                refused.append((file.filename or "file", exc.code or "refused"))
                continue
            stored = self.store.put(file.content, ctype, file.filename)
            kind = _KINDS.get(ctype.split("/")[0], MediaKind.DOCUMENT)
            ref = self.store.relative(stored)
            media.append(InboundMedia(ref, ctype, kind, file.filename, stored.size, stored.sha256))
        refused.extend((f.filename or "file", "too_many") for f in mail.files[MAX_FILES_PER_INTAKE:])
        return tuple(media), tuple(refused)

    def _keep_raw(
        self, session: Session, ticket: Ticket, conversation: Conversation, mail: InboundMail, now: datetime
    ) -> None:
        """Store the message exactly as received, as the ticket's `message/rfc822` attachment."""
        stored = self.store.put(mail.raw, RAW_TYPE, "message.eml")
        ref = self.store.relative(stored)
        session.add(
            Attachment(
                ticket_id=ticket.id,
                conversation_id=conversation.id,
                origin=CHANNEL,
                provider_ref=mail.message_id,
                status="stored",
                storage_path=ref,
                sha256=stored.sha256,
                mime_type=RAW_TYPE,
                size=stored.size,
                filename="message.eml",
                kind=str(MediaKind.DOCUMENT),
                created_at=now,
            )
        )


def _over_limit(session: Session, sender: str, now: datetime) -> bool:
    """Whether the sender already opened `RATE_LIMIT` tickets by e-mail within `RATE_WINDOW`."""
    opened = session.scalar(
        select(func.count(Ticket.id))
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(Conversation.channel == CHANNEL, Conversation.address == sender)
        .where(Ticket.opened_at > now - RATE_WINDOW)
    )
    return (opened or 0) >= RATE_LIMIT


def _thread(session: Session, mail: InboundMail, signing_key: str | None) -> Ticket | None:
    """The ticket a message answers: by our Message-IDs in its threading headers (signed with our key, or
    recorded when the outbox sent them), else by its subject's "[LA-000123]" tag, accepted only from one of
    that ticket's contacts."""
    ids = [i[:MAX_ID_CHARS] for i in (*mail.in_reply_to, *mail.references)]
    for message_id in ids if signing_key else ():
        signed = verified_ticket_id(signing_key or "", message_id)
        ticket = session.get(Ticket, signed) if signed is not None else None
        if ticket is not None:
            return ticket
    if ids:
        ticket_id = session.scalar(
            select(Message.ticket_id)
            .where(Message.channel == CHANNEL, Message.provider_message_id.in_(ids))
            .where(Message.ticket_id.is_not(None))
            .order_by(Message.id.desc())
            .limit(1)
        )
        if ticket_id is not None:
            return session.get(Ticket, ticket_id)
    number = ticket_tag(mail.subject)
    ticket = session.scalar(select(Ticket).where(Ticket.number == number)) if number else None
    if ticket is None or not _is_contact_of(session, ticket, mail.sender):
        return None
    return ticket


def _is_contact_of(session: Session, ticket: Ticket, sender: str) -> bool:
    """Whether the address belongs to the ticket's contact (their e-mail or an e-mail identity)."""
    if ticket.contact_id is None:
        return False
    contact = session.get(Contact, ticket.contact_id)
    if contact is not None and (contact.email or "").lower() == sender:
        return True
    identity = session.scalar(
        select(ChannelIdentity.id).where(
            ChannelIdentity.contact_id == ticket.contact_id,
            ChannelIdentity.channel == CHANNEL,
            func.lower(ChannelIdentity.address) == sender,
        )
    )
    return identity is not None


def _may_answer(session: Session, ticket: Ticket, sender: str) -> bool:
    """Whether the sender may validate or rate the ticket: its contact, or a verified contact of its company
    (as in the chats, where a company's contacts answer for its tickets)."""
    if _is_contact_of(session, ticket, sender):
        return True
    if ticket.company_id is None:
        return False
    colleague = session.scalar(
        select(Contact.id).where(
            func.lower(Contact.email) == sender,
            Contact.company_id == ticket.company_id,
            Contact.verified.is_(True),
        )
    )
    return colleague is not None


def _log_absence(session: Session, ticket: Ticket, mail: InboundMail, now: datetime) -> None:
    """An out-of-office reply on a ticket: kept in its trail for agents; its status does not change."""
    record_event(
        session,
        ticket.id,
        EventKind.NOTE,
        Actor.SYSTEM,
        f"Out-of-office reply from {mail.sender}: {mail.subject}"[:500],
        now=now,
        data={"automatic": mail.automatic, "message_id": mail.message_id},
    )


def _survey_pending(session: Session, ticket: Ticket) -> bool:
    """Whether the closed ticket's survey was sent and has no rating yet."""
    if ticket.survey_sent_at is None:
        return False
    rating = session.scalar(select(SurveyAnswer.rating).where(SurveyAnswer.ticket_id == ticket.id))
    return rating is None


def triage_answer(body: str) -> tuple[Impact, Urgency] | None:
    """Impact and urgency from a reply: two digits 1-3 ("1 2") or two levels in words, impact first."""
    levels = re.findall(r"(?<!\d)[1-3](?!\d)|" + "|".join(_WORDS), body.lower()[:300])
    if len(levels) < 2:
        return None
    first, second = (_LEVEL.get(word, word) for word in levels[:2])
    impact = {"1": Impact.HIGH, "2": Impact.MEDIUM, "3": Impact.LOW}[first]
    urgency = {"1": Urgency.HIGH, "2": Urgency.MEDIUM, "3": Urgency.LOW}[second]
    return impact, urgency


def _seen(session: Session, message_id: str) -> bool:
    """Whether this Message-ID was already handled."""
    return (
        session.scalar(
            select(ProcessedMessage.id).where(
                ProcessedMessage.channel == CHANNEL, ProcessedMessage.provider_message_id == message_id
            )
        )
        is not None
    )


def _contact(session: Session, mail: InboundMail, now: datetime) -> Contact:
    """The known contact with this address, else a new self-identified one agents must verify."""
    found = session.scalar(
        select(Contact).where(func.lower(Contact.email) == mail.sender).order_by(Contact.id).limit(1)
    )
    if found is not None:
        return found
    contact = Contact(
        name=mail.sender_name or mail.sender,
        email=mail.sender,
        verified=False,
        self_identified=True,
        created_at=now,
    )
    session.add(contact)
    session.flush()
    return contact


def _conversation(session: Session, sender: str, contact: Contact, now: datetime) -> Conversation:
    """The sender's e-mail conversation (created on first mail), with its channel identity."""
    conversation = session.scalar(
        select(Conversation)
        .where(Conversation.channel == CHANNEL, Conversation.address == sender)
        .with_for_update()
    )
    if conversation is None:
        conversation = Conversation(
            channel=CHANNEL, address=sender, contact_id=contact.id, created_at=now, updated_at=now
        )
        session.add(conversation)
    identity = session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.address == sender)
    )
    if identity is None:
        session.add(ChannelIdentity(contact_id=contact.id, channel=CHANNEL, address=sender))
    conversation.last_inbound_at = now
    session.flush()
    return conversation


def _description(mail: InboundMail) -> str:
    """The ticket's description: the subject, then the body, clipped to the intake limit."""
    parts = [p for p in (mail.subject, mail.text) if p]
    return "\n\n".join(parts)[:MAX_TEXT_CHARS] or "(sin texto)"


def _transcript(conversation: Conversation, mail: InboundMail, body: str, now: datetime) -> Message:
    """The inbound message in the transcript."""
    return Message(
        conversation_id=conversation.id,
        direction="in",
        channel=CHANNEL,
        author=str(Actor.CUSTOMER),
        provider_message_id=mail.message_id,
        text=body,
        raw={"subject": mail.subject, "from": mail.sender},
        created_at=now,
    )


def _mark_stored(session: Session, ticket: Ticket, media: tuple[InboundMedia, ...]) -> None:
    """Files already checked and stored here need no download: their rows are stored at once."""
    by_ref = {m.ref: m for m in media}
    rows = session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id, Attachment.status == "pending")
    )
    for row in rows:
        found = by_ref.get(row.provider_ref)
        if found is not None:
            row.status, row.storage_path, row.sha256 = "stored", found.ref, found.unique_id
            row.next_attempt_at = None


def _acknowledge(session: Session, ticket: Ticket, now: datetime) -> None:
    """Turn the queued registration receipt into the e-mail acknowledgement with the triage questions."""
    row = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "registration")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if row is None:
        return
    lang = ticket.language
    parts = [
        text("email_reply_marker", lang),
        text("email_ack", lang, number=ticket.number or "", priority=ticket.priority),
    ]
    line = tracking_line(session, ticket, lang, now=now)
    if line is not None:
        parts.append(line)
    parts.append(text("email_triage", lang))
    body = "\n\n".join(parts)
    row.payload = {**row.payload, "text": body, "options": []}
    transcript = session.scalar(select(Message).where(Message.outbox_id == row.id))
    if transcript is not None:
        transcript.text = body
