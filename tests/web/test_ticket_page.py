"""The ticket page: facts, deadlines in words, one timeline, evidence and every action (test client)."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from intake.db.models import ChannelIdentity, Contact, OutboxMessage, Ticket
from intake.services.agent_actions import Registration
from tests.support.clock import FakeClock
from tests.web.conftest import Console, chat, csrf_token, open_ticket, post_form, signed_in

PNG = (
    bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
    + b"\x1f\x15\xc4\x89"
    + b"\0" * 40
)


def act(client: FlaskClient, number: str, action: str, text: str = "", **extra: str) -> str:
    """Run an action through its form; the page it leads to."""
    token = csrf_token(client, f"/console/tickets/{number}")
    data = {"csrf_token": token, "text": text, **extra}
    response = client.post(f"/console/tickets/{number}/act/{action}", data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def entries(html: str) -> list[tuple[str, str]]:
    """(kind, event) of every timeline entry, in order."""
    return re.findall(r'<li class="entry [^"]*" data-kind="(\w+)"(?: data-event="(\w+)")?', html)


def test_the_page_shows_facts_deadlines_in_words_and_the_intake_dialog(desk: Console) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    html = signed_in(desk).get(f"/console/tickets/{number}").get_data(as_text=True)
    assert f"{number}</span> El ERP no abre desde la mañana" in html
    assert "respuesta antes del lunes 2 de marzo 09:30" in html
    assert "solución antes del lunes 2 de marzo 15:00" in html
    assert (
        "Respuesta: quedan 30 min (vence 2026-03-02 09:30) · Resolución: quedan 6 h (vence 2026-03-02 15:00)"
        in html
    )
    kinds = entries(html)
    assert kinds[0] == ("customer", "")  # "hola": the dialog that led to the ticket
    assert ("bot", "") in kinds and ("event", "created") in kinds
    assert 'id="take-form"' in html and 'id="reply-text"' in html and 'id="note-text"' in html


def test_take_reply_note_ask_progress_and_priority_in_one_timeline(desk: Console, clock: FakeClock) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    client = signed_in(desk)
    clock.advance(minutes=1)
    assert "Ticket tomado" in act(client, number, "take")
    clock.advance(minutes=2)
    html = act(client, number, "reply", "Estamos revisando el servidor.")
    assert "Respuesta en cola hacia el chat del cliente." in html
    clock.advance(minutes=1)
    act(client, number, "note", "Parece el certificado vencido")
    clock.advance(minutes=1)
    act(client, number, "priority", "Afecta solo a una sucursal", priority="P3")
    clock.advance(minutes=1)
    html = act(client, number, "ask", "¿Desde qué sucursal?")
    assert entries(html)[-8:] == [
        ("event", "taken"),
        ("bot", ""),  # "taken by Ana Soporte" (the first response)
        ("agent", "agent_reply"),
        ("note", "note"),
        ("event", "priority_changed"),
        ("bot", ""),  # the customer is told the new priority and deadlines
        ("event", "status"),  # waiting on the customer
        ("agent", "info_requested"),
    ]
    assert "P1 → P3: Afecta solo a una sucursal" in html
    assert '<span class="tag">nota interna</span>' in html
    assert 'data-status="waiting_customer"' in html and 'data-tone="grey"' in html
    assert "todavía en pausa" in html  # the pause history
    with desk.container.session_factory() as session:
        outbox = session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind.is_not(None))).all()
    sent = " ".join(str(p.get("text", "")) for p in outbox)
    assert "Estamos revisando el servidor." in sent and "certificado" not in sent  # notes never leave


def test_escalate_propose_solution_then_the_customer_closes_it_with_the_survey(desk: Console) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    client = signed_in(desk)
    act(client, number, "take")
    assert "Ticket escalado." in act(client, number, "escalate", "Necesita al especialista")
    html = act(client, number, "solve", "Renovamos el certificado del servidor")
    assert 'data-status="solution_proposed"' in html
    customer = chat(desk)
    customer.flush()
    customer.say("1")  # the solution works
    customer.say("5")  # survey rating
    html = client.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert 'data-status="closed"' in html and 'id="survey"' in html and "<strong>5/5</strong>" in html
    assert 'id="actions"' not in html


def test_refusals_come_back_as_flash_messages_and_write_nothing(desk: Console) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    client = signed_in(desk)
    act(client, number, "cancel", "Duplicado")
    html = act(client, number, "reply", "¿Sigue el problema?")
    assert 'class="flash flash-error"' in html and "cannot reply on a ticket that is cancelled" in html
    html = act(client, number, "note", "   ")
    assert "Escriba un texto primero." in html
    assert (
        client.post(
            f"/console/tickets/{number}/act/explode", data={"csrf_token": csrf_token(client, "/console/")}
        ).status_code
        == 404
    )
    assert client.get("/console/tickets/LA-999999").status_code == 404


def test_an_agent_sends_a_file_and_evidence_is_served_only_to_signed_in_agents(desk: Console) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    client = signed_in(desk)
    token = csrf_token(client, f"/console/tickets/{number}")
    data = {"csrf_token": token, "caption": "Captura", "file": (io.BytesIO(PNG), "captura.png", "image/png")}
    response = client.post(f"/console/tickets/{number}/file", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    html = client.get(f"/console/tickets/{number}").get_data(as_text=True)
    [attachment_id] = re.findall(r'data-attachment="(\d+)"', html)[:1]
    assert f'<img src="/console/attachments/{attachment_id}"' in html
    image = client.get(f"/console/attachments/{attachment_id}")
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    assert image.headers["Content-Disposition"].startswith("inline;")
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    download = client.get(f"/console/attachments/{attachment_id}?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.mimetype == "application/octet-stream"
    anonymous = desk.app.test_client().get(f"/console/attachments/{attachment_id}")
    assert anonymous.status_code == 302 and "/console/sign-in" in anonymous.headers["Location"]
    assert client.get("/console/attachments/9999").status_code == 404


def test_register_on_behalf_from_the_console(desk: Console) -> None:
    client = signed_in(desk)
    form_page = client.get("/console/register").get_data(as_text=True)
    contact_id = re.search(r'<option value="(\d+)"[^>]*>Comercial Andes SpA · María González', form_page)
    assert contact_id
    data = {
        "contact_id": contact_id.group(1),
        "ticket_type": "incident",
        "impact": "medio",
        "urgency": "alta",
        "description": "Llamó por teléfono: no imprime facturas",
    }
    assert post_form(client, "/console/register", data, "/console/register") == 302
    with desk.container.session_factory() as session:
        ticket = session.scalars(select(Ticket)).one()
    assert ticket.priority == "P2" and ticket.description == "Llamó por teléfono: no imprime facturas"
    refused = client.post(
        "/console/register",
        data={**data, "impact": "enorme", "csrf_token": csrf_token(client, "/console/register")},
    )
    assert refused.status_code == 400 and "unknown impact" in refused.get_data(as_text=True)


def test_the_composer_tells_when_whatsapp_s_window_is_closed(desk: Console) -> None:
    with desk.container.transaction() as session:
        contact = Contact(name="Pedro Rojas", company_id=None)
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id, channel="whatsapp", address="+56922222222"))
        contact_id = contact.id
    number = desk.container.agent_actions.register(
        "ana@latamadvisory.example",
        Registration(contact_id, "incident", "No entra al portal", "bajo", "baja"),
    ).number
    html = signed_in(desk).get(f"/console/tickets/{number}").get_data(as_text=True)
    assert 'class="window closed"' in html and "se retiene hasta que el cliente vuelva a escribir" in html
