"""The route steps: decided from the context at once, without asking the customer anything.

Like a reader, a router returns an outcome of its step (see `bot.flow`) and the new state; the
engine performs the actions of the transition it picks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.flow import StepName
from bot.messages import InboundMessage
from bot.parsing import is_acknowledgement, is_caption, is_greeting_only
from bot.state import DialogState
from bot.ticket import first_words
from bot.turn import Outcome, Router, Run


def _route_idle(state: DialogState, msg: InboundMessage, run: Run) -> Outcome:
    """A message outside any dialog: a file for the ticket just discussed, a reply for a waiting
    ticket, which ticket, or new."""
    ctx = run.ctx
    has_content = bool(msg.media) or not is_greeting_only(msg.text)
    if not msg.media and is_acknowledgement(msg.text):  # 'gracias' / 'ok': not a new request
        run.note("you_are_welcome")
        return "thanks", state
    recent = ctx.ticket_just_discussed() if msg.media and is_caption(msg.text) else None
    if recent:
        run.note("added_to_ticket", ticket=recent)
        return "recent_file", replace(state, ticket=recent)
    waiting = ctx.waiting_tickets
    if len(waiting) == 1:
        number = waiting[0].number
        state = replace(state, ticket=number)
        if not has_content:
            run.note("waiting_on_you", ticket=number)
            return "waiting_empty", state
        run.note("added_to_waiting", ticket=number)
        return "waiting", state
    _greet(run)
    if ctx.open_tickets:
        pending = msg.text.strip() if has_content else None
        return "open_tickets", replace(state.with_answers(pending=pending), evidence=msg.media)
    return "new", replace(state.with_answers(**first_words(msg.text)), evidence=msg.media)


def _route_start(state: DialogState, _msg: InboundMessage, run: Run) -> Outcome:
    return ("known" if run.ctx.contact else "unknown"), state


def _greet(run: Run) -> None:
    contact = run.ctx.contact
    if contact is None:
        run.note("greeting_unknown")
    elif contact.company_name:
        run.note("greeting_known", name=contact.name, company=contact.company_name)
    else:
        run.note("greeting_known_nocompany", name=contact.name)


ROUTERS: Mapping[StepName, Router] = {
    StepName.IDLE: _route_idle,
    StepName.START: _route_start,
}
