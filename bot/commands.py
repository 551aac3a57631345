"""The global commands (ayuda, cancelar, volver, reiniciar, agente, idioma, estado, nuevo).

A command decides; the engine moves: a handler returns the new state, a `Jump` (where the step
loop should take the dialog next), or None when the command does not apply and the step reads
the message instead. Commands are not in the step table, so they emit their effects themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum, auto

from bot.effects import HandOff, LeaveHandOff, SetLanguage
from bot.flow import Flow, StepName
from bot.messages import InboundMessage
from bot.parsing import Command, CommandMatch
from bot.readers import set_language
from bot.rendering import status_text
from bot.state import DialogState
from bot.turn import Run

_DETAIL_KEYS = ("name", "company", "email", "type", "context", "description", "module", "impact",
                "urgency")


class Move(Enum):
    """Where the step loop takes the dialog after a command."""

    REPROMPT = auto()  # ask the current question again
    BACK = auto()  # the previous step ('volver')
    FINISH = auto()  # end the dialog: resume an interrupted intake, else idle
    ENTER = auto()  # arrive at `Jump.step`


@dataclass(frozen=True, slots=True)
class Jump:
    """A command's request to the step loop."""

    state: DialogState
    move: Move
    step: StepName | None = None


Handled = DialogState | Jump | None


def run_command(state: DialogState, found: CommandMatch, msg: InboundMessage, run: Run) -> Handled:
    """Run a global command; None when it does not apply here (the step reads the message)."""
    return _COMMANDS[found.command](state, found, msg, run)


def in_handoff(state: DialogState, found: CommandMatch, msg: InboundMessage, run: Run) -> Handled:
    """A command while handed off to a human: only the ways back to the bot, language and status.

    'nuevo' leaves the hand-off straight into a new intake (out of hours a P1 can still be
    registered at once).
    """
    if found.command is Command.NEW:
        run.emit(LeaveHandOff())
        run.note("new_problem")
        return Jump(state.cleared(), Move.ENTER, StepName.START)
    if found.command in (Command.CANCEL, Command.RESTART, Command.BACK):
        run.emit(LeaveHandOff())
        run.note("handoff_left")
        return state.cleared()
    if found.command in (Command.HELP, Command.AGENT):
        handoff_note(run, "handoff_already")
        return state
    return run_command(state, found, msg, run) or state


def _help(state: DialogState, _found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    run.note("help")
    if state.step is None:
        run.note("help_idle")
    return Jump(state, Move.REPROMPT)


def _cancel(state: DialogState, _found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    if state.step is None:
        run.note("nothing_to_cancel")
        run.note("help_idle")
        return state
    if state.mode in (Flow.VALIDATION, Flow.SURVEY):
        run.note("prompt_dismissed")
        return Jump(state, Move.FINISH)
    if state.mode is Flow.LANGUAGE:
        return Jump(state, Move.BACK)
    run.note("cancelled")
    return state.cleared()


def _back(state: DialogState, _found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    if state.step is None:
        run.note("cannot_go_back")
        run.note("help_idle")
        return state
    return Jump(state, Move.BACK)


def _restart(state: DialogState, _found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    run.note("restarted")
    return Jump(state.cleared(), Move.ENTER, StepName.START)


def _agent(state: DialogState, _found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    details = tuple((k, v) for k, v in state.answers.items() if k in _DETAIL_KEYS)
    if state.evidence:
        details += (("files", str(len(state.evidence))),)
    run.emit(HandOff("customer_request", state.step, details))
    handoff_note(run, "handoff_started")
    return replace(state.cleared(), step=StepName.HANDOFF)


def handoff_note(run: Run, base: str) -> None:
    """Tell a customer waiting for a person what happens: in business hours an agent writes
    here within the usual wait; out of hours when the team is back (and that a P1 can go now)."""
    back = run.ctx.back_at(run.lang)
    if back is not None:
        run.note(f"{base}_closed", when=back)
        return
    minutes = max(1, int(run.ctx.handoff_wait.total_seconds() // 60))
    run.note(f"{base}_open", minutes=minutes)


def _language(state: DialogState, found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    if found.lang is None:
        history = state.history if state.step is None else (*state.history, state.step)
        return Jump(replace(state, history=history), Move.ENTER, StepName.CHOOSE_LANGUAGE)
    state = set_language(state, found.lang, run)
    run.emit(SetLanguage(found.lang))
    return Jump(state, Move.REPROMPT)


def _status(state: DialogState, found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    run.send(status_text(found.ticket, run))
    return Jump(state, Move.REPROMPT)


def _new(state: DialogState, _found: CommandMatch, _msg: InboundMessage, run: Run) -> Handled:
    if state.step is not None:
        return None
    run.note("new_problem")
    return Jump(state, Move.ENTER, StepName.START)


_Handler = Callable[[DialogState, CommandMatch, InboundMessage, Run], Handled]
_COMMANDS: Mapping[Command, _Handler] = {
    Command.HELP: _help,
    Command.CANCEL: _cancel,
    Command.BACK: _back,
    Command.RESTART: _restart,
    Command.AGENT: _agent,
    Command.LANGUAGE: _language,
    Command.STATUS: _status,
    Command.NEW: _new,
}
