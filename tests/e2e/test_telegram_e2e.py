"""A whole Telegram conversation over real HTTP, as Telegram and a customer would drive it.

The real Flask app runs in a werkzeug server on loopback; updates are POSTed to it with `requests`
and the secret header; the worker (`container.run_jobs_once`) runs between steps and talks to a fake
Bot API (tests/integration/telegram_fake.py) through the real python-telegram-bot client. Every
choice is made with the inline buttons the fake received; evidence files are served by the fake's
getFile + download.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from intake.db.models import (
    Agent,
    Attachment,
    Base,
    ChannelIdentity,
    Company,
    Contact,
    InboxItem,
    OutboxMessage,
    SurveyAnswer,
    Ticket,
)
from sla.priority import Impact, Priority, Urgency, priority_for
from tests.integration.test_telegram_webhook import (
    AGENTS_CHAT,
    SECRET,
    TelegramEnv,
    build_env,
    dated,
    seed_customer,
)
from tests.support.clock import FakeClock
from tests.support.signing import telegram_headers
from tests.support.telegram_fake import (
    FakeBotApi,
    button_titles,
    document_update,
    message_update,
    photo_update,
    press_button,
)
from tests.support.turns import run_turns
from webhooks import create_app

CUSTOMER = 5011223344
NEWCOMER = 6099887766
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"log de facturacion: error CAF vencido\n" * 300 + b"%%EOF\n"
NUMBER = re.compile(r"^LA-\d{6}$")


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fake Bot API server on loopback."""
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def env(database_url: str, tmp_path: Path, api: FakeBotApi, clock: FakeClock) -> Iterator[TelegramEnv]:
    """The production-wired container on the test database (both backends)."""
    built = build_env(database_url, tmp_path / "data", api, clock)
    yield built
    built.container.close()


