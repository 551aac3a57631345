"""The web form (/soporte) says a request's terms before the customer confirms it (issue 15)."""

from __future__ import annotations

from sqlalchemy import select

from intake.db.models import Ticket
from intake.services.demo import DEMO_EMAIL
from tests.web.conftest import Console
from tests.web.test_public_views import answer, token_of


def test_a_self_identified_web_customer_is_told_the_terms_will_be_confirmed(desk: Console) -> None:
    client = desk.app.test_client()
    client.get("/soporte?lang=es")
    client.post("/soporte/nueva", data={"csrf_token": token_of(client, "/soporte")})
    answer(client, {"text": "Pedro Soto"})
    answer(client, {"text": "Comercial Andes"})
    answer(client, {"choice": "confirm_company:yes"})
    answer(client, {"text": DEMO_EMAIL})
    page = answer(client, {"choice": "ask_type:request"})
    assert "Condiciones" not in page  # nothing to confirm up front: the desk has not vouched for them yet
    answer(client, {"text": "Necesitamos una lista de precios para mayoristas"})
    answer(client, {"choice": "ask_module:unknown"})
    answer(client, {"choice": "ask_evidence:done"})
    answer(client, {"choice": "ask_impact:low"})
    page = answer(client, {"choice": "ask_urgency:low"})
    assert "revisaremos su solicitud y le confirmaremos las condiciones" in page
    assert "Saldo" not in page  # no company figure for an unverified contact
    answer(client, {"choice": "confirm_summary:confirm"})
    with desk.container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.channel == "web")).one()
    assert ticket.ticket_type == "request" and ticket.billable is False
