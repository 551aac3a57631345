"""Answers to the solution and the survey given by replying to an e-mail (pure: the reply's own text in).

An e-mail reply is longer than a chat answer: a greeting, the answer, maybe a comment, a signature. The
answer is read from the first words of the first line ("Sí, funciona", "No, sigue igual", "5", "4/5",
"Excelente, gracias") with the chats' own option words (bot/flow.py) and rating parsers (bot/parsing.py);
everything after it is the comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import flow
from bot.flow import StepName
from bot.parsing import count_stars, is_greeting_only, match_choice, normalize, standalone_rating

_CLAUSE = re.compile(r"[,.;:!¡?¿\-–—]\s")
MAX_ANSWER_WORDS = 4


@dataclass(frozen=True, slots=True)
class MailAnswer:
    """A validation (`accepted`) or survey (`rating`) answer, with the rest of the reply as comment."""

    accepted: bool | None = None
    rating: int | None = None
    comment: str | None = None


def validation_answer(reply: str) -> MailAnswer | None:
    """'Sí' / 'yes' / 'sim' accept the solution, 'no …' rejects it; None when the reply is not an answer."""
    head, comment = _head(reply)
    if head is None:
        return None
    words = [flow.choice_words(c) for c in flow.step(StepName.VALIDATION_ASK).choices]
    chosen = match_choice(head, words)
    if chosen not in ("yes", "no"):
        return None
    return MailAnswer(accepted=chosen == "yes", comment=comment)


def survey_answer(reply: str) -> MailAnswer | None:
    """A 1-5 rating ('5', '4/5', '⭐⭐⭐⭐', 'excelente') and the comment after it; None otherwise."""
    head, comment = _head(reply)
    if head is None:
        return None
    rating = count_stars(head) or standalone_rating(head)
    if rating is None:
        words = [flow.choice_words(c) for c in flow.step(StepName.SURVEY_RATING).choices]
        chosen = match_choice(head, words)
        rating = int(chosen) if chosen and chosen.isdigit() else None
    return MailAnswer(rating=rating, comment=comment) if rating is not None else None


def _head(reply: str) -> tuple[str | None, str | None]:
    """The answer part (the first clause of the first line, greeting removed) and the comment after it."""
    lines = [line.strip() for line in reply.strip().splitlines()]
    lines = [line for line in lines if line]
    while lines and normalize(lines[0]) and is_greeting_only(lines[0]):  # "Hola," on its own line
        lines.pop(0)
    if not lines:
        return None, None
    first = lines[0]
    clause = _CLAUSE.split(first + " ", maxsplit=1)
    head = clause[0].strip()
    if len(normalize(head).split()) > MAX_ANSWER_WORDS:
        return None, None
    rest = [clause[1].strip()] if len(clause) > 1 and clause[1].strip() else []
    comment = "\n".join(rest + lines[1:]).strip()
    return head, comment or None
