"""Per-intake bounds applied before the dialog sees a message: text length and number of files.

A customer cannot grow one intake without limit (a 600 KB description, 300 files): a longer text is
clipped and a file past the intake's maximum is not kept, each time with a polite note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.messages import InboundMessage, Reply
from bot.parsing import word_count
from bot.texts import text

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
