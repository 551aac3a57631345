"""What every part of the dialog shares while one message is processed: the turn being built.

`Run` collects the replies and effects of one turn; a reader's `Result` is either an outcome
(looked up in the step's transitions) with the new state, or a `Retry` (ask again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.context import DialogContext
from bot.effects import Effect
from bot.messages import InboundMessage, Option, Reply
from bot.state import DialogState
from bot.texts import text


@dataclass(frozen=True, slots=True)
class Turn:
    """The result of one message or service prompt: new state, replies, effects (in order)."""

    state: DialogState
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Retry:
    """An answer the step could not use: re-ask (with `key`'s text, or the options list)."""

    key: str | None = None
    state: DialogState | None = None


Outcome = tuple[str, DialogState]
Result = Outcome | Retry


@dataclass
class Run:
    """Accumulates the replies and effects of one turn."""

    ctx: DialogContext
    now: datetime
    lang: str
    notes: list[str] = field(default_factory=list)
    absorbed: bool = False  # the message was kept as part of a burst, not read as an answer
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    def t(self, key: str, **variables: object) -> str:
        """A text in the turn's language."""
        return text(key, self.lang, **variables)

    def note(self, key: str, **variables: object) -> None:
        """Queue a sentence that will lead the next reply."""
        self.notes.append(self.t(key, **variables))

    def emit(self, effect: Effect) -> None:
        """Ask the service to do something."""
        self.effects.append(effect)

    def send(self, body: str = "", options: tuple[Option, ...] = (),
             step: str | None = None) -> None:
        """Emit one reply: the queued notes followed by `body`."""
        parts = [*self.notes, body] if body else list(self.notes)
        self.notes.clear()
        if parts:
            self.replies.append(Reply("\n\n".join(parts), options, step))

    def turn(self, state: DialogState) -> Turn:
        """Close the turn."""
        self.send()
        final = replace(state, lang=self.lang, last_activity=self.now)
        return Turn(final, self.replies, self.effects)


Reader = Callable[[DialogState, InboundMessage, Run], Result]
Router = Callable[[DialogState, InboundMessage, Run], Outcome]


def timed_out(state: DialogState, now: datetime, ctx: DialogContext) -> bool:
    """True when a dialog that times out has waited at least ctx.idle_timeout."""
    stamp = state.last_activity
    return state.expires and stamp is not None and now - stamp >= ctx.idle_timeout
