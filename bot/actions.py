"""The actions the step table names, as effects: the engine performs a transition's actions.

Each builder reads the state *after* the step's reader took the answer (a reader stores what an
action needs: the chosen ticket in `state.ticket`, the rating in `answers["rating"]`...), the
message that was read and the context. Effects that are not part of the step table (the global
commands 'agente', 'idioma xx' and leaving a hand-off) are emitted by `bot.commands`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.context import CompanyId, DialogContext
from bot.effects import (
    AddToTicket,
    CreateTicket,
    Effect,
    ForwardToAgent,
    IdentifyContact,
    SetLanguage,
    SurveyAnswered,
    ValidationAnswer,
)
from bot.flow import Action, Transition
from bot.messages import InboundMessage
from bot.state import DialogState
from bot.ticket import intake_data

Builder = Callable[[DialogState, InboundMessage, DialogContext], Effect]


def _identify_contact(state: DialogState, _msg: InboundMessage, ctx: DialogContext) -> Effect:
    answers = state.answers
    company_id = _company_id(answers.get("company_id"), ctx)
    return IdentifyContact(answers.get("name", ""), answers.get("company", ""), company_id,
                           answers.get("email", ""),
                           answers.get("verified") == "1" and company_id is not None)


def _company_id(stored: str | None, ctx: DialogContext) -> CompanyId | None:
    """The company id with its original type, found again among ctx.companies."""
    if stored is None:
        return None
    return next((c.id for c in ctx.companies if str(c.id) == stored), stored)


def _create_ticket(state: DialogState, _msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return CreateTicket(intake_data(state))


def _add_message(state: DialogState, msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return AddToTicket(state.ticket or "", msg.text.strip(), msg.media)


def _add_pending(state: DialogState, _msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return AddToTicket(state.ticket or "", state.answers.get("pending") or "", state.evidence)


def _add_description(state: DialogState, _msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return AddToTicket(state.answers["dup_number"], state.answers["description"], state.evidence)


def _accept_solution(state: DialogState, _msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return ValidationAnswer(state.ticket or "", True)


def _reject_solution(state: DialogState, _msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return ValidationAnswer(state.ticket or "", False)


def _rate(state: DialogState, _msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return SurveyAnswered(state.ticket or "", _rating(state))


def _rate_with_comment(state: DialogState, msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return SurveyAnswered(state.ticket or "", _rating(state), msg.text.strip())


def _rating(state: DialogState) -> int | None:
    rating = state.answers.get("rating")
    return int(rating) if rating else None


def _set_language(state: DialogState, _msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return SetLanguage(state.lang)


def _forward_to_agent(_state: DialogState, msg: InboundMessage, _ctx: DialogContext) -> Effect:
    return ForwardToAgent(msg.text.strip(), msg.media)


BUILDERS: Mapping[Action, Builder] = {
    Action.IDENTIFY_CONTACT: _identify_contact,
    Action.CREATE_TICKET: _create_ticket,
    Action.ADD_MESSAGE: _add_message,
    Action.ADD_PENDING: _add_pending,
    Action.ADD_DESCRIPTION: _add_description,
    Action.ACCEPT_SOLUTION: _accept_solution,
    Action.REJECT_SOLUTION: _reject_solution,
    Action.RATE: _rate,
    Action.RATE_WITH_COMMENT: _rate_with_comment,
    Action.SET_LANGUAGE: _set_language,
    Action.FORWARD_TO_AGENT: _forward_to_agent,
}


def effects_of(transition: Transition, state: DialogState, msg: InboundMessage,
               ctx: DialogContext) -> list[Effect]:
    """The effects of a transition's actions, in the table's order."""
    return [BUILDERS[action](state, msg, ctx) for action in transition.actions]
