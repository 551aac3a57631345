"""Hand-offs, the agents' side: chats where a customer asked for a person ("agente", "humano") —
list them with what the customer wrote, answer in that chat, and hand the chat back to the bot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Reply
from bot.texts import text
from intake.db import unit_of_work
from intake.db.models import Company, Contact, Conversation, Message
from intake.domain.events import Actor
from intake.services.agent_actions import ActionError, ActionErrorCode, AgentRef, find_agent
from intake.services.conversations import HANDOFF_MARK, ConversationService
from intake.services.notify import reply_to_conversation

MAX_LISTED_MESSAGES = 20
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HandoffMessage:
    """One thing the customer wrote since asking for a person."""

    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Handoff:
    """An open hand-off: which chat, who (if known), since when, and what the customer wrote since."""

    conversation_id: int
    channel: str
    address: str
    contact: str
    company: str
    language: str
    since: datetime | None
    messages: list[HandoffMessage]


class Handoffs:
    """The agents' hand-off use cases, each in its own transaction (CLI, console, API, Telegram)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        conversations: ConversationService,
        clock: Callable[[], datetime],
    ) -> None:
        self.session_factory = session_factory
        self.conversations = conversations
        self.clock = clock

    def open(self) -> list[Handoff]:
        """Chats waiting for a person, the longest-waiting first."""
        with self.session_factory() as session:
            query = select(Conversation).where(Conversation.handoff_requested.is_(True))
            found = [_view(session, c) for c in session.scalars(query.order_by(Conversation.id))]
        return sorted(found, key=lambda h: (h.since is None, h.since or _FAR))

    def reply(self, conversation_id: int, agent: AgentRef, body: str) -> None:
        """Answer the customer in the handed-off chat, as the agent (kept in the transcript)."""
        body = body.strip()
        if not body:
            raise ActionError(ActionErrorCode.BAD_INPUT, "a reply needs a text")
        with unit_of_work(self.session_factory) as session:
            conversation = _lock_handoff(session, conversation_id)
            who = find_agent(session, agent)
            values = {"agent": who.name, "message": body, "note": body, "number": ""}
            body_text = text("agent_reply", conversation.language, **values)
            reply = Reply(body_text, kind="progress", variables=values)
            now = self.clock()
            reply_to_conversation(
                session, conversation, reply, now=now, author=Actor.AGENT.value, agent_id=who.id
            )
            conversation.updated_at = now

    def end(self, conversation_id: int, agent: AgentRef) -> None:
        """Hand the chat back to the bot; the customer is told the conversation with a person ended."""
        with unit_of_work(self.session_factory) as session:
            conversation = _lock_handoff(session, conversation_id)
            find_agent(session, agent)
            self.conversations.end_handoff(session, conversation, self.clock())


def _lock_handoff(session: Session, conversation_id: int) -> Conversation:
    query = select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    conversation = session.scalar(query)
    if conversation is None or not conversation.handoff_requested:
        raise ActionError(ActionErrorCode.BAD_INPUT, f"chat {conversation_id} is not waiting for a person")
    return conversation


def _view(session: Session, conversation: Conversation) -> Handoff:
    since = session.scalar(
        select(Message.created_at)
        .where(
            Message.conversation_id == conversation.id,
            Message.author == Actor.SYSTEM.value,
            Message.text.like(f"{HANDOFF_MARK}%"),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    wrote = select(Message).where(
        Message.conversation_id == conversation.id, Message.direction == "in", Message.text != ""
    )
    if since is not None:
        wrote = wrote.where(Message.created_at >= since)
    latest = wrote.order_by(Message.created_at.desc(), Message.id.desc()).limit(MAX_LISTED_MESSAGES)
    rows = list(session.scalars(latest))
    contact = session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    company = session.get(Company, contact.company_id) if contact is not None and contact.company_id else None
    return Handoff(
        conversation_id=conversation.id,
        channel=conversation.channel,
        address=conversation.address,
        contact=contact.name if contact is not None and contact.name else "(unknown)",
        company=company.name if company is not None else "(no company)",
        language=conversation.language,
        since=since,
        messages=[HandoffMessage(m.created_at, m.text) for m in reversed(rows)],
    )
