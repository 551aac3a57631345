"""Agents acting from Telegram, end to end: the real Flask webhooks, the real python-telegram-bot client
against the fake Bot API, the real Twilio client against the fake Twilio, and the outbox worker.

A customer reports on WhatsApp; the alert reaches the agents' group with its buttons; an agent takes the
ticket, asks, answers by replying to an alert, proposes a solution, and the customer validates on
WhatsApp. Strangers in the group are ignored without a word; every button press is answered; the
group's 20-per-minute limit holds (the adapter's limiter on virtual time).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.telegram.adapter import TelegramAdapter
from channels.telegram.limits import TelegramRateLimiter
from channels.whatsapp.adapter import WhatsAppAdapter
from intake.bootstrap import Container, build_container
from intake.cli import cli
from intake.config import load_settings
from intake.db.models import (
    Agent,
    AgentAlert,
    Attachment,
    ChannelIdentity,
    Company,
    Contact,
    Contingency,
    Conversation,
    Message,
    OutboxMessage,
    ProcessedMessage,
    SupportPlan,
    Ticket,
    TicketEvent,
)
from intake.services.agent_chat import parse_command, ticket_number
from intake.wiring import telegram_config, whatsapp_config
from tests.support.clock import FakeClock, VirtualTime
from tests.support.signing import TWILIO_SIGNATURE_HEADER, telegram_headers, twilio_signature
from tests.support.telegram_fake import FakeBotApi, button_titles, callback_update, message_update
from tests.support.turns import run_turns
from tests.support.twilio_fake import ACCOUNT, FakeTwilio, error, fixture
from webhooks import create_app

TWILIO_TOKEN = "wh_7f3e9a1c5b2d8e4f6a0c9b3d7e1f5a2c"
TG_SECRET = "wh-secret_agents-0123456789"
PUBLIC = "https://support.example.com"
SANDBOX = "whatsapp:+14155238886"
CUSTOMER = "+56912345678"  # the WhatsApp fixtures' sender
AGENTS_GROUP = -1001555666777
ANA = 7001  # a registered agent's Telegram user id
BRUNO = 7002  # a registered supervisor
STRANGER = 7999  # someone else in the agents' group
DIALOG = (
    "Hola, no puedo emitir facturas en Odoo desde esta mañana",
    "Reportar una falla",
    "Factura electrónica",
    "Omitir",
    "Toda la operación",
    "Sí, hoy mismo",
    "Confirmar",
)



@dataclass
class Desk:
    """The production-wired container with Telegram on the fake Bot API and WhatsApp on the fake Twilio."""

    container: Container
    client: FlaskClient
    api: FakeBotApi
    twilio: FakeTwilio
    clock: FakeClock
    time: VirtualTime
    sids: Iterator[int]

    def session(self) -> Session:
        """A session on the test database."""
        return self.container.session_factory()

    def work(self) -> int:
        """Run the background jobs until nothing is left to do."""
        total = 0
        for _ in range(60):
            done = self.container.run_jobs_once()
            if not done:
                return total
            total += done
        raise AssertionError("background jobs never went quiet")

    def customer_says(self, body: str) -> None:
        """The customer writes on WhatsApp (a signed Twilio webhook)."""
        sid = f"SM{next(self.sids):032d}"
        form = {
            **fixture("inbound_text"),
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "Body": body,
        }
        signature = twilio_signature(TWILIO_TOKEN, PUBLIC + "/webhooks/whatsapp", form)
        response = self.client.post(
            "/webhooks/whatsapp", data=form, headers={TWILIO_SIGNATURE_HEADER: signature}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        run_turns(self.container)

    def customer_posts(self, form: dict[str, str]) -> None:
        """Twilio posts a signed inbound form (e.g. with media)."""
        signature = twilio_signature(TWILIO_TOKEN, PUBLIC + "/webhooks/whatsapp", form)
        headers = {TWILIO_SIGNATURE_HEADER: signature}
        response = self.client.post("/webhooks/whatsapp", data=form, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        run_turns(self.container)

    def telegram(self, update: dict[str, Any]) -> None:
        """Telegram posts one update to the webhook (with the secret)."""
        self.clock.advance(seconds=1)
        for kind in ("message", "edited_message"):
            if isinstance(update.get(kind), dict):
                update[kind]["date"] = int(self.clock().timestamp())
        body = json.dumps(update).encode()
        response = self.client.post(
            "/webhooks/telegram",
            data=body,
            headers=telegram_headers(TG_SECRET),
            content_type="application/json",
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        run_turns(self.container)

    def agent_says(
        self, text: str, user: int = ANA, *, chat: int = AGENTS_GROUP, **extra: Any
    ) -> dict[str, Any]:
        """A person writes in a Telegram chat (the agents' group by default); returns the update."""
        update = message_update(user, chat_id=chat, text=text or None, **extra)
        self.telegram(update)
        return update

    def replies_to(self, sent: Mapping[str, Any], text: str, user: int = ANA) -> None:
        """A person answers a message the bot sent to the agents' group with Telegram's reply."""
        self.agent_says(text, user, reply_to_message=dict(sent))

    def press(self, sent: Mapping[str, Any], title: str, user: int = ANA) -> str:
        """A person presses a button of a message the bot sent; returns the callback query id."""
        for row in sent["reply_markup"]["inline_keyboard"]:
            for button in row:
                if button["text"] == title:
                    update = callback_update(user, dict(sent), button["callback_data"])
                    self.telegram(update)
                    return str(update["callback_query"]["id"])
        raise LookupError(f"no button {title!r}")

    def group(self) -> list[dict[str, Any]]:
        """Every message the bot sent to the agents' group, in order."""
        return self.api.messages_to(AGENTS_GROUP)

    def last_in_group(self, containing: str) -> dict[str, Any]:
        """The latest message to the agents' group whose text contains `containing`."""
        found = [m for m in self.group() if containing in m.get("text", "")]
        assert found, f"no group message contains {containing!r}: {[m.get('text') for m in self.group()]}"
        return found[-1]

    def whatsapp_bodies(self) -> list[str]:
        """Texts sent to the customer on WhatsApp, in order."""
        return [call.get("Body", "") for call in self.twilio.calls]

    def ticket(self) -> Ticket:
        """The one ticket."""
        with self.session() as session:
            return session.scalars(select(Ticket)).one()

    def stored(self) -> dict[str, int]:
        """Row counts of every table an update can write to."""
        models = (ProcessedMessage, Message, OutboxMessage, Conversation, Ticket, TicketEvent, AgentAlert)
        with self.session() as session:
            return {
                m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0) for m in models
            }


