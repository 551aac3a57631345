"""How each asking step reads the customer's answer: one reader per step.

A reader turns a message into an outcome of its step (looked up in `bot.flow`'s transitions)
and the new state, or a `Retry`. It stores in the state what the transition's actions need
(`bot.actions`) and queues the sentences that acknowledge the answer; it never emits effects:
the engine performs the actions the table names for the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot import flow
from bot.context import TicketView
from bot.flow import Answer, Step, StepName
from bot.messages import InboundMedia, InboundMessage, MediaKind
from bot.parsing import (
    DUPLICATE_THRESHOLD,
    ChoiceWords,
    best_company,
    count_stars,
    description_similarity,
    find_ticket_ref,
    is_greeting_only,
    is_small_talk,
    match_choice,
    normalize,
    parse_company,
    parse_email,
    parse_name,
    parse_ticket_ref,
    rating_attempt,
    standalone_rating,
    word_count,
)
from bot.rendering import listed_tickets
from bot.state import DialogState
from bot.ticket import first_words, is_detailed
from bot.turn import Reader, Result, Retry, Run

MAX_DESCRIPTION_RETRIES = 2  # after this many "more detail please", take what we have
COMMENT_WORDS = 4  # a "no" with at least this many words is its own comment
SHORT_ANSWER_WORDS = 4  # longer unrecognized answers to a survey/validation start a new topic


# --- reading options ----------------------------------------------------------------------------


def is_exact_answer(current: Step, msg: InboundMessage, run: Run) -> bool:
    """True when the message is this step's button or exactly one of its option words."""
    if msg.button_payload and msg.button_payload.startswith(current.name + ":"):
        return True
    norm = normalize(msg.text)
    return bool(norm) and any(
        norm == normalize(p) for c in choice_words(current, run) for p in c.phrases
    )


def choice_words(current: Step, run: Run) -> list[ChoiceWords]:
    """What selects each option of a step: listed tickets (by number or title), then choices."""
    listed = listed_tickets(run.ctx) if current.answer is Answer.TICKETS else []
    tickets = [ChoiceWords(t.number, (t.number, t.title)) for t in listed]
    return tickets + [flow.choice_words(c) for c in current.choices]


def _read_choice(current: Step, msg: InboundMessage, run: Run) -> str | None:
    """The option chosen by button payload, number, word or close misspelling."""
    words = choice_words(current, run)
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


