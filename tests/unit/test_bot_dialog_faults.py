"""Transcripts of the dialog faults of issue 10 (items 6-15): each failed before its fix."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.context import CompanyRef
from bot.effects import (
    AddToTicket,
    CreateTicket,
    ForwardToAgent,
    HandOff,
    IdentifyContact,
    LeaveHandOff,
    SurveyAnswered,
    TicketType,
)
from bot.engine import begin_survey, begin_validation, ticket_title
from bot.messages import MediaKind
from sla.priority import Priority
from tests.unit.bot.transcript import (
    CAF_TICKET,
    COMPANIES,
    WAITING_TICKET,
    Chat,
    make_ctx,
    media,
)

SECOND = timedelta(seconds=1)
SATURDAY_NIGHT = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)
MONDAY_OPENING = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)


def created(chat: Chat) -> CreateTicket:
    tickets = [e for e in chat.all_effects if isinstance(e, CreateTicket)]
    assert len(tickets) == 1, chat.all_effects
    return tickets[0]


def finish(chat: Chat) -> CreateTicket:
    """From the module question to a confirmed ticket."""
    chat.run([("ventas", []), ("omitir", []), ("alto", []), ("hoy", []), ("confirmar", [])])
    return created(chat)


def closed_ctx(**overrides: object) -> object:
    """The context of a customer writing on Saturday night: the team is back on Monday 08:30."""
    def when(instant: datetime, lang: str) -> str:
        return {"es": "lunes 9 de marzo 08:30", "en": "Monday 9 March 08:30",
                "pt": "segunda-feira 9 de março 08:30"}[lang] if instant == MONDAY_OPENING else "?"
    return make_ctx(open_now=False, next_opening=MONDAY_OPENING, when=when, **overrides)


# --- 6: a greeting is not a description -----------------------------------------------------------

@pytest.mark.parametrize("first", ["Hola buenas noches, tenemos un problema urgente",
                                   "Buenos días, tengo un problema con Odoo"])
def test_a_greeting_with_a_vague_problem_is_context_not_the_description(first: str) -> None:
    chat = Chat()
    chat.run([(first, ["¿Qué necesita?"]), ("falla", ["Cuéntenos qué ocurre"])])
    assert "Tomé su mensaje como descripción" not in "\n".join(
        r.text for t in chat.turns for r in t.replies)
    real = "Al emitir boletas electrónicas aparece el error CAF vencido"
    chat.run([(real, ["módulo"])])
    assert chat.state.answers["description"] == real
    data = finish(chat).data
    assert data.title == real
    assert data.description == f"{first}\n{real}"  # what the customer typed is never lost


def test_a_detailed_first_message_is_still_taken_as_the_description() -> None:
    chat = Chat()
    chat.run([("Hola, el informe de ventas por vendedor no carga desde ayer", ["¿Qué necesita?"]),
              ("falla", ["Tomé su mensaje como descripción", "módulo"])])
    assert finish(chat).data.title == "El informe de ventas por vendedor no carga desde ayer"


# --- 6b: greetings and small talk are never answers; bursts are read together ------------------

def test_a_burst_of_greetings_answers_nothing() -> None:
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([("Hola", ["¿Cuál es su nombre?"])])
    chat.send("buenas tardes", after=SECOND)
    assert chat.last.replies == [] and chat.state.step == "ask_name"
    chat.send("Hola, necesito ayuda", after=SECOND)
    assert "Anotado" in chat.text and "¿Cuál es su nombre?" in chat.text
    assert "Gracias" not in chat.text and "name" not in chat.state.answers
    chat.run([("Jorge Soto", ["Gracias, Jorge Soto", "¿De qué empresa"])])
    assert chat.state.answers["context"] == "Hola, necesito ayuda"


@pytest.mark.parametrize("said", ["hola", "buenas tardes", "Hola, necesito ayuda", "gracias", "ok"])
def test_greetings_and_small_talk_are_never_a_name_or_a_company(said: str) -> None:
    chat = Chat(ctx=make_ctx(contact=None))
    chat.run([("hola", ["¿Cuál es su nombre?"]), (said, ["Necesito su nombre"])])
    assert chat.state.step == "ask_name" and "name" not in chat.state.answers
    chat.run([("Marta Díaz", ["¿De qué empresa"]), (said, ["nombre de su empresa"])])
    assert chat.state.step == "ask_company" and "company" not in chat.state.answers


def test_an_option_typed_before_the_question_was_read_is_kept_and_the_question_shown_again() -> None:
    chat = Chat()
    chat.send("Hola")
    chat.send("Buenos días, el punto de venta está lento", after=2 * SECOND)
    assert chat.state.step == "ask_type" and "type" not in chat.state.answers
    assert "Anotado" in chat.text and "¿Qué necesita?" in chat.text
    chat.send("no abre ninguna caja", after=SECOND)  # still the burst: kept, no second prompt
    assert chat.last.replies == []
    chat.run([("falla", ["Tomé su mensaje como descripción", "módulo"])])
    assert chat.state.answers["description"] == "Buenos días, el punto de venta está lento"
    assert chat.state.answers["context"] == "no abre ninguna caja"


def test_a_description_sent_in_two_messages_is_joined() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []), ("El informe de ventas por vendedor no carga", ["módulo"])])
    chat.send("y muestra error 500 al abrirlo", after=2 * SECOND)
    assert "Lo agregué a la descripción" in chat.text and "módulo" in chat.text
    assert chat.state.step == "ask_module" and "module" not in chat.state.answers
    assert chat.state.answers["description"] == (
        "El informe de ventas por vendedor no carga\ny muestra error 500 al abrirlo")


def test_buttons_commands_and_files_are_never_held_back_by_a_burst() -> None:
    chat = Chat()
    chat.send("hola")
    chat.send(payload="ask_type:incident", after=SECOND)
    assert chat.state.step == "ask_description"
    chat.send("cancelar", after=SECOND)
    assert chat.state.step is None


def test_messages_after_the_burst_window_or_stamped_alike_are_answers() -> None:
    late = Chat()
    late.send("hola")
    late.send("falla", after=4 * SECOND)
    assert late.state.step == "ask_description"
    same_instant = Chat()  # a fixed clock (tests, simulator) gives no timing: not a burst
    same_instant.send("hola")
    same_instant.send("falla", after=timedelta(0))
    assert same_instant.state.step == "ask_description"


# --- 7: titles come from the real description ----------------------------------------------------

def test_fragments_typed_before_the_description_never_make_the_title() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []), ("ayuda porfa", ["más de detalle"]),
              ("3", ["más de detalle"]),
              ("El informe de ventas por vendedor no carga desde ayer", ["módulo"])])
    data = finish(chat).data
    assert data.title == "El informe de ventas por vendedor no carga desde ayer"
    assert data.description.startswith("ayuda porfa\n3\n")


@pytest.mark.parametrize(("description", "title"), [
    ("ayuda porfa\nno funciona\nNo se puede validar la factura 123 de proveedor",
     "No se puede validar la factura 123 de proveedor"),
    ("Hola buenas\nno funciona\nla nómina", "La nómina"),
    ("no funciona", "No funciona"),
])
def test_title_is_the_most_telling_line(description: str, title: str) -> None:
    assert ticket_title(description) == title


# --- 10: survey answers out of range --------------------------------------------------------------

def _surveying() -> Chat:
    chat = Chat()
    chat.accept(begin_survey(chat.state, "LA-000045", chat.now))
    return chat


@pytest.mark.parametrize("said", ["10", "un 7", "0", "siete"])
def test_a_rating_out_of_range_is_asked_again_from_1_to_5(said: str) -> None:
    chat = _surveying()
    chat.send(said)
    assert "del 1 al 5" in chat.text and chat.effects == []
    assert chat.state.step == "survey_rating"
    chat.send("4")
    assert chat.effects == [SurveyAnswered("LA-000045", 4)]


@pytest.mark.parametrize(("said", "rating"), [("5/5", 5), ("excelente", 5), ("10/10", 5),
                                              ("8/10", 4)])
def test_unambiguous_ratings_are_understood(said: str, rating: int) -> None:
    chat = _surveying()
    chat.send(said)
    assert chat.effects == [SurveyAnswered("LA-000045", rating)]


def test_a_survey_left_for_a_new_topic_is_never_dropped_silently() -> None:
    chat = _surveying()
    chat.send("Hola, el módulo de compras no deja confirmar pedidos desde hoy")
    assert "Dejamos pendiente la encuesta del ticket LA-000045" in chat.text


# --- 11: a voice note can be the description --------------------------------------------------------

def test_a_voice_note_is_the_description_and_becomes_evidence() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", ["Cuéntenos"])])
    voice = media("nota.ogg", MediaKind.AUDIO)
    chat.send(files=[voice])
    assert "Recibimos su nota de voz" in chat.text and chat.state.step == "ask_module"
    data = finish(chat).data
    assert data.media == (voice,) and "nota de voz" in data.description


# --- 12: everyday words ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("impact", "urgency", "priority"), [
    ("whole company", "hoy", Priority.P1),
    ("everything is down", "hoy", Priority.P1),
    ("nadie puede trabajar", "para el viernes", Priority.P2),
    ("ninguém consegue trabalhar", "até sexta", Priority.P2),
])
def test_everyday_impact_and_urgency_words(impact: str, urgency: str, priority: Priority) -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []),
              ("El informe de ventas por vendedor no carga desde ayer", []), ("ventas", []),
              ("omitir", []), (impact, ["hoy mismo"]), (urgency, ["¿La registramos?"]),
              ("sii", [])])
    assert created(chat).data.priority is priority


@pytest.mark.parametrize("said", ["como va mi ticket?", "¿Cómo va mi ticket LA-000050?",
                                  "how is my ticket?", "como está meu chamado?"])
def test_a_status_question_is_answered_not_added_to_a_ticket(said: str) -> None:
    chat = Chat(ctx=make_ctx(tickets=[WAITING_TICKET]))
    chat.send(said)
    assert not [e for e in chat.effects if isinstance(e, AddToTicket)]
    assert "LA-000050" in chat.text and "Reporte de inventario descuadrado" in chat.text


@pytest.mark.parametrize(("lang", "greeting", "reask"), [
    ("es", "hola", "Necesito su nombre"), ("en", "hello", "I need your name"),
    ("pt", "olá", "Preciso do seu nome"),
])
def test_a_greeting_is_not_a_name_in_any_language(lang: str, greeting: str, reask: str) -> None:
    chat = Chat(ctx=make_ctx(contact=None), language_code=lang)
    chat.send(greeting)
    chat.run([(greeting, [reask])])
    assert chat.state.step == "ask_name"


# --- 13: requests get request questions -------------------------------------------------------------

@pytest.mark.parametrize(("lang", "asks", "never"), [
    ("es", ["qué desea configurar", "¿A quién afecta no tener esto resuelto?"],
     ["mensaje de error", "¿Está detenida la operación"]),
    ("en", ["what would you like to set up", "Who is affected while this is not done?"],
     ["error message", "Is your company's operation stopped?"]),
    ("pt", ["o que deseja configurar", "Quem é afetado enquanto isso não for resolvido?"],
     ["mensagem de erro", "A operação da sua empresa está parada?"]),
])
def test_a_request_is_asked_request_questions(lang: str, asks: list[str], never: list[str]) -> None:
    chat = Chat(language_code=lang)
    chat.send("hi" if lang == "en" else "hola")
    chat.send("2")
    chat.send("Capacitación del módulo de compras para dos usuarios nuevos")
    chat.send("compras")
    chat.send("2")  # skip files
    said = "\n".join(r.text for t in chat.turns for r in t.replies)
    for fragment in asks:
        assert fragment in said
    for fragment in never:
        assert fragment not in said
    chat.send("2")  # several areas: same matrix values as an incident
    chat.send("2")
    chat.send("1")
    data = created(chat).data
    assert data.ticket_type is TicketType.REQUEST and data.priority is Priority.P3


# --- 14: never reveal customers to strangers ---------------------------------------------------------

PACIFICO = CompanyRef(4, "Distribuidora del Pacífico Ltda.", tax_id="76.123.456-7")


@pytest.mark.parametrize("typed", ["distribuidora", "Distribuidora del", "pacifico", "Ltda"])
def test_a_partial_company_name_is_never_completed(typed: str) -> None:
    chat = Chat(ctx=replace(make_ctx(contact=None), companies=(*COMPANIES, PACIFICO)))
    chat.run([("hola", []), ("Pedro Rojas", []), (typed, ["No encontramos", "correo"])])
    assert "Pacífico" not in chat.text and chat.state.step == "ask_email"
    chat.run([("pedro@ejemplo.cl", [])])
    assert chat.effects == [IdentifyContact("Pedro Rojas", typed, None, "pedro@ejemplo.cl", False)]


@pytest.mark.parametrize("typed", ["Distribuidora del Pacifico", "DISTRIBUIDORA DEL PACÍFICO LIMITADA",
                                   "distribuidora del pacifco spa", "76123456-7"])
def test_a_company_named_in_full_or_by_tax_id_is_confirmed(typed: str) -> None:
    chat = Chat(ctx=replace(make_ctx(contact=None), companies=(*COMPANIES, PACIFICO)))
    chat.run([("hola", []), ("Pedro Rojas", []),
              (typed, ["¿Se refiere a Distribuidora del Pacífico Ltda.?"]), ("sí", []),
              ("pedro@pacifico.cl", [])])
    assert chat.effects == [IdentifyContact("Pedro Rojas", "Distribuidora del Pacífico Ltda.", 4,
                                            "pedro@pacifico.cl", True)]


# --- 15: a file right after an answer belongs to the ticket being discussed --------------------------

def test_a_file_right_after_registration_goes_to_the_new_ticket() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET], recent_ticket="LA-000099"))
    pdf = media("folios.pdf", MediaKind.DOCUMENT)
    chat.send(files=[pdf])
    assert chat.effects == [AddToTicket("LA-000099", "", (pdf,))]
    assert "LA-000099" in chat.text and chat.state.step is None
    assert "Tiene tickets abiertos" not in chat.text and "Hola" not in chat.text


def test_a_file_right_after_a_validation_answer_goes_to_that_ticket() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET], recent_ticket="LA-000045"))
    chat.accept(begin_validation(chat.state, "LA-000045", "Nuevo CAF cargado", chat.now))
    shot = media("error.png")
    chat.send(files=[shot])
    assert chat.effects == [AddToTicket("LA-000045", "", (shot,))]
    assert "agregamos su mensaje al ticket LA-000045" in chat.text


def test_a_file_with_a_real_message_still_asks_which_ticket() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET], recent_ticket="LA-000045"))
    chat.send("Otro problema: no puedo imprimir guías de despacho", files=[media()])
    assert chat.state.step == "choose_ticket" and chat.effects == []


# --- 8 and 9: hand-off and out of hours --------------------------------------------------------------

def test_handoff_in_business_hours_says_an_agent_writes_here_and_when() -> None:
    chat = Chat()
    chat.run([("agente", ["un agente le escribirá por este mismo chat", "30 minutos"])])
    chat.send("¿hay alguien?")
    assert chat.effects == [ForwardToAgent("¿hay alguien?")]
    assert "se lo pasamos al agente" in chat.text and "30 minutos" in chat.text
    chat.run([("agente", ["Ya avisamos al equipo", "30 minutos"])])


def test_handoff_out_of_hours_says_when_the_team_is_back_and_offers_a_p1_now() -> None:
    chat = Chat(ctx=closed_ctx())
    chat.send("Hola, necesito hablar con un agente")
    chat.run([("humano", ["fuera de horario", "vuelve el lunes 9 de marzo 08:30", "«nuevo»"])])
    assert isinstance(chat.effects[0], HandOff)
    chat.send("Es urgente, no podemos facturar")
    assert chat.effects == [ForwardToAgent("Es urgente, no podemos facturar")]
    assert "guardado para el equipo" in chat.text and "lunes 9 de marzo 08:30" in chat.text
    chat.run([("nuevo", ["registremos un problema nuevo", "¿Qué necesita?"])])
    assert chat.effects == [LeaveHandOff()] and chat.state.step == "ask_type"


def test_handoff_details_carry_what_the_customer_wrote_before() -> None:
    chat = Chat()
    chat.send("Buenos días, tengo un problema con Odoo")
    chat.send("agente")
    [handoff] = chat.effects
    assert isinstance(handoff, HandOff)
    assert ("context", "Buenos días, tengo un problema con Odoo") in handoff.details


@pytest.mark.parametrize(("lang", "fragment"), [
    ("es", "el equipo de soporte vuelve el lunes 9 de marzo 08:30"),
    ("en", "the support team is back on Monday 9 March 08:30"),
    ("pt", "a equipe de suporte volta segunda-feira 9 de março 08:30"),
])
def test_out_of_hours_the_summary_and_the_registration_say_so(lang: str, fragment: str) -> None:
    chat = Chat(ctx=closed_ctx(), language_code=lang, now=SATURDAY_NIGHT)
    chat.send("hi" if lang == "en" else "hola")
    chat.send("1")
    chat.send("El informe de ventas por vendedor no carga desde ayer")
    for said in ("1", "2", "1", "1"):
        chat.send(said)
    assert fragment in chat.text  # the summary
    chat.send("1")
    assert created(chat).data.priority is Priority.P1
    assert fragment.rsplit(" ", maxsplit=1)[-1] in chat.text and chat.text.count("08:30") == 1


def test_in_business_hours_the_summary_says_nothing_about_hours() -> None:
    chat = Chat(ctx=replace(make_ctx(), open_now=True))
    chat.run([("hola", []), ("1", []), ("El informe de ventas por vendedor no carga desde ayer", []),
              ("1", []), ("2", []), ("1", []), ("1", ["¿La registramos?"])])
    assert "fuera de horario" not in chat.text


def test_a_description_typed_in_a_burst_is_not_lost_nor_asked_again() -> None:
    chat = Chat()
    chat.send("Hola")
    chat.send("falla", after=SECOND)  # typed before "¿Qué necesita?" could be read: kept
    chat.send("El informe de ventas por vendedor no carga desde ayer", after=SECOND)
    assert chat.state.step == "ask_type" and chat.last.replies == []
    chat.run([("1", ["Tomé su mensaje como descripción", "módulo"])])
    data = finish(chat).data
    assert data.title == "El informe de ventas por vendedor no carga desde ayer"
    assert data.description == "falla\nEl informe de ventas por vendedor no carga desde ayer"


def test_a_detailed_description_right_after_the_type_is_the_description() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", ["Cuéntenos"])])
    chat.send("El informe de ventas por vendedor no carga desde ayer", after=SECOND)
    assert chat.state.step == "ask_module"


def test_a_burst_while_choosing_a_ticket_goes_with_the_message_to_the_chosen_ticket() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]))
    chat.send("Hola")
    chat.send("Les envío el detalle de los folios que faltan", after=SECOND)
    assert chat.state.step == "choose_ticket" and "Anotado" in chat.text
    chat.send("1")
    assert chat.effects == [AddToTicket("LA-000045", "Les envío el detalle de los folios que faltan")]


def test_a_description_typed_instead_of_the_type_is_kept_not_refused_and_lost() -> None:
    chat = Chat()
    chat.run([("Buenos días, tengo un problema con Odoo", ["¿Qué necesita?"]),
              ("No puedo validar las facturas de proveedor desde esta mañana",
               ["Guardé su mensaje como descripción", "Reportar una falla"]),
              ("falla", ["Tomé su mensaje como descripción", "módulo"])])
    data = finish(chat).data
    assert data.title == "No puedo validar las facturas de proveedor desde esta mañana"
    assert data.description.startswith("Buenos días, tengo un problema con Odoo\n")


def test_a_type_answer_that_also_describes_the_problem_keeps_the_description() -> None:
    chat = Chat()
    chat.run([("hola", []),
              ("falla: el POS no imprime boletas",
               ["Tomé su mensaje como descripción", "módulo"])])
    assert chat.state.answers["type"] == "incident"
    assert chat.state.answers["description"] == (
        "falla: el POS no imprime boletas")


@pytest.mark.parametrize("caption", ["", "aquí va la captura", "here it is", "segue o print", "gracias"])
def test_a_file_with_a_caption_right_after_goes_to_the_ticket_just_discussed(caption: str) -> None:
    chat = Chat(ctx=make_ctx(recent_ticket="LA-000099"))
    shot = media("error.png")
    chat.send(caption, files=[shot])
    assert chat.effects == [AddToTicket("LA-000099", caption, (shot,))]


@pytest.mark.parametrize("said", ["gracias", "ok", "Perfecto, muchas gracias!", "thanks", "obrigado"])
def test_a_thank_you_is_not_a_new_request_nor_a_reply_to_a_waiting_ticket(said: str) -> None:
    chat = Chat(ctx=make_ctx(tickets=[WAITING_TICKET]))
    chat.send(said)
    assert chat.effects == [] and chat.state.step is None
    assert "¿Qué necesita?" not in chat.text and chat.text


def test_details_typed_instead_of_an_option_are_added_to_the_description() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", []), ("El informe de ventas por vendedor no carga", []),
              ("además pasa también en la sucursal norte desde ayer",
               ["Lo agregué a la descripción", "módulo"])])
    assert chat.state.step == "ask_module"
    assert chat.state.answers["description"] == (
        "El informe de ventas por vendedor no carga\n"
        "además pasa también en la sucursal norte desde ayer")
