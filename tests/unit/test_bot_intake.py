"""Transcript tests of the guided intake: from "hola" to a prioritized CreateTicket."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.context import RequestTerms
from bot.effects import CreateTicket, IdentifyContact, TicketType
from bot.engine import advance, expire_if_idle, ticket_title
from bot.messages import Channel, InboundMessage, MediaKind
from bot.state import DialogState
from sla.priority import Impact, Priority, Urgency
from tests.unit.bot.transcript import NOW, Chat, make_ctx, media

# The contract's matrix, written out independently of sla.priority: urgency rows × impact columns.
EXPECTED = {
    ("alta", "alto"): "P1", ("alta", "medio"): "P2", ("alta", "bajo"): "P3",
    ("media", "alto"): "P2", ("media", "medio"): "P3", ("media", "bajo"): "P4",
    ("baja", "alto"): "P3", ("baja", "medio"): "P4", ("baja", "bajo"): "P5",
}
# Each cell answered a different way: button title, option number, or words.
IMPACT_ANSWERS = {"alto": "Toda la operación", "medio": "2", "bajo": "solo a mí me pasa"}
URGENCY_ANSWERS = {"alta": "urgente!!", "media": "En unos días", "baja": "3"}


def created(chat: Chat) -> CreateTicket:
    tickets = [e for e in chat.all_effects if isinstance(e, CreateTicket)]
    assert len(tickets) == 1, chat.all_effects
    return tickets[0]


def to_impact(chat: Chat) -> None:
    """A known contact's intake up to the impact question."""
    chat.run([
        ("hola", ["Hola, Ana Pérez", "Comercial Andes SpA", "¿Qué necesita?"]),
        ("1", ["Cuéntenos qué ocurre"]),
        ("El informe de ventas por vendedor no carga y muestra error 500", ["módulo"]),
        ("ventas", ["capturas de pantalla"]),
        ("omitir", ["¿Está detenida la operación"]),
    ])


@pytest.mark.parametrize(("urgency", "impact"), sorted(EXPECTED))
def test_every_cell_of_the_matrix_gets_its_priority(urgency: str, impact: str) -> None:
    chat = Chat()
    to_impact(chat)
    chat.run([
        (IMPACT_ANSWERS[impact], ["¿Necesita la solución hoy mismo?"]),
        (URGENCY_ANSWERS[urgency], [f"Prioridad: {EXPECTED[urgency, impact]}",
                                    f"[es] respuesta {EXPECTED[urgency, impact]}",
                                    f"[es] solución {EXPECTED[urgency, impact]}",
                                    "¿La registramos?"]),
        ("confirmar", []),
    ])
    data = created(chat).data
    assert data.priority == Priority(EXPECTED[urgency, impact])
    assert (data.impact, data.urgency) == (Impact(impact), Urgency(urgency))
    assert data.ticket_type is TicketType.INCIDENT
    assert data.module == "sales"
    assert data.title.startswith("El informe de ventas")
    assert chat.state.step is None  # back to idle; the service replies with the number
    assert chat.last.replies == []


def test_unknown_contact_with_misspelled_company_is_matched_and_confirmed() -> None:
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([
        ("Buenas tardes", ["Soy el asistente", "¿Cuál es su nombre?"]),
        ("me llamo jorge soto", ["Gracias, Jorge Soto", "¿De qué empresa"]),
        ("de Comersial Andez", ["¿Se refiere a Comercial Andes SpA?"]),
        ("sí", ["correo electrónico"]),
        ("jorge@", ["no parece válido"]),
        ("mi correo es Jorge.Soto@Andes.cl", ["¿Qué necesita?"]),
    ])
    assert chat.effects == [IdentifyContact("Jorge Soto", "Comercial Andes SpA", 1,
                                            "jorge.soto@andes.cl", verified=True)]


def test_unknown_company_still_gets_a_ticket_flagged_unverified() -> None:
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([
        ("hola", ["nombre"]),
        ("Marta", ["empresa"]),
        ("Panadería La Espiga", ["No encontramos «Panadería La Espiga»", "correo"]),
        ("marta@espiga.cl", ["¿Qué necesita?"]),
    ])
    assert chat.effects == [IdentifyContact("Marta", "Panadería La Espiga", None,
                                            "marta@espiga.cl", verified=False)]
    chat.run([("falla", ["Cuéntenos"]), ("No abre el punto de venta en la sucursal centro", [])])
    assert chat.state.step == "ask_module"