@pytest.fixture
def desk(database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock) -> Iterator[Desk]:
    """Both channels configured as production configures them, agents' group included."""
    with FakeBotApi() as api:
        settings = load_settings(
            {
                "DATABASE_URL": database_url,
                "DATA_DIR": str(tmp_path / "data"),
                "TELEGRAM_BOT_TOKEN": api.token,
                "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "AGENT_TELEGRAM_CHAT_ID": str(AGENTS_GROUP),
                "TWILIO_ACCOUNT_SID": ACCOUNT,
                "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "TWILIO_WHATSAPP_FROM": SANDBOX,
                "TWILIO_API_BASE_URL": httpserver.url_for("").rstrip("/"),
                "PUBLIC_BASE_URL": PUBLIC,
                "SECRET_KEY": "test-secret-key-for-signed-links",
                "TWILIO_MEDIA_HOSTS": "localhost",  # the fake Twilio serves media on loopback
                "TWILIO_MEDIA_ALLOW_PRIVATE": "true",
            },
            env_file=None,
        )
        virtual = VirtualTime()
        config = telegram_config(settings)
        limiter = TelegramRateLimiter(config.rate_limits, clock=virtual.monotonic, sleep=virtual.sleep)
        telegram = TelegramAdapter(config, clock=clock, rate_limiter=limiter, sleep=virtual.sleep)
        whatsapp = WhatsAppAdapter(whatsapp_config(settings), clock=clock)
        container = build_container(
            settings, clock=clock, adapters={"telegram": telegram, "whatsapp": whatsapp}
        )
        built = Desk(
            container,
            create_app(container).test_client(),
            api,
            FakeTwilio(httpserver, TWILIO_TOKEN),
            clock,
            virtual,
            iter(range(1, 10**6)),
        )
        seed(built)
        yield built
        container.close()


