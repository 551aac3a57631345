"""Tracking links and the tracking page's use cases, on both backends: hashed tokens, revocation, the link in
notifications, a reply that resumes the clock, validation (no reopens) and the survey."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.bootstrap import Container
from intake.cli import cli
from intake.cli.simulator import ChatSession
from intake.db.models import (
    Agent,
    Attachment,
    Conversation,
    OutboxMessage,
    SupportPlan,
    Ticket,
    TicketPause,
    TrackingLink,
)
from intake.services.agent_actions import Registration
from intake.services.demo import DEMO_COMPANY
from intake.services.tracking import TrackingPages, Upload, customer_terms
from intake.services.web_intake import Answer, WebIntake
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock

BASE = "https://soporte.example"
SECRET = "tracking-test-secret-0123456789abcdef"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LINK = re.compile(r"(?:Seguimiento|Tracking|Acompanhamento): (\S+)")


@pytest.fixture
def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    """A container whose notifications carry tracking links (PUBLIC_BASE_URL set), with one agent."""
    container = make_container(
        database_url,
        tmp_path,
        clock,
        PUBLIC_BASE_URL=BASE,
        SECRET_KEY="tracking-test-secret-0123456789abcdef",
    )
    with container.transaction() as session:
        session.add(Agent(name="Ana", email="ana@soporte.example", is_supervisor=False))
    yield container
    container.close()


def pages(container: Container) -> TrackingPages:
    """The tracking page use cases on this container."""
    c = container
    return TrackingPages(c.session_factory, c.tickets, c.conversations, c.sla, c.store, c.clock)


def opened(container: Container) -> tuple[ChatSession, str, str]:
    """A ticket opened in the demo contact's chat: the chat, the number and the token of its link."""
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "El POS no imprime boletas desde esta mañana")
    with container.session_factory() as session:
        registered = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "registration")
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert registered is not None
    url = LINK.search(registered.payload["text"])
    assert url, registered.payload["text"]
    parts = urlsplit(url.group(1))
    assert parts.path == f"/t/{number}"
    return chat, number, parse_qs(parts.query)["k"][0]


def test_the_registration_carries_a_random_link_stored_only_as_its_hash(desk: Container) -> None:
    _, number, token = opened(desk)
    assert len(token) >= 32  # 24 random bytes, URL-safe base64
    with desk.session_factory() as session:
        link = session.scalars(select(TrackingLink)).one()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in link.sealed_token
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert link.ticket_id == ticket.id and link.contact_id == ticket.contact_id
    view = pages(desk).view(number, token)
    assert view is not None and view.number == number and view.status == "new"


def test_later_notifications_quote_the_same_link(desk: Container) -> None:
    chat, number, token = opened(desk)
    reply = texts(chat.agent("take", number))
    assert f"Seguimiento: {BASE}/t/{number}?k={token}" in reply
    with desk.session_factory() as session:
        assert len(session.scalars(select(TrackingLink)).all()) == 1


