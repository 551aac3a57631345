"""Per-intake bounds applied before the dialog sees a message: text length and number of files;
and the per-sender inbound limit (fairness: one noisy chat cannot make the bot answer every message).

A customer cannot grow one intake without limit (a 600 KB description, 300 files): a longer text is
clipped and a file past the intake's maximum is not kept, each time with a polite note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.messages import InboundMessage, Reply
from bot.parsing import word_count
from bot.texts import text
from intake.db.models import Message

MAX_TEXT_CHARS = 4000  # a description (one message, or notes added while sending evidence) keeps this much
MAX_FILES_PER_INTAKE = 20
_APPENDS_TO_DESCRIPTION = "ask_evidence"  # the step where typed notes are added to the description
_NOTE_MIN_WORDS = 3  # at that step, shorter answers ("listo", "omitir") are choices, never added


@dataclass(frozen=True, slots=True)
class Bounded:
    """The message as the dialog may see it, the notes for the customer, and whether anything is left."""

    inbound: InboundMessage
    notes: tuple[Reply, ...]

    @property
    def empty(self) -> bool:
        """True when nothing is left for the dialog (all of it was over the limits)."""
        m = self.inbound
        return not (m.text.strip() or m.media or m.location or m.button_payload or m.is_edit)


def bound_inbound(inbound: InboundMessage, state: Mapping[str, Any] | None, lang: str) -> Bounded:
    """Clip the text to what the intake may still keep and drop files over the intake's maximum."""
    state = state or {}
    notes: list[Reply] = []
    budget = MAX_TEXT_CHARS
    if state.get("step") == _APPENDS_TO_DESCRIPTION and word_count(inbound.text) >= _NOTE_MIN_WORDS:
        kept = str((state.get("answers") or {}).get("description") or "")
        budget = max(0, MAX_TEXT_CHARS - len(kept) - 1)  # the note goes on a new line
    if len(inbound.text) > budget:
        inbound = replace(inbound, text=inbound.text[:budget].rstrip())
        notes.append(Reply(text=text("text_clipped", lang, limit=f"{MAX_TEXT_CHARS:,}".replace(",", "."))))
    room = max(0, MAX_FILES_PER_INTAKE - len(state.get("evidence") or ()))
    if len(inbound.media) > room:
        skipped = len(inbound.media) - room
        inbound = replace(inbound, media=inbound.media[:room])
        notes.append(Reply(text=text("files_limit", lang, limit=MAX_FILES_PER_INTAKE, skipped=skipped)))
    return Bounded(inbound, tuple(notes))


# --- issue 16: fairness: a per-sender inbound limit ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SenderLimit:
    """At most `max_messages` messages of one sender (channel + address) per `window` get a dialog turn.

    Messages beyond it are still recorded (the transcript keeps them, nothing is lost); the first one
    over the limit gets one notice, the rest no reply at all, so one noisy chat cannot fill the outbox.
    """

    max_messages: int = 20
    window: timedelta = timedelta(seconds=30)


def recent_inbound_count(
    session: Session,
    conversation_id: int,
    received_at: datetime,
    previous_inbound_at: datetime | None,
    window: timedelta,
) -> int:
    """How many inbound messages of this conversation (the current, recorded one included) fall in
    the window ending at `received_at`; 1 without a query when the previous one is older than that.

    The count lives in the database (`messages`, read under the conversation's row lock), so every
    gunicorn worker process sees the same figure.
    """
    since = received_at - window
    if previous_inbound_at is None or previous_inbound_at < since:
        return 1
    query = select(func.count(Message.id)).where(
        Message.conversation_id == conversation_id,
        Message.direction == "in",
        Message.created_at >= since,
    )
    return int(session.scalar(query) or 0)


def flood_reply(count: int, limit: SenderLimit, lang: str) -> Reply | None:
    """The one notice for the first message over the limit; None for the later ones."""
    if count == limit.max_messages + 1:
        return Reply(text=text("inbound_flood", lang))
    return None