def seed(desk: Desk) -> None:
    """A company on a plan, its contact on WhatsApp, an agent and a supervisor known by Telegram user id."""
    with desk.container.transaction() as session:
        plan = SupportPlan(
            name="Plan Estándar", calendar_name="default", includes_requests=True, request_rule="included"
        )
        company = Company(name="Comercial Andes SpA", plan=plan)
        contact = Contact(
            name="María José Fuentes", email="maria@andes.example", company=company, language="es"
        )
        session.add_all(
            [plan, company, contact, ChannelIdentity(contact=contact, channel="whatsapp", address=CUSTOMER)]
        )
        session.add(Agent(name="Ana Soporte", email="ana@soporte.example", telegram_user_id=str(ANA)))
        session.add(
            Agent(
                name="Bruno Jefe",
                email="bruno@soporte.example",
                telegram_user_id=str(BRUNO),
                role="supervisor",
                is_supervisor=True,
            )
        )


def open_ticket(desk: Desk) -> dict[str, Any]:
    """The customer reports a failure on WhatsApp; returns the new-ticket alert in the agents' group."""
    for text in DIALOG:
        desk.customer_says(text)
    desk.work()
    number = desk.ticket().number
    assert number == "LA-000001"
    return desk.last_in_group(f"{number} from")


# --- the whole story ------------------------------------------------------------------------------


