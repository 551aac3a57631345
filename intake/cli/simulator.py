"""A customer's chat, simulated in-process: the same service, no provider account needed."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.messages import Channel, InboundMedia, InboundMessage, MediaKind
from channels.base import OutboundMessage
from channels.local import LocalChatAdapter
from intake.bootstrap import Container
from intake.cli.terminal import terminal_safe
from intake.db.models import Agent, Conversation
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
    lock: threading.RLock = field(default_factory=threading.RLock)  # the prompt and the poller share it
    # The outbox's clock when it differs from the service's: a simulator on a moved clock still shows
    # what an agent queued on the real clock from another terminal.
    delivery_clock: Callable[[], datetime] | None = None

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
        with self.lock:
            self.container.inbound.handle_inbound(inbound, now=self.container.clock())
            return self.flush()

    def flush(self) -> list[OutboundMessage]:
        """Run the background jobs until quiet and return what reached this customer.

        Only this session's conversation's messages are delivered: another simulator on the same
        database (another terminal) keeps its own.
        """
        with self.lock:
            mine = self._conversation_ids()
            for _ in range(20):
                if not self.container.run_jobs_once(mine, self.delivery_clock):
                    break
            return self.adapter.take(self.address)

    def _conversation_ids(self) -> list[int]:
        with self.container.session_factory() as session:
            query = select(Conversation.id).where(
                Conversation.channel == str(Channel.CHAT), Conversation.address == self.address
            )
            return list(session.scalars(query))

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


class SimulatedClock:
    """The simulator's clock: starts at a chosen instant (else now), runs with real time, and jumps
    forward on `/clock +2h`; the service and the background jobs all read it."""

    def __init__(self, start: datetime | None = None, real: Callable[[], datetime] | None = None) -> None:
        self.real = real or _utcnow
        self.offset = start - self.real() if start is not None else timedelta(0)

    def __call__(self) -> datetime:
        return self.real() + self.offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and return the new instant."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta
        return self()

    def latest(self) -> datetime:
        """The later of the simulated and the real time (when queued messages are due for delivery)."""
        return max(self(), self.real())


_OFFSET = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_offset(text: str) -> timedelta:
    """'+2h', '+30m', '+3d', '+1d2h30m' → a timedelta (only forward)."""
    body = text.strip().lower()
    if not body.startswith("+") or not _whole(body[1:]):
        raise ValueError(f"not a clock offset: {text!r} (use +30m, +2h, +3d)")
    delta = timedelta(0)
    for amount, unit in _OFFSET.findall(body[1:]):
        delta += timedelta(**{_UNITS[unit]: int(amount)})
    return delta


def _whole(body: str) -> bool:
    """Whether the text is only amount-unit pairs (e.g. '1d2h30m')."""
    compact = body.replace(" ", "")
    return bool(compact) and "".join(a + u for a, u in _OFFSET.findall(compact)) == compact


def _utcnow() -> datetime:
    return datetime.now(UTC)
