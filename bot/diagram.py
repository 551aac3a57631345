"""Draw the dialog table of `bot.flow` as a Mermaid flowchart: `python -m bot.diagram > docs/dialog.md`."""

from __future__ import annotations

import sys

from bot.engine import BURST_WINDOW
from bot.flow import BACK, DONE, STEPS, Answer, Step, StepName, Transition
from bot.texts import text

_PROMPT_CHARS = 48
_SHAPES = {Answer.ROUTE: ("{", "}"), Answer.RELAY: ("[[", "]]")}
_ENTRIES = (
    ("in_advance", "message outside a dialog", StepName.IDLE),
    ("in_validation", "begin_validation()", StepName.VALIDATION_ASK),
    ("in_survey", "begin_survey()", StepName.SURVEY_RATING),
    ("in_agent", "'agente' at any step", StepName.HANDOFF),
    ("in_language", "'idioma' at any step", StepName.CHOOSE_LANGUAGE),
)
_COMMANDS = (
    "Global commands at any step (es/en/pt): ayuda/help/ajuda · cancelar/cancel · "
    "volver/atrás/back/voltar · reiniciar/restart · agente/agent/humano · idioma/language [xx] · "
    "estado/status/mis tickets [número]. Outside a dialog also: nuevo/new/novo. "
    "Commands emit their own effects: agente → HandOff, idioma xx → SetLanguage, "
    "leaving a hand-off → LeaveHandOff."
)
_ARROWS = (
    "An arrow reads `outcome / actions`: the step's reader (`bot/readers.py`, `bot/routes.py`) "
    "picks the outcome, and the engine performs the arrow's actions (`bot/actions.py` builds "
    "each one's effect) before it moves on."
)


def _escape(value: str) -> str:
    return value.replace('"', "#quot;").replace("\n", " ")


def _node(step: Step) -> str:
    left, right = _SHAPES.get(step.answer, ("[", "]"))
    label = f"<b>{step.name}</b>"
    if step.prompt:
        prompt = text(step.prompt, "es", **_PLACEHOLDERS).split("\n")[0]
        short = prompt if len(prompt) <= _PROMPT_CHARS else prompt[: _PROMPT_CHARS - 1] + "…"
        label += f"<br/>{short}"
    if step.choices:
        label += f"<br/><i>{step.answer.value}, options: {len(step.choices)}</i>"
    return f'    {step.name}{left}"{_escape(label)}"{right}'


_PLACEHOLDERS = {
    "company_candidate": "…", "dup_number": "LA-…", "dup_title": "…", "summary": "…",
    "tickets": "…", "ticket": "LA-…", "terms": "…",
}


def _edge(source: str, transition: Transition) -> str:
    """An arrow labelled with the outcome and the actions the engine performs on the way."""
    actions = " + ".join(transition.actions)
    label = f"{transition.on} / {actions}" if actions else transition.on
    return f'    {source} -- "{_escape(label)}" --> {transition.to}'


_SECONDS = int(BURST_WINDOW.total_seconds())
_READING = f"""## How messages are read

- **Greetings and small talk are never answers.** "hola", "buenas tardes", "gracias", "ok",
  "Hola, necesito ayuda" do not answer the name, company, e-mail or description questions (the
  question is asked again); a greeting is not an option either.
- **People write in bursts.** A text received at most {_SECONDS} s after the previous message
  (by the messages' `received_at`), when our reply to that message asked a new question, was
  typed before the customer could read it: it is not the answer to that question. When the
  previous message answered the description, the text is joined to the description; a detailed
  text is kept for the description question (taken as the description when that question comes,
  and the customer is told); anything else is kept as context (`answers["context"]`, shown to
  agents in the ticket's description and in a hand-off). The question is shown again once per
  burst ("Anotado…"); a bare greeting in a burst gets no reply. Buttons of the question, files,
  commands and a detailed text at the description question are never held back. Two messages
  stamped with the same instant carry no timing (a fixed test or simulator clock) and are read
  one by one. The rule lives in `bot/engine.py` (`_in_burst`, `_absorb`); the state
  keeps `received_at`, `fresh_prompt` and `burst_kept`.
- **A vague first message is context, not the description.** "Buenos días, tengo un problema con
  Odoo" says no more than that a problem exists: it is kept as context and the description is
  asked; a detailed first message is still taken as the description. Titles come from the most
  telling line of the description, never from fragments such as "ayuda porfa" or "3". A
  description typed at the type question is kept for the description; details typed instead of
  an option later in the intake are added to the description and the question asked again.
- **A thank-you is not a request**: "gracias", "ok", "perfecto, muchas gracias" outside a dialog
  get a short reply; they neither open an intake nor count as a reply to a waiting ticket.
- **A voice note at the description step is the description** (attached to the ticket).
- **Requests get request questions**: the description and impact questions of a configuration,
  training or usage request have their own wording (`<key>.request` texts), same options.
- **Unknown contacts**: a company is confirmed only when its whole name (case, accents,
  punctuation, legal suffixes and a small typo aside) or its tax id is typed; partial names are
  never completed, so customers are never revealed to strangers.
- **A file right after a conversation about a ticket** (the service's `recent_ticket`: the last
  ten minutes) is added to that ticket.
- **Business hours**: the service tells the dialog whether the team works now and when it is
  back (the customer's calendar). Asking for a person gets the usual wait in business hours, or
  when the team is back and that a P1 can be registered at once ("nuevo") out of hours; every
  message during the hand-off gets that answer. Out of hours the summary and the registration
  say when the team is back.
"""


def mermaid() -> str:
    """The Mermaid flowchart of every step, transition and entry point."""
    lines = ["flowchart TD"]
    lines += [_node(step) for step in STEPS]
    lines.append(f'    {DONE}(("{DONE}: idle, or resume an interrupted intake"))')
    lines.append(f'    {BACK}(("{BACK}: the step it came from"))')
    for node, label, target in _ENTRIES:
        lines.append(f'    {node}>"{_escape(label)}"] --> {target}')
    for step in STEPS:
        lines += [_edge(step.name, t) for t in step.transitions]
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """docs/dialog.md: the diagram plus a table of the steps (generated; do not edit by hand)."""
    rows = [
        f"| `{s.name}` | {s.flow.value} | {s.answer.value} | {s.field or ''} | "
        f"{', '.join(c.id for c in s.choices)} |"
        for s in STEPS
    ]
    return "\n".join([
        "# The intake dialog",
        "",
        "Generated from `bot/flow.py` by `python -m bot.diagram > docs/dialog.md`; "
        "a test fails when this file is out of date.",
        "",
        _COMMANDS,
        "",
        _ARROWS,
        "",
        "```mermaid",
        mermaid().rstrip("\n"),
        "```",
        "",
        "| step | flow | answer | field | options |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        "",
        _READING,
    ])


def main() -> None:
    """Print docs/dialog.md to standard output."""
    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()