def test_an_agent_takes_asks_replies_proposes_and_the_customer_validates(desk: Desk) -> None:
    alert = open_ticket(desk)
    assert list(button_titles(alert)) == ["Tomar", "Pedir información", "Proponer solución", "Ver"]
    callbacks = [b["callback_data"] for row in alert["reply_markup"]["inline_keyboard"] for b in row]
    assert callbacks == ["a:take:LA-000001", "a:ask:LA-000001", "a:solve:LA-000001", "a:view:LA-000001"]
    assert all(len(data.encode()) <= 64 for data in callbacks)

    query = desk.press(alert, "Tomar")
    desk.work()
    [answer] = [c for c in desk.api.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query]
    assert "LA-000001 tomado por Ana Soporte" in answer.params["text"]
    ticket = desk.ticket()
    assert ticket.status == "in_analysis" and ticket.first_response_at is not None
    assert "Ana Soporte" in desk.whatsapp_bodies()[-1]

    desk.agent_says("/info 1 ¿Qué versión de Odoo usa?")
    desk.work()
    assert desk.ticket().status == "waiting_customer"
    assert "¿Qué versión de Odoo usa?" in desk.whatsapp_bodies()[-1]
    assert "Información pedida en LA-000001" in desk.group()[-1]["text"]

    desk.customer_says("Odoo 17 Enterprise")
    desk.work()
    forwarded = desk.last_in_group("Customer replied on LA-000001")
    assert "Odoo 17 Enterprise" in forwarded["text"]
    assert desk.ticket().status == "in_progress"

    desk.replies_to(forwarded, "Gracias, revisamos el CAF de su empresa ahora mismo.")
    desk.work()
    assert "revisamos el CAF de su empresa ahora mismo" in desk.whatsapp_bodies()[-1]
    assert "Respuesta enviada al cliente de LA-000001" in desk.group()[-1]["text"]

    query = desk.press(forwarded, "Proponer solución")
    desk.work()
    [answer] = [c for c in desk.api.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query]
    assert "solución" in answer.params["text"]
    prompt = desk.last_in_group("responde a este mensaje con la solución propuesta")
    desk.replies_to(prompt, "Cargamos un nuevo folio CAF; ya puede emitir boletas.")
    desk.work()
    assert desk.ticket().status == "solution_proposed"
    assert "Cargamos un nuevo folio CAF" in desk.whatsapp_bodies()[-1]

    desk.customer_says("Sí")
    desk.work()
    assert desk.ticket().status == "closed"
    with desk.session() as session:
        kinds = [e.kind for e in session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
        agent_ids = {m.agent_id for m in session.scalars(select(Message).where(Message.author == "agent"))}
    assert {"taken", "info_requested", "agent_reply", "solution_proposed", "validated"} <= set(kinds)
    assert agent_ids == {1}  # every public message is Ana's


def test_asking_with_the_button_then_replying_to_the_prompt(desk: Desk) -> None:
    alert = open_ticket(desk)
    desk.press(alert, "Pedir información")
    desk.work()
    prompt = desk.last_in_group("responde a este mensaje con la pregunta")
    desk.replies_to(prompt, "¿Desde qué hora ocurre?")
    desk.work()
    assert desk.ticket().status == "waiting_customer"
    assert "¿Desde qué hora ocurre?" in desk.whatsapp_bodies()[-1]


def test_the_new_ticket_alert_tells_everything_and_the_evidence_follows(desk: Desk) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    url = desk.twilio.serve_media("ME0001", pdf, "application/pdf")
    sid = "MM" + "7" * 32
    media = {
        **fixture("inbound_media_document"),
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "MediaUrl0": url,
        "MediaContentType0": "application/pdf",
    }
    for text in DIALOG[:3]:
        desk.customer_says(text)
    desk.customer_posts(media)
    for text in ("Listo", *DIALOG[4:]):
        desk.customer_says(text)
    desk.work()
    alert = desk.last_in_group("LA-000001 from")["text"]
    for part in (
        "New P1 incident LA-000001 from María José Fuentes",
        "Company: Comercial Andes SpA",
        "Type: incident",
        "Priority P1 (impact alto, urgency alta)",
        "Description: Hola, no puedo emitir facturas",
        "Evidence: 1 file(s)",
        "Response due ",
        "resolution due ",
        "(America/Santiago)",
    ):
        assert part in alert, part
    [document] = [m for m in desk.group() if "document" in m]
    assert document["caption"].startswith("Evidence on LA-000001")
    [upload] = [c for c in desk.api.calls_to("sendDocument") if c.params["chat_id"] == str(AGENTS_GROUP)]
    assert upload.files["document"].content == pdf
    assert list(button_titles(document)) == ["Tomar", "Pedir información", "Proponer solución", "Ver"]
    desk.replies_to(document, "Recibimos su archivo, lo revisamos.")
    desk.work()
    assert "Recibimos su archivo" in desk.whatsapp_bodies()[-1]


def test_a_file_sent_in_reply_to_an_alert_reaches_the_customer_on_whatsapp(desk: Desk) -> None:
    alert = open_ticket(desk)
    pdf = b"%PDF-1.4\nguia de configuracion CAF\n%%EOF\n"
    desk.api.add_file("agent-doc-1", pdf, "documents/file_9.pdf")
    document = {
        "file_id": "agent-doc-1",
        "file_unique_id": "u-agent-doc-1",
        "file_name": "guia-caf.pdf",
        "mime_type": "application/pdf",
        "file_size": len(pdf),
    }
    desk.agent_says("", document=document, caption="Siga esta guía", reply_to_message=dict(alert))
    assert desk.whatsapp_bodies()[-1] != "Siga esta guía"  # nothing leaves inside the webhook
    desk.work()
    sent = desk.twilio.calls[-1]
    assert sent.get("Body") == "Siga esta guía" and "/media/" in sent.get("MediaUrl", "")
    assert desk.group()[-1]["text"] == "✅ Archivo guia-caf.pdf enviado al cliente de LA-000001."
    with desk.session() as session:
        kept = session.scalars(select(Attachment).where(Attachment.origin == "agent")).one()
        event = session.scalars(select(TicketEvent).where(TicketEvent.kind == "agent_file")).one()
    assert kept.filename == "guia-caf.pdf" and kept.ticket_id == 1 and event.agent_id == 1
    media_url = sent["MediaUrl"].removeprefix(PUBLIC)
    assert desk.client.get(media_url).data == pdf  # the signed link serves the agent's file


def test_a_file_telegram_will_not_give_is_reported_to_the_agent(desk: Desk) -> None:
    alert = open_ticket(desk)
    document = {
        "file_id": "missing-doc",
        "file_unique_id": "u-missing",
        "file_name": "x.pdf",
        "mime_type": "application/pdf",
        "file_size": 100,
    }
    desk.agent_says("", document=document, reply_to_message=dict(alert))
    bodies = desk.whatsapp_bodies()
    desk.work()
    assert desk.group()[-1]["text"].startswith("⚠️ El archivo no se envió al cliente")
    assert desk.whatsapp_bodies() == bodies  # the customer is not told about an agent's failed upload


def test_a_hand_off_is_answered_by_reply_and_handed_back_with_its_button(desk: Desk) -> None:
    desk.customer_says("Hola")
    desk.customer_says("agente")
    desk.work()
    alert = desk.last_in_group("asks for a human")
    assert list(button_titles(alert)) == ["Devolver al bot"]
    desk.replies_to(alert, "Hola María José, soy Ana. ¿En qué le ayudo?")
    desk.work()
    assert "soy Ana. ¿En qué le ayudo?" in desk.whatsapp_bodies()[-1]
    desk.customer_says("No me deja imprimir la factura")
    desk.work()
    forwarded = desk.last_in_group("No me deja imprimir la factura")
    desk.replies_to(forwarded, "Pruebe con otro navegador, por favor.")
    desk.work()
    assert "Pruebe con otro navegador" in desk.whatsapp_bodies()[-1]
    query = desk.press(forwarded, "Devolver al bot")
    desk.work()
    [answer] = [c for c in desk.api.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query]
    assert answer.params["text"] == "Ana Soporte devolvió la conversación al bot"
    with desk.session() as session:
        chat = session.scalars(select(Conversation).where(Conversation.address == CUSTOMER)).one()
    assert not chat.handoff_requested
    with desk.session() as session:
        agent_lines = session.scalars(select(Message).where(Message.author == "agent")).all()
    assert len(agent_lines) == 2 and all(m.agent_id == 1 for m in agent_lines)


def test_sla_alerts_carry_the_buttons_and_the_agent_acts_on_them(desk: Desk) -> None:
    open_ticket(desk)  # P1: first response within 30 business minutes
    desk.clock.advance(minutes=23)
    desk.work()
    warning = desk.last_in_group("SLA warning LA-000001")
    assert "75%" in warning["text"]
    assert list(button_titles(warning)) == ["Tomar", "Pedir información", "Proponer solución", "Ver"]
    desk.press(warning, "Tomar")
    desk.work()
    assert desk.ticket().status == "in_analysis" and desk.ticket().first_response_at is not None


def test_a_message_the_customer_never_got_is_an_alert_with_buttons(desk: Desk) -> None:
    alert = open_ticket(desk)
    desk.twilio.script.append(error("api_error_21211"))  # Twilio refuses the next message for good
    desk.press(alert, "Tomar")
    desk.work()
    failure = desk.last_in_group("not delivered")
    assert failure["text"].startswith("Message to the customer of LA-000001 on whatsapp not delivered")
    assert list(button_titles(failure)) == ["Tomar", "Pedir información", "Proponer solución", "Ver"]
    desk.press(failure, "Ver")
    desk.work()
    assert desk.group()[-1]["text"].startswith("LA-000001 · in_analysis")


# --- strangers -----------------------------------------------------------------------------------


def test_a_stranger_in_the_agents_group_is_ignored_and_learns_nothing(desk: Desk) -> None:
    alert = open_ticket(desk)
    calls, bodies, stored = len(desk.api.calls), desk.whatsapp_bodies(), desk.stored()
    desk.agent_says("/tomar 1", STRANGER)
    desk.agent_says("/cola", STRANGER)
    desk.agent_says("/ticket LA-000001", STRANGER)
    desk.replies_to(alert, "Hola, soy el técnico, deme su clave", STRANGER)
    desk.press(alert, "Tomar", STRANGER)
    desk.press(alert, "Ver", STRANGER)
    assert desk.work() == 0
    assert len(desk.api.calls) == calls  # no message, no callback answer: not a word
    assert desk.whatsapp_bodies() == bodies
    assert desk.stored() == stored
    assert desk.ticket().status == "new" and desk.ticket().assigned_agent_id is None


def test_a_disabled_agent_is_a_stranger(desk: Desk) -> None:
    open_ticket(desk)
    with desk.container.transaction() as session:
        session.scalars(select(Agent).where(Agent.telegram_user_id == str(ANA))).one().active = False
    calls = len(desk.api.calls)
    desk.agent_says("/tomar 1")
    assert desk.work() == 0 and len(desk.api.calls) == calls
    assert desk.ticket().assigned_agent_id is None


def test_a_stranger_writing_to_the_bot_privately_is_a_customer(desk: Desk) -> None:
    desk.agent_says("Hola, necesito ayuda con Odoo", STRANGER, chat=STRANGER)
    desk.work()
    with desk.session() as session:
        chat = session.scalars(select(Conversation).where(Conversation.channel == "telegram")).one()
    assert chat.address == str(STRANGER) and chat.step is not None
    assert desk.api.messages_to(STRANGER)  # the intake dialog answered


def test_an_agent_acts_from_a_private_chat_with_the_bot(desk: Desk) -> None:
    open_ticket(desk)
    desk.agent_says("/tomar LA-000001", chat=ANA)
    desk.agent_says("hola", chat=ANA)
    desk.work()
    texts = [m["text"] for m in desk.api.messages_to(ANA)]
    assert "✅ LA-000001 tomado por Ana Soporte (in_analysis)" in texts[0]
    assert texts[1].startswith("Comandos:")  # plain text in private: the help, never the customer dialog
    with desk.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Conversation).where(Conversation.channel == "telegram")
            )
            == 0
        )


