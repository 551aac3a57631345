"""The dialog engine: runs the step table of `bot.flow` for one inbound message. Pure.

`advance(state, inbound, now, ctx)` is the only entry point for customer messages; the
service-initiated prompts are `begin_validation`, `begin_survey`, `end_handoff`, and the sweeper
calls `expire_if_idle`. None of them reads the clock or does I/O: the returned `Turn` holds the
new state, the replies to send and the effects for the service to execute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot import flow
from bot.context import DialogContext, TicketView
from bot.effects import (
    AddToTicket,
    CreateTicket,
    Effect,
    ForwardToAgent,
    HandOff,
    IdentifyContact,
    IntakeData,
    LeaveHandOff,
    SetLanguage,
    SurveyAnswer,
    TicketType,
    ValidationAnswer,
)
from bot.flow import BACK, DONE, Answer, Flow, Step
from bot.messages import InboundMedia, InboundMessage, Option, Reply
from bot.parsing import (
    DUPLICATE_THRESHOLD,
    ChoiceWords,
    Command,
    CommandMatch,
    TicketRef,
    best_company,
    count_stars,
    description_similarity,
    detect_language,
    find_ticket_ref,
    is_greeting_only,
    match_choice,
    normalize,
    parse_command,
    parse_company,
    parse_email,
    parse_name,
    parse_ticket_ref,
    standalone_rating,
    strip_greeting,
    without_greeting,
    word_count,
)
from bot.state import DialogState
from bot.texts import TEXTS, supported_lang, text
from sla.priority import Impact, Urgency, priority_for

MIN_DESCRIPTION_WORDS = 4
MIN_DESCRIPTION_CHARS = 20
MAX_DESCRIPTION_RETRIES = 2  # after this many "more detail please", take what we have
MAX_LISTED_TICKETS = 5
MAX_HISTORY = 40
COMMENT_WORDS = 4  # a "no" with at least this many words is its own comment
SHORT_ANSWER_WORDS = 4  # longer unrecognized answers to a survey/validation start a new topic
IMPACTS = {"high": Impact.HIGH, "medium": Impact.MEDIUM, "low": Impact.LOW}
URGENCIES = {"high": Urgency.HIGH, "medium": Urgency.MEDIUM, "low": Urgency.LOW}
_INTAKE_FLOWS = frozenset({Flow.IDENTIFY, Flow.INTAKE})


@dataclass(frozen=True, slots=True)
class Turn:
    """The result of one message or service prompt: new state, replies, effects (in order)."""

    state: DialogState
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Retry:
    """An answer the step could not use: re-ask (with `key`'s text, or the options list)."""

    key: str | None = None
    state: DialogState | None = None


_Outcome = tuple[str, DialogState]
_Result = _Outcome | _Retry


@dataclass
class _Run:
    """Accumulates the replies and effects of one turn."""

    ctx: DialogContext
    now: datetime
    lang: str
    notes: list[str] = field(default_factory=list)
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


# --- public API -------------------------------------------------------------------------------


def advance(state: DialogState, inbound: InboundMessage, now: datetime,
            ctx: DialogContext) -> Turn:
    """Process one customer message: the new state, the replies and the effects."""
    _require_aware(now)
    if inbound.is_edit:
        return Turn(state)
    run = _Run(ctx, now, state.lang)
    if _timed_out(state, now, ctx):
        state = state.cleared()
        run.note("idle_expired")
    if state.step is None:
        state = _pick_language(state, inbound, ctx)
        run.lang = state.lang
    return run.turn(_handle(state, inbound, run))


def begin_validation(state: DialogState, ticket_number: str, solution_summary: str,
                     now: datetime, *, reminder: bool = False) -> Turn:
    """Ask "¿Se resolvió su problema?" (Sí/No) about a proposed solution; kind 'solution'."""
    _require_aware(now)
    prompt = replace(_suspend(state), step="validation_ask", ticket=ticket_number,
                     answers={"solution": solution_summary}, last_activity=now)
    key = "validation_reminder" if reminder else "solution_proposed"
    body = text(key, prompt.lang, ticket=ticket_number, summary=solution_summary)
    kind = "validation_reminder" if reminder else "solution"
    options = _options(flow.step("validation_ask"), prompt, None)
    return Turn(prompt, [Reply(body, options, "validation_ask", kind,
                               {"ticket": ticket_number, "summary": solution_summary})])


def begin_survey(state: DialogState, ticket_number: str, now: datetime, *,
                 reminder: bool = False) -> Turn:
    """Ask for a 1-5 rating of a closed ticket (then an optional comment); kind 'survey'."""
    _require_aware(now)
    prompt = replace(_suspend(state), step="survey_rating", ticket=ticket_number, answers={},
                     last_activity=now)
    key = "survey_reminder" if reminder else "survey_question"
    kind = "survey_reminder" if reminder else "survey"
    options = _options(flow.step("survey_rating"), prompt, None)
    body = text(key, prompt.lang, ticket=ticket_number)
    return Turn(prompt, [Reply(body, options, "survey_rating", kind, {"ticket": ticket_number})])


def expire_if_idle(state: DialogState, now: datetime, ctx: DialogContext) -> Turn | None:
    """If a half-done dialog waited longer than ctx.idle_timeout, close it with a friendly note."""
    _require_aware(now)
    if not _timed_out(state, now, ctx):
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


def intake_data(state: DialogState) -> IntakeData:
    """The ticket an intake state describes (all required fields must be answered)."""
    answers = state.answers
    impact, urgency = IMPACTS[answers["impact"]], URGENCIES[answers["urgency"]]
    module = answers.get("module")
    description = answers["description"]
    return IntakeData(
        ticket_type=TicketType(answers["type"]),
        title=ticket_title(description),
        description=description,
        module=None if module in (None, "unknown") else module,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        billable_confirmed=answers.get("billable") == "1",
        media=state.evidence,
        possible_duplicate_of=answers.get("possible_duplicate"),
        language=state.lang,
    )


def ticket_title(description: str, limit: int = 80) -> str:
    """A ticket title from a description: its first line/sentence, at most `limit` characters."""
    body = without_greeting(description) or description.strip()
    first = body.splitlines()[0] if body else ""
    sentence = first.split(". ")[0].strip()
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


# --- turn plumbing --------------------------------------------------------------------------


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def _timed_out(state: DialogState, now: datetime, ctx: DialogContext) -> bool:
    stamp = state.last_activity
    return state.expires and stamp is not None and now - stamp >= ctx.idle_timeout


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


def _handle(state: DialogState, msg: InboundMessage, run: _Run) -> DialogState:
    """Route one message through commands and the current step."""
    if state.step is None:
        found = parse_command(msg.text)
        handled = _command(state, found, msg, run) if found else None
        return handled or _route(state, "idle", msg, run)
    current = flow.step(state.step)
    if current.answer is Answer.RELAY:
        return _relay(state, msg, run)
    if not _is_exact_answer(current, msg, run):
        found = parse_command(msg.text)
        handled = _command(state, found, msg, run) if found else None
        if handled:
            return handled
    if msg.media and _collects_files(current):
        state = _keep_files(state, msg.media, run)
        if not msg.text.strip():
            return _prompt(state, current, run)
    return _answer(state, current, msg, run)


def _collects_files(current: Step) -> bool:
    """Steps where a file is extra evidence for the intake rather than the answer itself."""
    if current.name == "choose_ticket":
        return True
    return current.flow in _INTAKE_FLOWS and current.answer is not Answer.FILES


def _answer(state: DialogState, current: Step, msg: InboundMessage, run: _Run) -> DialogState:
    """Read the answer to the current step and move on (or re-ask)."""
    result = _READERS[current.name](state, msg, run)
    if isinstance(result, _Retry):
        fuzzy_cmd = parse_command(msg.text, fuzzy=True) if result.key is None else None
        handled = _command(state, fuzzy_cmd, msg, run) if fuzzy_cmd else None
        return handled or _reask(result.state or state, current, run, result.key)
    outcome, state = result
    if outcome == "ignored":
        return _handle(_finish(state, run, announce=False), msg, run)
    return _go(state, current, outcome, msg, run)


def _go(state: DialogState, current: Step, outcome: str, msg: InboundMessage,
        run: _Run) -> DialogState:
    """Follow the transition for `outcome` from `current`."""
    target = current.target(outcome)
    if target == DONE:
        return _finish(state, run, announce=True)
    if target == BACK:
        return _pop(state, run)
    if target == current.name:
        return _stay(replace(state, misses=0), current, run)
    if state.editing and target in flow.FIELD_STEPS and current.name != "choose_edit":
        target = "confirm_summary"
    if current.answer is not Answer.ROUTE:
        state = replace(state, history=(*state.history, current.name)[-MAX_HISTORY:])
    return _enter(state, target, msg, run)


def _enter(state: DialogState, name: str, msg: InboundMessage, run: _Run) -> DialogState:
    """Arrive at a step: decide routes at once, otherwise ask its question."""
    nxt = flow.step(name)
    if name == "confirm_summary" and (missing := _first_missing_field(state)):
        nxt = flow.step(missing)
    state = replace(state, step=nxt.name, misses=0,
                    editing=state.editing and nxt.name != "confirm_summary")
    if nxt.answer is Answer.ROUTE:
        return _route(state, nxt.name, msg, run)
    auto = _auto_answer(state, nxt, msg, run)
    if auto is not None:
        return _answer(_without_draft(state), nxt, auto, run)
    return _prompt(state, nxt, run)


def _route(state: DialogState, name: str, msg: InboundMessage, run: _Run) -> DialogState:
    outcome, state = _ROUTERS[name](state, msg, run)
    return _go(state, flow.step(name), outcome, msg, run)


def _finish(state: DialogState, run: _Run, *, announce: bool) -> DialogState:
    """A dialog ended: resume what a service prompt interrupted, else go idle."""
    if not state.suspended:
        return state.cleared()
    previous = DialogState.from_dict(state.suspended)
    stale = _timed_out(previous, run.now, run.ctx) or previous.step is None
    if stale:
        return state.cleared()
    restored = replace(previous, lang=run.lang, lang_chosen=state.lang_chosen)
    resumed = flow.step(restored.step) if restored.step else None
    if not announce or resumed is None or resumed.answer is Answer.RELAY:
        return restored
    run.note("resume_intake")
    return _prompt(restored, resumed, run)


def _stay(state: DialogState, current: Step, run: _Run) -> DialogState:
    """Remain at the step: send what was noted, with the step's options again."""
    run.send(options=_options(current, state, run.ctx), step=current.name)
    return state


def _prompt(state: DialogState, current: Step, run: _Run) -> DialogState:
    """Ask the step's question (after any queued notes); steps without one just flush notes."""
    if current.prompt is None:
        run.send()
        return state
    body, options = _render(current, state, run.lang, run.ctx)
    run.send(body, options, current.name)
    return state


def _reask(state: DialogState, current: Step, run: _Run, key: str | None) -> DialogState:
    """A short helpful re-ask; after two misses, also offer a human."""
    misses = state.misses + 1
    options = _options(current, state, run.ctx)
    if key is not None:
        body = run.t(key, **_variables(state))
    else:
        body = run.t("reask", options=_listing([o.title for o in options], run))
    if misses >= 2:
        body = f"{body}\n{run.t('reask_agent')}"
    run.send(body, options, current.name)
    return replace(state, misses=misses)


def _listing(titles: Sequence[str], run: _Run) -> str:
    """'A, B o C' in the turn's language."""
    if len(titles) < 2:
        return "".join(titles)
    return f"{', '.join(titles[:-1])} {run.t('or')} {titles[-1]}"


def _pop(state: DialogState, run: _Run) -> DialogState:
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


def _reprompt(state: DialogState, run: _Run) -> DialogState:
    """Ask the current question again (after a command such as 'ayuda' or 'estado')."""
    if state.step is None:
        run.send()
        return state
    return _prompt(state, flow.step(state.step), run)


# --- rendering --------------------------------------------------------------------------------


def _render(current: Step, state: DialogState, lang: str,
            ctx: DialogContext | None) -> tuple[str, tuple[Option, ...]]:
    """The question text and options of a step, in `lang`."""
    assert current.prompt is not None, f"step {current.name} asks nothing"
    variables = _variables(state)
    if current.name == "validation_ask":
        variables["summary"] = state.answers.get("solution", "")
    elif current.name == "confirm_summary" and ctx is not None:
        variables["summary"] = _summary(state, lang, ctx)
    elif current.name == "choose_ticket" and ctx is not None:
        lines = [text("ticket_line", lang, number=t.number, title=t.title)
                 for t in _listed_tickets(ctx)]
        variables["tickets"] = "\n".join(lines)
    return text(current.prompt, lang, **variables), _options(current, state, ctx, lang)


def _variables(state: DialogState) -> dict[str, object]:
    """What a step's texts may mention: the answers so far and the ticket in question."""
    return {**state.answers, "ticket": state.ticket or ""}


def _options(current: Step, state: DialogState, ctx: DialogContext | None,
             lang: str | None = None) -> tuple[Option, ...]:
    """The step's options as buttons: '<step>:<choice>' ids, titles in the language."""
    lang = lang or state.lang
    tickets = tuple(
        Option(flow.option_id(current.name, t.number), t.number[:20])
        for t in (_listed_tickets(ctx) if ctx and current.answer is Answer.TICKETS else ())
    )
    fixed = tuple(Option(flow.option_id(current.name, c.id), text(c.title, lang))
                  for c in current.choices)
    return tickets + fixed


def _summary(state: DialogState, lang: str, ctx: DialogContext) -> str:
    """The intake summary with derived priority and both deadlines explained."""
    data = intake_data(state)
    quote = ctx.quote(data.priority, lang)
    module = text(f"opt.module.{data.module}", lang) if data.module else text("summary.none", lang)
    description = data.description if len(data.description) <= 500 \
        else data.description[:499] + "…"
    lines = [
        text("summary.type", lang, value=text(f"label.{data.ticket_type.value}", lang)),
        text("summary.description", lang, value=description),
        text("summary.module", lang, value=module),
        text("summary.files", lang, value=len(data.media)),
        text("summary.impact", lang, value=text(f"label.impact.{state.answers['impact']}", lang)),
        text("summary.urgency", lang,
             value=text(f"label.urgency.{state.answers['urgency']}", lang)),
        text("summary.priority", lang, value=text(f"priority.{data.priority.value}", lang)),
        quote.response,
        quote.resolution,
    ]
    if data.billable_confirmed:
        lines.append(text("summary.billable", lang))
    return "\n".join(lines)


def _listed_tickets(ctx: DialogContext) -> list[TicketView]:
    """Open tickets offered in 'which ticket is this about': waiting-on-customer first."""
    ordered = sorted(ctx.open_tickets, key=lambda t: not t.waiting_on_customer)
    return ordered[:MAX_LISTED_TICKETS]


def _first_missing_field(state: DialogState) -> str | None:
    for key, step_name in (("type", "ask_type"), ("description", "ask_description"),
                           ("impact", "ask_impact"), ("urgency", "ask_urgency")):
        if key not in state.answers:
            return step_name
    return None


# --- commands ---------------------------------------------------------------------------------


def _command(state: DialogState, found: CommandMatch, msg: InboundMessage,
             run: _Run) -> DialogState | None:
    """Run a global command; None when it does not apply here (the step reads the message)."""
    handler = _COMMANDS[found.command]
    return handler(state, found, msg, run)


def _cmd_help(state: DialogState, _found: CommandMatch, _msg: InboundMessage,
              run: _Run) -> DialogState:
    run.note("help")
    if state.step is None:
        run.note("help_idle")
    return _reprompt(state, run)


def _cmd_cancel(state: DialogState, _found: CommandMatch, _msg: InboundMessage,
                run: _Run) -> DialogState:
    if state.step is None:
        run.note("nothing_to_cancel")
        run.note("help_idle")
        return state
    if state.mode in (Flow.VALIDATION, Flow.SURVEY):
        run.note("prompt_dismissed")
        return _finish(state, run, announce=True)
    if state.mode is Flow.LANGUAGE:
        return _pop(state, run)
    run.note("cancelled")
    return state.cleared()


def _cmd_back(state: DialogState, _found: CommandMatch, _msg: InboundMessage,
              run: _Run) -> DialogState:
    if state.step is None:
        run.note("cannot_go_back")
        run.note("help_idle")
        return state
    return _pop(state, run)


def _cmd_restart(state: DialogState, _found: CommandMatch, msg: InboundMessage,
                 run: _Run) -> DialogState:
    run.note("restarted")
    return _enter(state.cleared(), flow.START, msg, run)


def _cmd_agent(state: DialogState, _found: CommandMatch, _msg: InboundMessage,
               run: _Run) -> DialogState:
    details = tuple((k, v) for k, v in state.answers.items() if k in _DETAIL_KEYS)
    if state.evidence:
        details += (("files", str(len(state.evidence))),)
    run.emit(HandOff("customer_request", state.step, details))
    run.note("handoff")
    return replace(state.cleared(), step="handoff")


def _cmd_language(state: DialogState, found: CommandMatch, _msg: InboundMessage,
                  run: _Run) -> DialogState:
    if found.lang is None:
        history = state.history if state.step is None else (*state.history, state.step)
        return _enter(replace(state, history=history), "choose_language", _msg, run)
    state = _set_language(state, found.lang, run)
    return _reprompt(state, run)


def _cmd_status(state: DialogState, found: CommandMatch, _msg: InboundMessage,
                run: _Run) -> DialogState:
    run.send(_status_text(found.ticket, run))
    return _reprompt(state, run)


def _cmd_new(state: DialogState, _found: CommandMatch, msg: InboundMessage,
             run: _Run) -> DialogState | None:
    if state.step is not None:
        return None
    run.note("new_problem")
    return _enter(state, flow.START, msg, run)


_CommandFn = Callable[[DialogState, CommandMatch, InboundMessage, _Run], DialogState | None]
_COMMANDS: dict[Command, _CommandFn] = {
    Command.HELP: _cmd_help,
    Command.CANCEL: _cmd_cancel,
    Command.BACK: _cmd_back,
    Command.RESTART: _cmd_restart,
    Command.AGENT: _cmd_agent,
    Command.LANGUAGE: _cmd_language,
    Command.STATUS: _cmd_status,
    Command.NEW: _cmd_new,
}
_DETAIL_KEYS = ("name", "company", "email", "type", "description", "module", "impact", "urgency")


def _set_language(state: DialogState, lang: str, run: _Run) -> DialogState:
    run.lang = lang
    run.emit(SetLanguage(lang))
    run.note("language_set")
    return replace(state, lang=lang, lang_chosen=True)


def _status_text(ref: TicketRef | None, run: _Run) -> str:
    """The company's tickets, or one of them; never anything outside ctx.tickets."""
    tickets = list(run.ctx.tickets)
    if ref is not None:
        found = next((t for t in tickets if ref.matches(t.number)), None)
        if found is None:
            return run.t("status_not_found", ref=ref.display())
        return _status_item(found, run)
    if not tickets:
        return run.t("status_none")
    company = run.ctx.contact.company_name if run.ctx.contact else None
    header = run.t("status_header", company=company) if company \
        else run.t("status_header_generic")
    ordered = sorted(tickets, key=lambda t: not t.open)
    items = [_status_item(t, run) for t in ordered[:MAX_LISTED_TICKETS]]
    more = len(ordered) - MAX_LISTED_TICKETS
    tail = [run.t("status_more", count=more)] if more > 0 else []
    return "\n\n".join([header, *items, *tail])


def _status_item(ticket: TicketView, run: _Run) -> str:
    status_key = f"status.{ticket.status}"
    status = run.t(status_key) if status_key in TEXTS else ticket.status
    return run.t("status_item", number=ticket.number, title=ticket.title, status=status,
                 priority=ticket.priority, response_due=ticket.response_due or "—",
                 resolution_due=ticket.resolution_due or "—",
                 last_update=ticket.last_update or "—")


def _relay(state: DialogState, msg: InboundMessage, run: _Run) -> DialogState:
    """Handed off to a human: forward everything, except the ways back to the bot."""
    found = parse_command(msg.text)
    command = found.command if found else None
    if found is None or (command is Command.LANGUAGE and found.lang is None):
        run.emit(ForwardToAgent(msg.text.strip(), msg.media))
        return state
    if command in (Command.CANCEL, Command.RESTART, Command.BACK, Command.NEW):
        run.emit(LeaveHandOff())
        run.note("handoff_left")
        return state.cleared()
    if command in (Command.HELP, Command.AGENT):
        run.note("handoff_already")
        return state
    return _COMMANDS[found.command](state, found, msg, run) or state


# --- routes -----------------------------------------------------------------------------------


def _route_idle(state: DialogState, msg: InboundMessage, run: _Run) -> _Outcome:
    """A message outside any dialog: a reply for a waiting ticket, which ticket, or new."""
    ctx = run.ctx
    has_content = bool(msg.media) or not is_greeting_only(msg.text)
    waiting = ctx.waiting_tickets
    if len(waiting) == 1:
        number = waiting[0].number
        state = replace(state, ticket=number)
        if not has_content:
            run.note("waiting_on_you", ticket=number)
            return "waiting_empty", state
        run.emit(AddToTicket(number, msg.text.strip(), msg.media))
        run.note("added_to_waiting", ticket=number)
        return "waiting", state
    _greet(run)
    draft = _draft(msg.text)
    if ctx.open_tickets:
        pending = msg.text.strip() if has_content else None
        return "open_tickets", replace(state.with_answers(pending=pending), evidence=msg.media)
    return "new", replace(state.with_answers(draft=draft), evidence=msg.media)


def _route_start(state: DialogState, _msg: InboundMessage, run: _Run) -> _Outcome:
    return ("known" if run.ctx.contact else "unknown"), state


def _greet(run: _Run) -> None:
    contact = run.ctx.contact
    if contact is None:
        run.note("greeting_unknown")
    elif contact.company_name:
        run.note("greeting_known", name=contact.name, company=contact.company_name)
    else:
        run.note("greeting_known_nocompany", name=contact.name)


def _draft(value: str) -> str | None:
    """A first message detailed enough to be the problem's description, else None."""
    body = value.strip()
    return body if _is_detailed(body) else None


def _is_detailed(value: str) -> bool:
    content = strip_greeting(normalize(value))
    return len(content.split()) >= MIN_DESCRIPTION_WORDS and len(value) >= MIN_DESCRIPTION_CHARS


_ROUTERS: dict[str, Callable[[DialogState, InboundMessage, _Run], _Outcome]] = {
    "idle": _route_idle,
    "start": _route_start,
}


# --- readers: one per asking step ----------------------------------------------------------------


def _is_exact_answer(current: Step, msg: InboundMessage, run: _Run) -> bool:
    """True when the message is this step's button or exactly one of its option words."""
    if msg.button_payload and msg.button_payload.startswith(current.name + ":"):
        return True
    norm = normalize(msg.text)
    return bool(norm) and any(
        norm == normalize(p) for c in _choice_words(current, run.ctx) for p in c.phrases
    )


def _choice_words(current: Step, ctx: DialogContext) -> list[ChoiceWords]:
    listed = _listed_tickets(ctx) if current.answer is Answer.TICKETS else []
    tickets = [ChoiceWords(t.number, (t.number, t.title)) for t in listed]
    return tickets + [flow.choice_words(c) for c in current.choices]


def _read_choice(current: Step, msg: InboundMessage, run: _Run) -> str | None:
    """The option chosen by button payload, number, word or close misspelling."""
    words = _choice_words(current, run.ctx)
    payload = msg.button_payload or ""
    prefix = current.name + ":"
    if payload.startswith(prefix) and payload[len(prefix):] in {w.id for w in words}:
        return payload[len(prefix):]
    return match_choice(msg.text, words)


def _exact_skip(current: Step, msg: InboundMessage) -> bool:
    """A free-text step's 'skip' button or exactly a skip word (never inside a longer text)."""
    if msg.button_payload == flow.option_id(current.name, "skip"):
        return True
    norm = normalize(msg.text)
    skip = next((c for c in current.choices if c.id == "skip"), None)
    return skip is not None and bool(norm) and norm in {
        normalize(p) for p in flow.choice_words(skip).phrases
    }


def _simple_choice(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    """Generic option step: store the choice in the step's field; the outcome is its id."""
    current = flow.step(state.step or "")
    chosen = _read_choice(current, msg, run)
    if chosen is None:
        return _Retry()
    if current.field:
        state = state.with_answers(**{current.field: chosen})
    return chosen, state


def _read_name(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    name = parse_name(msg.text)
    if name is None:
        return _Retry("invalid_name")
    run.note("thanks_name", name=name)
    return "ok", state.with_answers(name=name)


def _read_company(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    typed = parse_company(msg.text)
    if typed is None:
        return _Retry("invalid_company")
    companies = list(run.ctx.companies)
    index = best_company(typed, [c.name for c in companies])
    if index is None:
        run.note("company_unmatched", company=typed)
        return "unmatched", state.with_answers(company=typed, company_id=None, verified="0")
    match = companies[index]
    return "matched", state.with_answers(company_typed=typed, company_candidate=match.name,
                                         company_candidate_id=str(match.id))


def _read_company_confirmation(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    result = _simple_choice(state, msg, run)
    if isinstance(result, _Retry):
        return result
    outcome, state = result
    answers = state.answers
    if outcome == "yes":
        return outcome, state.with_answers(company=answers["company_candidate"],
                                           company_id=answers["company_candidate_id"],
                                           verified="1")
    typed = answers.get("company_typed", answers.get("company_candidate", ""))
    run.note("company_unmatched", company=typed)
    return outcome, state.with_answers(company=typed, company_id=None, verified="0")


def _read_email(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    email = parse_email(msg.text)
    if email is None:
        return _Retry("invalid_email")
    state = state.with_answers(email=email)
    answers = state.answers
    company_id = _company_id(answers.get("company_id"), run.ctx)
    run.emit(IdentifyContact(answers.get("name", ""), answers.get("company", ""), company_id,
                             email, answers.get("verified") == "1" and company_id is not None))
    return "ok", state


def _company_id(stored: str | None, ctx: DialogContext) -> int | str | None:
    """The company id with its original type, found again among ctx.companies."""
    if stored is None:
        return None
    return next((c.id for c in ctx.companies if str(c.id) == stored), stored)


def _read_type(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    result = _simple_choice(state, msg, run)
    if isinstance(result, _Retry):
        return result
    outcome, state = result
    if outcome == "request" and not run.ctx.plan_includes_requests:
        return "billable", state
    return outcome, state.with_answers(billable="0")


def _read_billable(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    current = flow.step("confirm_billable")
    chosen = _read_choice(current, msg, run)
    if chosen is None:
        return _Retry()
    if chosen == "cancel":
        run.note("cancelled")
        return chosen, state
    if chosen == "incident":
        return chosen, state.with_answers(type="incident", billable="0")
    return chosen, state.with_answers(billable="1")


def _read_description(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    typed = msg.text.strip()
    partial = state.answers.get("description_partial")
    combined = f"{partial}\n{typed}" if partial and typed else (typed or partial or "")
    if not _is_detailed(combined) and state.misses < MAX_DESCRIPTION_RETRIES:
        return _Retry("description_too_short", state.with_answers(description_partial=combined))
    if not combined:
        return _Retry("description_too_short")
    state = state.with_answers(description=combined, description_partial=None)
    duplicate = _find_duplicate(combined, state, run)
    if duplicate is None:
        return "ok", state
    return "duplicate", state.with_answers(dup_number=duplicate.number, dup_title=duplicate.title)


def _find_duplicate(description: str, state: DialogState, run: _Run) -> TicketView | None:
    """The company's open ticket, recent enough, that this description most resembles."""
    dismissed = state.answers.get("possible_duplicate")
    scored = [
        (description_similarity(description, t.description or t.title), t)
        for t in run.ctx.open_tickets
        if t.number != dismissed
        and (t.created_at is None or run.now - t.created_at <= run.ctx.duplicate_window)
    ]
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best and best[0] >= DUPLICATE_THRESHOLD else None


def _read_duplicate(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    chosen = _read_choice(flow.step("confirm_duplicate"), msg, run)
    if chosen is None:
        return _Retry()
    number = state.answers["dup_number"]
    if chosen == "same":
        run.emit(AddToTicket(number, state.answers["description"], state.evidence))
        run.note("duplicate_added", ticket=number)
        return chosen, state
    return chosen, state.with_answers(possible_duplicate=number)


def _read_evidence(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    if msg.media:
        return "file", _keep_files(state, msg.media, run)
    chosen = _read_choice(flow.step("ask_evidence"), msg, run)
    if chosen is not None:
        return chosen, state
    if word_count(msg.text) >= 3:
        description = f"{state.answers.get('description', '')}\n{msg.text.strip()}".strip()
        run.note("evidence_note")
        return "note", state.with_answers(description=description)
    return _Retry()


def _keep_files(state: DialogState, media: Sequence[InboundMedia], run: _Run) -> DialogState:
    """Add files to the intake's evidence and acknowledge them."""
    evidence = (*state.evidence, *media)
    names = ", ".join(m.filename or run.t(f"file_kind.{m.kind.value}") for m in media)
    run.note("evidence_received", files=names, count=len(evidence))
    return replace(state, evidence=evidence)


def _read_summary(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    chosen = _read_choice(flow.step("confirm_summary"), msg, run)
    if chosen is None:
        return _Retry()
    if chosen == "confirm":
        run.emit(CreateTicket(intake_data(state)))
    elif chosen == "cancel":
        run.note("cancelled")
    elif field_name := match_choice(msg.text, _choice_words(flow.step("choose_edit"), run.ctx)):
        return chosen, state.with_answers(edit_field=field_name)  # "editar urgencia"
    return chosen, state


def _read_edit_choice(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    result = _simple_choice(state, msg, run)
    if isinstance(result, _Retry):
        return result
    return result[0], replace(result[1], editing=True)


def _read_ticket_choice(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    current = flow.step("choose_ticket")
    chosen = _read_choice(current, msg, run)
    ref = parse_ticket_ref(msg.text) or find_ticket_ref(msg.text)
    listed = _listed_tickets(run.ctx)
    if chosen is None and ref is not None:
        chosen = next((t.number for t in listed if ref.matches(t.number)), None)
    if chosen is None:
        return _Retry()
    pending = state.answers.get("pending")
    if chosen == "new":
        run.note("new_problem")
        return "new", state.with_answers(pending=None, draft=_draft(pending or ""))
    state = replace(state, ticket=chosen).with_answers(pending=None)
    if not pending and not state.evidence:
        return "ticket_empty", state
    run.emit(AddToTicket(chosen, pending or "", state.evidence))
    run.note("added_to_ticket", ticket=chosen)
    return "ticket", state


def _read_ticket_message(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    if not msg.text.strip() and not msg.media:
        return _Retry("step.ticket_message")
    number = state.ticket or ""
    run.emit(AddToTicket(number, msg.text.strip(), msg.media))
    run.note("added_to_ticket", ticket=number)
    return "ok", state


def _read_language(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    chosen = _read_choice(flow.step("choose_language"), msg, run)
    if chosen is None:
        return _Retry()
    return chosen, _set_language(state, chosen, run)


def _read_validation(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    chosen = _read_choice(flow.step("validation_ask"), msg, run)
    number = state.ticket or ""
    if chosen is None:
        starts_topic = bool(msg.media) or word_count(msg.text) >= SHORT_ANSWER_WORDS
        return ("ignored", state) if starts_topic else _Retry()
    run.emit(ValidationAnswer(number, chosen == "yes"))
    if chosen == "yes":
        run.note("validation_thanks", ticket=number)
        return "yes", state
    if word_count(msg.text) >= COMMENT_WORDS or msg.media:
        run.emit(AddToTicket(number, msg.text.strip(), msg.media))
        run.note("validation_reopened", ticket=number)
        return "no_with_comment", state
    return "no", state


def _read_validation_comment(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    number = state.ticket or ""
    if _exact_skip(flow.step("validation_comment"), msg):
        run.note("ticket_reopened", number=number)
        return "skip", state
    if not msg.text.strip() and not msg.media:
        return _Retry("step.validation_comment")
    run.emit(AddToTicket(number, msg.text.strip(), msg.media))
    run.note("validation_comment_thanks", ticket=number)
    return "ok", state


def _read_rating(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    rating = _rating(msg, run)
    if rating is None:
        return "ignored", state
    run.emit(SurveyAnswer(state.ticket or "", rating))
    return "rated", state.with_answers(rating=str(rating))


def _rating(msg: InboundMessage, run: _Run) -> int | None:
    """A 1-5 rating from a button, stars, a digit or words; None when it is something else."""
    current = flow.step("survey_rating")
    payload = msg.button_payload or ""
    if payload.startswith(current.name + ":"):
        chosen = payload.split(":", 1)[1]
        return int(chosen) if chosen.isdigit() and 1 <= int(chosen) <= 5 else None
    if msg.media or word_count(msg.text) > SHORT_ANSWER_WORDS:
        return None
    stars = count_stars(msg.text) or standalone_rating(msg.text)
    if stars is not None:
        return stars
    worded = match_choice(msg.text, _choice_words(current, run.ctx))
    return int(worded) if worded else None


def _read_survey_comment(state: DialogState, msg: InboundMessage, run: _Run) -> _Result:
    run.note("survey_thanks")
    if _exact_skip(flow.step("survey_comment"), msg) or not msg.text.strip():
        return "skip", state
    rating = state.answers.get("rating")
    run.emit(SurveyAnswer(state.ticket or "", int(rating) if rating else None, msg.text.strip()))
    return "ok", state


def _auto_answer(state: DialogState, nxt: Step, msg: InboundMessage,
                 run: _Run) -> InboundMessage | None:
    """An answer given ahead of its question: a detailed first message is the description;
    'editar urgencia' already chose what to edit."""
    draft, edit_field = state.answers.get("draft"), state.answers.get("edit_field")
    if nxt.name == "ask_description" and draft and not state.editing:
        run.note("description_from_message")
        return replace(msg, text=draft, button_payload=None, media=())
    if nxt.name == "choose_edit" and edit_field:
        payload = flow.option_id(nxt.name, edit_field)
        return replace(msg, text="", button_payload=payload, media=())
    return None


def _without_draft(state: DialogState) -> DialogState:
    """The state without answers that were only given ahead of their question."""
    return state.with_answers(draft=None, edit_field=None)


_Reader = Callable[[DialogState, InboundMessage, _Run], _Result]
_READERS: dict[str, _Reader] = {
    "ask_name": _read_name,
    "ask_company": _read_company,
    "confirm_company": _read_company_confirmation,
    "ask_email": _read_email,
    "ask_type": _read_type,
    "confirm_billable": _read_billable,
    "ask_description": _read_description,
    "confirm_duplicate": _read_duplicate,
    "ask_module": _simple_choice,
    "ask_evidence": _read_evidence,
    "ask_impact": _simple_choice,
    "ask_urgency": _simple_choice,
    "confirm_summary": _read_summary,
    "choose_edit": _read_edit_choice,
    "choose_ticket": _read_ticket_choice,
    "ticket_message": _read_ticket_message,
    "choose_language": _read_language,
    "validation_ask": _read_validation,
    "validation_comment": _read_validation_comment,
    "survey_rating": _read_rating,
    "survey_comment": _read_survey_comment,
}
