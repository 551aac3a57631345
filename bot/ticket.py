"""The ticket an intake describes: its data and title from the answers, and when a text is enough."""

from __future__ import annotations

from bot.effects import IntakeData, TicketType
from bot.parsing import normalize, strip_greeting, without_greeting
from bot.state import DialogState
from sla.priority import Impact, Urgency, priority_for

IMPACTS = {"high": Impact.HIGH, "medium": Impact.MEDIUM, "low": Impact.LOW}
URGENCIES = {"high": Urgency.HIGH, "medium": Urgency.MEDIUM, "low": Urgency.LOW}
MIN_DESCRIPTION_WORDS = 4
MIN_DESCRIPTION_CHARS = 20


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


def is_detailed(value: str) -> bool:
    """True when a text says enough to be a problem's description."""
    content = strip_greeting(normalize(value))
    return len(content.split()) >= MIN_DESCRIPTION_WORDS and len(value) >= MIN_DESCRIPTION_CHARS


def draft(value: str) -> str | None:
    """A first message detailed enough to be the problem's description, else None."""
    body = value.strip()
    return body if is_detailed(body) else None
