"""Transcript helpers for dialog tests: a fake context and a chat that checks invariants each turn."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.context import CompanyRef, ContactView, DeadlineQuote, DialogContext, TicketView
from bot.effects import Effect
from bot.engine import Turn, advance
from bot.messages import Channel, InboundMedia, InboundMessage, MediaKind, Reply
from bot.state import DialogState
from sla.priority import Priority

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday

COMPANIES = (
    CompanyRef(1, "Comercial Andes SpA"),
    CompanyRef(2, "Constructora Pacífico Ltda"),
    CompanyRef(3, "Agrícola Los Robles S.A."),
)
ANA = ContactView("Ana Pérez", "Comercial Andes SpA", 1, "ana@andes.cl")

CAF_TICKET = TicketView(
    number="LA-000045",
    title="Error CAF al emitir boletas",
    status="in_progress",
    priority="P2",
    response_due="lunes 2 de marzo 09:45",
    resolution_due="lunes 2 de marzo 16:30",
    last_update="hoy 09:30: revisando folios",
    description="Al emitir boletas electrónicas aparece el error CAF vencido y no se envían al SII",
    created_at=NOW - timedelta(days=2),
)
WAITING_TICKET = TicketView(
    number="LA-000050",
    title="Reporte de inventario descuadrado",
    status="waiting_customer",
    priority="P3",
    response_due="cumplido",
    resolution_due="en pausa",
    last_update="ayer 16:00: pedimos el archivo de conteo",
    waiting_on_customer=True,
    description="El reporte de inventario valorizado no cuadra con contabilidad",
    created_at=NOW - timedelta(days=1),
)
CLOSED_TICKET = TicketView(
    number="LA-000012",
    title="Capacitación de compras",
    status="closed",
    priority="P5",
    open=False,
    description="Capacitación del módulo de compras para dos usuarios nuevos",
    created_at=NOW - timedelta(days=40),
)


def quote(priority: Priority, lang: str) -> DeadlineQuote:
    """A fake SLA quote whose sentences name the priority and language they were asked for."""
    return DeadlineQuote(f"[{lang}] respuesta {priority.value}", f"[{lang}] solución {priority.value}")


def make_ctx(contact: ContactView | None = ANA, tickets: Sequence[TicketView] = (),
             **overrides: Any) -> DialogContext:
    """The context the service would build for one message."""
    return DialogContext(quote=quote, contact=contact, companies=COMPANIES, tickets=tuple(tickets),
                         **overrides)


def media(name: str = "captura.png", kind: MediaKind = MediaKind.IMAGE) -> InboundMedia:
    """A file as a channel adapter would normalize it."""
    ctype = {"image": "image/png", "document": "application/pdf", "audio": "audio/ogg"}.get(
        kind.value, "application/octet-stream")
    return InboundMedia(ref=f"https://media.example/{name}", content_type=ctype, kind=kind,
                        filename=name)


def round_trip(state: DialogState) -> DialogState:
    """The state after a trip through JSON, as the service stores it."""
    return DialogState.from_dict(json.loads(json.dumps(state.to_dict())))


@dataclass
class Chat:
    """One customer's chat: send messages through `advance`, keep the state, check invariants."""

    ctx: DialogContext = field(default_factory=make_ctx)
    state: DialogState = field(default_factory=DialogState.initial)
    now: datetime = NOW
    channel: Channel = Channel.WHATSAPP
    language_code: str | None = None
    turns: list[Turn] = field(default_factory=list)
    counter: int = 0

    def send(self, text: str = "", *, payload: str | None = None,
             files: Sequence[InboundMedia] = (), after: timedelta = timedelta(seconds=30)) -> Turn:
        """Send one message `after` the previous one; returns the turn."""
        self.counter += 1
        self.now += after
        message = InboundMessage(
            channel=self.channel, sender_id="+56911112222",
            provider_message_id=f"SM{self.counter:04d}", received_at=self.now, text=text,
            button_payload=payload, media=tuple(files), language_code=self.language_code,
        )
        return self.accept(advance(self.state, message, self.now, self.ctx))

    def accept(self, turn: Turn) -> Turn:
        """Keep a turn (also one from begin_validation/begin_survey) after checking invariants."""
        check_turn(turn)
        self.state = round_trip(turn.state)
        assert self.state == turn.state
        self.turns.append(turn)
        return turn

    def press(self, option_title: str) -> Turn:
        """Press the button with this title on the last reply (like Telegram callback_data)."""
        options = [o for r in self.last.replies for o in r.options]
        chosen = next(o for o in options if o.title == option_title)
        return self.send(payload=chosen.id)

    @property
    def last(self) -> Turn:
        """The latest turn."""
        return self.turns[-1]

    @property
    def text(self) -> str:
        """All reply texts of the latest turn."""
        return "\n".join(r.text for r in self.last.replies)

    @property
    def effects(self) -> list[Effect]:
        """Effects of the latest turn."""
        return self.last.effects

    @property
    def all_effects(self) -> list[Effect]:
        """Effects of every turn so far."""
        return [e for t in self.turns for e in t.effects]

    def run(self, script: Sequence[tuple[str, Sequence[str]]]) -> None:
        """A transcript: each customer message and the fragments the bot's reply must contain."""
        for said, expected in script:
            self.send(said)
            for fragment in expected:
                assert fragment.lower() in self.text.lower(), (
                    f"after {said!r} expected {fragment!r} in:\n{self.text}")


def check_turn(turn: Turn) -> None:
    """Invariants every turn keeps: JSON state, buttons that fit WhatsApp and Telegram."""
    json.dumps(turn.state.to_dict())
    for reply in turn.replies:
        check_reply(reply)


def check_reply(reply: Reply) -> None:
    """A reply fits the channels: short button titles, callback ids ≤ 64 bytes, texts ≤ 4096."""
    assert reply.text.strip()
    assert len(reply.text) <= 4096
    for option in reply.options:
        assert 0 < len(option.title) <= 20, option
        assert len(option.id.encode()) <= 64, option
    if reply.options:
        assert reply.step, reply
