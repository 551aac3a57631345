"""DialogState survives JSON at every step; random conversations never break the engine."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.context import RequestTerms
from bot.engine import begin_survey, begin_validation, expire_if_idle
from bot.flow import STEP_BY_NAME, STEPS, Answer, Flow
from bot.messages import InboundMedia, MediaKind
from bot.state import DialogState, media_from_dict, media_to_dict
from tests.unit.bot.transcript import (
    CAF_TICKET,
    NOW,
    WAITING_TICKET,
    Chat,
    make_ctx,
    media,
    round_trip,
)


def test_initial_state() -> None:
    state = DialogState.initial()
    assert state.step is None and state.lang == "es" and state.mode is Flow.IDLE
    assert DialogState.initial("pt-BR").lang == "pt"
    assert DialogState.initial("de").lang == "es"


def test_round_trip_keeps_everything() -> None:
    inner = DialogState(step="ask_impact", lang="en", answers={"type": "incident"})
    state = DialogState(
        step="survey_rating", lang="pt", lang_chosen=True, answers={"rating": "5"},
        evidence=(media("a.png"), InboundMedia("file-id", None, MediaKind.AUDIO, None, 1024, "u1")),
        history=("ask_type",), ticket="LA-000045", editing=True, misses=2,
        last_activity=NOW, suspended=inner.to_dict(),
    )
    assert round_trip(state) == state
    assert json.loads(json.dumps(state.to_dict()))["last_activity"] == "2026-03-02T10:00:00+00:00"


def test_from_dict_is_forgiving() -> None:
    assert DialogState.from_dict(None) == DialogState.initial()
    assert DialogState.from_dict({}) == DialogState.initial()
    renamed = DialogState.from_dict({"step": "ask_colour", "lang": "en", "answers": {"x": "1"}})
    assert renamed.step is None and renamed.lang == "en" and renamed.answers == {}
    assert DialogState.from_dict({"lang": "klingon"}).lang == "es"
    assert media_from_dict({"ref": "r", "kind": "hologram"}).kind is MediaKind.OTHER
    assert media_from_dict(media_to_dict(media("x.pdf", MediaKind.DOCUMENT))) == media(
        "x.pdf", MediaKind.DOCUMENT)


def _tour() -> list[Chat]:
    """Conversations that together visit every asking step (each turn round-trips via JSON)."""
    unknown = Chat(ctx=make_ctx(contact=None, request_terms=RequestTerms("quote")))
    unknown.run([("hola", []), ("Ana", []), ("Comercial Andez", []), ("sí", []), ("ana@andes.cl", []),
                 ("consulta", []), ("sí", []), ("idioma", []), ("español", [])])
    with_tickets = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    with_tickets.run([
        ("hola", []), ("nuevo", []), ("falla", []),
        ("Al emitir boletas electrónicas sale error de CAF vencido", []), ("no", []),
        ("ventas", [])])
    with_tickets.send(files=[media()])
    with_tickets.run([("listo", []), ("alto", []), ("alta", []), ("editar", []), ("impacto", []),
                      ("bajo", []), ("agente", []), ("necesito ayuda urgente", [])])
    waiting = Chat(ctx=make_ctx(tickets=[WAITING_TICKET]))
    waiting.run([("hola", []), ("ya lo enviamos", [])])
    prompts = Chat()
    prompts.accept(begin_validation(prompts.state, "LA-000045", "Listo", prompts.now))
    prompts.run([("no", []), ("sigue igual", [])])
    prompts.accept(begin_survey(prompts.state, "LA-000045", prompts.now))
    prompts.run([("4", []), ("gracias", [])])
    return [unknown, with_tickets, waiting, prompts]


def test_every_asking_step_round_trips_through_json() -> None:
    visited = {t.state.step for chat in _tour() for t in chat.turns}
    asking = {s.name for s in STEPS if s.answer is not Answer.ROUTE}
    assert asking <= visited, asking - visited


VOCABULARY = [
    "hola", "1", "2", "3", "9", "sí", "no", "listo", "omitir", "alto", "medio", "bajo", "alta",
    "baja", "confirmar", "editar", "cancelar", "volver", "reiniciar", "agente", "ayuda",
    "idioma", "idioma en", "estado", "estado LA-000045", "nuevo", "excelente",
    "No puedo validar las facturas de proveedor desde la mañana", "Ana", "ana@andes.cl",
    "Comercial Andes", "", "⭐⭐", "LA-000050",
]


@st.composite
def conversations(draw: st.DrawFn) -> list[tuple[str, bool, str | None]]:
    steps = draw(st.lists(st.tuples(
        st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=30)),
        st.booleans(),
        st.sampled_from([None, "validation", "survey", "expire", "button"]),
    ), max_size=20))
    return steps


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.booleans(), st.booleans())
def test_random_conversations_keep_every_invariant(
    script: list[tuple[str, bool, str | None]], known: bool, with_tickets: bool
) -> None:
    ctx = make_ctx(contact=make_ctx().contact if known else None,
                   tickets=[CAF_TICKET, WAITING_TICKET] if with_tickets else [])
    chat = Chat(ctx=ctx)
    for said, with_file, event in script:
        if event == "validation":
            chat.accept(begin_validation(chat.state, "LA-000045", "Solución", chat.now))
        elif event == "survey":
            chat.accept(begin_survey(chat.state, "LA-000045", chat.now))
        elif event == "expire":
            turn = expire_if_idle(chat.state, chat.now + timedelta(hours=3), ctx)
            if turn is not None:
                chat.accept(turn)
        options = [o for t in chat.turns[-1:] for r in t.replies for o in r.options]
        payload = options[0].id if event == "button" and options else None
        chat.send(said, payload=payload, files=[media()] if with_file else [])
        assert chat.state.step is None or chat.state.step in STEP_BY_NAME
        if chat.state.step != "handoff":  # never a dead end: an answer or a ticket action
            assert chat.last.replies or chat.effects, f"silence at {chat.state.step}: {said!r}"
