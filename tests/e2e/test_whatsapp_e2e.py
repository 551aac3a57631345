"""A whole WhatsApp conversation over real HTTP, driven the way Twilio and a customer drive it.

The real Flask app runs in a werkzeug server on loopback and its public base URL is that server's
URL, so the signatures of the webhooks (tests/support/signing.py, Twilio's documented recipe) and
the `StatusCallback` of every message we send both point at it. The worker (`container.run_jobs_once`)
runs between steps and talks to the fake Twilio of tests/support (pytest-httpserver) through the
real `twilio` REST client: it records each `Messages.json` create, answers with a new sid, and serves the
customer's media behind basic auth (one file through a cross-host 302 redirect). E-mail copies go
to a real SMTP server (aiosmtpd) on loopback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from channels.email import EmailAdapter
from channels.whatsapp.adapter import WhatsAppAdapter
from intake.bootstrap import Container, build_container
from intake.config import load_settings
from intake.db.models import (
    Agent,
    Attachment,
    Base,
    ChannelIdentity,
    Company,
    Contact,
    InboxItem,
    Message,
    OutboxMessage,
    ProcessedMessage,
    SupportPlan,
    SurveyAnswer,
    Ticket,
    TicketEvent,
)
from intake.wiring import adapters_from_settings, whatsapp_config
from sla.priority import Impact, Priority, Urgency, priority_for
from tests.integration.test_email_send import Mailbox, content, free_port
from tests.support.clock import FakeClock, Sleeps
from tests.support.signing import twilio_headers
from tests.support.turns import run_turns
from tests.support.twilio_fake import ACCOUNT, FakeTwilio, basic_auth, fixture
from webhooks import EMPTY_TWIML, create_app

TOKEN = "e2e_4c1d9f0b7a3e6c2d8b5f1a9e7c3d0b6a"
BASIC = basic_auth(ACCOUNT, TOKEN)
SANDBOX = "whatsapp:+14155238886"
CUSTOMER = "+56987651234"
CUSTOMER_NAME = "Valentina Muñoz"
CUSTOMER_EMAIL = "valentina.munoz@andes.example"
VALIDATION_SID = "HX" + "a1" * 16
SURVEY_RATING_SID = "HX" + "b2" * 16
SURVEY_COMMENT_SID = "HX" + "c3" * 16
PROGRESS_SID = "HX" + "d4" * 16
NUMBER = re.compile(r"^LA-\d{6}$")
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 48 + b"\xff\xd9"
PDF = b"%PDF-1.7\n" + b"1 0 obj <<>> endobj\nlog: error CAF vencido en folio 3312\n" * 200 + b"%%EOF\n"


def to_customer(env: Env) -> list[tuple[str, list[str], Any]]:
    """E-mail sent to the customer (agents get their alerts by e-mail too when SMTP is configured)."""
    return [mail for mail in env.mailbox.received if mail[1] == [CUSTOMER_EMAIL]]


@dataclass
class Env:
    """The production-wired container served over HTTP, with its fakes."""

    container: Container
    url: str
    clock: FakeClock
    twilio: FakeTwilio
    mailbox: Mailbox
    sleeps: Sleeps

    def session(self) -> Session:
        """A session on the test database."""
        return self.container.session_factory()

    def work(self) -> int:
        """Run the background jobs (sweeper, downloads, outbox) until nothing is left to do."""
        total = 0
        for _ in range(50):
            done = self.container.run_jobs_once()
            if not done:
                return total
            total += done
        raise AssertionError("background jobs never went quiet")


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def env(
    database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock, mailbox: tuple[Mailbox, int]
) -> Iterator[Env]:
    """Settings → adapters → container → Flask app in a werkzeug server on a free loopback port."""
    app: dict[str, Any] = {}

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return app["wsgi"](environ, start_response)  # the app needs the server's URL: built below

    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    public = f"http://127.0.0.1:{server.server_port}"
    twilio = FakeTwilio(httpserver, TOKEN)
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(tmp_path / "data"),
            "PUBLIC_BASE_URL": public,
            "SECRET_KEY": "test-secret-key-for-signed-links",
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_WHATSAPP_FROM": SANDBOX,
            "TWILIO_API_BASE_URL": twilio.base_url,
            # The fake's media CDN answers on 127.0.0.1 (another host than the API's "localhost").
            "TWILIO_MEDIA_HOSTS": "127.0.0.1",
            "TWILIO_MEDIA_ALLOW_PRIVATE": "true",
            "TWILIO_QUICK_REPLY_TEMPLATES": (
                f"validation_ask={VALIDATION_SID},survey_rating={SURVEY_RATING_SID},"
                f"survey_comment={SURVEY_COMMENT_SID}"
            ),
            "TWILIO_NOTIFICATION_TEMPLATES": f"progress={PROGRESS_SID}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mailbox[1]),
            "EMAIL_FROM": "soporte@latamadvisory.example",
        },
        env_file=None,
    )
    wired = adapters_from_settings(settings)
    assert sorted(wired) == ["email", "whatsapp"] and isinstance(wired["email"], EmailAdapter)
    sleeps = Sleeps()
    adapters = {**wired, "whatsapp": WhatsAppAdapter(whatsapp_config(settings), clock=clock, sleep=sleeps)}
    wired["whatsapp"].close()  # type: ignore[attr-defined]
    container = build_container(settings, clock=clock, adapters=adapters)
    app["wsgi"] = create_app(container)
    thread = threading.Thread(target=server.serve_forever, name="webhook-server", daemon=True)
    thread.start()
    built = Env(container, public, clock, twilio, mailbox[0], sleeps)
    seed_customer(built)
    yield built
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    container.close()


def seed_customer(env: Env) -> None:
    """A company on the standard plan, an agent and the customer, known by WhatsApp and e-mail."""
    with env.container.transaction() as session:
        plan = SupportPlan(
            name="Plan Estándar", calendar_name="default", includes_requests=True, request_rule="included"
        )
        company = Company(name="Comercial Andes SpA", plan=plan)
        contact = Contact(name=CUSTOMER_NAME, email=CUSTOMER_EMAIL, company=company)
        session.add_all([plan, company, contact, Agent(name="Ana Soporte", email="ana@soporte.example")])
        session.add_all(
            [
                ChannelIdentity(contact=contact, channel="whatsapp", address=CUSTOMER),
                ChannelIdentity(contact=contact, channel="email", address=CUSTOMER_EMAIL),
            ]
        )


@dataclass
class WhatsApp:
    """Twilio's side of one customer's chat: signs and POSTs every webhook, shows what the bot sent."""

    env: Env
    number: str = CUSTOMER
    http: requests.Session = field(default_factory=requests.Session)
    posted: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    seen: int = 0
    counter: int = 0

    def post(self, path: str, form: dict[str, str], *, replay: bool = False) -> None:
        """POST a signed form to the public URL; empty TwiML, and Twilio is not called meanwhile."""
        url = self.env.url + path
        before = len(self.env.twilio.server.log)
        response = self.http.post(url, data=form, headers=twilio_headers(TOKEN, url, form), timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/xml")
        assert response.text == EMPTY_TWIML
        assert len(self.env.twilio.server.log) == before, "the webhook called Twilio inside the request"
        if not replay:
            self.posted.append((path, form))

    def deliver(self, form: dict[str, str]) -> list[dict[str, str]]:
        """One incoming message: the webhook, then the worker, then Twilio's status callbacks."""
        self.post("/webhooks/whatsapp", form)
        self.env.work()
        return self.new_messages()

    def new_messages(self) -> list[dict[str, str]]:
        """What the bot sent to this number since the last look; each is reported sent/delivered/read."""
        calls = self.env.twilio.calls
        fresh = [
            (index, call)
            for index, call in enumerate(calls)
            if index >= self.seen and call["To"] == f"whatsapp:{self.number}"
        ]
        self.seen = len(calls)
        for index, call in fresh:
            assert call["StatusCallback"] == f"{self.env.url}/webhooks/whatsapp/status"
            for name in ("status_sent", "status_delivered", "status_read"):
                sid = self.env.twilio.sids[index]
                status = {**fixture(name), "MessageSid": sid, "SmsSid": sid, "To": call["To"]}
                self.post("/webhooks/whatsapp/status", status)
        return [call for _, call in fresh]

    def form(self, **fields: str) -> dict[str, str]:
        """A message form of this customer with a fresh MessageSid (Twilio's field set)."""
        self.counter += 1
        sid = f"SM{'e2e0' * 6}{self.counter:08d}"
        base = {
            **fixture("inbound_text"),
            "From": f"whatsapp:{self.number}",
            "WaId": self.number[1:],
            "ProfileName": "Vale",
        }
        return {**base, "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, **fields}

    def say(self, text: str) -> list[dict[str, str]]:
        """The customer types a message."""
        return self.deliver(self.form(Body=text))

    def send_files(self, caption: str, *items: tuple[str, str]) -> list[dict[str, str]]:
        """The customer sends files (media URL, content type) in one message."""
        form = self.form(Body=caption, NumMedia=str(len(items)), MessageType="image")
        sid = "MM" + form["MessageSid"][2:]  # Twilio's media messages have MM sids
        form.update(MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
        for index, (url, content_type) in enumerate(items):
            form[f"MediaUrl{index}"], form[f"MediaContentType{index}"] = url, content_type
        return self.deliver(form)

    def tap(self, title: str) -> list[dict[str, str]]:
        """Tap the quick-reply button titled `title` on the last template message the bot sent."""
        index, call = next(
            (i, c)
            for i, c in reversed(list(enumerate(self.env.twilio.calls)))
            if c["To"] == f"whatsapp:{self.number}" and "ContentSid" in c
        )
        variables = json.loads(call["ContentVariables"])
        position = next(key for key, value in variables.items() if value == title and int(key) % 2 == 0)
        payload = variables[str(int(position) + 1)]
        tap = fixture("inbound_quick_reply")
        fields = {
            k: tap[k]
            for k in (
                "MessageType",
                "Forwarded",
                "FrequentlyForwarded",
                "OriginalRepliedMessageSender",
                "ChannelMetadata",
            )
        }
        return self.deliver(
            self.form(
                **fields,
                Body=title,
                ButtonText=title,
                ButtonPayload=payload,
                OriginalRepliedMessageSid=self.env.twilio.sids[index],
            )
        )

    def replay_everything(self, times: int) -> None:
        """Post every webhook of the conversation again, `times` times, as Twilio's retries would."""
        for _ in range(times):
            for path, form in self.posted:
                self.post(path, form, replay=True)
                self.env.work()


def bodies(calls: list[dict[str, str]]) -> str:
    """The texts of some REST creates (template variables for ContentSid ones), joined."""
    return "\n---\n".join(c.get("Body") or c.get("ContentVariables", "") for c in calls)


def snapshot(env: Env) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with env.session() as session:
        return {
            table.name: [tuple(row) for row in session.execute(table.select().order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
        }


def assert_token_nowhere(env: Env, records: list[logging.LogRecord]) -> None:
    """The auth token (plain or inside the basic-auth header) is in no column and no log record."""
    secrets = (TOKEN, BASIC.split()[1])
    rows = 0
    for table, dump in snapshot(env).items():
        for row in dump:
            text = json.dumps(list(row), default=str, ensure_ascii=False)
            assert not any(secret in text for secret in secrets), f"auth token in {table}: {text[:200]}"
            rows += 1
    assert rows > 60  # the conversation really left rows behind
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        assert not any(secret in text for secret in secrets), record.name


# --- the whole conversation ---------------------------------------------------------------------------


def test_a_known_customer_reports_with_files_validates_by_button_rates_and_replays_change_nothing(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = WhatsApp(env)
    photo_url = env.twilio.serve_media("ME0a1b2c3d4e5f60718293a4b5c6d7e8f9", PHOTO, "image/jpeg")
    pdf_url = env.twilio.serve_media(
        "ME1b2c3d4e5f60718293a4b5c6d7e8f90a", PDF, "application/pdf", via_cdn="log-facturacion.pdf"
    )
    env.twilio.not_ready_once.add("ME0a1b2c3d4e5f60718293a4b5c6d7e8f9")

    # --- intake, answered by numbers and by words ----------------------------------------------------
    got = chat.say("Hola")
    assert "Valentina" in bodies(got)
    assert "1. Reportar una falla" in bodies(got) and "2. Consulta / solicitud" in bodies(got)
    assert all("ContentSid" not in call for call in got)  # no quick-reply template for these steps
    env.clock.advance(minutes=1)
    got = chat.say("1")
    assert "Cuéntenos qué ocurre" in bodies(got)
    env.clock.advance(minutes=1)
    got = chat.say("No puedo emitir boletas electrónicas desde esta mañana, el sistema dice CAF vencido")
    assert "Factura electrónica" in bodies(got)
    got = chat.say("factura electronica")
    assert "1. Listo" in bodies(got) and "2. Omitir" in bodies(got)
    env.clock.advance(minutes=1)
    got = chat.send_files("Así aparece el error", (photo_url, "image/jpeg"))
    assert "Lleva 1 archivo(s)" in bodies(got)
    got = chat.send_files("", (pdf_url, "application/pdf"))
    assert "Lleva 2 archivo(s)" in bodies(got)
    assert env.twilio.media_requests == []  # files are fetched once the ticket exists
    got = chat.say("listo")
    assert "1. Toda la operación" in bodies(got)
    got = chat.say("1")
    assert "1. Sí, hoy mismo" in bodies(got)
    got = chat.say("en unos días")
    summary = bodies(got)
    assert "Archivos: 2" in summary and "Prioridad: P2" in summary
    env.clock.advance(minutes=2)
    got = chat.say("confirmar")

    # --- the ticket, its deadlines and the two files -------------------------------------------------
    with env.session() as session:
        ticket = session.scalars(select(Ticket)).one()
        contact = session.scalars(select(Contact)).one()
        attachments = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert ticket.number is not None and NUMBER.match(ticket.number)
    [registration] = got
    assert f"Registramos su ticket {ticket.number}" in registration["Body"]
    assert "Prioridad: P2" in registration["Body"]
    assert ticket.priority == priority_for(Impact.HIGH, Urgency.MEDIUM) == Priority.P2
    assert (ticket.ticket_type, ticket.module, ticket.status, ticket.channel) == (
        "incident",
        "einvoice",
        "new",
        "whatsapp",
    )
    assert (ticket.contact_id, ticket.company_id) == (contact.id, contact.company_id)
    assert ticket.opened_at == env.clock()
    # Monday 09:05 in Santiago, inside business hours: P2 is 45 minutes / 8 hours (the contract).
    assert ticket.response_due == ticket.opened_at + timedelta(minutes=45)
    assert ticket.resolution_due == ticket.opened_at + timedelta(hours=8)
    assert [(a.status, a.filename, a.mime_type, a.size, a.sha256) for a in attachments] == [
        ("stored", attachments[0].filename, "image/jpeg", len(PHOTO), hashlib.sha256(PHOTO).hexdigest()),
        ("stored", "log-facturacion.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
    ]
    assert (attachments[0].filename or "").endswith(".jpg")
    assert all(a.ticket_id == ticket.id and a.origin == "whatsapp" for a in attachments)
    assert [env.container.store.open(a.storage_path or "") for a in attachments] == [PHOTO, PDF]
    api_host = urlsplit(env.twilio.base_url).netloc
    assert env.twilio.media_requests == [
        (urlsplit(photo_url).path, BASIC, api_host),  # 404: not ready yet, retried after a backoff
        (urlsplit(photo_url).path, BASIC, api_host),
        (urlsplit(pdf_url).path, BASIC, api_host),  # 302 to another host
        (
            "/cdn/ME1b2c3d4e5f60718293a4b5c6d7e8f90a/log-facturacion.pdf",
            None,
            f"127.0.0.1:{env.twilio.server.port}",
        ),  # the CDN host never sees the credentials
    ]
    assert env.sleeps.calls == [1.0]  # one backoff for the 404 right after the webhook

    # --- an agent works and proposes a solution: validation by quick-reply template ------------------
    env.clock.advance(minutes=30)
    with env.container.transaction() as session:
        row = session.scalars(select(Ticket)).one()
        agent = session.scalars(select(Agent)).one()
        env.container.tickets.post_progress(session, row, agent, "Revisamos el CAF del SII", now=env.clock())
        env.container.conversations.propose_solution(
            session, row, agent, "Cargamos un CAF nuevo para boletas", now=env.clock()
        )
    env.work()
    progress, validation = chat.new_messages()
    assert f"Avance en su ticket {ticket.number}: Revisamos el CAF del SII" in progress["Body"]
    assert "ContentSid" not in progress
    assert validation["ContentSid"] == VALIDATION_SID and "Body" not in validation
    variables = json.loads(validation["ContentVariables"])
    assert "Cargamos un CAF nuevo para boletas" in variables["1"]
    assert {k: v for k, v in variables.items() if k != "1"} == {
        "2": "Sí",
        "3": "validation_ask:yes",
        "4": "No",
        "5": "validation_ask:no",
    }

    # --- the customer taps "Sí", rates by number and comments -----------------------------------------
    env.clock.advance(minutes=5)
    got = chat.tap("Sí")
    assert f"Cerramos el ticket {ticket.number}" in bodies(got)
    rating = got[-1]
    # Five options do not fit a quick-reply (3 buttons at most): numbered text although configured.
    assert "ContentSid" not in rating and "5. 5 · Excelente" in rating["Body"]
    got = chat.say("5")
    [comment_prompt] = got
    assert comment_prompt["ContentSid"] == SURVEY_COMMENT_SID
    assert json.loads(comment_prompt["ContentVariables"])["2"] == "Omitir"
    got = chat.say("Muy rápida la atención, gracias")
    assert "¡Gracias por su opinión!" in bodies(got)

    with env.session() as session:
        closed = session.get(Ticket, ticket.id)
        assert closed is not None
        survey = session.scalars(select(SurveyAnswer)).one()
        undelivered = session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
        statuses = set(
            session.scalars(
                select(Message.status).where(Message.direction == "out", Message.channel == "whatsapp")
            )
        )
    assert closed.status == "closed" and closed.closed_at == env.clock()
    assert closed.first_response_at is not None
    assert (survey.ticket_id, survey.rating, survey.comment) == (
        ticket.id,
        5,
        "Muy rápida la atención, gracias",
    )
    assert [(row.channel, row.status, row.payload["text"]) for row in undelivered] == []
    assert statuses == {"read"}  # every status callback found its message
    assert to_customer(env) == []  # the window was open all along: nothing by e-mail

    # --- Twilio retries every webhook three times: nothing changes -------------------------------------
    before, calls, downloads = snapshot(env), len(env.twilio.calls), len(env.twilio.media_requests)
    assert len(before["tickets"]) == 1 and len(before["attachments"]) == 2
    assert len(before["survey_answers"]) == 1
    assert len(chat.posted) > 50  # 13 messages and 3 status callbacks for each of the bot's messages
    chat.replay_everything(3)
    assert snapshot(env) == before
    assert len(env.twilio.calls) == calls and len(env.twilio.media_requests) == downloads

    assert sum("whatsapp sent" in r.getMessage() for r in caplog.records) == len(env.twilio.calls)
    assert_token_nowhere(env, caplog.records)
    chat.http.close()


# --- the 24-hour window ------------------------------------------------------------------------------


def open_ticket_by_text(chat: WhatsApp, *files: tuple[str, str]) -> str:
    """The customer reports a minor request by typing (and sending files); return the ticket number."""
    for text in ("Hola", "2", "Necesitamos un usuario nuevo para la sucursal de Temuco, sin apuro", "ventas"):
        chat.say(text)
        chat.env.clock.advance(minutes=1)
    for url, content_type in files:
        chat.send_files("", (url, content_type))
    for text in ("listo" if files else "omitir", "3", "2"):
        chat.say(text)
    got = chat.say("confirmar")
    match = re.search(r"Registramos su ticket (LA-\d{6})", bodies(got))
    assert match is not None, bodies(got)
    return match.group(1)


def agent_does(env: Env, action: Callable[[Session, Ticket, Agent, datetime], None]) -> None:
    """Run one agent action on the only ticket, in a transaction, then the worker."""
    with env.container.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        agent = session.scalars(select(Agent)).one()
        action(session, ticket, agent, env.clock())
    env.work()


def events(env: Env, kind: str) -> list[TicketEvent]:
    with env.session() as session:
        return list(session.scalars(select(TicketEvent).where(TicketEvent.kind == kind)))


def test_outside_the_window_notices_go_as_templates_or_wait_with_an_email_copy_until_the_customer_writes(
    env: Env,
) -> None:
    chat = WhatsApp(env)
    number = open_ticket_by_text(chat)
    tickets = env.container.tickets

    def progress(note: str) -> Callable[[Session, Ticket, Agent, datetime], None]:
        return lambda session, ticket, agent, now: tickets.post_progress(
            session, ticket, agent, note, now=now
        )

    agent_does(env, progress("Creamos el usuario en pruebas"))
    [inside] = chat.new_messages()
    assert "Creamos el usuario en pruebas" in inside["Body"] and "ContentSid" not in inside

    env.clock.advance(hours=24, minutes=1)  # the customer's last message is now over 24 hours old
    agent_does(env, progress("Usuario listo en producción"))
    [templated] = chat.new_messages()
    assert templated["ContentSid"] == PROGRESS_SID and "Body" not in templated
    assert json.loads(templated["ContentVariables"]) == {
        "1": CUSTOMER_NAME,
        "2": number,
        "3": "Usuario listo en producción",
    }

    agent_does(env, lambda s, t, a, now: tickets.escalate(s, t, "cliente pide revisión", now=now, agent=a))
    assert chat.new_messages() == []  # no template for escalations: held, not sent
    [(_, rcpt, mail)] = to_customer(env)
    assert rcpt == [CUSTOMER_EMAIL] and mail["Subject"] == f"Su ticket {number} fue escalado"
    [unreachable] = events(env, "customer_unreachable")
    assert CUSTOMER in unreachable.body and CUSTOMER_EMAIL in unreachable.body
    with env.session() as session:
        held = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "held")).one()
    assert held.kind == "escalation" and held.channel == "whatsapp"
    assert content(mail).strip() == held.payload["text"].strip()

    env.clock.advance(hours=3)
    got = chat.say("Hola, ¿hay novedades?")
    assert got[0]["Body"] == held.payload["text"] and "ContentSid" not in got[0]
    with env.session() as session:
        released = session.get(OutboxMessage, held.id)
        assert released is not None and released.status == "sent"
    assert len(to_customer(env)) == 1 and len(events(env, "customer_unreachable")) == 1
    chat.http.close()


def test_an_executable_disguised_as_a_pdf_is_refused_and_the_customer_is_told_why(env: Env) -> None:
    chat = WhatsApp(env)
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500
    url = env.twilio.serve_media("ME9f8e7d6c5b4a39281706f5e4d3c2b1a0", exe, "application/pdf")
    number = open_ticket_by_text(chat, (url, "application/pdf"))
    with env.session() as session:
        [attachment] = session.scalars(select(Attachment)).all()
        [refused] = session.scalars(select(TicketEvent).where(TicketEvent.kind == "attachment_refused")).all()
    assert attachment.status == "refused" and attachment.storage_path is None and attachment.sha256 is None
    assert (attachment.refusal_reason or "").startswith("forbidden_type")
    assert refused.ticket_id == attachment.ticket_id
    told = [call["Body"] for call in env.twilio.calls if "No pudimos recibir" in call.get("Body", "")]
    [notice] = told
    assert "ese tipo de archivo no se acepta" in notice and number in bodies(env.twilio.calls)
    assert not list((env.container.settings.attachments_dir).rglob("*.*"))


def test_retries_arriving_at_the_same_time_are_processed_once(env: Env) -> None:
    """Twilio retries while the first delivery is still being handled: one message each, in any order."""
    chat = WhatsApp(env)
    forms = [chat.form(Body="Hola"), chat.form(Body="Buenas tardes"), chat.form(Body="¿Hay alguien?")]
    url = f"{env.url}/webhooks/whatsapp"

    def deliver(form: dict[str, str]) -> str:
        with requests.post(url, data=form, headers=twilio_headers(TOKEN, url, form), timeout=30) as response:
            return f"{response.status_code} {response.text}"

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(deliver, [form for form in forms for _ in range(6)]))
    assert set(answers) == {f"200 {EMPTY_TWIML}"}
    with env.session() as session:  # each distinct message accepted once, whatever the copies
        accepted = sorted(session.scalars(select(InboxItem.provider_message_id)))
    assert accepted == sorted(form["MessageSid"] for form in forms)
    assert run_turns(env.container) == 3
    with env.session() as session:
        processed = sorted(session.scalars(select(ProcessedMessage.provider_message_id)))
        inbound = session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))
        replies = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert processed == sorted(form["MessageSid"] for form in forms)
    assert inbound == 3 and replies == 3  # one dialog answer per distinct message
    assert env.twilio.calls == []


def test_a_failure_reported_before_the_worker_recorded_the_sid_is_not_lost(env: Env) -> None:
    """Twilio can call back before its REST answer reaches the worker; the callback must wait for the sid."""
    chat = WhatsApp(env)
    chat.say("Hola")
    env.clock.advance(minutes=1)
    env.twilio.overtaking_status = "status_failed_63016"
    chat.post("/webhooks/whatsapp", chat.form(Body="1"))
    env.work()
    [callback] = env.twilio.callbacks
    callback.join(timeout=30)
    assert env.twilio.callback_answers == [200]
    env.work()  # the e-mail copy queued by the callback
    with env.session() as session:
        row = session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id.desc()).where(OutboxMessage.channel == "whatsapp")
        ).first()
        assert row is not None
        [message] = session.scalars(select(Message).where(Message.outbox_id == row.id)).all()
    assert (message.status, message.error_code) == ("failed", "63016")
    assert row.status == "held"  # no template for dialog replies: it waits for the customer
    [(_, rcpt, mail)] = to_customer(env)
    assert rcpt == [CUSTOMER_EMAIL] and "Cuéntenos qué ocurre" in content(mail)