# --- commands ------------------------------------------------------------------------------------


def test_every_command_goes_through_the_use_cases(desk: Desk) -> None:
    open_ticket(desk)
    desk.agent_says("/tomar 1")
    desk.agent_says("/avance 1 Estamos revisando la configuración del SII.")
    desk.agent_says("/nota 1 El cliente tiene el CAF vencido.")
    desk.agent_says("/prioridad 1 p3 Solo afecta a una sucursal")
    desk.agent_says("/escalar 1 Requiere acceso al servidor")
    desk.work()
    ticket = desk.ticket()
    assert ticket.priority == "P3" and ticket.escalation_level == 1
    bodies = desk.whatsapp_bodies()
    assert any("Estamos revisando la configuración del SII." in b for b in bodies)
    assert not any("CAF vencido" in b for b in bodies)  # a note stays internal
    with desk.session() as session:
        kinds = [e.kind for e in session.scalars(select(TicketEvent))]
    assert {"taken", "progress", "note", "priority_changed", "escalated"} <= set(kinds)
    texts = [m["text"] for m in desk.group()]
    assert any("Prioridad de LA-000001: P3" in t for t in texts)
    assert any("Nota interna guardada en LA-000001" in t for t in texts)


def test_bad_input_gets_a_clear_answer_and_changes_nothing(desk: Desk) -> None:
    open_ticket(desk)
    before = desk.ticket()
    for text in (
        "/tomar 999",
        "/info 1",
        "/tomar",
        "/prioridad 1 P9 urgente",
        "/solucion 1 listo",
        "/ticket abc",
        "/contingencia inicio Caída del SII",
        "/desconocido",
    ):
        desk.agent_says(text)
    desk.work()
    answers = [m["text"] for m in desk.group()[-8:]]
    assert answers[0] == "⚠️ no ticket LA-000999"
    assert answers[1] == "Uso: /info N texto"
    assert answers[2] == "Uso: /tomar N"
    assert answers[3].startswith("⚠️ unknown priority 'P9'")
    assert answers[4].startswith("⚠️ cannot move a ticket from new to solution_proposed")  # not taken yet
    assert answers[5] == "Uso: /ticket N"
    assert answers[6] == "⚠️ Solo un supervisor puede declarar o terminar una contingencia."
    assert answers[7].startswith("Comandos:")
    after = desk.ticket()
    assert (after.status, after.priority, after.assigned_agent_id) == (before.status, before.priority, None)