def test_rejected_company_suggestion_keeps_what_was_typed_unverified() -> None:
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([("hola", []), ("Luis", []),
              ("Comercial Andez", ["¿Se refiere a Comercial Andes SpA?"]),
              ("no", ["No encontramos «Comercial Andez»"]),
              ("luis@andes-foods.com", ["¿Qué necesita?"])])
    assert chat.effects == [IdentifyContact("Luis", "Comercial Andez", None, "luis@andes-foods.com",
                                            False)]


def test_short_description_asks_for_more_detail_and_joins_both_parts() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", ["Cuéntenos"]),
              ("no puedo facturar", ["un poco más de detalle"]),
              ("sale error de folios al validar", ["módulo"])])
    assert chat.state.answers["description"] == "no puedo facturar\nsale error de folios al validar"


def test_a_customer_who_insists_on_a_short_description_is_not_stuck() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []), ("error", ["más de detalle"]),
              ("en ventas", ["más de detalle"]), ("eso", ["módulo"])])
    assert chat.state.answers["description"] == "error\nen ventas\neso"


@pytest.mark.parametrize(("description", "title"), [
    ("Hola, buenas tardes. el POS no abre en la sucursal centro", "El POS no abre en la sucursal centro"),
    ("No cuadra el IVA. Revisé dos veces", "No cuadra el IVA"),
    ("Hola", "Hola"),
    ("x" * 200, "X" + "x" * 78 + "…"),
])
def test_ticket_titles(description: str, title: str) -> None:
    assert ticket_title(description) == title


def test_a_detailed_first_message_becomes_the_description() -> None:
    chat = Chat()
    chat.run([
        ("Hola, el inventario no descuenta stock al validar las entregas desde ayer", [
            "¿Qué necesita?"]),
        ("falla", ["Tomé su mensaje como descripción", "módulo"]),
    ])
    assert chat.state.answers["description"].startswith("Hola, el inventario no descuenta")


def test_request_outside_the_plan_asks_to_confirm_it_may_be_billed() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("quote")))
    chat.run([("hola", []), ("consulta", ["no incluye requerimientos", "¿Desea continuar?"]),
              ("sí, continuar", ["Cuéntenos"]),
              ("Quiero configurar una nueva lista de precios para mayoristas", []),
              ("ventas", []), ("no", []), ("bajo", []), ("puede esperar", ["P5", "Lo cotizaremos"]),
              ("ok", [])])
    data = created(chat).data
    assert data.ticket_type is TicketType.REQUEST
    assert data.billable_confirmed is True


def test_billable_request_can_turn_into_an_incident_or_be_cancelled() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("quote")))
    chat.run([("hola", []), ("consulta", ["cotización"]), ("es una falla", ["Cuéntenos"])])
    assert chat.state.answers["type"] == "incident"
    assert chat.state.answers["billable"] == "0"
    other = Chat(ctx=make_ctx(request_terms=RequestTerms("quote")))
    other.run([("hola", []), ("2", ["cotización"]), ("cancelar", ["cancelé la solicitud"])])
    assert other.state.step is None


def test_requests_included_in_the_plan_are_not_billed() -> None:
    chat = Chat()
    chat.run([("hola", []), ("consulta", ["Cuéntenos"])])
    assert chat.state.answers["billable"] == "0"


def test_several_attachments_until_done() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []),
              ("Al confirmar la orden de compra aparece un error de permisos", []),
              ("compras", ["capturas"])])
    chat.send(files=[media("error1.png")])
    assert "error1.png" in chat.text and "1 archivo" in chat.text
    chat.send(files=[media("factura.pdf", MediaKind.DOCUMENT)])
    assert "factura.pdf" in chat.text and "2 archivo" in chat.text
    chat.send(files=[media("nota.ogg", MediaKind.AUDIO), media("error2.png")])
    assert "4 archivo" in chat.text
    assert chat.state.step == "ask_evidence"
    chat.run([("También pasa con el usuario de bodega", ["Anotado"]),
              ("listo", ["¿Está detenida"]), ("medio", []), ("media", ["Archivos: 4", "P3"]),
              ("sí", [])])
    data = created(chat).data
    assert [m.filename for m in data.media] == ["error1.png", "factura.pdf", "nota.ogg",
                                                 "error2.png"]
    assert data.description.endswith("También pasa con el usuario de bodega")


def test_files_sent_at_other_steps_are_kept_as_evidence() -> None:
    chat = Chat()
    chat.send("hola", files=[media("inicio.png")])
    chat.run([("falla", [])])
    chat.send("La boleta no se envía al SII desde esta mañana", files=[media("boleta.png")])
    assert "boleta.png" in chat.text and chat.state.step == "ask_module"
    chat.send(files=[media("otra.png")])  # a file alone re-asks the same question
    assert chat.state.step == "ask_module" and "módulo" in chat.text
    assert [m.filename for m in chat.state.evidence] == ["inicio.png", "boleta.png", "otra.png"]


