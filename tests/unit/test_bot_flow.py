"""The step table is consistent, and docs/dialog.md is generated from it."""

from __future__ import annotations

from pathlib import Path

from bot import diagram, readers, routes
from bot.flow import BACK, DONE, STEP_BY_NAME, STEPS, Answer

DOC = Path(__file__).resolve().parents[2] / "docs" / "dialog.md"
ENTRIES = {"idle", "validation_ask", "survey_rating", "handoff", "choose_language"}


def test_docs_dialog_md_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == diagram.markdown(), (
        "docs/dialog.md is stale: run `python -m bot.diagram > docs/dialog.md`")


def test_the_diagram_draws_every_step_and_transition() -> None:
    chart = diagram.mermaid()
    for step in STEPS:
        assert f"    {step.name}" in chart
        for transition in step.transitions:
            assert f"{step.name} -- " in chart and f"--> {transition.to}" in chart


def test_every_transition_leads_somewhere() -> None:
    for step in STEPS:
        for transition in step.transitions:
            assert transition.to in STEP_BY_NAME or transition.to in (DONE, BACK), transition


def test_every_step_is_reachable_from_an_entry_point() -> None:
    reached, frontier = set(ENTRIES), list(ENTRIES)
    while frontier:
        for transition in STEP_BY_NAME[frontier.pop()].transitions:
            if transition.to in STEP_BY_NAME and transition.to not in reached:
                reached.add(transition.to)
                frontier.append(transition.to)
    assert reached == set(STEP_BY_NAME)


def test_every_asking_step_has_a_reader_and_routes_have_routers() -> None:
    for step in STEPS:
        if step.answer is Answer.ROUTE:
            assert step.name in routes.ROUTERS
        elif step.answer is not Answer.RELAY:
            assert step.name in readers.READERS, step.name
            assert step.prompt


def test_choice_ids_are_unique_per_step() -> None:
    for step in STEPS:
        ids = [c.id for c in step.choices]
        assert len(ids) == len(set(ids)), step.name