def test_queue_and_ticket_card(desk: Desk) -> None:
    open_ticket(desk)
    desk.agent_says("/cola")
    desk.work()
    queue = desk.group()[-1]["text"]
    assert queue.startswith("Tickets abiertos (1)") and "LA-000001" in queue and "sin asignar" in queue
    desk.agent_says("/ticket 000001")
    desk.work()
    card = desk.group()[-1]
    assert card["text"].startswith("LA-000001 · new")
    assert "Comercial Andes SpA" in card["text"] and "impacto" in card["text"]
    assert list(button_titles(card)) == ["Tomar", "Pedir información", "Proponer solución", "Ver"]
    desk.replies_to(card, "Hola María José, ya lo estamos mirando.")
    desk.work()
    assert "ya lo estamos mirando" in desk.whatsapp_bodies()[-1]


def test_a_supervisor_declares_and_ends_a_contingency(desk: Desk) -> None:
    open_ticket(desk)
    desk.agent_says("/contingencia inicio Caída del SII", BRUNO)
    desk.work()
    assert desk.group()[-1]["text"].startswith("✅ Contingencia #1 iniciada: 1 tickets pausados")
    desk.agent_says("/contingencia fin", BRUNO)
    desk.work()
    assert desk.group()[-1]["text"].startswith("✅ Contingencia #1 terminada")
    with desk.session() as session:
        contingency = session.scalars(select(Contingency)).one()
    assert contingency.declared_by == "bruno@soporte.example" and contingency.ended_at is not None


