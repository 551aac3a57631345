"""English and Portuguese runs, language detection and switching mid-dialog."""

from __future__ import annotations

from dataclasses import replace

from bot.context import ContactView
from bot.effects import CreateTicket, SetLanguage, SurveyAnswered, ValidationAnswer
from bot.engine import begin_survey, begin_validation
from bot.messages import Channel
from sla.priority import Priority
from tests.unit.bot.transcript import ANA, CAF_TICKET, Chat, make_ctx


def _created(chat: Chat) -> CreateTicket:
    return next(e for e in chat.all_effects if isinstance(e, CreateTicket))


def test_english_run_from_telegram_language_code() -> None:
    chat = Chat(ctx=make_ctx(contact=None), channel=Channel.TELEGRAM, language_code="en-US")
    chat.run([
        ("/start", ["I'm the support assistant", "What is your name?"]),
        ("my name is John Smith", ["Thank you, John Smith", "Which company"]),
        ("Constructora Pacifico", ["Do you mean Constructora Pacífico Ltda?"]),
        ("yes", ["e-mail"]),
        ("john@pacifico.com", ["What do you need?"]),
        ("report a failure", ["Tell us what happens"]),
        ("The purchase order approval button does nothing since the update", ["Odoo module"]),
        ("purchases", ["screenshots"]),
        ("skip", ["Is your company's operation stopped?"]),
        ("several areas", ["Do you need the solution today?"]),
        ("today", ["Priority: P2", "[en] respuesta P2", "Shall we register it?"]),
        ("confirm", []),
    ])
    data = _created(chat).data
    assert data.language == "en" and data.priority is Priority.P2 and data.module == "purchase"
    titles = [o.title for t in chat.turns for r in t.replies for o in r.options]
    assert "Report a failure" in titles and "Sí" not in titles


def test_portuguese_run_detected_from_the_greeting() -> None:
    chat = Chat(ctx=make_ctx(contact=ContactView("João Silva", "Agrícola Los Robles S.A.", 3)))
    chat.run([
        ("Olá, bom dia", ["Olá, João Silva", "Do que você precisa?"]),
        ("relatar falha", ["Conte o que acontece"]),
        ("O estoque não baixa ao validar as entregas no armazém", ["módulo"]),
        ("estoque", ["capturas de tela"]),
        ("pular", ["A operação da sua empresa está parada?"]),
        ("um usuário", ["precisa da solução hoje"]),
        ("pode esperar", ["Prioridade: P5", "[pt] solución P5", "Podemos registrar?"]),
        ("sim", []),
    ])
    data = _created(chat).data
    assert data.language == "pt" and data.priority is Priority.P5 and data.module == "inventory"


def test_the_contacts_stored_language_wins_over_guesses() -> None:
    chat = Chat(ctx=make_ctx(contact=replace(ANA, language="pt")), language_code="en")
    chat.run([("hello", ["Olá, Ana Pérez"])])


def test_switching_language_mid_dialog_repeats_the_question() -> None:
    chat = Chat()
    chat.run([("hola", []), ("falla", ["Cuéntenos"]),
              ("idioma en", ["I will assist you in English", "Tell us what happens"])])
    assert chat.effects == [SetLanguage("en")]
    assert chat.state.lang == "en" and chat.state.step == "ask_description"
    chat.run([("idioma", ["Which language"]), ("portugues", ["vou atender você em português",
                                                              "Conte o que acontece"])])
    assert chat.effects == [SetLanguage("pt")] and chat.state.step == "ask_description"
    chat.run([("volver", ["Do que você precisa?"])])


def test_a_chosen_language_sticks_across_conversations() -> None:
    chat = Chat(language_code="es")
    chat.run([("english", ["I will assist you in English"]), ("hola", ["What do you need?"])])


def test_language_menu_from_idle_and_back() -> None:
    chat = Chat()
    chat.run([("idioma", ["¿En qué idioma"]), ("3", ["português"])])
    assert chat.state.step is None and chat.state.lang == "pt"
    chat.run([("language", ["Em qual idioma"]), ("volver", ["Para relatar um problema"])])
    assert chat.state.step is None


def test_english_status_validation_and_survey() -> None:
    chat = Chat(ctx=make_ctx(tickets=[CAF_TICKET]), language_code="en")
    chat.run([("my tickets", ["Tickets of Comercial Andes SpA", "Status: In progress"])])
    chat.accept(begin_validation(chat.state, "LA-000045", "New CAF file loaded", chat.now))
    assert "Is your problem solved?" in chat.text
    chat.run([("it works", ["We are closing ticket LA-000045"])])
    assert chat.effects == [ValidationAnswer("LA-000045", True)]
    chat.accept(begin_survey(chat.state, "LA-000045", chat.now))
    assert "How do you rate" in chat.text
    chat.run([("very good", ["leave a comment"]), ("skip", ["Thank you for your feedback"])])
    assert chat.all_effects[-1] == SurveyAnswered("LA-000045", 5)


def test_portuguese_commands() -> None:
    chat = Chat(ctx=make_ctx(contact=replace(ANA, language="pt")))
    chat.run([("oi", []), ("ajuda", ["Comandos", "voltar"]), ("atendente", ["pessoa da equipe"])])
