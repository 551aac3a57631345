"""One transaction per inbound message: dedupe, serialize per sender, record, release held WhatsApp
messages, run the dialog, write the outbox — the `handle_inbound` use case every channel calls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from bot.messages import Channel, InboundMessage, Reply
from bot.parsing import Command, parse_command
from bot.texts import text
from channels.telegram.parse import media_group_of
from intake.db import unit_of_work
from intake.db.models import ChannelIdentity, Company, Contact, Conversation, Message, ProcessedMessage
from intake.delivery.whatsapp_window import release_held
from intake.domain.events import Actor
from intake.services.conversations import ConversationService
from intake.services.inbound_limits import SenderLimit, bound_inbound, flood_reply, recent_inbound_count
from intake.services.notify import is_group_chat, reply_to_conversation

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recorded:
    """One inbound message once recorded: its locked conversation and its transcript row."""

    conversation: Conversation
    inbound: InboundMessage
    record: Message
    now: datetime
    previous_inbound_at: datetime | None = None  # the sender's message before this one, if any


# What happens to a recorded message inside the same transaction (the dialog, or nothing in benches).
InboundStep = Callable[[Session, Recorded], None]
# Runs last in the message's transaction, duplicate or not (the inbox's bookkeeping).
InboundFinish = Callable[[Session], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one inbound message."""

    provider_message_id: str
    duplicate: bool
    conversation_id: int | None = None


class AgentTraffic(Protocol):
    """Updates that come from agents (their Telegram group or private chats), not from customers."""

    def claims(self, inbound: InboundMessage) -> bool:
        """Whether this update is agent traffic."""
        ...

    def handle(self, inbound: InboundMessage) -> bool:
        """Act on it once; False when it was ignored or already handled."""
        ...


class InboundService:
    """The inbound use case on one database and dialog service."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        conversations: ConversationService,
        clock: Callable[[], datetime],
        agents: AgentTraffic | None = None,
        limit: SenderLimit | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.conversations = conversations
        self.clock = clock
        self.agents = agents
        self.limit = limit or SenderLimit()

    def handle_inbound(
        self, inbound: InboundMessage, *, now: datetime | None = None, finish: InboundFinish | None = None
    ) -> Outcome:
        """Handle one customer message exactly once, from dedupe to outbox, in one transaction.

        `finish` runs in that same transaction, last (the inbox marks its row done there, so a turn and
        its bookkeeping commit together). Agents' traffic (see intake/services/agent_chat.py) goes to
        their use case instead, and `finish` then runs in a transaction of its own after it.
        """
        if self.agents is not None and self.agents.claims(inbound):
            handled = self.agents.handle(inbound)
            if finish is not None:
                with unit_of_work(self.session_factory) as session:
                    finish(session)
            return Outcome(inbound.provider_message_id, duplicate=not handled)
        now = now or self.clock()
        return process_inbound(self.session_factory, inbound, self._converse, now=now, finish=finish)

    def _converse(self, session: Session, recorded: Recorded) -> None:
        """A message reopens WhatsApp's window (held messages go out), then the dialog answers it."""
        inbound, now = recorded.inbound, recorded.now
        if inbound.channel == Channel.WHATSAPP:  # only WhatsApp's 24-hour window holds messages
            release_held(session, str(inbound.channel), inbound.reply_to, now)
        conversation = recorded.conversation
        if self._over_limit(session, recorded):
            return
        if _asks_status_in_group(inbound):
            reply = Reply(text=text("group_status_private", conversation.language))
            query_id = inbound.callback_query_id
            reply_to_conversation(session, conversation, reply, now=now, callback_query_id=query_id)
            return
        bounded = bound_inbound(inbound, conversation.state, conversation.language)
        for note in bounded.notes:
            reply_to_conversation(session, conversation, note, now=now)
        if not bounded.empty:
            quiet = _continues_album(session, recorded)
            self.conversations.handle(
                session, conversation, bounded.inbound, recorded.record, now, quiet=quiet
            )

    def _over_limit(self, session: Session, recorded: Recorded) -> bool:
        """True when the sender is over the inbound limit: recorded, told once, no dialog turn."""
        conversation, inbound = recorded.conversation, recorded.inbound
        window = self.limit.window
        count = recent_inbound_count(
            session, conversation.id, inbound.received_at, recorded.previous_inbound_at, window
        )
        if count <= self.limit.max_messages:
            return False
        notice = flood_reply(count, self.limit, conversation.language)
        query_id = inbound.callback_query_id
        if notice is not None or query_id:  # a pressed button is always answered, if only silently
            reply = notice or Reply(text="")
            reply_to_conversation(session, conversation, reply, now=recorded.now, callback_query_id=query_id)
        log.info("inbound %s: sender over the limit (%d in %s)", inbound.provider_message_id, count, window)
        return True


