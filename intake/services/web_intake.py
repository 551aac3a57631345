"""The web form's intake: the chats' own dialog, one form page per bot turn, on the web channel.

A browser session is a conversation on `Channel.WEB` keyed by a random id the web layer keeps in its signed
session cookie. Each submitted page is one inbound message through `InboundService.handle_inbound` (one
transaction: dedupe, lock, record, dialog, outbox); the page then shows the bot's replies since that message.
Uploaded files are checked by their bytes (the chats' media policy) and stored by hash before the message is
handled; the ticket's attachment rows point at them and the media job files them like any channel's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel, InboundMedia, InboundMessage, MediaKind, Option
from channels.base import MediaRefusedError
from channels.media_policy import MediaPolicy
from intake.db import unit_of_work
from intake.db.models import Conversation, Message, OutboxMessage, Ticket
from intake.db.storage import FileStore
from intake.delivery.tracking_links import current_token
from intake.domain.events import Actor
from intake.services.inbound import InboundService
from intake.services.tracking import Refusals, Upload

MAX_FILES_PER_STEP = 10
_KINDS = {"image": MediaKind.IMAGE, "audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}


@dataclass(frozen=True, slots=True)
class BotSays:
    """One reply of the bot: its text and the choices it offers."""

    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class WebStep:
    """What the form page shows now: the dialog's step, the bot's replies, the ticket once registered."""

    step: str
    replies: tuple[BotSays, ...]
    language: str
    ticket_number: str | None = None
    tracking_path: str | None = None
    refused: Refusals = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """What the customer submitted on one page: typed text, a chosen option's id, files."""

    text: str = ""
    choice: str | None = None
    files: Sequence[Upload] = ()


class WebIntake:
    """The web form's use cases on the inbound service."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        inbound: InboundService,
        store: FileStore,
        secret_key: str,
        clock: Callable[[], datetime],
        policy: MediaPolicy | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.inbound = inbound
        self.store = store
        self.secret_key = secret_key
        self.clock = clock
        self.policy = policy or MediaPolicy()

    def start(self, visitor: str, language: str) -> WebStep:
        """The page for this visitor: their dialog so far, or a greeting that begins it."""
        found = self.current(visitor)
        if found is not None:
            return found
        self._handle(visitor, "hola", None, (), language)
        step = self.current(visitor)
        assert step is not None
        return step

    def answer(self, visitor: str, answer: Answer, language: str) -> WebStep:
        """One submitted page: files first (each checked by its bytes), then the text or the choice."""
        media, refused = self._store(answer.files[:MAX_FILES_PER_STEP])
        text = answer.text.strip()
        if media:
            self._handle(visitor, text, None, media, language)
            text = ""
        if answer.choice:
            self._handle(visitor, "", answer.choice, (), language)
        elif text or not media:
            self._handle(visitor, text, None, (), language)
        step = self.current(visitor)
        assert step is not None
        return WebStep(
            step.step, step.replies, step.language, step.ticket_number, step.tracking_path, refused
        )

    def current(self, visitor: str) -> WebStep | None:
        """The visitor's dialog as it stands (None before it began), a registered ticket with its link."""
        with unit_of_work(self.session_factory) as session:
            conversation = session.scalar(
                select(Conversation).where(
                    Conversation.channel == str(Channel.WEB), Conversation.address == address(visitor)
                )
            )
            if conversation is None:
                return None
            replies = _latest_replies(session, conversation)
            number, path = self._ticket(session, conversation)
            return WebStep(conversation.step or "idle", replies, conversation.language or "es", number, path)

    # --- internals ---------------------------------------------------------------------------
    def _handle(
        self, visitor: str, text: str, choice: str | None, media: tuple[InboundMedia, ...], language: str
    ) -> None:
        now = self.clock()
        inbound = InboundMessage(
            channel=Channel.WEB,
            sender_id=address(visitor),
            provider_message_id=f"web-{uuid.uuid4().hex}",
            received_at=now,
            text=text,
            button_payload=choice,
            media=media,
            language_code=language,
        )
        self.inbound.handle_inbound(inbound, now=now)

    def _store(self, files: Sequence[Upload]) -> tuple[tuple[InboundMedia, ...], Refusals]:
        media: list[InboundMedia] = []
        refused: list[tuple[str, str]] = []
        for upload in files:
            try:
                ctype = self.policy.check_content(upload.content, upload.content_type, upload.filename)
            except MediaRefusedError as exc:
                refused.append((upload.filename or "file", exc.code))
                continue
            stored = self.store.put(upload.content, ctype, upload.filename)
            kind = _KINDS.get(ctype.split("/")[0], MediaKind.DOCUMENT)
            ref = self.store.relative(stored)
            media.append(InboundMedia(ref, ctype, kind, upload.filename, stored.size, stored.sha256))
        return tuple(media), tuple(refused)

    def _ticket(self, session: Session, conversation: Conversation) -> tuple[str | None, str | None]:
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.conversation_id == conversation.id)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        if ticket is None or not ticket.number:
            return None, None
        token = current_token(session, ticket, self.secret_key, now=self.clock())
        return ticket.number, f"/t/{ticket.number}?k={token}"


def address(visitor: str) -> str:
    """The web conversation's address for a visitor id."""
    return f"web:{visitor}"


def _latest_replies(session: Session, conversation: Conversation) -> tuple[BotSays, ...]:
    """The bot's messages since the customer's last one (what the page shows now)."""
    last_in = session.scalar(
        select(Message.id)
        .where(Message.conversation_id == conversation.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
    rows = session.execute(
        select(Message.text, OutboxMessage.payload)
        .join(OutboxMessage, OutboxMessage.id == Message.outbox_id)
        .where(Message.conversation_id == conversation.id, Message.direction == "out")
        .where(Message.id > (last_in or 0), Message.author == Actor.BOT.value)
        .order_by(Message.id)
    )
    replies = []
    for text, payload in rows:
        options = tuple(Option(o["id"], o["title"]) for o in (payload or {}).get("options") or ())
        if text or options:
            replies.append(BotSays(text, options))
    return tuple(replies)
