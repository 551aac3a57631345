"""Answer parsing: numbers, words, misspellings, commands, names, e-mails, companies, tickets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import (
    ChoiceWords,
    Command,
    CommandMatch,
    TicketRef,
    best_company,
    company_key,
    count_stars,
    description_similarity,
    detect_language,
    is_greeting_only,
    match_choice,
    normalize,
    parse_command,
    parse_company,
    parse_email,
    parse_name,
    parse_ticket_ref,
    standalone_rating,
)

LEVELS = [
    ChoiceWords("high", ("alto", "alta", "high", "toda la operación")),
    ChoiceWords("medium", ("medio", "media", "medium", "varias áreas")),
    ChoiceWords("low", ("bajo", "baja", "low", "no es urgente")),
]
URGENT = [ChoiceWords("high", ("urgente", "hoy")), ChoiceWords("low", ("no es urgente",))]
COMPANIES = ["Comercial Andes SpA", "Constructora Pacífico Ltda", "Agrícola Los Robles S.A."]


@pytest.mark.parametrize(
    "typed",
    [
        "alto",
        "ALTA",
        "alta!!",
        "muy alto",
        "hight",
        "Álto",
        "  Alta.  ",
        "1",
        "opción 1",
        "la primera",
        "uno",
        "toda la operacion",
    ],
)
def test_forgiving_high(typed: str) -> None:
    assert match_choice(typed, LEVELS) == "high"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("medio", "medium"),
        ("2", "medium"),
        ("dos", "medium"),
        ("meduim", "medium"),
        ("varias areas", "medium"),
        ("baja", "low"),
        ("lwo", None),
        ("3.", "low"),
        ("#3", "low"),
        ("4", None),
        ("0", None),
        ("", None),
        ("!!!", None),
        ("medio alto", None),
        ("hola, alta", "high"),
    ],
)
def test_choice_matching(typed: str, expected: str | None) -> None:
    assert match_choice(typed, LEVELS) == expected


def test_a_longer_phrase_beats_the_phrase_it_contains() -> None:
    assert match_choice("no es urgente", URGENT) == "low"
    assert match_choice("es urgente, hoy", URGENT) == "high"


def test_long_answers_only_match_an_option_at_their_start() -> None:
    long_text = "mañana tengo reunión y el problema es alto pero puede esperar un poco"
    assert match_choice(long_text, LEVELS) is None
    assert match_choice("alto, porque no podemos facturar nada en todo el día", LEVELS) == "high"


@given(st.text(max_size=80))
def test_match_choice_never_fails(typed: str) -> None:
    assert match_choice(typed, LEVELS) in {None, "high", "medium", "low"}


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("ayuda", Command.HELP),
        ("HELP", Command.HELP),
        ("ajuda", Command.HELP),
        ("cancelar", Command.CANCEL),
        ("Cancel.", Command.CANCEL),
        ("volver", Command.BACK),
        ("atrás", Command.BACK),
        ("atras", Command.BACK),
        ("back", Command.BACK),
        ("voltar", Command.BACK),
        ("reiniciar", Command.RESTART),
        ("restart", Command.RESTART),
        ("agente", Command.AGENT),
        ("agent", Command.AGENT),
        ("humano", Command.AGENT),
        ("quiero hablar con una persona", Command.AGENT),
        ("atendente", Command.AGENT),
        ("idioma", Command.LANGUAGE),
        ("language", Command.LANGUAGE),
        ("estado", Command.STATUS),
        ("mis tickets", Command.STATUS),
        ("status", Command.STATUS),
        ("nuevo", Command.NEW),
        ("novo chamado", Command.NEW),
    ],
)
def test_commands_in_three_languages(typed: str, command: Command) -> None:
    found = parse_command(typed)
    assert found is not None and found.command is command


@pytest.mark.parametrize(
    "typed",
    [
        "no puedo cancelar la factura",
        "necesito volver a emitir la boleta",
        "estado de cuenta",
        "el agente de ventas no ve sus clientes",
        "ayuda con el inventario por favor",
        "hola",
    ],
)
def test_sentences_that_mention_a_command_are_not_commands(typed: str) -> None:
    assert parse_command(typed) is None


def test_fuzzy_commands_only_when_asked_and_only_single_words() -> None:
    assert parse_command("cancelr") is None
    assert parse_command("cancelr", fuzzy=True) == CommandMatch(Command.CANCEL)
    assert parse_command("reinicar", fuzzy=True) == CommandMatch(Command.RESTART)
    assert parse_command("cancelr todo", fuzzy=True) is None
    assert parse_command("alto", fuzzy=True) is None


@pytest.mark.parametrize(
    ("typed", "lang"),
    [
        ("idioma en", "en"),
        ("idioma inglés", "en"),
        ("language pt", "pt"),
        ("language portuguese", "pt"),
        ("english", "en"),
        ("en español", "es"),
        ("idioma es", "es"),
        ("em português", "pt"),
        ("cambiar idioma a ingles", "en"),
        ("change language to portuguese", "pt"),
    ],
)
def test_language_commands(typed: str, lang: str | None) -> None:
    found = parse_command(typed)
    assert found is not None and found.command is Command.LANGUAGE and found.lang == lang


@pytest.mark.parametrize(
    ("typed", "ref"),
    [
        ("estado LA-000123", TicketRef("la", 123)),
        ("estado la123", TicketRef("la", 123)),
        ("status 45", TicketRef(None, 45)),
        ("estado del ticket LA-45", TicketRef("la", 45)),
        ("estado #45", TicketRef(None, 45)),
        ("meus chamados", None),
    ],
)
def test_status_with_a_ticket_number(typed: str, ref: TicketRef | None) -> None:
    assert parse_command(typed) == CommandMatch(Command.STATUS, ticket=ref)


def test_ticket_refs_match_numbers_with_or_without_prefix() -> None:
    assert TicketRef("la", 123).matches("LA-000123")
    assert TicketRef(None, 123).matches("LA-000123")
    assert not TicketRef("xy", 123).matches("LA-000123")
    assert not TicketRef("la", 124).matches("LA-000123")
    assert parse_ticket_ref("el 45") == TicketRef(None, 45)
    assert parse_ticket_ref("LA 000045") == TicketRef("la", 45)
    assert parse_ticket_ref("factura 45") is None
    assert TicketRef("la", 999).display() == "LA-000999"


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Ana Pérez", "Ana Pérez"),
        ("me llamo jorge soto", "Jorge Soto"),
        ("Hola, soy María José", "María José"),
        ("my name is John", "John"),
        ("meu nome é João", "João"),
        ("a", None),
        ("12345", None),
        ("ana@andes.cl", None),
        ("Ana 2", None),
    ],
)
def test_names(typed: str, name: str | None) -> None:
    assert parse_name(typed) == name


@pytest.mark.parametrize(
    ("typed", "email"),
    [
        ("ana@andes.cl", "ana@andes.cl"),
        ("Mi correo es Ana.Perez@Andes.CL.", "ana.perez@andes.cl"),
        ("ana@andes", None),
        ("ana", None),
        ("@andes.cl", None),
        ("ana..b@andes.cl", None),
        ("ana+soporte@sub.andes.com.br", "ana+soporte@sub.andes.com.br"),
    ],
)
def test_emails(typed: str, email: str | None) -> None:
    assert parse_email(typed) == email


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("Comercial Andes", 0),
        ("comersial andez", 0),
        ("COMERCIAL ANDES SPA", 0),
        ("Andes", None),  # a partial name is never completed (issue 10, item 14)
        ("Constructora Pacifico", 1),
        ("constructora pacífico limitada", 1),
        ("los robles", None),
        ("Comercial", None),
        ("Agricola Los Robles SA", 2),
        ("Panadería La Espiga", None),
        ("Ferretería Central", None),
        ("xy", None),
    ],
)
def test_company_fuzzy_match(typed: str, index: int | None) -> None:
    assert best_company(typed, COMPANIES) == index


def test_company_helpers() -> None:
    assert company_key("Agrícola Los Robles S.A.") == "agricola los robles"
    assert parse_company("de la empresa Comercial Andes") == "Comercial Andes"
    assert parse_company("?") is None


def test_similar_descriptions_score_high_and_different_ones_low() -> None:
    ticket = "Al emitir boletas electrónicas aparece el error CAF vencido y no se envían al SII"
    assert (
        description_similarity(
            "Al emitir boletas electrónicas sale error de CAF vencido, no se envían al SII", ticket
        )
        >= 80
    )
    assert description_similarity("error CAF boletas", ticket) >= 80
    assert (
        description_similarity("El reporte de ventas por vendedor no incluye las notas de crédito", ticket)
        < 60
    )
    assert description_similarity("", ticket) == 0


@pytest.mark.parametrize(("typed", "rating"), [("⭐⭐⭐", 3), ("*****", 5), ("******", None), ("hola", None)])
def test_stars(typed: str, rating: int | None) -> None:
    assert count_stars(typed) == rating


@pytest.mark.parametrize(
    ("typed", "rating"),
    [("4", 4), ("4/5", 4), ("5 de 5", 5), ("un 2", 2), ("10", None), ("0", None), ("3 y 4", None)],
)
def test_standalone_rating(typed: str, rating: int | None) -> None:
    assert standalone_rating(typed) == rating


@pytest.mark.parametrize(
    ("typed", "greeting"),
    [
        ("hola", True),
        ("Hola, buenas tardes, ¿cómo están?", True),
        ("buen día equipo", True),
        ("hi there", False),
        ("oi, tudo bem?", True),
        ("hola, no puedo facturar", False),
        ("", True),
    ],
)
def test_greeting_only(typed: str, greeting: bool) -> None:
    assert is_greeting_only(typed) is greeting


@pytest.mark.parametrize(
    ("typed", "lang"),
    [
        ("hola", "es"),
        ("Hello", "en"),
        ("good morning", "en"),
        ("olá, bom dia", "pt"),
        ("oi", "pt"),
        ("ok", None),
        ("123", None),
    ],
)
def test_detect_language(typed: str, lang: str | None) -> None:
    assert detect_language(typed) == lang


def test_normalize() -> None:
    assert normalize("  ¡ALTA!!  Müy  ") == "alta muy"
    assert normalize("Facturación electrónica") == "facturacion electronica"


def test_overlong_email_addresses_are_refused() -> None:
    from bot.parsing import parse_email

    assert parse_email("ana@andes.cl") == "ana@andes.cl"
    assert parse_email("a" * 65 + "@andes.cl") is None
    assert parse_email("ana@" + "b" * 250 + ".cl") is None