def _continues_album(session: Session, recorded: Recorded) -> bool:
    """A later item of a Telegram album: the sender's previous message belongs to the same album."""
    album = media_group_of(recorded.inbound)
    if album is None or recorded.previous_inbound_at is None:
        return False
    previous = session.scalar(
        select(Message.raw)
        .where(
            Message.conversation_id == recorded.conversation.id,
            Message.direction == "in",
            Message.id < recorded.record.id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    earlier = replace(recorded.inbound, raw=previous) if isinstance(previous, dict) else None
    return earlier is not None and media_group_of(earlier) == album


def _asks_status_in_group(inbound: InboundMessage) -> bool:
    """'/estado', 'mis tickets' and the like sent in a group chat: answered only in private."""
    if not is_group_chat(str(inbound.channel), inbound.chat_id) or inbound.is_edit:
        return False
    found = parse_command(inbound.text, fuzzy=True)
    return found is not None and found.command is Command.STATUS


def process_inbound(
    session_factory: sessionmaker[Session],
    inbound: InboundMessage,
    step: InboundStep,
    *,
    now: datetime,
    attempts: int = 3,
    finish: InboundFinish | None = None,
) -> Outcome:
    """Record one inbound message exactly once and run `step` on it (a replayed provider id is a no-op).

    `InboundService.handle_inbound` is the use case; this is its transaction, kept apart so the
    inbound bench can measure recording alone.
    """
    for attempt in range(1, attempts + 1):
        try:
            with unit_of_work(session_factory) as session:
                outcome = _process(session, inbound, step, now)
                if finish is not None:
                    finish(session)
                return outcome
        except IntegrityError:
            # Either the same provider id committed concurrently (duplicate) or two first messages of a
            # new sender raced to create the conversation: the retry tells which.
            if attempt == attempts:
                raise
            log.info("inbound %s: integrity conflict, retrying", inbound.provider_message_id)
    raise AssertionError("unreachable")


def _process(session: Session, inbound: InboundMessage, step: InboundStep, now: datetime) -> Outcome:
    if not _first_time(session, inbound, now):
        return Outcome(inbound.provider_message_id, duplicate=True)
    conversation = lock_conversation(session, inbound, now)
    previous_inbound_at = conversation.last_inbound_at
    # Written together in one UPDATE (at the next flush), not one UPDATE each before and after the dialog.
    conversation.last_inbound_at = inbound.received_at
    conversation.version += 1
    conversation.updated_at = now
    _touch_identity(session, inbound)
    record = Message(
        conversation_id=conversation.id,
        direction="in",
        channel=str(inbound.channel),
        author=Actor.CUSTOMER.value,
        provider_message_id=inbound.provider_message_id,
        text=inbound.text,
        raw=inbound.raw or None,
        created_at=inbound.received_at,
    )
    session.add(record)
    session.flush()
    step(session, Recorded(conversation, inbound, record, now, previous_inbound_at))
    return Outcome(inbound.provider_message_id, duplicate=False, conversation_id=conversation.id)


def _first_time(session: Session, inbound: InboundMessage, now: datetime) -> bool:
    """Record the provider message id; False when it was already processed (a replay).

    One `INSERT … ON CONFLICT DO NOTHING RETURNING` instead of a SELECT then an INSERT. On PostgreSQL
    a concurrent duplicate waits for the other transaction and then inserts nothing; SQLite serializes
    writers at BEGIN IMMEDIATE. Other databases look first, then INSERT: a concurrent duplicate fails
    the unique constraint (IntegrityError), which `process_inbound` retries.
    """
    values = {
        "channel": str(inbound.channel),
        "provider_message_id": inbound.provider_message_id,
        "processed_at": now,
    }
    dialect = session.get_bind().dialect
    keys = ["channel", "provider_message_id"]
    if dialect.name == "postgresql":
        pg = postgresql.insert(ProcessedMessage).values(**values).on_conflict_do_nothing(index_elements=keys)
        return session.execute(pg.returning(ProcessedMessage.id)).first() is not None
    if dialect.name == "sqlite" and dialect.insert_returning:  # SQLite 3.35 or later
        lite = sqlite.insert(ProcessedMessage).values(**values).on_conflict_do_nothing(index_elements=keys)
        return session.execute(lite.returning(ProcessedMessage.id)).first() is not None
    seen = select(ProcessedMessage.id).where(
        ProcessedMessage.channel == values["channel"],
        ProcessedMessage.provider_message_id == inbound.provider_message_id,
    )
    if session.scalar(seen) is not None:
        return False
    session.add(ProcessedMessage(**values))
    session.flush()  # a concurrent duplicate fails here, before any other work
    return True


def lock_conversation(session: Session, inbound: InboundMessage, now: datetime) -> Conversation:
    """Load the sender's conversation with a row lock (creating it), so one sender is handled at a time."""
    query = (
        select(Conversation)
        .where(Conversation.channel == str(inbound.channel), Conversation.address == inbound.sender_id)
        # The dialog's context needs the contact, its company and plan: loaded with the lock, in one
        # round trip (only the conversation row is locked).
        .options(joinedload(Conversation.contact).joinedload(Contact.company).joinedload(Company.plan))
        .with_for_update(of=Conversation)
    )
    conversation = session.scalar(query)
    if conversation is not None:
        if inbound.chat_id and conversation.chat_id != inbound.chat_id:
            conversation.chat_id = inbound.chat_id
        return conversation
    conversation = Conversation(
        channel=str(inbound.channel),
        address=inbound.sender_id,
        chat_id=inbound.chat_id,
        state={},
        created_at=now,
        updated_at=now,
    )
    identity = _identity(session, inbound)
    if identity is not None:
        conversation.contact_id = identity.contact_id
        conversation.language = identity.contact.language or conversation.language
    session.add(conversation)
    session.flush()
    return conversation


def _identity(session: Session, inbound: InboundMessage) -> ChannelIdentity | None:
    channel = str(inbound.channel)
    if inbound.channel == Channel.CHAT:
        # The terminal simulator stands in for a real channel: recognize the contact by that identity.
        channel = str(inbound.raw.get("simulated_channel") or channel)
    query = select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, ChannelIdentity.address == inbound.sender_id
    )
    return session.scalar(query)


def _touch_identity(session: Session, inbound: InboundMessage) -> None:
    """The sender's channel identity, if any, saw a message now: one UPDATE, no SELECT first."""
    channel = str(inbound.channel)
    if inbound.channel == Channel.CHAT:
        channel = str(inbound.raw.get("simulated_channel") or channel)
    values: dict[str, object] = {"last_inbound_at": inbound.received_at}
    if inbound.chat_id:
        values["chat_id"] = inbound.chat_id
    # A Core UPDATE on the table: the ORM's bulk-update path cost more than the statement itself.
    identities = ChannelIdentity.metadata.tables[ChannelIdentity.__tablename__]
    session.execute(
        update(identities)
        .where(identities.c.channel == channel, identities.c.address == inbound.sender_id)
        .values(**values)
    )
    for loaded in session.identity_map.values():  # an identity this turn loaded sees the new values
        if isinstance(loaded, ChannelIdentity) and (loaded.channel, loaded.address) == (
            channel,
            inbound.sender_id,
        ):
            for key, value in values.items():
                set_committed_value(loaded, key, value)
