"""The ticket an intake describes: its data and title from the answers, and when a text is enough."""

from __future__ import annotations

from bot.effects import IntakeData, TicketType
from bot.parsing import informative_words, is_greeting_only, normalize, strip_greeting, without_greeting
from bot.state import DialogState
from sla.priority import Impact, Urgency, priority_for

IMPACTS = {"high": Impact.HIGH, "medium": Impact.MEDIUM, "low": Impact.LOW}
URGENCIES = {"high": Urgency.HIGH, "medium": Urgency.MEDIUM, "low": Urgency.LOW}
MIN_DESCRIPTION_WORDS = 4
MIN_DESCRIPTION_CHARS = 20
MIN_INFORMATIVE_WORDS = 2  # "tengo un problema con Odoo" says nothing concrete


def intake_data(state: DialogState) -> IntakeData:
    """The ticket an intake state describes (all required fields must be answered)."""
    answers = state.answers
    impact, urgency = IMPACTS[answers["impact"]], URGENCIES[answers["urgency"]]
    module = answers.get("module")
    description = answers["description"]
    context = answers.get("context")
    return IntakeData(
        ticket_type=TicketType(answers["type"]),
        title=ticket_title(description),
        description=f"{context}\n{description}" if context else description,
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
    """A ticket title from a description: its most telling line/sentence, at most `limit` chars.

    Fragments typed before the real description ('ayuda porfa', '3', 'no funciona') and
    greetings never make the title: the first detailed line wins, else the most informative one.
    """
    lines = [without_greeting(line) or line.strip() for line in description.splitlines()]
    lines = [line for line in lines if line]
    detailed = [line for line in lines if is_detailed(line)]
    best = detailed[0] if detailed else max(
        lines, key=lambda line: (informative_words(line), len(line)), default="")
    sentence = best.split(". ")[0].strip()
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def is_detailed(value: str) -> bool:
    """True when a text says enough to be a problem's description."""
    content = strip_greeting(normalize(value))
    return (len(content.split()) >= MIN_DESCRIPTION_WORDS and len(value) >= MIN_DESCRIPTION_CHARS
            and informative_words(value) >= MIN_INFORMATIVE_WORDS)


def first_words(value: str) -> dict[str, str | None]:
    """What the message that opened an intake gives: the description when detailed enough,
    else context kept for the agents ('Buenos días, tengo un problema con Odoo'); a bare
    greeting gives nothing."""
    body = value.strip()
    if is_detailed(body):
        return {"draft": body}
    return {"context": body} if body and not is_greeting_only(body) else {}
