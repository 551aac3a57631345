"""Transcripts about existing tickets: open-ticket choice, duplicates, status, replies, hand-off."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.effects import AddToTicket, CreateTicket, ForwardToAgent, HandOff, LeaveHandOff
from bot.engine import end_handoff
from bot.messages import MediaKind
from tests.unit.bot.transcript import (
    CAF_TICKET,
    CLOSED_TICKET,
    NOW,
    WAITING_TICKET,
    Chat,
    make_ctx,
    media,
)

SIMILAR = "Al emitir boletas electrónicas sale error de CAF vencido, no se envían al SII"


def _new_problem_until_description(chat: Chat) -> None:
    chat.run([("hola", ["Tiene tickets abiertos", "LA-000045"]),
              ("nuevo", ["registremos un problema nuevo", "¿Qué necesita?"]),
              ("falla", ["Cuéntenos"])])


# --- which ticket is this about ---------------------------------------------------------------------

def test_message_outside_a_dialog_asks_which_open_ticket_or_new() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET, CLOSED_TICKET]))
    chat.send("Les envío el detalle de los folios que faltan")
    assert "Hola, Ana Pérez" in chat.text
    assert "LA-000045: Error CAF al emitir boletas" in chat.text
    assert "LA-000012" not in chat.text  # closed tickets are not offered
    assert [o.title for o in chat.last.replies[-1].options] == ["LA-000045", "Problema nuevo"]
    chat.send("el 45")
    assert chat.effects == [AddToTicket("LA-000045", "Les envío el detalle de los folios que faltan")]
    assert "agregamos su mensaje al ticket LA-000045" in chat.text
    assert chat.state.step is None


def test_choosing_a_ticket_after_a_bare_greeting_asks_what_to_add() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.send("hola", files=[])
    chat.press("LA-000045")
    assert chat.effects == [] and "¿Qué desea agregar al ticket LA-000045?" in chat.text
    chat.send("¿Tienen novedades?", files=[media("folios.png")])
    assert chat.effects == [AddToTicket("LA-000045", "¿Tienen novedades?", (media("folios.png"),))]


def test_files_sent_before_choosing_a_ticket_go_with_the_message() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.send("Adjunto la captura del error", files=[media("a.png")])
    chat.send(files=[media("b.png")])  # another file while the question is pending
    assert chat.state.step == "choose_ticket"
    chat.send("1")
    assert chat.effects == [AddToTicket("LA-000045", "Adjunto la captura del error",
                                        (media("a.png"), media("b.png")))]


def test_new_problem_uses_the_first_message_as_description() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.run([("La exportación de la nómina a Previred falla con error de formato", [
        "Tiene tickets abiertos"]),
        ("problema nuevo", ["¿Qué necesita?"]),
        ("1", ["Tomé su mensaje como descripción", "módulo"])])
    assert chat.state.answers["description"].startswith("La exportación de la nómina")


# --- duplicates -------------------------------------------------------------------------------------

def test_similar_description_is_offered_as_a_duplicate_and_added_to_it() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    _new_problem_until_description(chat)
    chat.send(SIMILAR, files=[media("caf.png")])
    assert "¿Es el mismo problema que LA-000045?" in chat.text
    chat.send("sí, es el mismo")
    assert chat.effects == [AddToTicket("LA-000045", SIMILAR, (media("caf.png"),))]
    assert "agregamos su mensaje al ticket LA-000045" in chat.text
    assert chat.state.step is None


def test_a_customer_can_say_it_is_a_different_problem() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    _new_problem_until_description(chat)
    chat.run([(SIMILAR, ["LA-000045"]), ("no, es otro", ["módulo"]), ("factura electrónica", []),
              ("omitir", []), ("alto", []), ("alta", []), ("confirmar", [])])
    ticket = next(e for e in chat.all_effects if isinstance(e, CreateTicket))
    assert ticket.data.possible_duplicate_of == "LA-000045"
    assert ticket.data.module == "einvoice"


def test_edited_description_is_not_offered_the_same_dismissed_duplicate_again() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    _new_problem_until_description(chat)
    chat.run([(SIMILAR, ["LA-000045"]), ("no", []), ("8", []), ("omitir", []), ("alto", []),
              ("alta", []), ("editar descripción", []), (SIMILAR + " en la sucursal sur", [
                  "Revisemos"])])


def test_unrelated_or_old_tickets_are_not_offered_as_duplicates() -> None:
    unrelated = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    _new_problem_until_description(unrelated)
    unrelated.send("El reporte de ventas por vendedor no incluye las notas de crédito")
    assert unrelated.state.step == "ask_module"
    old = replace(CAF_TICKET, created_at=NOW - timedelta(days=8))
    stale = Chat(ctx=make_ctx(tickets=[old]))
    _new_problem_until_description(stale)
    stale.send(SIMILAR)
    assert stale.state.step == "ask_module"
    window = Chat(ctx=make_ctx(tickets=[old], duplicate_window=timedelta(days=10)))
    _new_problem_until_description(window)
    window.send(SIMILAR)
    assert window.state.step == "confirm_duplicate"


# --- status -----------------------------------------------------------------------------------------

def test_status_lists_the_company_tickets_with_deadlines_and_last_update() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET, WAITING_TICKET, CLOSED_TICKET]))
    chat.run([("mis tickets", [
        "Tickets de Comercial Andes SpA",
        "LA-000045 · Error CAF al emitir boletas", "Estado: En curso · Prioridad: P2",
        "Respuesta: lunes 2 de marzo 09:45 · Solución: lunes 2 de marzo 16:30",
        "Última actualización: hoy 09:30: revisando folios",
        "LA-000050", "Esperando su respuesta", "LA-000012", "Cerrado"])])
    assert chat.text.index("LA-000050") < chat.text.index("LA-000012")  # open ones first
    assert chat.effects == [] and chat.state.step is None


def test_status_of_one_ticket_by_number_with_or_without_prefix() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET, WAITING_TICKET]))
    chat.run([("estado LA-000045", ["LA-000045 · Error CAF", "En curso"])])
    assert "LA-000050" not in chat.text
    chat.run([("status 50", ["LA-000050 · Reporte de inventario"])])
    chat.run([("estado del ticket la-50", ["LA-000050"])])


def test_another_companys_ticket_is_reported_as_not_found_and_never_shown() -> None:
    # The service passes only the contact's company's tickets; LA-000777 belongs to someone else.
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.run([("estado LA-000777", [
        "No encontramos el ticket LA-000777 entre los tickets de su empresa"])])
    assert "Error CAF" not in chat.text


def test_status_without_tickets_and_for_unknown_contacts() -> None:
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([("estado", ["No hay tickets registrados para su empresa"])])


def test_status_in_the_middle_of_an_intake_then_the_question_again() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.run([("hola", []), ("nuevo", []), ("falla", []),
              ("estado", ["LA-000045", "Cuéntenos qué ocurre"])])
    assert chat.state.step == "ask_description"
    assert len(chat.last.replies) == 2


def test_long_status_lists_are_cut_with_a_count() -> None:
    many = [replace(CAF_TICKET, number=f"LA-0001{i:02d}") for i in range(8)]
    chat = Chat(ctx=make_ctx(tickets=many))
    chat.run([("status", ["…y 3 más"])])


# --- waiting on the customer --------------------------------------------------------------------------

def test_reply_while_a_ticket_waits_on_the_customer_is_added_to_it() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET, WAITING_TICKET]))
    chat.send("Aquí va el archivo de conteo de la bodega central",
              files=[media("conteo.xlsx", MediaKind.DOCUMENT)])
    assert chat.effects == [AddToTicket("LA-000050",
                                        "Aquí va el archivo de conteo de la bodega central",
                                        (media("conteo.xlsx", MediaKind.DOCUMENT),))]
    assert "agregamos su respuesta al ticket LA-000050" in chat.text
    assert chat.state.step is None


def test_a_file_alone_answers_the_waiting_ticket() -> None:
    chat = Chat(ctx=make_ctx(tickets=[WAITING_TICKET]))
    chat.send(files=[media("conteo.pdf", MediaKind.DOCUMENT)])
    assert chat.effects == [AddToTicket("LA-000050", "", (media("conteo.pdf", MediaKind.DOCUMENT),))]


def test_a_greeting_while_waiting_asks_for_the_information() -> None:
    chat = Chat(ctx=make_ctx(tickets=[WAITING_TICKET]))
    chat.run([("Hola, buenas tardes", ["Su ticket LA-000050 espera información",
                                        "¿Qué desea agregar al ticket LA-000050?"])])
    assert chat.effects == []
    chat.send("El conteo lo hicimos el viernes")
    assert chat.effects == [AddToTicket("LA-000050", "El conteo lo hicimos el viernes")]


def test_new_after_a_waiting_reply_starts_an_intake() -> None:
    chat = Chat(ctx=make_ctx(tickets=[WAITING_TICKET]))
    chat.run([("nuevo", ["registremos un problema nuevo", "¿Qué necesita?"])])


def test_two_waiting_tickets_ask_which_one() -> None:
    other = replace(WAITING_TICKET, number="LA-000051", title="Permisos de bodega")
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET, WAITING_TICKET, other]))
    chat.send("Ya cambiamos los permisos del usuario")
    titles = [o.title for o in chat.last.replies[-1].options]
    assert titles[:2] == ["LA-000050", "LA-000051"]  # waiting tickets first
    chat.send("LA-000051")
    assert chat.effects == [AddToTicket("LA-000051", "Ya cambiamos los permisos del usuario")]


# --- hand-off ---------------------------------------------------------------------------------------------

def test_agent_request_mid_flow_hands_off_with_what_was_collected() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []),
              ("No podemos validar el inventario de la bodega norte", []),
              ("inventario", ["capturas"])])
    chat.send("quiero hablar con una persona")
    assert chat.effects == [HandOff("customer_request", "ask_evidence", (
        ("type", "incident"),
        ("description", "No podemos validar el inventario de la bodega norte"),
        ("module", "inventory")))]
    assert "le comunicaré con una persona" in chat.text
    assert chat.state.step == "handoff" and chat.state.answers == {}
    chat.send("¿Me pueden llamar al +56 9 1234 5678?", files=[media("pantalla.png")])
    assert "se lo pasamos al agente" in chat.text  # never silence (issue 10, item 8)
    assert chat.effects == [ForwardToAgent("¿Me pueden llamar al +56 9 1234 5678?",
                                           (media("pantalla.png"),))]
    chat.run([("agente", ["Ya avisamos al equipo"])])
    chat.run([("cancelar", ["Volvemos al asistente"])])
    assert chat.effects == [LeaveHandOff()] and chat.state.step is None


def test_handoff_details_count_files() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", [])])
    chat.send(files=[media("a.png"), media("b.png")])
    chat.send("agent")
    handoff = chat.effects[0]
    assert isinstance(handoff, HandOff) and ("files", "2") in handoff.details


def test_agents_end_the_handoff() -> None:
    chat = Chat()
    chat.send("humano")
    assert chat.state.step == "handoff"
    turn = chat.accept(end_handoff(chat.state, chat.now))
    assert "terminó" in turn.replies[0].text and turn.state.step is None
    assert end_handoff(turn.state, chat.now).replies == []  # nothing to end


def test_status_still_works_while_handed_off() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.send("agente")
    chat.run([("estado", ["LA-000045"])])
    assert chat.state.step == "handoff" and chat.effects == []
