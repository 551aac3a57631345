"""Draw the dialog table of `bot.flow` as a Mermaid flowchart: `python -m bot.diagram > docs/dialog.md`."""

from __future__ import annotations

import sys

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
    "tickets": "…", "ticket": "LA-…",
}


def _edge(source: str, transition: Transition) -> str:
    """An arrow labelled with the outcome and the actions the engine performs on the way."""
    actions = " + ".join(transition.actions)
    label = f"{transition.on} / {actions}" if actions else transition.on
    return f'    {source} -- "{_escape(label)}" --> {transition.to}'


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
    ])


def main() -> None:
    """Print docs/dialog.md to standard output."""
    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()
