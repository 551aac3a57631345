"""A customer's chat, simulated in-process: the same service, no provider account needed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from bot.messages import Channel, InboundMedia, InboundMessage, MediaKind
from channels.base import OutboundMessage
from channels.local import LocalChatAdapter
from intake.bootstrap import Container
from intake.cli.terminal import terminal_safe
from intake.db.models import Agent
from intake.services.agent_actions import ActionError, AgentActions

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
        with c.session_factory() as session:
            agent_id = session.scalar(select(Agent.id).where(Agent.active).order_by(Agent.id))
        if agent_id is None:
            raise ValueError("no agent in the database")
        actions: dict[str, Callable[[AgentActions], object]] = {
            "take": lambda a: a.take(number, agent_id),
            "info": lambda a: a.ask(number, agent_id, body),
            "progress": lambda a: a.progress(number, agent_id, body),
            "escalate": lambda a: a.escalate(number, agent_id, body or "escalated"),
            "solve": lambda a: a.solve(number, agent_id, body),
        }
        if action not in actions:
            raise ValueError(f"unknown agent action {action!r}; use one of {', '.join(actions)}")
        try:
            actions[action](c.agent_actions)
        except ActionError as exc:
            raise ValueError(exc.message) from None
        return self.flush()


def _media(path: Path) -> InboundMedia:
    import mimetypes

    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    kind = _KINDS.get(content_type.split("/")[0], MediaKind.DOCUMENT)
    return InboundMedia(ref=str(path.resolve()), content_type=content_type, kind=kind, filename=path.name)


def render(message: OutboundMessage) -> str:
    """How a bot message looks in the terminal: its text and numbered options, without control sequences."""
    lines = [terminal_safe(message.text)]
    for number, option in enumerate(message.options, start=1):
        lines.append(f"  {number}. {terminal_safe(option.title, single_line=True)}")
    return "\n".join(lines)