def test_back_cancel_and_restart_mid_flow() -> None:
    chat = Chat()
    to_impact(chat)
    chat.run([
        ("volver", ["capturas de pantalla"]),
        ("atrás", ["módulo"]),
        ("contabilidad", ["capturas"]),
        ("omitir", ["¿Está detenida"]),
        ("reiniciar", ["Empecemos de nuevo", "¿Qué necesita?"]),
    ])
    assert chat.state.step == "ask_type"
    assert "description" not in chat.state.answers and chat.state.history == ()
    chat.run([("volver", ["primer paso", "¿Qué necesita?"]),
              ("1", []), ("cancelar", ["cancelé la solicitud"])])
    assert chat.state.step is None and chat.state.answers == {}
    chat.run([("cancelar", ["No hay nada en curso"]), ("hola", ["¿Qué necesita?"])])


def test_a_description_that_mentions_a_command_word_is_not_a_command() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []),
              ("No puedo cancelar una factura ya validada en contabilidad", ["módulo"])])
    assert "cancelar" in chat.state.answers["description"]


def test_edit_from_the_summary_returns_to_the_summary() -> None:
    chat = Chat()
    to_impact(chat)
    chat.run([("alto", []), ("alta", ["P1"]),
              ("editar", ["¿Qué desea cambiar?"]),
              ("impacto", ["¿Está detenida"]),
              ("bajo", ["Revisemos su solicitud", "P3"]),
              ("editar urgencia", ["¿Necesita la solución hoy mismo?"]),
              ("baja", ["P5"]),
              ("editar descripción", ["Cuéntenos"]),
              ("Solo falla el informe de ventas por vendedor del mes pasado", [
                  "Revisemos", "Solo falla el informe"]),
              ("confirmar", [])])
    assert created(chat).data.priority is Priority.P5


def test_unrecognized_answer_gets_a_short_reask_listing_options_then_offers_a_person() -> None:
    chat = Chat()
    to_impact(chat)
    chat.send("mmm no sé qué decir")
    assert "no entendí" in chat.text
    assert "Toda la operación, Varias áreas o Un usuario o menor" in chat.text
    assert chat.state.step == "ask_impact"
    assert [o.title for o in chat.last.replies[-1].options] == [
        "Toda la operación", "Varias áreas", "Un usuario o menor"]
    chat.send("???")
    assert "agente" in chat.text
    chat.run([("varias áreas", ["hoy mismo"])])
    assert chat.state.misses == 0


def test_ambiguous_answer_is_not_guessed() -> None:
    chat = Chat()
    to_impact(chat)
    chat.send("medio alto")  # two options, same strength: ask again
    assert chat.state.step == "ask_impact" and "no entendí" in chat.text


def test_help_explains_and_repeats_the_question() -> None:
    chat = Chat()
    to_impact(chat)
    chat.run([("ayuda", ["volver", "cancelar", "agente", "¿Está detenida"])])
    assert chat.state.step == "ask_impact"


# --- typos in every option step -----------------------------------------------------------------

def _at(step: str) -> Chat:
    """A chat stopped at an option step of the intake."""
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("quote")))
    script = {
        "ask_type": ["hola"],
        "confirm_billable": ["hola", "consulta"],
        "ask_module": ["hola", "falla", "El reporte de ventas no muestra las notas de crédito"],
        "ask_evidence": ["hola", "falla", "El reporte de ventas no muestra las notas de crédito",
                         "ventas"],
        "ask_impact": ["hola", "falla", "El reporte de ventas no muestra las notas de crédito",
                       "ventas", "omitir"],
        "ask_urgency": ["hola", "falla", "El reporte de ventas no muestra las notas de crédito",
                        "ventas", "omitir", "alto"],
        "confirm_summary": ["hola", "falla",
                            "El reporte de ventas no muestra las notas de crédito", "ventas",
                            "omitir", "alto", "alta"],
        "choose_edit": ["hola", "falla", "El reporte de ventas no muestra las notas de crédito",
                        "ventas", "omitir", "alto", "alta", "editar"],
    }[step]
    for said in script:
        chat.send(said)
    assert chat.state.step == step
    return chat


