"""The step table drives the engine: every step has its reader, every action its effect, and
changing the table changes what the engine does."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot import actions, commands, engine, readers, rendering, routes, ticket
from bot.actions import BUILDERS, effects_of
from bot.context import CompanyRef
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
from bot.engine import begin_survey, begin_validation
from bot.flow import BACK, DONE, STEP_BY_NAME, STEPS, Action, Answer, Exit, StepName, Transition
from bot.messages import Channel, InboundMedia, InboundMessage, MediaKind
from bot.state import DialogState
from tests.unit.bot.transcript import CAF_TICKET, NOW, WAITING_TICKET, Chat, make_ctx, media

# The values stored in the dialog-state JSON of every conversation: they must never change.
PERSISTED_STEP_NAMES = (
    "idle", "start", "ask_name", "ask_company", "confirm_company", "ask_email", "ask_type",
    "confirm_billable", "ask_description", "confirm_duplicate", "ask_module", "ask_evidence",
    "ask_impact", "ask_urgency", "confirm_summary", "choose_edit", "choose_ticket",
    "ticket_message", "choose_language", "validation_ask", "validation_comment",
    "survey_rating", "survey_comment", "handoff",
)
SIMILAR = "Al emitir boletas electrónicas sale error de CAF vencido, no se envían al SII"
MODULES = (actions, commands, engine, readers, rendering, routes, ticket)


# --- the table is complete ----------------------------------------------------------------------

def test_step_names_keep_their_persisted_values() -> None:
    assert [s.value for s in StepName] == list(PERSISTED_STEP_NAMES)


def test_every_step_name_has_exactly_one_table_entry() -> None:
    assert [s.name for s in STEPS] == list(StepName)
    assert set(STEP_BY_NAME) == set(StepName)


def test_every_table_entry_has_its_reader_router_or_relay_and_nothing_else_has_one() -> None:
    routed = {s.name for s in STEPS if s.answer is Answer.ROUTE}
    relays = {s.name for s in STEPS if s.answer is Answer.RELAY}
    asking = set(StepName) - routed - relays
    assert set(routes.ROUTERS) == routed
    assert set(readers.READERS) == asking
    assert relays == {StepName.HANDOFF}
    for name in asking:
        assert STEP_BY_NAME[name].prompt, f"{name} reads an answer to no question"


def test_every_choice_of_an_option_step_leads_somewhere() -> None:
    for step in STEPS:
        if step.answer is Answer.CHOICE:
            for choice in step.choices:
                assert step.transition(choice.id).to, (step.name, choice.id)


def test_every_step_but_the_relay_can_end_the_dialog() -> None:
    """No orphan loops: from every step some path reaches DONE or BACK."""
    ending = {Exit.DONE, Exit.BACK}
    grown = True
    while grown:
        grown = False
        for step in STEPS:
            if step.name not in ending and any(t.to in ending for t in step.transitions):
                ending.add(step.name)
                grown = True
    assert set(StepName) - ending == {StepName.HANDOFF}  # left only by a command


def test_every_action_has_a_builder_and_is_used_by_the_table() -> None:
    used = {a for s in STEPS for t in s.transitions for a in t.actions}
    assert set(BUILDERS) == set(Action)
    assert used == set(Action), set(Action) - used


def test_each_builder_builds_the_effect_its_label_names() -> None:
    state = DialogState(
        step=StepName.CONFIRM_SUMMARY, ticket="LA-000045",
        answers={"name": "Ana", "company": "Andes", "company_id": "1", "verified": "1",
                 "email": "ana@andes.cl", "type": "incident", "description": SIMILAR,
                 "impact": "high", "urgency": "low", "dup_number": "LA-000045",
                 "pending": "hola", "rating": "4"})
    msg = _message("texto")
    for action, build in BUILDERS.items():
        effect = build(state, msg, make_ctx())
        assert type(effect).__name__ == action.value.split("(")[0], action


def test_identify_contact_finds_the_company_id_with_its_original_type() -> None:
    state = DialogState(answers={"name": "Ana", "company": "Andes", "company_id": "7",
                                 "verified": "1", "email": "ana@andes.cl"})
    ctx = replace(make_ctx(), companies=(CompanyRef(7, "Andes"),))
    assert BUILDERS[Action.IDENTIFY_CONTACT](state, _message(""), ctx) == IdentifyContact(
        "Ana", "Andes", 7, "ana@andes.cl", True)
    unknown = replace(state, answers={**state.answers, "company_id": "x"})
    assert BUILDERS[Action.IDENTIFY_CONTACT](unknown, _message(""), ctx).company_id == "x"


def test_effects_of_keeps_the_order_of_the_table() -> None:
    transition = Transition("no_with_comment", DONE, (Action.REJECT_SOLUTION, Action.ADD_MESSAGE))
    state = DialogState(step=StepName.VALIDATION_ASK, ticket="LA-000045")
    assert effects_of(transition, state, _message("sigue igual"), make_ctx()) == [
        ValidationAnswer("LA-000045", False), AddToTicket("LA-000045", "sigue igual")]


# --- an action declared in the table is what happens -----------------------------------------

def _waiting() -> Chat:
    return Chat(ctx=make_ctx(tickets=[WAITING_TICKET]))


def _unknown_at_email() -> Chat:
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([("hola", []), ("Ana Pérez", []), ("Comercial Andes", []), ("sí", [])])
    return chat


def _at_duplicate() -> Chat:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.run([("hola", []), ("nuevo", []), ("falla", []), (SIMILAR, [])])
    return chat


def _at_summary() -> Chat:
    chat = Chat()
    chat.run([("hola", []), ("falla", []),
              ("El informe de ventas no muestra las facturas de marzo", []),
              ("ventas", []), ("omitir", []), ("alto", []), ("hoy", [])])
    return chat


def _at_ticket_choice() -> Chat:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.send("Les envío el detalle de los folios que faltan")
    return chat


def _at_ticket_message() -> Chat:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.send("hola")
    chat.press("LA-000045")
    return chat


def _at_language() -> Chat:
    chat = Chat()
    chat.send("idioma")
    return chat


def _validating(*answers: str) -> Callable[[], Chat]:
    def setup() -> Chat:
        chat = Chat()
        chat.accept(begin_validation(chat.state, "LA-000045", "Nuevo CAF cargado", chat.now))
        chat.run([(said, []) for said in answers])
        return chat
    return setup


def _surveying(*answers: str) -> Callable[[], Chat]:
    def setup() -> Chat:
        chat = Chat()
        chat.accept(begin_survey(chat.state, "LA-000045", chat.now))
        chat.run([(said, []) for said in answers])
        return chat
    return setup


def _just_registered() -> Chat:
    chat = Chat(ctx=make_ctx(recent_ticket="LA-000045"))
    return chat


def _handed_off() -> Chat:
    chat = Chat()
    chat.send("agente")
    return chat


# (step, outcome): how to get there, what the customer says, what the service must be asked.
SCENARIOS: dict[tuple[StepName, str],
                tuple[Callable[[], Chat], str | InboundMedia, list[Effect | type]]] = {
    (StepName.IDLE, "recent_file"): (_just_registered, media("folios.pdf", MediaKind.DOCUMENT),
                                     [AddToTicket("LA-000045", "",
                                                  (media("folios.pdf", MediaKind.DOCUMENT),))]),
    (StepName.IDLE, "waiting"): (_waiting, "Ya lo enviamos por correo",
                                 [AddToTicket("LA-000050", "Ya lo enviamos por correo")]),
    (StepName.ASK_EMAIL, "ok"): (_unknown_at_email, "ana@andes.cl", [
        IdentifyContact("Ana Pérez", "Comercial Andes SpA", 1, "ana@andes.cl", True)]),
    (StepName.CONFIRM_DUPLICATE, "same"): (_at_duplicate, "sí, es el mismo",
                                           [AddToTicket("LA-000045", SIMILAR)]),
    (StepName.CONFIRM_SUMMARY, "confirm"): (_at_summary, "confirmar", [CreateTicket]),
    (StepName.CHOOSE_TICKET, "ticket"): (_at_ticket_choice, "1", [
        AddToTicket("LA-000045", "Les envío el detalle de los folios que faltan")]),
    (StepName.TICKET_MESSAGE, "ok"): (_at_ticket_message, "¿Tienen novedades?",
                                      [AddToTicket("LA-000045", "¿Tienen novedades?")]),
    (StepName.CHOOSE_LANGUAGE, "*"): (_at_language, "english", [SetLanguage("en")]),
    (StepName.VALIDATION_ASK, "yes"): (_validating(), "sí",
                                       [ValidationAnswer("LA-000045", True)]),
    (StepName.VALIDATION_ASK, "no"): (_validating(), "no", [ValidationAnswer("LA-000045", False)]),
    (StepName.VALIDATION_ASK, "no_with_comment"): (
        _validating(), "No, todavía no funciona en la sucursal sur",
        [ValidationAnswer("LA-000045", False),
         AddToTicket("LA-000045", "No, todavía no funciona en la sucursal sur")]),
    (StepName.VALIDATION_COMMENT, "ok"): (_validating("no"), "sigue igual en la sucursal",
                                          [AddToTicket("LA-000045", "sigue igual en la sucursal")]),
    (StepName.SURVEY_RATING, "rated"): (_surveying(), "5", [SurveyAnswered("LA-000045", 5)]),
    (StepName.SURVEY_COMMENT, "ok"): (_surveying("4"), "muy rápidos",
                                      [SurveyAnswered("LA-000045", 4, "muy rápidos")]),
    (StepName.HANDOFF, "message"): (_handed_off, "¿hay alguien?", [ForwardToAgent("¿hay alguien?")]),
}


def test_every_transition_with_actions_has_a_scenario() -> None:
    with_actions = {(s.name, t.on) for s in STEPS for t in s.transitions if t.actions}
    assert set(SCENARIOS) == with_actions


@pytest.mark.parametrize("key", sorted(SCENARIOS), ids=lambda key: f"{key[0]}-{key[1]}")
def test_the_actions_of_a_transition_are_the_effects_of_the_turn(key: tuple[StepName, str]) -> None:
    name, outcome = key
    setup, said, expected = SCENARIOS[key]
    chat = setup()
    assert chat.state.step == (None if name is StepName.IDLE else name)
    if isinstance(said, str):
        chat.send(said)
    else:
        chat.send(files=[said])
    labels = [a.value.split("(")[0] for a in STEP_BY_NAME[name].transition(outcome).actions]
    assert [type(e).__name__ for e in chat.effects] == labels
    for effect, wanted in zip(chat.effects, expected, strict=True):
        assert isinstance(effect, wanted) if isinstance(wanted, type) else effect == wanted


# --- changing the table changes the engine -------------------------------------------------------

def _patch_transition(monkeypatch: pytest.MonkeyPatch, name: StepName, outcome: str,
                      **changes: object) -> None:
    step = STEP_BY_NAME[name]
    transitions = tuple(replace(t, **changes) if t.on == outcome else t
                        for t in step.transitions)
    monkeypatch.setitem(STEP_BY_NAME, name, replace(step, transitions=transitions))


def test_a_transition_without_actions_asks_the_service_for_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_transition(monkeypatch, StepName.TICKET_MESSAGE, "ok", actions=())
    chat = _at_ticket_message()
    chat.send("¿Tienen novedades?")
    assert chat.effects == []
    assert "LA-000045" in chat.text  # the reader's acknowledgement is still sent


def test_actions_added_to_the_table_are_performed_in_its_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_transition(monkeypatch, StepName.TICKET_MESSAGE, "ok",
                      actions=(Action.FORWARD_TO_AGENT, Action.ADD_MESSAGE))
    chat = _at_ticket_message()
    chat.send("¿Tienen novedades?")
    assert chat.effects == [ForwardToAgent("¿Tienen novedades?"),
                            AddToTicket("LA-000045", "¿Tienen novedades?")]


def test_the_target_of_a_transition_is_where_the_engine_goes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_transition(monkeypatch, StepName.ASK_NAME, "ok", to=StepName.ASK_EMAIL)
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([("hola", ["¿Cuál es su nombre?"]), ("Ana Pérez", ["correo electrónico"])])
    assert chat.state.step == StepName.ASK_EMAIL
    assert chat.state.history == (StepName.ASK_NAME,)


def test_a_transition_to_back_returns_to_the_previous_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_transition(monkeypatch, StepName.ASK_MODULE, "*", to=BACK)
    chat = Chat()
    chat.run([("hola", []), ("falla", []),
              ("El informe de ventas no muestra las facturas de marzo", ["módulo"]),
              ("ventas", ["Cuéntenos"])])
    assert chat.state.step == StepName.ASK_DESCRIPTION


# --- step names are the enum, in memory and as JSON ------------------------------------------------

def test_state_json_stores_plain_step_strings_and_loads_them_as_step_names() -> None:
    state = DialogState(step=StepName.ASK_IMPACT, history=(StepName.ASK_TYPE,), last_activity=NOW)
    stored = json.loads(json.dumps(state.to_dict()))
    assert stored["step"] == "ask_impact" and type(stored["step"]) is str
    assert stored["history"] == ["ask_type"]
    loaded = DialogState.from_dict(stored)
    assert loaded.step is StepName.ASK_IMPACT and loaded.history == (StepName.ASK_TYPE,)
    assert all(isinstance(h, StepName) for h in loaded.history)


def test_engine_modules_spell_no_step_name_as_a_string() -> None:
    """Step names come from StepName; a text key such as run.note("handoff") is not one."""
    names = {s.value for s in StepName}
    for module in MODULES:
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        text_keys = {id(node.args[0]) for node in ast.walk(tree) if _is_text_lookup(node)}
        literals = [node.value for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and node.value in names
                    and id(node) not in text_keys]
        assert literals == [], f"{module.__name__} spells step names: {literals}"


def _is_text_lookup(node: ast.AST) -> bool:
    """run.note(key, ...), run.t(key, ...) or text(key, ...): the key names a text, not a step."""
    if not isinstance(node, ast.Call) or not node.args:
        return False
    if isinstance(node.func, ast.Attribute):
        return node.func.attr in ("note", "t")
    return isinstance(node.func, ast.Name) and node.func.id == "text"


def _message(said: str) -> InboundMessage:
    return InboundMessage(channel=Channel.WHATSAPP, sender_id="+56911112222",
                          provider_message_id="SM1", received_at=NOW, text=said)