def test_a_wrong_token_or_another_tickets_number_opens_nothing(desk: Container) -> None:
    _, number, token = opened(desk)
    assert pages(desk).view(number, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert pages(desk).view("LA-999999", token) is None
    assert pages(desk).view(number, "") is None


def test_revoking_closes_the_link_and_the_next_notification_brings_a_new_one(desk: Container) -> None:
    chat, number, token = opened(desk)
    assert pages(desk).revoke(number) == 1
    assert pages(desk).view(number, token) is None
    reply = texts(chat.agent("take", number))
    fresh = LINK.search(reply)
    assert fresh is not None
    new_token = parse_qs(urlsplit(fresh.group(1)).query)["k"][0]
    assert new_token != token
    assert pages(desk).view(number, new_token) is not None
    assert pages(desk).revoke("LA-999999") is None


def test_a_reply_from_the_page_answers_an_information_request_and_resumes_the_clock(desk: Container) -> None:
    chat, number, token = opened(desk)
    chat.agent("take", number)
    chat.agent("info", number, "¿Qué impresora usan?")
    view = pages(desk).view(number, token)
    assert view is not None and view.status == "waiting_customer"
    assert view.resolution_state == "paused_customer"
    outcome = pages(desk).reply(number, token, "Una Epson TM-T20", [Upload(PNG, "image/png", "foto.png")])
    assert outcome.recorded and outcome.refused == ()
    view = pages(desk).view(number, token)
    assert view is not None and view.status == "in_progress" and view.resolution_state == ""
    assert [e.body for e in view.timeline if e.kind == "customer_reply"] == ["Una Epson TM-T20"]
    assert [e.filename for e in view.evidence] == ["foto.png"]
    with desk.session_factory() as session:
        pause = session.scalars(select(TicketPause)).one()
        assert pause.ended_at is not None
        stored = session.scalars(select(Attachment)).one()
    file = pages(desk).evidence(number, token, stored.id)
    assert file is not None and file.content == PNG
    assert pages(desk).evidence(number, "wrong", stored.id) is None


def test_a_file_that_is_not_what_it_claims_is_refused(desk: Container) -> None:
    _, number, token = opened(desk)
    script = Upload(b"#!/bin/sh\nrm -rf /\n", "image/png", "foto.png")
    outcome = pages(desk).reply(number, token, "", [script])
    assert not outcome.recorded and outcome.refused == (("foto.png", "forbidden_type"),)


def test_internal_notes_never_reach_the_page(desk: Container) -> None:
    _, number, token = opened(desk)
    desk.agent_actions.note(number, "ana@soporte.example", "cliente moroso, ojo")
    view = pages(desk).view(number, token)
    assert view is not None
    assert all("moroso" not in entry.body for entry in view.timeline)


def test_no_reopens_the_ticket_and_yes_closes_it_then_the_survey(desk: Container) -> None:
    chat, number, token = opened(desk)
    chat.agent("take", number)
    chat.agent("solve", number, "Reinstalamos el driver")
    assert pages(desk).rate(number, token, 5, "") is False  # not closed yet
    assert pages(desk).validate(number, token, False, "Sigue sin imprimir")
    view = pages(desk).view(number, token)
    assert view is not None and view.status == "reopened"
    assert any(e.kind == "reopened" and e.body == "Sigue sin imprimir" for e in view.timeline)
    assert pages(desk).validate(number, token, True, "") is False  # nothing awaits validation now
    chat.agent("solve", number, "Cambiamos el cable")
    assert pages(desk).validate(number, token, True, "")
    view = pages(desk).view(number, token)
    assert view is not None and view.status == "closed" and view.survey_open
    assert pages(desk).rate(number, token, 4, "Rápidos")
    view = pages(desk).view(number, token)
    assert view is not None and not view.survey_open and view.survey_rating == 4
    assert pages(desk).rate(number, token, 9, "") is False


def test_without_a_public_base_url_notifications_carry_no_link(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    try:
        chat = ChatSession(container, "+56911111111")
        chat.say("hola")
        number = open_ticket_through_chat(chat, "Error al validar factura electrónica")
        with container.session_factory() as session:
            assert session.scalars(select(TrackingLink)).all() == []
            texts_sent = [row.payload["text"] for row in session.scalars(select(OutboxMessage))]
        assert number and not any("Seguimiento" in t for t in texts_sent)
    finally:
        container.close()


def test_the_cli_revokes_a_tickets_links(desk: Container, database_url: str, tmp_path: Path) -> None:
    _, number, token = opened(desk)
    env = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": SECRET,
        "PUBLIC_BASE_URL": BASE,
    }
    runner = CliRunner()
    result = runner.invoke(cli, ["ticket", "revoke-link", number], env=env, obj={}, catch_exceptions=False)
    assert result.exit_code == 0 and f"{number}: 1 tracking link(s) revoked" in result.output
    assert pages(desk).view(number, token) is None
    unknown = runner.invoke(cli, ["ticket", "revoke-link", "LA-999999"], env=env, obj={})
    assert unknown.exit_code == 1 and "no ticket LA-999999" in unknown.output


def test_a_web_form_ticket_is_told_by_email_with_its_link(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(
        database_url, tmp_path, clock, PUBLIC_BASE_URL=BASE, SECRET_KEY=SECRET, SMTP_HOST="smtp.example"
    )
    intake = WebIntake(container.session_factory, container.inbound, container.store, SECRET, container.clock)
    try:
        assert "nombre" in intake.start("visitor-1", "es").replies[0].text
        for answer in (
            Answer("Rosa Díaz"),
            Answer("Ferretería del Sur"),
            Answer("rosa@ferreteria.example"),
            Answer(choice="ask_type:incident"),
            Answer("No cuadra el inventario valorizado"),
            Answer(choice="ask_module:inventory"),
            Answer(files=[Upload(PNG, "image/png", "kardex.png")]),
            Answer(choice="ask_evidence:done"),
            Answer(choice="ask_impact:medium"),
            Answer(choice="ask_urgency:medium"),
        ):
            step = intake.answer("visitor-1", answer, "es")
        assert step.step == "confirm_summary" and "P3" in step.replies[-1].text
        done = intake.answer("visitor-1", Answer(choice="confirm_summary:confirm"), "es")
        assert (
            done.ticket_number
            and done.tracking_path
            and done.tracking_path.startswith(f"/t/{done.ticket_number}?k=")
        )
        token = done.tracking_path.split("?k=", 1)[1]
        with container.session_factory() as session:
            mails = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
            ticket = session.scalars(select(Ticket)).one()
            assert ticket.channel == "web" and ticket.needs_verification
        mailed = [m for m in mails if m.recipient == "rosa@ferreteria.example"]
        assert mailed and f"Seguimiento: {BASE}{done.tracking_path}" in mailed[0].payload["text"]
        container.run_jobs_once()  # the media job files the upload from the store
        view = pages(container).view(done.ticket_number, token)
        assert view is not None and [e.filename for e in view.evidence] == ["kardex.png"]
    finally:
        container.close()


def chat_step(container: Container) -> str | None:
    """The demo contact's WhatsApp chat's dialog step."""
    with container.session_factory() as session:
        return session.scalars(select(Conversation.step)).one()


def test_answers_given_on_the_page_stop_the_chat_asking_them(desk: Container) -> None:
    chat, number, token = opened(desk)
    chat.agent("take", number)
    chat.agent("solve", number, "Reinstalamos el driver")
    assert chat_step(desk) == "validation_ask"
    assert pages(desk).validate(number, token, False, "Sigue igual")
    assert chat_step(desk) is None
    assert "¿Se resolvió" not in texts(chat.say("hola"))
    chat.say("cancelar")
    chat.agent("solve", number, "Cambiamos el cable")
    assert pages(desk).validate(number, token, True, "")
    assert chat_step(desk) == "survey_rating"  # a yes closes the ticket and the chat asks the survey
    assert pages(desk).rate(number, token, 5, "")
    assert chat_step(desk) is None


# --- issue 15: commercial rules -------------------------------------------------------------------


def test_the_page_tells_a_billable_incident_and_a_request_s_terms(desk: Container) -> None:
    _, number, token = opened(desk)
    view = pages(desk).view(number, token)
    assert view is not None and view.commercial == ""
    desk.agent_actions.mark_billable(number, "ana@soporte.example", "Se borró la impresora en el POS")
    view = pages(desk).view(number, token)
    assert view is not None
    assert (
        "los errores provocados por los usuarios son atendidos, pero con cargo al cliente" in view.commercial
    )
    assert "Motivo: Se borró la impresora en el POS" in view.commercial
    assert all("User error" not in entry.body for entry in view.timeline)  # the trail's wording stays inside

    with desk.session_factory() as session:
        contact_id = session.scalars(select(Ticket.contact_id).where(Ticket.number == number)).one()
    assert contact_id is not None
    request = desk.agent_actions.register(
        "ana@soporte.example", Registration(contact_id, "request", "Nueva lista de precios", "bajo", "baja")
    ).number
    with desk.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == request)).one()
        terms = customer_terms(session, ticket, desk.clock())
    assert terms.startswith("Condiciones: este requerimiento está incluido en su plan de soporte")


def test_the_page_never_shows_the_company_s_bank_balance(desk: Container) -> None:
    """The link may be forwarded or posted in a group: the hours-bank terms come without the balance."""
    _, number, _ = opened(desk)
    with desk.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        plan = session.get(SupportPlan, ticket.plan_id)
        assert plan is not None
        plan.request_rule = "hours_bank"
        contact_id = ticket.contact_id
    assert contact_id is not None
    desk.hours_bank.credit("ana@soporte.example", DEMO_COMPANY, 10 * 60, "Paquete de 10 horas")
    request = desk.agent_actions.register(
        "ana@soporte.example", Registration(contact_id, "request", "Nueva lista de precios", "bajo", "baja")
    ).number
    with desk.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == request)).one()
        terms = customer_terms(session, ticket, desk.clock())
    assert "bolsa de horas" in terms and "solo en un chat privado" in terms
    assert "10 h" not in terms