def test_an_agent_is_linked_to_a_telegram_user_from_the_shell(
    desk: Desk, database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data")}

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["telegram", "link-agent", *args], env=env, obj={})
        return result.exit_code, result.output

    assert run("ana@soporte.example", "7100") == (0, "Ana Soporte: Telegram user 7100\n")
    code, output = run("bruno@soporte.example", "7100")
    assert code == 1 and "Telegram user 7100 is ana@soporte.example" in output
    code, output = run("ana@soporte.example", "12abc")
    assert code == 1 and "not a Telegram user id: '12abc'" in output
    code, output = run("nadie@soporte.example", "7200")
    assert code == 1 and "no agent with e-mail nadie@soporte.example" in output
    open_ticket(desk)
    calls = len(desk.api.calls)
    desk.agent_says("/cola", ANA)  # the old id is a stranger now
    desk.work()
    assert len(desk.api.calls) == calls
    desk.agent_says("/cola", 7100)
    desk.work()
    assert desk.group()[-1]["text"].startswith("Tickets abiertos (1)")
    assert run("ana@soporte.example", "none") == (0, "Ana Soporte: no Telegram user (unlinked)\n")


# --- Telegram's own rules --------------------------------------------------------------------------


def test_a_retried_update_acts_once(desk: Desk) -> None:
    open_ticket(desk)
    update = desk.agent_says("/avance 1 Revisando")
    desk.telegram(update)  # Telegram delivers the same update_id again
    desk.work()
    assert sum("Revisando" in b for b in desk.whatsapp_bodies()) == 1


