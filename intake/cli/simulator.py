"""A customer's chat, simulated in-process: the same service, no provider account needed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from bot.messages import Channel, InboundMedia, InboundMessage, MediaKind
from channels.base import OutboundMessage
from channels.local import LocalChatAdapter
from intake.bootstrap import Container
from intake.db.models import Agent

_KINDS = {"image": MediaKind.IMAGE, "audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}


@dataclass
class ChatSession:
    """One simulated customer talking to the bot; `say` returns what the bot answered."""

    container: Container
    address: str
    simulated_channel: str = "whatsapp"
    language: str | None = None
    adapter: LocalChatAdapter = field(default_factory=LocalChatAdapter)

    def __post_init__(self) -> None:
        # Several simulated customers share one adapter; each takes only what was sent to them.
        existing = self.container.adapters.setdefault(str(Channel.CHAT), self.adapter)
        assert isinstance(existing, LocalChatAdapter)
        self.adapter = existing

    def say(
        self, text: str = "", *, files: tuple[Path, ...] = (), button: str | None = None
    ) -> list[OutboundMessage]:
        """Send one message (text, a pressed button id, local files) and return the bot's replies."""
        inbound = InboundMessage(
            channel=Channel.CHAT,
            sender_id=self.address,
            provider_message_id=f"sim-{uuid.uuid4().hex}",
            received_at=self.container.clock(),
            text=text,
            button_payload=button,
            media=tuple(_media(path) for path in files),
            language_code=self.language,
            raw={"simulated_channel": self.simulated_channel},
        )
        self.container.inbound.handle_inbound(inbound, now=self.container.clock())
        return self.flush()

    def flush(self) -> list[OutboundMessage]:
        """Run the background jobs until quiet and return what reached this customer."""
        for _ in range(20):
            if not self.container.run_jobs_once():
                break
        return self.adapter.take(self.address)

    def agent(self, action: str, number: str, body: str = "") -> list[OutboundMessage]:
        """Act as the first agent on a ticket (take, info, progress, escalate, solve); return the replies."""
        c = self.container
        with c.transaction() as session:
            ticket = c.tickets.lock(session, number.upper())
            agent = session.scalar(select(Agent).where(Agent.active).order_by(Agent.id))
            if ticket is None or agent is None:
                raise ValueError(f"no ticket {number} or no agent in the database")
            now = c.clock()
            actions = {
                "take": lambda: c.tickets.take(session, ticket, agent, now=now),
                "info": lambda: c.tickets.request_info(session, ticket, agent, body, now=now),
                "progress": lambda: c.tickets.post_progress(session, ticket, agent, body, now=now),
                "escalate": lambda: c.tickets.escalate(
                    session, ticket, body or "escalated", now=now, agent=agent
                ),
                "solve": lambda: c.conversations.propose_solution(session, ticket, agent, body, now=now),
            }
            if action not in actions:
                raise ValueError(f"unknown agent action {action!r}; use one of {', '.join(actions)}")
            actions[action]()
        return self.flush()


def _media(path: Path) -> InboundMedia:
    import mimetypes

    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    kind = _KINDS.get(content_type.split("/")[0], MediaKind.DOCUMENT)
    return InboundMedia(ref=str(path.resolve()), content_type=content_type, kind=kind, filename=path.name)


def render(message: OutboundMessage) -> str:
    """How a bot message looks in the terminal: its text and numbered options."""
    lines = [message.text]
    lines += [f"  {i}. {option.title}" for i, option in enumerate(message.options, start=1)]
    return "\n".join(lines)
