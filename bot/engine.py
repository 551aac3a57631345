"""The dialog engine: runs the step table of `bot.flow` for one inbound message. Pure.

`advance(state, inbound, now, ctx)` is the only entry point for customer messages; the
service-initiated prompts are `begin_validation`, `begin_survey`, `end_handoff`, and the sweeper
calls `expire_if_idle`. None of them reads the clock or does I/O: the returned `Turn` holds the
new state, the replies to send and the effects for the service to execute.

The step loop lives here: a message goes to a global command (`bot.commands`) or to the
current step's reader (`bot.readers`; route steps have a router in `bot.routes`). The outcome
picks a transition of the table, whose actions the engine performs (`bot.actions`) before it
enters the next step and asks its question (`bot.rendering`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot import commands, flow
from bot.actions import effects_of
from bot.commands import Handled, Jump, Move
from bot.context import DialogContext
from bot.flow import BACK, DONE, Answer, Flow, Step, StepName
from bot.messages import InboundMessage, MediaKind, Reply
from bot.parsing import Command, CommandMatch, detect_language, is_greeting_only, parse_command
from bot.readers import READERS, is_exact_answer, keep_files
from bot.rendering import flow_key, listing, options, render, variables_of
from bot.routes import ROUTERS
from bot.state import DialogState
from bot.texts import supported_lang, text
from bot.ticket import intake_data, is_detailed, ticket_title
from bot.turn import Retry, Run, Turn, timed_out

__all__ = [
    "Turn",
    "advance",
    "begin_survey",
    "begin_validation",
    "end_handoff",
    "expire_if_idle",
    "intake_data",
    "ticket_title",
]

MAX_HISTORY = 40
# Messages received this close to the previous one were typed before the customer could read
# the question our reply to it asked: they are part of one burst (see docs/dialog.md).
BURST_WINDOW = timedelta(seconds=3)
_BURST_FLOWS = frozenset({Flow.IDENTIFY, Flow.INTAKE})
_INTAKE_FLOWS = frozenset({Flow.IDENTIFY, Flow.INTAKE})
# The fields the summary needs, in the order they are asked again when one is missing.
_REQUIRED = (("type", StepName.ASK_TYPE), ("description", StepName.ASK_DESCRIPTION),
             ("impact", StepName.ASK_IMPACT), ("urgency", StepName.ASK_URGENCY))


# --- public API -------------------------------------------------------------------------------


def advance(state: DialogState, inbound: InboundMessage, now: datetime,
            ctx: DialogContext) -> Turn:
    """Process one customer message: the new state, the replies and the effects."""
    _require_aware(now)
    if inbound.is_edit:
        return Turn(state)
    run = Run(ctx, now, state.lang)
    if timed_out(state, now, ctx):
        state = state.cleared()
        run.note("idle_expired")
    if state.step is None:
        state = _pick_language(state, inbound, ctx)
        run.lang = state.lang
    after = _handle(state, inbound, run)
    return run.turn(_stamp(after, state.step, inbound, run))


def begin_validation(state: DialogState, ticket_number: str, solution_summary: str,
                     now: datetime, *, reminder: bool = False,
                     closes_at: str | None = None) -> Turn:
    """Ask "¿Se resolvió su problema?" (Sí/No) about a proposed solution; kind 'solution'.

    A reminder names `closes_at`, when the ticket closes automatically (in the chat's language).
    """
    _require_aware(now)
    prompt = replace(_suspend(state), step=StepName.VALIDATION_ASK, ticket=ticket_number,
                     answers={"solution": solution_summary}, last_activity=now)
    key = "validation_reminder" if reminder else "solution_proposed"
    extra = {}
    if reminder and closes_at is not None:
        key, extra = "validation_reminder_until", {"closes_at": closes_at}
    body = text(key, prompt.lang, ticket=ticket_number, summary=solution_summary, **extra)
    kind = "validation_reminder" if reminder else "solution"
    buttons = options(flow.step(StepName.VALIDATION_ASK), prompt, None)
    return Turn(prompt, [Reply(body, buttons, StepName.VALIDATION_ASK, kind,
                               {"ticket": ticket_number, "summary": solution_summary})])


def begin_survey(state: DialogState, ticket_number: str, now: datetime, *,
                 reminder: bool = False) -> Turn:
    """Ask for a 1-5 rating of a closed ticket (then an optional comment); kind 'survey'."""
    _require_aware(now)
    prompt = replace(_suspend(state), step=StepName.SURVEY_RATING, ticket=ticket_number,
                     answers={}, last_activity=now)
    key = "survey_reminder" if reminder else "survey_question"
    kind = "survey_reminder" if reminder else "survey"
    buttons = options(flow.step(StepName.SURVEY_RATING), prompt, None)
    body = text(key, prompt.lang, ticket=ticket_number)
    return Turn(prompt, [Reply(body, buttons, StepName.SURVEY_RATING, kind,
                               {"ticket": ticket_number})])


def expire_if_idle(state: DialogState, now: datetime, ctx: DialogContext) -> Turn | None:
    """If a half-done dialog waited longer than ctx.idle_timeout, close it with a friendly note."""
    _require_aware(now)
    if not timed_out(state, now, ctx):
        return None
    message = Reply(text("idle_expired", state.lang), kind="idle_expired")
    return Turn(replace(state.cleared(), last_activity=now), [message])


def end_handoff(state: DialogState, now: datetime) -> Turn:
    """Agents finished the hand-off: the bot takes the conversation back."""
    _require_aware(now)
    if state.mode is not Flow.HANDOFF:
        return Turn(state)
    back = replace(state.cleared(), last_activity=now)
    return Turn(back, [Reply(text("handoff_ended", state.lang), kind="handoff_ended")])


# --- turn plumbing --------------------------------------------------------------------------


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def _pick_language(state: DialogState, msg: InboundMessage, ctx: DialogContext) -> DialogState:
    """At the start of a conversation: chosen > contact's > Telegram's > guessed > current."""
    if state.lang_chosen:
        return state
    contact_lang = supported_lang(ctx.contact.language) if ctx.contact else None
    lang = (contact_lang or supported_lang(msg.language_code) or detect_language(msg.text)
            or state.lang)
    return replace(state, lang=lang)


def _suspend(state: DialogState) -> DialogState:
    """The state a service prompt starts from, keeping an interrupted dialog to resume later."""
    if state.mode in (Flow.VALIDATION, Flow.SURVEY):
        return replace(state.cleared(), suspended=state.suspended)
    snapshot = state.to_dict() if state.step is not None else None
    return replace(state.cleared(), suspended=snapshot)


def _stamp(state: DialogState, before: StepName | None, msg: InboundMessage,
           run: Run) -> DialogState:
    """Remember when this message came and whether our reply asked a question it did not see."""
    if run.absorbed:
        return replace(state, received_at=msg.received_at)
    fresh = state.step is not None and state.step != before
    return replace(state, received_at=msg.received_at, fresh_prompt=fresh, burst_kept=0)


def _in_burst(state: DialogState, current: Step, msg: InboundMessage) -> bool:
    """True when a text arrived within BURST_WINDOW of the message our fresh question replied to.

    Equal stamps carry no timing (a fixed test or simulator clock): only a positive gap counts.
    A button of the current question, files and commands are never held back, nor a detailed
    text at the description question (it is a description whatever the customer had read).
    """
    if not state.fresh_prompt or state.received_at is None:
        return False
    if current.flow not in _BURST_FLOWS and current.name != StepName.CHOOSE_TICKET:
        return False
    if msg.media or not msg.text.strip() or msg.button_payload:
        return False
    if current.name == StepName.ASK_DESCRIPTION and is_detailed(msg.text):
        return False
    gap = msg.received_at - state.received_at
    return timedelta(0) < gap <= BURST_WINDOW


def _absorb(state: DialogState, current: Step, msg: InboundMessage, run: Run) -> DialogState:
    """A message of a burst: join it to the free-text answer it continues, keep a detailed text
    for the description question, or keep it as context; show the question again once (a bare
    greeting needs nothing: the question was just asked)."""
    run.absorbed = True
    typed = msg.text.strip()
    if is_greeting_only(typed):
        return state
    answers = state.answers
    previous = state.history[-1] if state.history else None
    if current.name == StepName.CHOOSE_TICKET:  # goes with the first message, wherever it goes
        pending = answers.get("pending")
        state = state.with_answers(pending=f"{pending}\n{typed}" if pending else typed)
        key = "burst_kept"
    elif previous == StepName.ASK_DESCRIPTION and "description" in answers:
        state = state.with_answers(description=f"{answers['description']}\n{typed}")
        key = "burst_joined"
    elif is_detailed(typed) and not {"draft", "description"} & set(answers):
        state = state.with_answers(draft=typed)  # the description, once it is asked
        key = "burst_kept"
    else:
        context = answers.get("context")
        state = state.with_answers(context=f"{context}\n{typed}" if context else typed)
        key = "burst_kept"
    state = replace(state, burst_kept=state.burst_kept + 1)
    if state.burst_kept > 1:
        return state
    run.note(key)
    return _prompt(state, current, run)


# --- the step loop --------------------------------------------------------------------------


def _handle(state: DialogState, msg: InboundMessage, run: Run) -> DialogState:
    """Route one message through commands and the current step."""
    if state.step is None:
        handled = _command(state, parse_command(msg.text), msg, run)
        return handled or _route(state, StepName.IDLE, msg, run)
    current = flow.step(state.step)
    if current.answer is Answer.RELAY:
        return _relay(state, current, msg, run)
    if not is_exact_answer(current, msg, run):
        handled = _command(state, parse_command(msg.text), msg, run)
        if handled:
            return handled
    if _in_burst(state, current, msg):
        return _absorb(state, current, msg, run)
    if msg.media and _collects_files(current) and not _voice_description(current, msg):
        state = keep_files(state, msg.media, run)
        if not msg.text.strip():
            return _prompt(state, current, run)
    return _answer(state, current, msg, run)


def _voice_description(current: Step, msg: InboundMessage) -> bool:
    """A voice note without text at the description step: it is the description itself."""
    return current.name == StepName.ASK_DESCRIPTION and not msg.text.strip() and any(
        m.kind is MediaKind.AUDIO for m in msg.media)


def _collects_files(current: Step) -> bool:
    """Steps where a file is extra evidence for the intake rather than the answer itself."""
    if current.name == StepName.CHOOSE_TICKET:
        return True
    return current.flow in _INTAKE_FLOWS and current.answer is not Answer.FILES


def _answer(state: DialogState, current: Step, msg: InboundMessage, run: Run) -> DialogState:
    """Read the answer to the current step and move on (or re-ask)."""
    result = READERS[current.name](state, msg, run)
    if isinstance(result, Retry):
        fuzzy = parse_command(msg.text, fuzzy=True) if result.key is None else None
        handled = _command(state, fuzzy, msg, run)
        if handled:
            return handled
        kept = _keep_details(result.state or state, current, msg, run)
        if kept is not None:
            return _prompt(kept, current, run)
        return _reask(result.state or state, current, run, result.key)
    outcome, state = result
    if outcome == "ignored":
        return _handle(_finish(state, run, announce=False), msg, run)
    return _go(state, current, outcome, msg, run)


def _keep_details(state: DialogState, current: Step, msg: InboundMessage,
                  run: Run) -> DialogState | None:
    """A detailed text that answers no option of an intake question is never lost: it is added
    to the description (then the question is asked again); None for anything else."""
    description = state.answers.get("description")
    if (current.flow is not Flow.INTAKE or current.answer is not Answer.CHOICE
            or description is None or not is_detailed(msg.text)):
        return None
    run.note("burst_joined")
    return state.with_answers(description=f"{description}\n{msg.text.strip()}")


def _go(state: DialogState, current: Step, outcome: str, msg: InboundMessage,
        run: Run) -> DialogState:
    """Follow the transition for `outcome` from `current`: perform its actions, then move."""
    transition = current.transition(outcome)
    for effect in effects_of(transition, state, msg, run.ctx):
        run.emit(effect)
    target = transition.to
    if target is DONE:
        return _finish(state, run, announce=True)
    if target is BACK:
        return _pop(state, run)
    if target == current.name:
        return _stay(replace(state, misses=0), current, run)
    if state.editing and target in flow.FIELD_STEPS and current.name != StepName.CHOOSE_EDIT:
        target = StepName.CONFIRM_SUMMARY
    if current.answer is not Answer.ROUTE:
        state = replace(state, history=(*state.history, current.name)[-MAX_HISTORY:])
    return _enter(state, target, msg, run)


def _enter(state: DialogState, name: StepName, msg: InboundMessage, run: Run) -> DialogState:
    """Arrive at a step: decide routes at once, otherwise ask its question."""
    nxt = flow.step(name)
    if name == StepName.CONFIRM_SUMMARY and (missing := _first_missing_field(state)):
        nxt = flow.step(missing)
    state = replace(state, step=nxt.name, misses=0,
                    editing=state.editing and nxt.name != StepName.CONFIRM_SUMMARY)
    if nxt.answer is Answer.ROUTE:
        return _route(state, nxt.name, msg, run)
    auto = _auto_answer(state, nxt, msg, run)
    if auto is not None:
        return _answer(_without_draft(state), nxt, auto, run)
    return _prompt(state, nxt, run)


def _route(state: DialogState, name: StepName, msg: InboundMessage, run: Run) -> DialogState:
    outcome, state = ROUTERS[name](state, msg, run)
    return _go(state, flow.step(name), outcome, msg, run)


def _relay(state: DialogState, current: Step, msg: InboundMessage, run: Run) -> DialogState:
    """Handed off to a human: forward everything, except the ways back to the bot."""
    found = parse_command(msg.text)
    if found is None or (found.command is Command.LANGUAGE and found.lang is None):
        commands.handoff_note(run, "handoff_waiting")  # never silence while waiting for a person
        return _go(state, current, "message", msg, run)
    return _carry_out(commands.in_handoff(state, found, msg, run), msg, run) or state


def _command(state: DialogState, found: CommandMatch | None, msg: InboundMessage,
             run: Run) -> DialogState | None:
    """Run a global command; None when there is none or it does not apply at this step."""
    if found is None:
        return None
    return _carry_out(commands.run_command(state, found, msg, run), msg, run)


def _carry_out(handled: Handled, msg: InboundMessage, run: Run) -> DialogState | None:
    """Do what a command decided: keep its state, or move the dialog as its `Jump` says."""
    if not isinstance(handled, Jump):
        return handled
    if handled.move is Move.REPROMPT:
        return _reprompt(handled.state, run)
    if handled.move is Move.BACK:
        return _pop(handled.state, run)
    if handled.move is Move.FINISH:
        return _finish(handled.state, run, announce=True)
    assert handled.step is not None, "a jump to enter a step names the step"
    return _enter(handled.state, handled.step, msg, run)


def _finish(state: DialogState, run: Run, *, announce: bool) -> DialogState:
    """A dialog ended: resume what a service prompt interrupted, else go idle."""
    if not state.suspended:
        return state.cleared()
    previous = DialogState.from_dict(state.suspended)
    stale = timed_out(previous, run.now, run.ctx) or previous.step is None
    if stale:
        return state.cleared()
    restored = replace(previous, lang=run.lang, lang_chosen=state.lang_chosen)
    resumed = flow.step(restored.step) if restored.step else None
    if not announce or resumed is None or resumed.answer is Answer.RELAY:
        return restored
    run.note("resume_intake")
    return _prompt(restored, resumed, run)


def _stay(state: DialogState, current: Step, run: Run) -> DialogState:
    """Remain at the step: send what was noted, with the step's options again."""
    run.send(options=options(current, state, run.ctx), step=current.name)
    return state


def _prompt(state: DialogState, current: Step, run: Run) -> DialogState:
    """Ask the step's question (after any queued notes); steps without one just flush notes."""
    if current.prompt is None:
        run.send()
        return state
    body, buttons = render(current, state, run.lang, run.ctx)
    run.send(body, buttons, current.name)
    return state


def _reask(state: DialogState, current: Step, run: Run, key: str | None) -> DialogState:
    """A short helpful re-ask; after two misses, also offer a human."""
    misses = state.misses + 1
    buttons = options(current, state, run.ctx)
    if key is not None:
        body = run.t(flow_key(key, state), **variables_of(state))
    else:
        body = run.t("reask", options=listing([o.title for o in buttons], run))
    if misses >= 2:
        body = f"{body}\n{run.t('reask_agent')}"
    run.send(body, buttons, current.name)
    return replace(state, misses=misses)


def _pop(state: DialogState, run: Run) -> DialogState:
    """Go back one step ('volver'); at the first step say so."""
    if not state.history:
        if state.mode is Flow.LANGUAGE:  # the language menu was opened outside a dialog
            if not run.notes:
                run.note("help_idle")
            return state.cleared()
        run.note("cannot_go_back")
        return _reprompt(state, run)
    previous, history = state.history[-1], state.history[:-1]
    back = replace(state, history=history, step=previous, misses=0)
    return _prompt(back, flow.step(previous), run)


def _reprompt(state: DialogState, run: Run) -> DialogState:
    """Ask the current question again (after a command such as 'ayuda' or 'estado')."""
    if state.step is None:
        run.send()
        return state
    return _prompt(state, flow.step(state.step), run)


def _first_missing_field(state: DialogState) -> StepName | None:
    """The step of the first field the summary needs that is not answered yet."""
    return next((name for key, name in _REQUIRED if key not in state.answers), None)


def _auto_answer(state: DialogState, nxt: Step, msg: InboundMessage,
                 run: Run) -> InboundMessage | None:
    """An answer given ahead of its question: a detailed first message is the description;
    'editar urgencia' already chose what to edit."""
    draft, edit_field = state.answers.get("draft"), state.answers.get("edit_field")
    if nxt.name == StepName.ASK_DESCRIPTION and draft and not state.editing:
        run.note("description_from_message")
        return replace(msg, text=draft, button_payload=None, media=())
    if nxt.name == StepName.CHOOSE_EDIT and edit_field:
        payload = flow.option_id(nxt.name, edit_field)
        return replace(msg, text="", button_payload=payload, media=())
    return None


def _without_draft(state: DialogState) -> DialogState:
    """The state without answers that were only given ahead of their question."""
    return state.with_answers(draft=None, edit_field=None)