def test_every_button_press_is_answered(desk: Desk) -> None:
    alert = open_ticket(desk)
    queries = [desk.press(alert, title) for title in ("Ver", "Tomar", "Tomar", "Pedir información")]
    desk.work()
    answered = {
        c.params["callback_query_id"]: c.params.get("text", "")
        for c in desk.api.calls_to("answerCallbackQuery")
    }
    assert set(queries) <= set(answered)
    assert answered[queries[0]] == "LA-000001"
    assert "tomado" in answered[queries[1]]
    assert answered[queries[3]].startswith("Responde al mensaje")


def test_the_agents_group_gets_at_most_20_messages_a_minute(desk: Desk) -> None:
    open_ticket(desk)
    assert len(desk.group()) == 1  # the new-ticket alert
    for _ in range(25):
        desk.agent_says("/ticket 1")
    desk.work()
    assert len(desk.group()) == 20  # the alert and 19 cards; the 20th card waits for the window
    with desk.session() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient == str(AGENTS_GROUP), OutboxMessage.status == "pending")
        )
    assert waiting == 25 - 19
    desk.time.now += 60  # the window slides on (virtual monotonic time and the outbox's clock)
    desk.clock.advance(seconds=60)
    desk.work()
    assert len(desk.group()) == 26


# --- pure helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "number"),
    [
        ("123", "LA-000123"),
        ("000123", "LA-000123"),
        ("la-000123", "LA-000123"),
        ("LA-000123", "LA-000123"),
        ("abc", None),
        ("12a", None),
        ("", None),
    ],
)
def test_ticket_numbers_accept_digits_or_the_full_number(token: str, number: str | None) -> None:
    assert ticket_number(token, "LA") == number


def test_commands_parse_with_their_arguments() -> None:
    command = parse_command("/info@intake_test_bot 12 ¿Qué\nversión?")
    assert command is not None and (command.name, command.args) == ("info", "12 ¿Qué\nversión?")
    assert parse_command("hola") is None


# --- issue 15: commercial rules -------------------------------------------------------------------


def test_time_and_billable_from_telegram(desk: Desk) -> None:
    open_ticket(desk)
    desk.agent_says("/tiempo 1 45 Revisión del CAF")
    desk.agent_says("/facturable 1 El usuario borró el CAF vigente")
    desk.work()
    answers = [m["text"] for m in desk.group()[-2:]]
    assert answers[0] == "✅ 45 min registrados en LA-000001 (total 45 min)."
    assert answers[1] == "✅ LA-000001: error de usuario — facturable; el cliente fue informado."
    assert any("con cargo al cliente" in b for b in desk.whatsapp_bodies())
    desk.agent_says("/ticket 1")
    desk.work()
    card = desk.group()[-1]
    assert "BILLABLE (user error): El usuario borró el CAF vigente" in card["text"]
    assert "time logged 45 min" in card["text"]
    desk.replies_to(card, "/tiempo 15 Llamada con el cliente")  # the card names the ticket
    desk.work()
    assert desk.group()[-1]["text"] == "✅ 15 min registrados en LA-000001 (total 1 h 00 min)."
    for text in (
        "/tiempo 1 0 nada",
        "/tiempo 1 1441 mucho",
        "/tiempo 30 sin ticket",
        "/tiempo",
        "/facturable 1",
    ):
        desk.agent_says(text)
    desk.work()
    answers = [m["text"] for m in desk.group()[-5:]]
    assert answers[0].startswith("⚠️ time is logged in entries of 1 to 1440 minutes")
    assert answers[1].startswith("⚠️ time is logged in entries of 1 to 1440 minutes")
    assert answers[2].startswith("Uso: /tiempo") and answers[3].startswith("Uso: /tiempo")
    assert answers[4] == "Uso: /facturable N motivo"
    assert desk.ticket().minutes_logged == 60