TYPOS = [
    ("ask_type", "incidnte", "type", "incident"),
    ("ask_type", "consutla", "type", "request"),
    ("ask_type", "FALLA!!", "type", "incident"),
    ("confirm_billable", "contnuar", "billable", "1"),
    ("ask_module", "contabilida", "module", "accounting"),
    ("ask_module", "inventaro", "module", "inventory"),
    ("ask_module", "facturasion electronica", "module", "einvoice"),
    ("ask_module", "no se", "module", "unknown"),
    ("ask_module", "5", "module", "einvoice"),
    ("ask_impact", "hight", "impact", "high"),
    ("ask_impact", "ALTA", "impact", "high"),
    ("ask_impact", "alta!!", "impact", "high"),
    ("ask_impact", "muy alto", "impact", "high"),
    ("ask_impact", "varias areas", "impact", "medium"),
    ("ask_impact", "un usario", "impact", "low"),
    ("ask_impact", "tres", "impact", "low"),
    ("ask_urgency", "urjente", "urgency", "high"),
    ("ask_urgency", "puede esprar", "urgency", "low"),
    ("ask_urgency", "no es urgente", "urgency", "low"),
    ("ask_urgency", "médium", "urgency", "medium"),
]


@pytest.mark.parametrize(("step", "typed", "field", "value"), TYPOS)
def test_typos_in_option_steps_are_understood(step: str, typed: str, field: str,
                                               value: str) -> None:
    chat = _at(step)
    chat.send(typed)
    assert "no entendí" not in chat.text
    assert chat.state.answers[field] == value
    assert chat.state.step != step


@pytest.mark.parametrize(("typed", "next_step"), [("lsito", "ask_impact"), ("omitr", "ask_impact")])
def test_typos_in_the_evidence_step(typed: str, next_step: str) -> None:
    chat = _at("ask_evidence")
    chat.send(typed)
    assert chat.state.step == next_step


@pytest.mark.parametrize(("typed", "next_step"), [
    ("confirmr", None), ("editr", "choose_edit"), ("cancelr", None)])
def test_typos_in_the_summary(typed: str, next_step: str | None) -> None:
    chat = _at("confirm_summary")
    chat.send(typed)
    assert chat.state.step == next_step
    assert any(isinstance(e, CreateTicket) for e in chat.effects) == (typed == "confirmr")


@pytest.mark.parametrize(("typed", "next_step"), [
    ("urjencia", "ask_urgency"), ("descripcion", "ask_description"), ("archivo", "ask_evidence")])
def test_typos_when_choosing_what_to_edit(typed: str, next_step: str) -> None:
    chat = _at("choose_edit")
    chat.send(typed)
    assert chat.state.step == next_step


def test_button_payloads_and_stale_buttons() -> None:
    chat = _at("ask_impact")
    chat.send(payload="ask_type:incident")  # an old button from an earlier question
    assert chat.state.step == "ask_impact" and "no entendí" in chat.text
    chat.press("Varias áreas")
    assert chat.state.answers["impact"] == "medium"


# --- idle expiry ------------------------------------------------------------------------------------

def test_half_done_intake_expires_after_the_idle_timeout() -> None:
    chat = _at("ask_impact")
    ctx = make_ctx()
    assert expire_if_idle(chat.state, chat.now + timedelta(hours=1, minutes=59), ctx) is None
    turn = expire_if_idle(chat.state, chat.now + timedelta(hours=2), ctx)
    assert turn is not None
    assert "quedó sin terminar" in turn.replies[0].text
    assert turn.state.step is None and turn.state.answers == {}
    assert expire_if_idle(turn.state, chat.now + timedelta(days=1), ctx) is None


def test_configurable_idle_timeout() -> None:
    chat = _at("ask_impact")
    short = make_ctx(idle_timeout=timedelta(minutes=10))
    assert expire_if_idle(chat.state, chat.now + timedelta(minutes=10), short) is not None


def test_a_message_after_the_timeout_starts_over_with_a_friendly_note() -> None:
    chat = _at("ask_impact")
    chat.send("alto", after=timedelta(hours=3))
    assert "quedó sin terminar" in chat.text and "¿Qué necesita?" in chat.text
    assert chat.state.step == "ask_type"


def test_idle_state_never_expires() -> None:
    assert expire_if_idle(DialogState.initial(), NOW + timedelta(days=30), make_ctx()) is None


def test_now_must_be_timezone_aware() -> None:
    message = InboundMessage(Channel.WHATSAPP, "+569", "SM1", NOW, text="hola")
    with pytest.raises(ValueError, match="timezone-aware"):
        advance(DialogState.initial(), message, NOW.replace(tzinfo=None), make_ctx())
