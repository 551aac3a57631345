"""A chat's pending question answered somewhere else (the tracking page): the chat stops waiting for it."""

from __future__ import annotations

from dataclasses import replace

from bot.flow import StepName
from bot.state import DialogState

VALIDATION_STEPS = frozenset({StepName.VALIDATION_ASK, StepName.VALIDATION_COMMENT})
SURVEY_STEPS = frozenset({StepName.SURVEY_RATING, StepName.SURVEY_COMMENT})


def settle_prompt(state: DialogState, ticket_number: str, steps: frozenset[StepName]) -> DialogState | None:
    """The chat's state once its question about this ticket (one of `steps`) was answered elsewhere: the
    dialog that question interrupted, silently resumed, else idle; None when the chat is not asking it."""
    if state.step not in steps or state.ticket != ticket_number:
        return None
    if state.suspended:
        previous = DialogState.from_dict(state.suspended)
        if previous.step is not None:
            return replace(previous, lang=state.lang, lang_chosen=state.lang_chosen)
    return state.cleared()
