"""Transcripts of service-initiated prompts: solution validation and the satisfaction survey."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.effects import AddToTicket, SurveyAnswered, ValidationAnswer
from bot.engine import begin_survey, begin_validation, expire_if_idle
from tests.unit.bot.transcript import CAF_TICKET, Chat, make_ctx, media

SOLUTION = "Cargamos un nuevo archivo CAF de boletas; ya puede emitir."


def _validating(chat: Chat, *, reminder: bool = False) -> None:
    turn = chat.accept(begin_validation(chat.state, "LA-000045", SOLUTION, chat.now,
                                        reminder=reminder))
    (reply,) = turn.replies
    assert [o.title for o in reply.options] == ["Sí", "No"]
    assert reply.kind == ("validation_reminder" if reminder else "solution")
    assert reply.variables == {"ticket": "LA-000045", "summary": SOLUTION}


def _surveying(chat: Chat) -> None:
    turn = chat.accept(begin_survey(chat.state, "LA-000045", chat.now))
    (reply,) = turn.replies
    assert reply.kind == "survey"
    assert [o.title for o in reply.options] == [
        "1 · Muy mala", "2 · Mala", "3 · Regular", "4 · Buena", "5 · Excelente"]


# --- validation -----------------------------------------------------------------------------------

def test_validation_yes_closes_with_thanks() -> None:
    chat = Chat()
    _validating(chat)
    assert "¿Se resolvió su problema?" in chat.text and SOLUTION in chat.text
    chat.run([("Sí", ["Cerramos el ticket LA-000045", "Gracias por confirmar"])])
    assert chat.effects == [ValidationAnswer("LA-000045", accepted=True)]
    assert chat.state.step is None


def test_validation_no_reopens_at_once_then_asks_what_is_still_wrong() -> None:
    chat = Chat()
    _validating(chat)
    chat.run([("no", ["reabrimos el ticket LA-000045", "¿Qué sigue fallando?"])])
    assert chat.effects == [ValidationAnswer("LA-000045", accepted=False)]
    chat.send("sigue el error en la sucursal sur", files=[media("sur.png")])
    assert chat.effects == [AddToTicket("LA-000045", "sigue el error en la sucursal sur",
                                        (media("sur.png"),))]
    assert "lo agregamos al ticket LA-000045" in chat.text and chat.state.step is None


def test_validation_no_with_its_reason_in_one_message() -> None:
    chat = Chat()
    _validating(chat)
    chat.send("No, todavía no funciona en la sucursal sur")
    assert chat.effects == [ValidationAnswer("LA-000045", accepted=False),
                            AddToTicket("LA-000045", "No, todavía no funciona en la sucursal sur")]
    assert "reabrimos el ticket LA-000045 con su comentario" in chat.text


def test_validation_comment_can_be_skipped() -> None:
    chat = Chat()
    _validating(chat)
    chat.run([("No", []), ("omitir", ["Reabrimos su ticket LA-000045"])])
    assert chat.effects == [] and chat.state.step is None


@pytest.mark.parametrize(("typed", "accepted"), [
    ("si", True), ("SÍ!!", True), ("ya funciona, gracias", True), ("1", True), ("yes", True),
    ("sim", True), ("no funciona", False), ("2", False), ("nop", False), ("sigue fallando", False),
])
def test_validation_answers_in_many_words(typed: str, accepted: bool) -> None:
    chat = Chat()
    _validating(chat)
    chat.send(typed)
    assert chat.effects[0] == ValidationAnswer("LA-000045", accepted=accepted)


def test_unclear_short_validation_answer_is_asked_again_with_buttons() -> None:
    chat = Chat()
    _validating(chat)
    chat.run([("mmm", ["no entendí", "Sí o No"])])
    assert chat.effects == [] and chat.state.step == "validation_ask"
    chat.press("Sí")
    assert chat.effects == [ValidationAnswer("LA-000045", accepted=True)]


def test_validation_reminder_warns_about_automatic_closing() -> None:
    chat = Chat()
    _validating(chat, reminder=True)
    assert "Recordatorio" in chat.text and "se cerrará automáticamente" in chat.text


def test_validation_waits_beyond_the_idle_timeout() -> None:
    chat = Chat()
    _validating(chat)
    assert expire_if_idle(chat.state, chat.now + timedelta(days=2), make_ctx()) is None
    chat.send("sí", after=timedelta(days=2))
    assert chat.effects == [ValidationAnswer("LA-000045", accepted=True)]


def test_validation_interrupting_an_intake_resumes_it_afterwards() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []),
              ("No se puede imprimir la guía de despacho electrónica", []), ("inventario", []),
              ("omitir", ["¿Está detenida"])])
    _validating(chat)
    chat.run([("sí", ["Cerramos el ticket LA-000045", "Continuemos con su solicitud anterior",
                      "¿Está detenida"])])
    assert chat.state.step == "ask_impact"
    assert chat.state.answers["module"] == "inventory"


def test_a_new_topic_instead_of_the_validation_answer_is_handled_normally() -> None:
    chat = Chat()
    _validating(chat)
    chat.send("Hola, necesito crear un usuario nuevo para la sucursal de Temuco")
    assert chat.effects == []
    assert "¿Qué necesita?" in chat.text and chat.state.step == "ask_type"


# --- survey ---------------------------------------------------------------------------------------

def test_survey_with_rating_and_comment() -> None:
    chat = Chat()
    _surveying(chat)
    assert "¿Cómo califica la atención" in chat.text
    chat.run([("exelente", ["¿Quiere dejarnos un comentario?"])])
    assert chat.effects == [SurveyAnswered("LA-000045", 5)]
    chat.run([("Muy rápidos, gracias", ["¡Gracias por su opinión!"])])
    assert chat.effects == [SurveyAnswered("LA-000045", 5, "Muy rápidos, gracias")]
    assert chat.state.step is None


def test_survey_comment_is_optional() -> None:
    chat = Chat()
    _surveying(chat)
    chat.press("4 · Buena")
    assert chat.effects == [SurveyAnswered("LA-000045", 4)]
    chat.press("Omitir")
    assert chat.effects == [] and "Gracias por su opinión" in chat.text


@pytest.mark.parametrize(("typed", "rating"), [
    ("5", 5), ("4/5", 4), ("un 3", 3), ("⭐⭐⭐⭐", 4), ("***", 3), ("muy mala", 1), ("malo", 2),
    ("regular", 3), ("buena", 4), ("excelente!!", 5), ("muy bueno", 5), ("pésimo", 1),
    ("great", 5), ("ótimo", 5), ("cinco", 5),
])
def test_survey_ratings_in_many_forms(typed: str, rating: int) -> None:
    chat = Chat()
    _surveying(chat)
    chat.send(typed)
    assert chat.effects == [SurveyAnswered("LA-000045", rating)]


def test_survey_ignored_by_a_new_conversation_is_dropped_gracefully() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    _surveying(chat)
    chat.send("Hola, el módulo de compras no deja confirmar pedidos desde hoy")
    assert chat.effects == []
    assert "Tiene tickets abiertos" in chat.text  # handled as any new message
    assert chat.state.step == "choose_ticket"


def test_survey_ignored_by_a_greeting_starts_the_intake() -> None:
    chat = Chat()
    _surveying(chat)
    chat.run([("hola", ["Hola, Ana Pérez", "¿Qué necesita?"])])
    assert chat.effects == []


def test_survey_during_an_intake_answers_and_resumes_or_lets_the_intake_continue() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", [])])
    _surveying(chat)
    chat.run([("5", []), ("no", ["Gracias por su opinión", "Continuemos", "Cuéntenos"])])
    assert chat.state.step == "ask_description"
    again = Chat()
    again.run([("hola", []), ("falla", []),
               ("La nómina de marzo calcula mal las horas extra", []), ("rrhh", []), ("no", [])])
    _surveying(again)
    again.send("varias áreas")  # answers the interrupted question, not the survey
    assert again.effects == [] and again.state.step == "ask_urgency"
    assert again.state.answers["impact"] == "medium"


def test_cancel_dismisses_a_survey() -> None:
    chat = Chat()
    _surveying(chat)
    chat.run([("cancelar", ["Entendido"])])
    assert chat.state.step is None and chat.effects == []


def test_survey_reminder_kind() -> None:
    chat = Chat()
    turn = chat.accept(begin_survey(chat.state, "LA-000045", chat.now, reminder=True))
    assert turn.replies[0].kind == "survey_reminder" and "LA-000045" in turn.replies[0].text


def test_validation_during_a_handoff_returns_to_the_humans_silently() -> None:
    chat = Chat()
    chat.send("agente")
    _validating(chat)
    chat.run([("sí", ["Cerramos el ticket LA-000045"])])
    assert "Continuemos" not in chat.text
    assert chat.state.step == "handoff"