@pytest.fixture
def webhook_url(env: TelegramEnv) -> Iterator[str]:
    """The real Flask app served over HTTP on a free loopback port."""
    server = make_server("127.0.0.1", 0, create_app(env.container), threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-server", daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/webhooks/telegram"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


class Telegram:
    """Telegram's side for one chat: delivers the customer's updates to the webhook, shows the bot's."""

    def __init__(self, env: TelegramEnv, url: str, user_id: int) -> None:
        self.env, self.url, self.user_id = env, url, user_id
        self.http = requests.Session()
        self.presses: list[str] = []
        self.seen = 0

    def deliver(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """POST one update (Telegram's way), run the worker, return the bot's new messages to the chat."""
        calls_before = len(self.env.api.calls)
        response = self.http.post(
            self.url,
            data=json.dumps(dated(update, self.env.clock)),
            headers={"Content-Type": "application/json", **telegram_headers(SECRET)},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"ok": True}
        assert len(self.env.api.calls) == calls_before  # the webhook never waits on the Bot API
        self.env.work()
        return self.new_messages()

    def new_messages(self) -> list[dict[str, Any]]:
        """What the bot sent to this chat since the last look."""
        messages = self.env.api.messages_to(self.user_id)
        fresh, self.seen = messages[self.seen :], len(messages)
        return fresh

    def say(self, text: str) -> list[dict[str, Any]]:
        """The customer types a message."""
        return self.deliver(message_update(self.user_id, text=text))

    def press(self, title: str) -> list[dict[str, Any]]:
        """The customer presses the button labelled `title` on the latest keyboard in the chat."""
        update = press_button(self.env.api, self.user_id, title)
        self.presses.append(update["callback_query"]["id"])
        return self.deliver(update)

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.close()


def texts(messages: list[dict[str, Any]]) -> str:
    """All texts (and captions) of some bot messages, joined."""
    return "\n---\n".join(m.get("text") or m.get("caption") or "" for m in messages)


def buttons(messages: list[dict[str, Any]]) -> list[str]:
    """Button labels of the last message that had a keyboard."""
    keyboards = [m for m in messages if "reply_markup" in m]
    return list(button_titles(keyboards[-1])) if keyboards else []


def assert_every_press_answered_once(env: TelegramEnv, chat: Telegram) -> None:
    """Each callback query got exactly one answerCallbackQuery."""
    answered = Counter(c.params["callback_query_id"] for c in env.api.calls_to("answerCallbackQuery"))
    assert answered == Counter(chat.presses)


def assert_token_nowhere(env: TelegramEnv, records: list[logging.LogRecord]) -> None:
    """The bot token (or its secret half) is in no column of any table and in no log record."""
    secret_part = env.token.partition(":")[2]
    scanned = 0
    with env.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(table.select()):
                dump = json.dumps(list(row), default=str, ensure_ascii=False)
                assert secret_part not in dump, f"token in {table.name}: {dump[:200]}"
                scanned += 1
    assert scanned > 50  # the conversation really left rows behind
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        assert secret_part not in text and env.token not in text, record.name


def test_a_known_customer_reports_with_buttons_and_files_then_validates_and_rates(
    env: TelegramEnv, webhook_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_customer(env)
    chat = Telegram(env, webhook_url, CUSTOMER)

    # --- intake, every choice by button ---------------------------------------------------------
    got = chat.say("Hola, el sistema de facturación no emite boletas desde esta mañana, error de CAF")
    assert "Camila Rojas" in texts(got)
    assert buttons(got) == ["Reportar una falla", "Consulta / solicitud"]
    got = chat.press("Reportar una falla")
    assert "Factura electrónica" in buttons(got)
    got = chat.press("Factura electrónica")
    assert buttons(got) == ["Listo", "Omitir"]

    env.api.add_file("AgACAgEAAxkBAAIBaGeH-photo", PHOTO, "photos/file_7.jpg")
    env.api.add_file("BQACAgEAAxkBAAIBaWeH-doc", PDF, "documents/file_8.pdf")
    env.api.fail("file", 500)  # the first download fails once: the worker retries it
    got = chat.deliver(photo_update(CUSTOMER, "AgACAgEAAxkBAAIBaGeH-photo", len(PHOTO), "Así aparece"))
    assert "Lleva 1 archivo(s)" in texts(got)
    got = chat.deliver(
        document_update(
            CUSTOMER, "BQACAgEAAxkBAAIBaWeH-doc", "log-facturacion.pdf", "application/pdf", len(PDF)
        )
    )
    assert "log-facturacion.pdf" in texts(got) and "Lleva 2 archivo(s)" in texts(got)
    got = chat.press("Listo")
    assert buttons(got) == ["Toda la operación", "Varias áreas", "Un usuario o menor"]
    got = chat.press("Toda la operación")
    assert buttons(got) == ["Sí, hoy mismo", "En unos días", "Puede esperar"]
    got = chat.press("Sí, hoy mismo")
    assert "Archivos: 2" in texts(got) and "Prioridad: P1" in texts(got)
    assert buttons(got) == ["Confirmar", "Editar", "Cancelar"]
    env.clock.advance(minutes=2)
    got = chat.press("Confirmar")

    # --- the ticket -----------------------------------------------------------------------------------
    with env.session() as session:
        ticket = session.scalars(select(Ticket)).one()
        contact = session.scalars(select(Contact)).one()
        attachments = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert ticket.number is not None and NUMBER.match(ticket.number)
    [registration] = got
    assert f"Registramos su ticket {ticket.number}" in registration["text"]
    assert "Prioridad: P1" in registration["text"]
    assert ticket.priority == priority_for(Impact.HIGH, Urgency.HIGH) == Priority.P1
    assert (ticket.ticket_type, ticket.module, ticket.status, ticket.channel) == (
        "incident",
        "einvoice",
        "new",
        "telegram",
    )
    assert (ticket.contact_id, ticket.company_id) == (contact.id, contact.company_id)
    assert ticket.opened_at == env.clock()
    # Monday 09:02 in Santiago, inside business hours: P1 is 30 minutes / 6 hours (the contract).
    assert ticket.response_due == ticket.opened_at + timedelta(minutes=30)
    assert ticket.resolution_due == ticket.opened_at + timedelta(hours=6)
    assert [(a.status, a.filename, a.mime_type, a.size, a.sha256) for a in attachments] == [
        ("stored", "file_7.jpg", "image/jpeg", len(PHOTO), hashlib.sha256(PHOTO).hexdigest()),
        ("stored", "log-facturacion.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
    ]
    assert all(a.ticket_id == ticket.id for a in attachments)
    assert [env.container.store.open(a.storage_path or "") for a in attachments] == [PHOTO, PDF]
    assert len(env.api.downloads) == 3  # one failed, then both files
    alerts = texts(env.api.messages_to(AGENTS_CHAT))
    assert f"New P1 incident {ticket.number}" in alerts

    # --- an agent works and proposes a solution ----------------------------------------------------------
    env.clock.advance(minutes=40)
    with env.container.transaction() as session:
        row = session.scalars(select(Ticket)).one()
        agent = session.scalars(select(Agent)).one()
        env.container.tickets.post_progress(session, row, agent, "Revisamos el CAF del SII", now=env.clock())
        env.container.conversations.propose_solution(
            session, row, agent, "Cargamos un CAF nuevo para boletas", now=env.clock()
        )
    env.work()
    got = chat.new_messages()
    assert f"Avance en su ticket {ticket.number}: Revisamos el CAF del SII" in texts(got)
    assert "Cargamos un CAF nuevo para boletas" in texts(got)
    assert buttons(got) == ["Sí", "No"]

    # --- validation and survey by button ---------------------------------------------------------------
    env.clock.advance(minutes=5)
    got = chat.press("Sí")
    assert f"Cerramos el ticket {ticket.number}" in texts(got)
    assert buttons(got) == ["1 · Muy mala", "2 · Mala", "3 · Regular", "4 · Buena", "5 · Excelente"]
    got = chat.press("5 · Excelente")
    assert buttons(got) == ["Omitir"]
    got = chat.say("Muy rápida la atención, gracias")
    assert "¡Gracias por su opinión!" in texts(got)

    with env.session() as session:
        closed = session.get(Ticket, ticket.id)
        assert closed is not None
        survey = session.scalars(select(SurveyAnswer)).one()
        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
    assert closed.status == "closed" and closed.closed_at == env.clock()
    assert closed.first_response_at is not None
    assert (survey.ticket_id, survey.rating, survey.comment) == (
        ticket.id,
        5,
        "Muy rápida la atención, gracias",
    )
    assert [(row.status, row.payload["text"]) for row in dead if row.status != "sent"] == []
    assert_every_press_answered_once(env, chat)
    assert len(chat.presses) == 8
    # The worker respected 1 message/s per chat (virtual time) and the download backoff, without sleeping.
    assert env.time.slept and min(env.time.slept) > 0

    # --- the token stays out of the database and the logs ----------------------------------------------
    logged = [r.getMessage() for r in caplog.records]
    assert any("/file/bot<redacted>/photos/file_7.jpg" in m for m in logged)  # httpx logged the URL
    assert_token_nowhere(env, caplog.records)
    chat.close()


def test_an_unknown_customer_identifies_by_buttons_and_gets_a_ticket(
    env: TelegramEnv, webhook_url: str
) -> None:
    seed_customer(env, with_identity=False)
    chat = Telegram(env, webhook_url, NEWCOMER)
    got = chat.say("Hola")
    assert "¿Cuál es su nombre?" in texts(got)
    got = chat.say("Pedro Soto")
    assert "¿De qué empresa nos escribe?" in texts(got)
    got = chat.say("Comercial Andes")
    assert "Comercial Andes SpA" in texts(got) and buttons(got) == ["Sí", "No"]
    got = chat.press("Sí")
    assert "correo" in texts(got)
    got = chat.say("pedro.soto@andes.example")
    assert buttons(got) == ["Reportar una falla", "Consulta / solicitud"]
    chat.press("Consulta / solicitud")
    got = chat.say("Necesitamos crear un usuario nuevo en ventas para la sucursal de Temuco esta semana")
    assert "Ventas" in buttons(got)
    for title in ("Ventas", "Omitir", "Varias áreas", "Puede esperar"):
        chat.press(title)
    got = chat.press("Confirmar")

    with env.session() as session:
        company = session.scalars(select(Company)).one()
        contact = session.scalars(select(Contact)).one()
        identity = session.scalars(select(ChannelIdentity)).one()
        ticket = session.scalars(select(Ticket)).one()
    assert (contact.name, contact.email, contact.company_id) == (
        "Pedro Soto",
        "pedro.soto@andes.example",
        company.id,
    )
    assert (identity.channel, identity.address, identity.contact_id) == (
        "telegram",
        str(NEWCOMER),
        contact.id,
    )
    assert ticket.number is not None and NUMBER.match(ticket.number)
    assert f"Registramos su ticket {ticket.number}" in texts(got)
    assert (ticket.contact_id, ticket.company_id, ticket.ticket_type) == (contact.id, company.id, "request")
    assert ticket.priority == priority_for(Impact.MEDIUM, Urgency.LOW) == Priority.P4
    assert ticket.response_due == ticket.opened_at + timedelta(hours=4)  # P4: 4 business hours
    assert_every_press_answered_once(env, chat)
    chat.close()


def test_an_update_retried_while_the_first_delivery_runs_is_handled_once(
    env: TelegramEnv, webhook_url: str
) -> None:
    """Telegram retries when an answer is slow: copies of one update may arrive at the same time."""
    seed_customer(env)
    body = json.dumps(dated(message_update(CUSTOMER, text="Hola, no puedo emitir facturas"), env.clock))
    headers = {"Content-Type": "application/json", **telegram_headers(SECRET)}
    barrier = threading.Barrier(4)

    def deliver(_: int) -> int:
        barrier.wait(timeout=10)
        return requests.post(webhook_url, data=body, headers=headers, timeout=20).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(deliver, range(4)))
    assert statuses == [200] * 4
    with env.container.session_factory() as session:  # accepted once, whatever the copies
        assert session.scalar(select(func.count()).select_from(InboxItem)) == 1
    assert run_turns(env.container) == 1
    assert {k: v for k, v in env.stored().items() if v} == {
        "processed_messages": 1,
        "messages": 2,
        "outbox": 1,
        "conversations": 1,
    }
    env.work()
    assert len(env.api.messages_to(CUSTOMER)) == 1


@pytest.mark.parametrize("size", [1024 * 1024 + 10, 3 * 1024 * 1024], ids=["over-update-cap", "over-app-cap"])
def test_a_body_streamed_without_length_is_still_refused_as_too_large(
    env: TelegramEnv, webhook_url: str, size: int
) -> None:
    """Chunked transfer has no Content-Length: the size is only known while reading."""
    update = dated(message_update(CUSTOMER, text="hola"), env.clock)
    update["padding"] = "p" * size
    body = json.dumps(update).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = requests.post(
        webhook_url,
        data=chunks(),
        headers={"Content-Type": "application/json", **telegram_headers(SECRET)},
        timeout=10,
    )
    assert response.status_code == 413
    assert env.stored() == {name: 0 for name in env.stored()}