def _simple_choice(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    """Generic option step: store the choice in the step's field; the outcome is its id."""
    current = flow.step(state.step or "")
    chosen = _read_choice(current, msg, run)
    if chosen is None:
        return Retry()
    if current.field:
        state = state.with_answers(**{current.field: chosen})
    return chosen, state


# --- identification -----------------------------------------------------------------------------


def _read_name(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    name = None if is_small_talk(msg.text) else parse_name(msg.text)
    if name is None:
        return Retry("invalid_name")
    run.note("thanks_name", name=name)
    return "ok", state.with_answers(name=name)


def _read_company(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    typed = None if is_small_talk(msg.text) else parse_company(msg.text)
    if typed is None:
        return Retry("invalid_company")
    companies = list(run.ctx.companies)
    index = best_company(typed, [c.name for c in companies], [c.tax_id for c in companies])
    if index is None:
        run.note("company_unmatched", company=typed)
        return "unmatched", state.with_answers(company=typed, company_id=None, verified="0")
    match = companies[index]
    return "matched", state.with_answers(company_typed=typed, company_candidate=match.name,
                                         company_candidate_id=str(match.id))


def _read_company_confirmation(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    result = _simple_choice(state, msg, run)
    if isinstance(result, Retry):
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


def _read_email(state: DialogState, msg: InboundMessage, _run: Run) -> Result:
    email = parse_email(msg.text)
    if email is None:
        return Retry("invalid_email")
    return "ok", state.with_answers(email=email)


# --- the intake ---------------------------------------------------------------------------------


def _read_type(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    result = _simple_choice(state, msg, run)
    ahead = is_detailed(msg.text) and not {"draft", "description"} & set(state.answers)
    if isinstance(result, Retry):
        if ahead:
            run.note("kept_for_description")  # typed ahead of its question: never lost
            return Retry(state=state.with_answers(draft=msg.text.strip()))
        return result
    outcome, state = result
    if ahead:  # "falla: el POS no imprime boletas" chose the type and said what happens
        state = state.with_answers(draft=msg.text.strip())
    if outcome == "request" and run.ctx.request_terms.may_cost:
        return "billable", state
    return outcome, state.with_answers(billable="0")


def _read_billable(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    chosen = _read_choice(flow.step(StepName.CONFIRM_BILLABLE), msg, run)
    if chosen is None:
        return Retry()
    if chosen == "cancel":
        run.note("cancelled")
        return chosen, state
    if chosen == "incident":
        return chosen, state.with_answers(type="incident", billable="0")
    return chosen, state.with_answers(billable="1")


def _read_description(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    typed = msg.text.strip()
    if msg.media and not typed:  # a voice note is the description (bot.engine._voice_description)
        state = replace(state, evidence=(*state.evidence, *msg.media))
        run.note("voice_description")
        typed = run.t("voice_description_text")
    elif is_greeting_only(typed):
        return Retry("step.ask_description")
    partial = state.answers.get("description_partial")
    combined = f"{partial}\n{typed}" if partial and typed else (typed or partial or "")
    voice = any(m.kind is MediaKind.AUDIO for m in msg.media) and not msg.text.strip()
    if not voice and not is_detailed(combined) and state.misses < MAX_DESCRIPTION_RETRIES:
        return Retry("description_too_short", state.with_answers(description_partial=combined))
    if not combined:
        return Retry("description_too_short")
    state = state.with_answers(description=combined, description_partial=None)
    duplicate = _find_duplicate(combined, state, run)
    if duplicate is None:
        return "ok", state
    return "duplicate", state.with_answers(dup_number=duplicate.number, dup_title=duplicate.title)


def _find_duplicate(description: str, state: DialogState, run: Run) -> TicketView | None:
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


def _read_duplicate(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    chosen = _read_choice(flow.step(StepName.CONFIRM_DUPLICATE), msg, run)
    if chosen is None:
        return Retry()
    number = state.answers["dup_number"]
    if chosen == "same":
        run.note("duplicate_added", ticket=number)
        return chosen, state
    return chosen, state.with_answers(possible_duplicate=number)


def _read_evidence(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    if msg.media:
        return "file", keep_files(state, msg.media, run)
    chosen = _read_choice(flow.step(StepName.ASK_EVIDENCE), msg, run)
    if chosen is not None:
        return chosen, state
    if word_count(msg.text) >= 3:
        description = f"{state.answers.get('description', '')}\n{msg.text.strip()}".strip()
        run.note("evidence_note")
        return "note", state.with_answers(description=description)
    return Retry()


def keep_files(state: DialogState, media: Sequence[InboundMedia], run: Run) -> DialogState:
    """Add files to the intake's evidence and acknowledge them."""
    evidence = (*state.evidence, *media)
    names = ", ".join(m.filename or run.t(f"file_kind.{m.kind.value}") for m in media)
    run.note("evidence_received", files=names, count=len(evidence))
    return replace(state, evidence=evidence)


def _read_summary(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    chosen = _read_choice(flow.step(StepName.CONFIRM_SUMMARY), msg, run)
    if chosen is None:
        return Retry()
    if chosen == "cancel":
        run.note("cancelled")
    elif chosen == "confirm" and (back := run.ctx.back_at(run.lang)) is not None:
        run.note("closed_registered", when=back)  # out of hours, said at registration too
    elif chosen == "edit" and (
        field_name := match_choice(msg.text, choice_words(flow.step(StepName.CHOOSE_EDIT), run))
    ):
        return chosen, state.with_answers(edit_field=field_name)  # "editar urgencia"
    return chosen, state


def _read_edit_choice(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    result = _simple_choice(state, msg, run)
    if isinstance(result, Retry):
        return result
    return result[0], replace(result[1], editing=True)


# --- existing tickets ---------------------------------------------------------------------------


def _read_ticket_choice(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    chosen = _read_choice(flow.step(StepName.CHOOSE_TICKET), msg, run)
    ref = parse_ticket_ref(msg.text) or find_ticket_ref(msg.text)
    if chosen is None and ref is not None:
        chosen = next((t.number for t in listed_tickets(run.ctx) if ref.matches(t.number)), None)
    if chosen is None:
        return Retry()
    pending = state.answers.get("pending")
    if chosen == "new":
        run.note("new_problem")
        return "new", state.with_answers(pending=None, **first_words(pending or ""))
    state = replace(state, ticket=chosen)
    if not pending and not state.evidence:
        return "ticket_empty", state.with_answers(pending=None)
    run.note("added_to_ticket", ticket=chosen)
    return "ticket", state  # the pending message goes to the ticket (Action.ADD_PENDING)


def _read_ticket_message(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    if not msg.text.strip() and not msg.media:
        return Retry("step.ticket_message")
    run.note("added_to_ticket", ticket=state.ticket or "")
    return "ok", state


# --- language, validation, survey ---------------------------------------------------------------


def _read_language(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    chosen = _read_choice(flow.step(StepName.CHOOSE_LANGUAGE), msg, run)
    if chosen is None:
        return Retry()
    return chosen, set_language(state, chosen, run)


def set_language(state: DialogState, lang: str, run: Run) -> DialogState:
    """Speak `lang` from now on (this turn's replies included) and say so."""
    run.lang = lang
    run.note("language_set")
    return replace(state, lang=lang, lang_chosen=True)


def _read_validation(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    chosen = _read_choice(flow.step(StepName.VALIDATION_ASK), msg, run)
    number = state.ticket or ""
    if chosen is None:
        starts_topic = bool(msg.media) or word_count(msg.text) >= SHORT_ANSWER_WORDS
        return ("ignored", state) if starts_topic else Retry()
    if chosen == "yes":
        run.note("validation_thanks", ticket=number)
        return "yes", state
    if word_count(msg.text) >= COMMENT_WORDS or msg.media:
        run.note("validation_reopened", ticket=number)
        return "no_with_comment", state
    return "no", state


def _read_validation_comment(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    number = state.ticket or ""
    if _exact_skip(flow.step(StepName.VALIDATION_COMMENT), msg):
        run.note("ticket_reopened", number=number)
        return "skip", state
    if not msg.text.strip() and not msg.media:
        return Retry("step.validation_comment")
    run.note("validation_comment_thanks", ticket=number)
    return "ok", state


def _read_rating(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    rating = _rating(msg, run)
    if rating is not None:
        return "rated", state.with_answers(rating=str(rating))
    if not msg.media and rating_attempt(msg.text):  # '10', 'un 7', '0': a rating out of range
        return Retry("survey_out_of_range")
    run.note("survey_left", ticket=state.ticket or "")  # never dropped silently
    return "ignored", state


def _rating(msg: InboundMessage, run: Run) -> int | None:
    """A 1-5 rating from a button, stars, a digit or words; None when it is something else."""
    current = flow.step(StepName.SURVEY_RATING)
    payload = msg.button_payload or ""
    if payload.startswith(current.name + ":"):
        chosen = payload.split(":", 1)[1]
        return int(chosen) if chosen.isdigit() and 1 <= int(chosen) <= 5 else None
    if msg.media or word_count(msg.text) > SHORT_ANSWER_WORDS:
        return None
    stars = count_stars(msg.text) or standalone_rating(msg.text)
    if stars is not None:
        return stars
    worded = match_choice(msg.text, choice_words(current, run))
    return int(worded) if worded else None


def _read_survey_comment(state: DialogState, msg: InboundMessage, run: Run) -> Result:
    run.note("survey_thanks")
    if _exact_skip(flow.step(StepName.SURVEY_COMMENT), msg) or not msg.text.strip():
        return "skip", state
    return "ok", state


READERS: Mapping[StepName, Reader] = {
    StepName.ASK_NAME: _read_name,
    StepName.ASK_COMPANY: _read_company,
    StepName.CONFIRM_COMPANY: _read_company_confirmation,
    StepName.ASK_EMAIL: _read_email,
    StepName.ASK_TYPE: _read_type,
    StepName.CONFIRM_BILLABLE: _read_billable,
    StepName.ASK_DESCRIPTION: _read_description,
    StepName.CONFIRM_DUPLICATE: _read_duplicate,
    StepName.ASK_MODULE: _simple_choice,
    StepName.ASK_EVIDENCE: _read_evidence,
    StepName.ASK_IMPACT: _simple_choice,
    StepName.ASK_URGENCY: _simple_choice,
    StepName.CONFIRM_SUMMARY: _read_summary,
    StepName.CHOOSE_EDIT: _read_edit_choice,
    StepName.CHOOSE_TICKET: _read_ticket_choice,
    StepName.TICKET_MESSAGE: _read_ticket_message,
    StepName.CHOOSE_LANGUAGE: _read_language,
    StepName.VALIDATION_ASK: _read_validation,
    StepName.VALIDATION_COMMENT: _read_validation_comment,
    StepName.SURVEY_RATING: _read_rating,
    StepName.SURVEY_COMMENT: _read_survey_comment,
}
