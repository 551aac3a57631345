"""The plan's rule for requests, said plainly before the customer confirms one (issue 15)."""

from __future__ import annotations

import pytest

from bot.context import RequestTerms, hours_and_minutes
from bot.effects import CreateTicket, TicketType
from bot.rendering import request_terms_text
from tests.unit.bot.transcript import Chat, make_ctx

DESCRIBE = [
    ("Quiero configurar una nueva lista de precios para mayoristas", []),
    ("ventas", []),
    ("no", []),
    ("bajo", []),
]


def _created(chat: Chat) -> CreateTicket:
    found = [e for e in chat.all_effects if isinstance(e, CreateTicket)]
    assert len(found) == 1
    return found[0]


def test_included_requests_go_straight_on_and_the_summary_says_included() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("included")))
    chat.run([("hola", []), ("consulta", ["Cuéntenos"]), *DESCRIBE])
    chat.run([("puede esperar", ["incluido en su plan de soporte, sin costo adicional", "¿La registramos?"])])
    chat.run([("confirmar", [])])
    data = _created(chat).data
    assert data.ticket_type is TicketType.REQUEST and data.billable_confirmed is False


def test_hours_bank_requests_say_the_balance_before_and_in_the_summary() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("hours_bank", 12 * 60 + 30)))
    chat.run(
        [("hola", []), ("consulta", ["bolsa de horas", "Saldo actual: 12 h 30 min", "¿Desea continuar?"])]
    )
    chat.run([("sí, continuar", ["Cuéntenos"]), *DESCRIBE])
    chat.run([("puede esperar", ["P5", "Saldo actual: 12 h 30 min", "Si el saldo llega a cero"])])
    chat.run([("confirmar", [])])
    assert _created(chat).data.billable_confirmed is True


def test_an_empty_bank_says_a_quote_or_top_up_comes_before_the_work() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("hours_bank", -45)))
    chat.run([("hola", []), ("consulta", ["no tiene saldo (-45 min)", "antes de comenzar el trabajo"])])


def test_quoted_requests_say_a_quote_comes_first() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("quote")))
    chat.run(
        [("hola", []), ("consulta", ["no incluye requerimientos", "Lo cotizaremos", "¿Desea continuar?"])]
    )


def test_an_unknown_company_is_told_the_conditions_will_be_confirmed() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("unknown")))
    chat.run([("hola", []), ("consulta", ["Cuéntenos"]), *DESCRIBE])
    chat.run([("puede esperar", ["revisaremos su solicitud y le confirmaremos las condiciones"])])
    chat.run([("confirmar", [])])
    assert _created(chat).data.billable_confirmed is False


def test_incidents_never_show_the_request_terms() -> None:
    chat = Chat(ctx=make_ctx(request_terms=RequestTerms("quote")))
    chat.run([("hola", []), ("falla", ["Cuéntenos"])])
    chat.run([("El reporte de ventas no muestra las notas de crédito", []), ("ventas", []), ("no", [])])
    chat.run([("bajo", []), ("puede esperar", ["¿La registramos?"])])
    assert "Condiciones" not in chat.text


@pytest.mark.parametrize(
    ("terms", "lang", "expected"),
    [
        (RequestTerms("included"), "en", "included in your support plan, at no extra cost"),
        (RequestTerms("included"), "pt", "incluída no seu plano de suporte, sem custo adicional"),
        (RequestTerms("hours_bank", 90), "en", "Current balance: 1 h 30 min"),
        (RequestTerms("hours_bank", 90), "pt", "Saldo atual: 1 h 30 min"),
        (RequestTerms("hours_bank", 0), "en", "which has no balance left (0 min)"),
        (RequestTerms("hours_bank", 0), "pt", "que está sem saldo (0 min)"),
        (RequestTerms("hours_bank"), "es", "el saldo se informa solo en un chat privado"),
        (RequestTerms("hours_bank"), "en", "the balance is only given in a private chat"),
        (RequestTerms("quote"), "en", "We will quote it and send you the quote for approval"),
        (RequestTerms("quote"), "pt", "Vamos orçá-la e enviar o orçamento para sua aprovação"),
        (RequestTerms("unknown"), "en", "we will review your request and confirm the conditions"),
        (RequestTerms("unknown"), "pt", "vamos revisar sua solicitação e confirmar as condições"),
    ],
)
def test_the_terms_in_english_and_portuguese(terms: RequestTerms, lang: str, expected: str) -> None:
    assert expected in request_terms_text(terms, lang)


def test_only_charged_rules_ask_for_a_confirmation_first() -> None:
    assert [RequestTerms(rule).may_cost for rule in ("included", "hours_bank", "quote", "unknown")] == [
        False,
        True,
        True,
        False,
    ]


def test_hours_and_minutes() -> None:
    assert [hours_and_minutes(m) for m in (0, 45, 60, 750, -65)] == [
        "0 min",
        "45 min",
        "1 h 00 min",
        "12 h 30 min",
        "-1 h 05 min",
    ]
