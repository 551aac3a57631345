"""The WhatsApp webhooks of the real Flask app on both backends, signed at test time like Twilio does.

The container is wired as production wires it (settings → `whatsapp_config` → `WhatsAppAdapter`),
its REST client points at the fake Twilio of tests/support (pytest-httpserver) that records every
call, and each request carries an `X-Twilio-Signature` computed from Twilio's documented recipe
(tests/support/signing.py) over the public URL. Nothing may be stored for a badly signed request,
and nothing may reach Twilio while a webhook is being answered: replies go out later from the worker.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.messages import Channel, InboundMedia, MediaKind
from channels.base import OutboundMessage, SendResult
from channels.whatsapp.adapter import WhatsAppAdapter
from intake.bootstrap import Container, build_container
from intake.config import load_settings
from intake.db.models import (
    Agent,
    Attachment,
    ChannelIdentity,
    Company,
    Contact,
    Conversation,
    Message,
    OutboxMessage,
    ProcessedMessage,
    SupportPlan,
    Ticket,
    TicketEvent,
)
from intake.services.tickets import NewTicket
from intake.wiring import whatsapp_config
from sla.priority import Impact, Urgency
from tests.support.clock import FakeClock
from tests.support.signing import TWILIO_SIGNATURE_HEADER, twilio_signature
from tests.support.turns import run_turns
from tests.support.twilio_fake import ACCOUNT, FakeTwilio, error, fixture
from webhooks import EMPTY_TWIML, create_app

TOKEN = "wh_7f3e9a1c5b2d8e4f6a0c9b3d7e1f5a2c"
SANDBOX = "whatsapp:+14155238886"
CUSTOMER = "+56912345678"  # the fixtures' sender
CUSTOMER_EMAIL = "maria.fuentes@andes.example"
PUBLIC = "https://support.example.com"
INBOUND_PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"
INTERNAL = "http://localhost"  # what the Flask test client calls
PROGRESS_SID = "HX" + "5" * 32


def sign(url: str, form: Mapping[str, str]) -> str:
    """X-Twilio-Signature with this account's auth token."""
    return twilio_signature(TOKEN, url, form)


@dataclass
class Env:
    """The production-wired container, its Flask test client, the fake clock and the fake Twilio."""

    container: Container
    client: FlaskClient
    clock: FakeClock
    twilio: FakeTwilio

    def session(self) -> Session:
        """A session on the test database."""
        return self.container.session_factory()

    def stored(self) -> dict[str, int]:
        """Row counts of every table a webhook can write to."""
        models = (ProcessedMessage, Message, OutboxMessage, Conversation, Ticket, TicketEvent, Attachment)
        with self.session() as session:
            return {m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0)
                    for m in models}

    def post(
        self,
        path: str,
        form: Mapping[str, str],
        *,
        signed_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        query: str = "",
    ) -> Any:
        """POST a form as Twilio would, signed over `signed_url` (default: the public URL)."""
        target = path + (f"?{query}" if query else "")
        url = signed_url if signed_url is not None else PUBLIC + target
        all_headers = {TWILIO_SIGNATURE_HEADER: sign(url, form), **(headers or {})}
        response = self.client.post(target, data=dict(form), headers=all_headers)
        run_turns(self.container)  # the worker runs the accepted message's turn
        return response

    def work(self) -> int:
        """Run the background jobs until quiet."""
        total = 0
        for _ in range(30):
            done = self.container.run_jobs_once()
            if not done:
                return total
            total += done
        raise AssertionError("background jobs never went quiet")


class MailRecorder:
    """Stands in for the SMTP e-mail channel: records what it is asked to send."""

    channel = Channel.EMAIL

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> SendResult:
        """Record one e-mail."""
        self.sent.append(message)
        return SendResult((f"<mail-{len(self.sent)}@test>",))


def build_env(
    database_url: str, data_dir: Path, server: HTTPServer, clock: FakeClock, *, email: bool = True, **env: str
) -> Env:
    """Settings → whatsapp_config → WhatsAppAdapter → container → Flask app, as production does."""
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(data_dir),
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_WHATSAPP_FROM": SANDBOX,
            "TWILIO_API_BASE_URL": server.url_for("").rstrip("/"),
            "PUBLIC_BASE_URL": PUBLIC,
            "SECRET_KEY": "test-secret-key-for-signed-links",
            **env,
        },
        env_file=None,
    )
    adapter = WhatsAppAdapter(whatsapp_config(settings), clock=clock)
    adapters: dict[str, Any] = {"whatsapp": adapter}
    if email:  # e-mail configured (SMTP), recorded instead of sent
        adapters["email"] = MailRecorder()
    container = build_container(settings, clock=clock, adapters=adapters)
    twilio = FakeTwilio(server, TOKEN)
    return Env(container, create_app(container).test_client(), clock, twilio)


def seed_customer(env: Env) -> None:
    """A company on a plan, one agent and the fixtures' sender as a known contact with an e-mail."""
    with env.container.transaction() as session:
        plan = SupportPlan(
            name="Plan Estándar", calendar_name="default", includes_requests=True, request_rule="included"
        )
        company = Company(name="Comercial Andes SpA", plan=plan)
        contact = Contact(name="María José Fuentes", email=CUSTOMER_EMAIL, company=company, language="es")
        session.add_all([plan, company, contact, Agent(name="Ana Soporte", email="ana@soporte.example")])
        session.add(ChannelIdentity(contact=contact, channel="whatsapp", address=CUSTOMER))


@pytest.fixture
def env(database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock) -> Iterator[Env]:
    """A production-wired container with a public base URL, on the test database."""
    built = build_env(database_url, tmp_path / "data", httpserver, clock)
    seed_customer(built)
    yield built
    built.container.close()


NOTHING = {
    "processed_messages": 0, "messages": 0, "outbox": 0, "conversations": 0, "tickets": 0,
    "ticket_events": 0, "attachments": 0,
}


def assert_empty_twiml(response: Any) -> None:
    """200 with an empty TwiML document, as Twilio expects when we answer later."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    assert response.get_data(as_text=True) == EMPTY_TWIML
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response" and list(root) == [] and not (root.text or "").strip()


# --- signatures ---------------------------------------------------------------------------------------


# Signatures that must not validate for a form POSTed to the public URL `url` of the path `path`.
BAD_SIGNATURES: dict[str, Callable[[str, str, dict[str, str]], str | None]] = {
    "missing": lambda url, path, form: None,
    "empty": lambda url, path, form: "",
    "other token": lambda url, path, form: twilio_signature("not-the-auth-token", url, form),
    "internal url": lambda url, path, form: sign(INTERNAL + path, form),
    "http instead of https": lambda url, path, form: sign(url.replace("https://", "http://"), form),
    "trailing slash": lambda url, path, form: sign(url + "/", form),
    "form changed after signing": lambda url, path, form: sign(url, {**form, "To": "whatsapp:+15005550006"}),
    "a parameter left out": lambda url, path, form: sign(
        url, {k: v for k, v in form.items() if k != "ApiVersion"}
    ),
}


@pytest.mark.parametrize("case", list(BAD_SIGNATURES))
@pytest.mark.parametrize("path", [INBOUND_PATH, STATUS_PATH], ids=["message", "status"])
def test_a_bad_signature_is_403_and_nothing_is_stored(env: Env, case: str, path: str) -> None:
    notice = None
    if path == INBOUND_PATH:
        form = fixture("inbound_text")
    else:  # a 63016 callback for a real notice: accepted, it would hold it and queue an e-mail copy
        notice = registration(env, open_ticket(env)[0])
        form = status_form("status_failed_63016", notice.provider_message_id or "")
    before, requests_before = env.stored(), env.twilio.requests_seen
    signature = BAD_SIGNATURES[case](PUBLIC + path, path, form)
    headers = {} if signature is None else {TWILIO_SIGNATURE_HEADER: signature}
    response = env.client.post(path, data=form, headers=headers)
    assert response.status_code == 403
    assert "Twilio signature" in response.get_data(as_text=True)
    assert env.stored() == before
    assert env.twilio.requests_seen == requests_before
    if notice is None:
        assert before == NOTHING
    else:
        assert registration(env, notice.ticket_id or 0).status == "queued"
        assert ticket_events(env, "customer_unreachable") == []


def test_the_signature_covers_the_public_url_with_its_query_string(env: Env) -> None:
    form = fixture("inbound_text")
    refused = env.post(INBOUND_PATH, form, query="tenant=andes", signed_url=PUBLIC + INBOUND_PATH)
    assert refused.status_code == 403 and env.stored() == NOTHING
    assert_empty_twiml(env.post(INBOUND_PATH, form, query="tenant=andes"))
    assert env.stored()["processed_messages"] == 1


def test_unknown_extra_parameters_are_signed_too_and_still_validate(env: Env) -> None:
    form = {**fixture("inbound_text"), "SomeFutureTwilioParam": "42", "ReferralCtwaClid": "ARAkLk"}
    assert_empty_twiml(env.post(INBOUND_PATH, form))
    with env.session() as session:
        record = session.scalars(select(Message).where(Message.direction == "in")).one()
    assert record.raw is not None and record.raw["SomeFutureTwilioParam"] == "42"


@pytest.fixture
def proxied(database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock) -> Iterator[Env]:
    """Behind one trusted reverse proxy, with no PUBLIC_BASE_URL: the URL comes from X-Forwarded-*."""
    built = build_env(database_url, tmp_path / "data", httpserver, clock,
                      TRUST_PROXY_HOPS="1", PUBLIC_BASE_URL="")
    seed_customer(built)
    yield built
    built.container.close()


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "support.example.com",
             "X-Forwarded-For": "54.172.60.1"}


def test_behind_a_trusted_proxy_the_forwarded_public_url_validates(proxied: Env) -> None:
    form = fixture("inbound_text")
    assert proxied.post(INBOUND_PATH, form).status_code == 403  # no forwarded headers: Flask sees localhost
    assert proxied.stored() == NOTHING
    assert_empty_twiml(proxied.post(INBOUND_PATH, form, headers=FORWARDED))
    status = {**fixture("status_sent"), "MessageSid": "SM" + "0" * 32}
    assert_empty_twiml(proxied.post(STATUS_PATH, status, headers=FORWARDED))
    assert proxied.stored()["processed_messages"] == 1


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock
) -> None:
    built = build_env(database_url, tmp_path / "data", httpserver, clock, PUBLIC_BASE_URL="")
    try:
        form = fixture("inbound_text")
        assert built.post(INBOUND_PATH, form, headers=FORWARDED).status_code == 403
        assert built.stored() == NOTHING
        assert_empty_twiml(built.post(INBOUND_PATH, form, signed_url=INTERNAL + INBOUND_PATH))
    finally:
        built.container.close()


# --- incoming messages ----------------------------------------------------------------------------


def post_fast(env: Env, form: Mapping[str, str]) -> None:
    """POST a signed message: empty TwiML at once, and no call to Twilio while answering."""
    before = env.twilio.requests_seen
    started = time.perf_counter()
    response = env.post(INBOUND_PATH, form)
    elapsed = time.perf_counter() - started
    assert_empty_twiml(response)
    assert env.twilio.requests_seen == before, "the webhook called Twilio inside the request"
    assert elapsed < 2.0, f"webhook took {elapsed:.2f}s"


def inbound(env: Env, sid: str) -> Message:
    with env.session() as session:
        return session.scalars(
            select(Message).where(Message.direction == "in", Message.provider_message_id == sid)
        ).one()


def conversation(env: Env) -> Conversation:
    with env.session() as session:
        return session.scalars(select(Conversation).where(Conversation.address == CUSTOMER)).one()


def pending_replies(env: Env) -> list[OutboxMessage]:
    with env.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def text_form(sid: str, body: str) -> dict[str, str]:
    """The text fixture with another MessageSid and Body (Twilio sends a new sid per message)."""
    return {**fixture("inbound_text"), "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "Body": body}


def test_a_text_is_recorded_with_its_raw_form_and_answered_later_by_the_worker(env: Env) -> None:
    form = fixture("inbound_text")
    post_fast(env, form)
    record = inbound(env, form["MessageSid"])
    assert record.text == form["Body"] and record.raw == form and record.channel == "whatsapp"
    chat = conversation(env)
    assert chat.step == "ask_type" and chat.contact_id is not None
    assert chat.last_inbound_at == env.clock()
    [reply] = pending_replies(env)
    assert (reply.status, reply.recipient) == ("pending", CUSTOMER)
    assert env.twilio.calls == []
    assert env.work() >= 1
    [call] = env.twilio.calls
    assert call["To"] == f"whatsapp:{CUSTOMER}" and call["From"] == SANDBOX
    assert "María José Fuentes" in call["Body"] and "1. " in call["Body"]
    assert call["StatusCallback"] == PUBLIC + STATUS_PATH


def test_a_quick_reply_tap_answers_the_step_with_its_button_payload(env: Env) -> None:
    post_fast(env, text_form("SM" + "1" * 32, "Hola"))
    assert conversation(env).step == "ask_type"
    tap = {**fixture("inbound_quick_reply"), "ButtonPayload": "ask_type:incident",
           "Body": "Reportar una falla", "ButtonText": "Reportar una falla"}
    post_fast(env, tap)
    record = inbound(env, tap["MessageSid"])
    assert record.raw is not None and record.raw["ButtonPayload"] == "ask_type:incident"
    assert conversation(env).step == "ask_description"


def test_several_media_items_in_one_message_are_all_kept_in_order(env: Env) -> None:
    steps = ("hola", "1", "No puedo emitir facturas desde la mañana, da error", "omitir")
    for index, body in enumerate(steps):
        post_fast(env, text_form(f"SM{index:032d}", body))
    assert conversation(env).step == "ask_evidence"
    media = fixture("inbound_media_multi")
    post_fast(env, media)
    record = inbound(env, media["MessageSid"])
    assert record.text == "Adjunto evidencia del error" and record.raw == media
    state = conversation(env).state
    kept = [item["ref"] for item in state["evidence"]]
    assert kept == [media["MediaUrl0"], media["MediaUrl1"], media["MediaUrl2"]]
    env.work()
    assert "3 archivo" in env.twilio.calls[-1]["Body"]


def test_a_location_is_recorded_and_the_dialog_answers(env: Env) -> None:
    location = fixture("inbound_location")
    post_fast(env, location)
    record = inbound(env, location["MessageSid"])
    assert record.raw is not None
    assert (record.raw["Latitude"], record.raw["Longitude"]) == (location["Latitude"], location["Longitude"])
    assert record.raw["Label"] == "Oficina Providencia"
    assert len(pending_replies(env)) == 1
    env.work()
    assert len(env.twilio.calls) == 1


def test_a_replayed_message_sid_is_answered_but_processed_once(env: Env) -> None:
    form = fixture("inbound_text")
    post_fast(env, form)
    first = env.stored()
    for _ in range(3):
        post_fast(env, form)
    assert env.stored() == first == {**NOTHING, "processed_messages": 1, "messages": 2, "outbox": 1,
                                     "conversations": 1}


def test_a_status_callback_posted_to_the_message_url_stores_nothing(env: Env) -> None:
    post_fast(env, fixture("status_delivered"))
    assert env.stored() == NOTHING


def test_our_own_sender_echoed_back_stores_nothing(env: Env) -> None:
    post_fast(env, {**fixture("inbound_text"), "From": SANDBOX, "WaId": "14155238886"})
    assert env.stored() == NOTHING


# --- status callbacks -------------------------------------------------------------------------------------


def open_ticket(env: Env, *, refuse_notice: bool = False) -> tuple[int, str]:
    """The customer writes, a ticket is opened for them, and the worker sends everything queued.

    With `refuse_notice` the fake Twilio refuses the registration notice with 63016 on create:
    WhatsApp says the window is closed although our records say it is open.
    """
    post_fast(env, fixture("inbound_text"))
    env.work()
    if refuse_notice:
        env.twilio.script.append(error("api_error_63016"))
    with env.container.transaction() as session:
        chat = session.scalars(select(Conversation)).one()
        contact = session.get(Contact, chat.contact_id)
        data = NewTicket("incident", "No puedo emitir facturas", Impact.HIGH, Urgency.MEDIUM)
        ticket = env.container.tickets.open_ticket(session, chat, contact, data, now=env.clock())
        ticket_id, number = ticket.id, ticket.number or ""
    env.work()
    return ticket_id, number


def registration(env: Env, ticket_id: int) -> Message:
    """The transcript row of the registration notice the worker sent on WhatsApp."""
    with env.session() as session:
        return session.scalars(
            select(Message)
            .join(OutboxMessage, OutboxMessage.id == Message.outbox_id)
            .where(Message.direction == "out", Message.ticket_id == ticket_id,
                   OutboxMessage.kind == "registration", OutboxMessage.channel == "whatsapp")
        ).one()


def status_form(name: str, sid: str, **extra: str) -> dict[str, str]:
    return {**fixture(name), "MessageSid": sid, "SmsSid": sid, **extra}


def ticket_events(env: Env, kind: str) -> list[TicketEvent]:
    with env.session() as session:
        return list(session.scalars(select(TicketEvent).where(TicketEvent.kind == kind)))


def post_status(env: Env, form: Mapping[str, str]) -> None:
    before = env.twilio.requests_seen
    assert_empty_twiml(env.post(STATUS_PATH, form))
    assert env.twilio.requests_seen == before


def test_sent_delivered_read_move_the_outbound_message_forward_only(env: Env) -> None:
    ticket_id, _ = open_ticket(env)
    sid = registration(env, ticket_id).provider_message_id
    assert sid is not None and registration(env, ticket_id).status == "queued"
    seen = []
    for name in ("status_sent", "status_delivered", "status_sent", "status_read", "status_delivered"):
        post_status(env, status_form(name, sid))
        seen.append(registration(env, ticket_id).status)
    assert seen == ["sent", "delivered", "delivered", "read", "read"]
    assert ticket_events(env, "delivery_failed") == []


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_permanent_failure_is_recorded_and_shown_to_agents_once(env: Env, status: str) -> None:
    ticket_id, _ = open_ticket(env)
    sid = registration(env, ticket_id).provider_message_id or ""
    post_status(env, status_form("status_sent", sid))
    failure = status_form("status_sent", sid, MessageStatus=status, SmsStatus=status, ErrorCode="63024",
                          ChannelStatusMessage="Invalid message recipient")
    for _ in range(3):
        post_status(env, failure)
    message = registration(env, ticket_id)
    assert (message.status, message.error_code) == (status, "63024")
    [event] = ticket_events(env, "delivery_failed")
    assert event.ticket_id == ticket_id and event.actor == "system"
    assert "63024" in event.body and "Invalid message recipient" in event.body
    assert event.data is not None and event.data["message_sid"] == sid


def test_63016_without_a_template_holds_the_message_and_copies_it_by_email(env: Env) -> None:
    ticket_id, _ = open_ticket(env)
    message = registration(env, ticket_id)
    sid = message.provider_message_id or ""
    for _ in range(3):
        post_status(env, status_form("status_failed_63016", sid))
    refused = registration(env, ticket_id)
    assert (refused.status, refused.error_code) == ("failed", "63016")
    [event] = ticket_events(env, "customer_unreachable")
    assert event.ticket_id == ticket_id and CUSTOMER_EMAIL in event.body
    with env.session() as session:
        row = session.get(OutboxMessage, message.outbox_id)
        assert row is not None and row.status == "held"
        [copy] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert copy.recipient == CUSTOMER_EMAIL and copy.payload["text"] == row.payload["text"]


@pytest.fixture
def templated(database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock) -> Iterator[Env]:
    """A container with an approved template for the registration notice."""
    built = build_env(database_url, tmp_path / "data", httpserver, clock,
                      TWILIO_NOTIFICATION_TEMPLATES=f"registration={PROGRESS_SID}")
    seed_customer(built)
    yield built
    built.container.close()


def test_63016_with_a_template_resends_the_notice_as_contentsid_once(templated: Env) -> None:
    env = templated
    ticket_id, number = open_ticket(env)
    sid = registration(env, ticket_id).provider_message_id or ""
    calls = len(env.twilio.calls)
    for name in ("status_undelivered_63016", "status_failed_63016", "status_undelivered_63016"):
        post_status(env, status_form(name, sid))
    assert env.twilio.calls[calls:] == []  # the callback only queues the re-send
    env.work()
    [resent] = env.twilio.calls[calls:]
    assert resent["ContentSid"] == PROGRESS_SID and "Body" not in resent
    variables = json.loads(resent["ContentVariables"])
    assert variables == {"1": "María José Fuentes", "2": number, "3": "P2"}
    [event] = ticket_events(env, "delivery_rerouted")
    assert event.ticket_id == ticket_id and "63016" in event.body


def test_status_callbacks_for_unknown_messages_are_accepted_and_ignored(env: Env) -> None:
    post_status(env, status_form("status_delivered", "SM" + "f" * 32))
    assert env.stored() == NOTHING


def test_a_signed_form_that_is_no_status_callback_is_a_client_error(env: Env) -> None:
    form = {k: v for k, v in fixture("status_sent").items() if k not in ("MessageStatus", "SmsStatus")}
    response = env.post(STATUS_PATH, form)
    assert response.status_code == 400
    assert env.stored() == NOTHING



def test_nul_characters_are_dropped_instead_of_failing_the_webhook(env: Env) -> None:
    """PostgreSQL text cannot hold NUL: a 500 would make Twilio retry the same message forever."""
    form = {**fixture("inbound_text"), "Body": "hola\x00 mundo", "ProfileName": "Mar\x00ía José"}
    post_fast(env, form)
    record = inbound(env, form["MessageSid"])
    assert record.text == "hola mundo"
    assert record.raw is not None and record.raw["ProfileName"] == "María José"
    ticket_id, _ = open_ticket(env)
    sid = registration(env, ticket_id).provider_message_id or ""
    failure = status_form("status_sent", sid, MessageStatus="failed", SmsStatus="failed", ErrorCode="30008",
                          ErrorMessage="Unknown\x00 error")
    post_status(env, failure)
    [event] = ticket_events(env, "delivery_failed")
    assert "Unknown error" in event.body


def test_63016_on_create_resends_the_notice_as_its_template(templated: Env) -> None:
    env = templated
    ticket_id, number = open_ticket(env, refuse_notice=True)
    _, refused, resent = env.twilio.calls
    assert "Body" in refused and "ContentSid" not in refused
    assert resent["ContentSid"] == PROGRESS_SID and "Body" not in resent
    assert json.loads(resent["ContentVariables"])["2"] == number
    [event] = ticket_events(env, "delivery_rerouted")
    assert event.ticket_id == ticket_id
    assert ticket_events(env, "customer_unreachable") == []


def test_63016_on_create_without_a_template_holds_and_copies_by_email(env: Env) -> None:
    ticket_id, _ = open_ticket(env, refuse_notice=True)
    assert len(env.twilio.calls) == 2
    [event] = ticket_events(env, "customer_unreachable")
    assert event.ticket_id == ticket_id
    with env.session() as session:
        notice = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "registration",
                                                             OutboxMessage.channel == "whatsapp")).one()
        [copy] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert notice.status == "held" and copy.recipient == CUSTOMER_EMAIL
    post_fast(env, text_form("SM" + "e" * 32, "¿Me confirman el ticket?"))  # the customer writes again
    env.work()
    released, answer = env.twilio.calls[2:]
    assert released["Body"] == notice.payload["text"] and "ContentSid" not in released
    assert answer["Body"] != notice.payload["text"]
    with env.session() as session:
        again = session.get(OutboxMessage, notice.id)
        assert again is not None and again.status == "sent"


# --- provider errors ---------------------------------------------------------------------------------------


def outbox_row(env: Env, row_id: int) -> OutboxMessage:
    with env.session() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


def test_429_and_5xx_are_retried_with_backoff_until_twilio_accepts(env: Env) -> None:
    env.twilio.script += [error("api_error_20429", {"Retry-After": "30"}), error("api_error_20500")]
    post_fast(env, fixture("inbound_text"))
    [reply] = pending_replies(env)
    assert env.container.run_jobs_once() == 1
    row = outbox_row(env, reply.id)
    assert (row.status, row.attempts) == ("pending", 1) and "429" in (row.last_error or "")
    assert row.next_attempt_at >= env.clock() + timedelta(seconds=30)  # Twilio's Retry-After
    assert env.container.run_jobs_once() == 0  # not due yet
    env.clock.advance(seconds=31)
    env.container.run_jobs_once()
    row = outbox_row(env, reply.id)
    assert (row.status, row.attempts) == ("pending", 2) and "500" in (row.last_error or "")
    env.clock.advance(minutes=5)
    env.work()
    row = outbox_row(env, reply.id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(env.twilio.calls) == 3 and env.twilio.calls[0] == env.twilio.calls[2]


def test_a_permanent_4xx_is_dead_lettered_with_twilios_reason_on_the_ticket(env: Env) -> None:
    post_fast(env, fixture("inbound_text"))
    env.work()
    env.twilio.script.append(error("api_error_21211"))
    with env.container.transaction() as session:
        chat = session.scalars(select(Conversation)).one()
        data = NewTicket("incident", "No puedo emitir facturas", Impact.HIGH, Urgency.MEDIUM)
        ticket = env.container.tickets.open_ticket(
            session, chat, session.get(Contact, chat.contact_id), data, now=env.clock()
        )
        ticket_id = ticket.id
    env.work()
    with env.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "registration")).one()
    assert (row.status, row.attempts) == ("dead", 1)
    assert "is not a valid phone number" in (row.last_error or "")
    notice = registration(env, ticket_id)
    assert (notice.status, notice.error_code) == ("failed", "21211")
    [event] = ticket_events(env, "delivery_failed")
    assert event.ticket_id == ticket_id and "is not a valid phone number" in event.body


# --- issue 16: signed fields out of bounds are a clear 400, never a 500 ----------------------------

OVERSIZED_INBOUND = {
    "message-sid": {key: "SM" + "a" * 99 for key in ("MessageSid", "SmsMessageSid", "SmsSid")},
    "from": {"From": "whatsapp:+" + "5" * 260},
    "to": {"To": "whatsapp:+" + "1" * 260},
    "wa-id": {"From": "", "WaId": "5" * 300},
    "num-media-huge": {"NumMedia": "30000000"},
    "num-media-eleven": {
        "NumMedia": "11", **{f"MediaUrl{i}": f"https://api.twilio.com/{i}" for i in range(11)}
    },
    "media-url": {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/" + "m" * 600},
}


@pytest.mark.parametrize("fields", list(OVERSIZED_INBOUND.values()), ids=list(OVERSIZED_INBOUND))
def test_an_out_of_bounds_signed_message_is_400_and_nothing_is_stored(
    env: Env, fields: dict[str, str]
) -> None:
    started = time.perf_counter()
    response = env.post(INBOUND_PATH, {**fixture("inbound_text"), **fields})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert time.perf_counter() - started < 2.0
    assert env.stored() == NOTHING


OVERSIZED_STATUS = {
    "message-sid": {"MessageSid": "SM" + "b" * 99},
    "status": {"MessageStatus": "delivered" * 3},
    "error-code": {"MessageStatus": "failed", "ErrorCode": "3" * 21},
    "to": {"To": "whatsapp:+" + "1" * 260},
}


@pytest.mark.parametrize("fields", list(OVERSIZED_STATUS.values()), ids=list(OVERSIZED_STATUS))
def test_an_out_of_bounds_signed_status_callback_is_400(env: Env, fields: dict[str, str]) -> None:
    ticket_id, _ = open_ticket(env)
    sid = registration(env, ticket_id).provider_message_id or ""
    before = env.stored()
    response = env.post(STATUS_PATH, status_form("status_sent", sid, **fields))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert env.stored() == before


def test_ten_media_items_are_still_accepted(env: Env) -> None:
    form = {**fixture("inbound_text"), "NumMedia": "10", "MessageType": "image"}
    form.update({f"MediaUrl{i}": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{i}/Media/ME{i}"
                 for i in range(10)})
    form.update({f"MediaContentType{i}": "image/jpeg" for i in range(10)})
    steps = ("hola", "1", "No puedo emitir facturas desde la mañana, da error", "omitir")
    for index, body in enumerate(steps):
        post_fast(env, text_form(f"SM{index:032d}", body))
    post_fast(env, form)
    kept = [item["ref"] for item in conversation(env).state["evidence"]]
    assert kept == [form[f"MediaUrl{i}"] for i in range(10)]


# --- issue 16: the media job never fetches off Twilio's hosts and never retries a refused URL ---------


def test_media_urls_off_twilios_hosts_are_refused_once_stored_never_and_the_customer_told(env: Env) -> None:
    post_fast(env, fixture("inbound_text"))
    env.work()
    urls = ["file:///proc/self/environ", "http://169.254.169.254/latest/meta-data/",
            env.twilio.server.url_for("/internal/export.csv").replace("localhost", "127.0.0.1")]
    internal = env.twilio.server.expect_request("/internal/export.csv")
    internal.respond_with_data("secret", content_type="text/csv")
    with env.container.transaction() as session:
        chat = session.scalars(select(Conversation)).one()
        contact = session.get(Contact, chat.contact_id)
        media = [InboundMedia(ref=url, content_type="text/csv", kind=MediaKind.DOCUMENT) for url in urls]
        data = NewTicket("incident", "No puedo emitir facturas", Impact.HIGH, Urgency.MEDIUM, media=media)
        env.container.tickets.open_ticket(session, chat, contact, data, now=env.clock())
    env.work()
    with env.session() as session:
        rows = session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(r.status, r.attempts, r.storage_path) for r in rows] == [("refused", 1, None)] * 3
        assert all((r.refusal_reason or "").startswith("forbidden_source") for r in rows)
    assert [r for r in env.twilio.server.log if "/internal/" in r[0].path] == []
    bodies = [call.get("Body", "") for call in env.twilio.calls]
    assert len([body for body in bodies if "No pudimos recibir el archivo" in body]) == 3


# --- issue 16: without SMTP, no e-mail copy is queued to stay pending forever -------------------------


@pytest.fixture
def without_email(
    database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock
) -> Iterator[Env]:
    """A container with WhatsApp but no e-mail channel (no SMTP configured)."""
    built = build_env(database_url, tmp_path / "data", httpserver, clock, email=False)
    seed_customer(built)
    yield built
    built.container.close()


def test_without_smtp_no_email_copy_is_queued_and_agents_are_told_the_customer_was_not_reached(
    without_email: Env,
) -> None:
    env = without_email
    ticket_id, _ = open_ticket(env, refuse_notice=True)
    [event] = ticket_events(env, "customer_unreachable")
    assert event.ticket_id == ticket_id
    assert "cannot be reached" in event.body and "SMTP) is not configured" in event.body
    assert event.data is not None and event.data["email_unavailable"] == "smtp_not_configured"
    assert event.data["email_outbox_id"] is None
    with env.session() as session:
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all() == []
    health = env.client.get("/healthz").get_json()
    assert health["outbox_backlog"] == 0 and health["outbox_held"] == 1
    env.clock.advance(hours=2)
    env.work()
    assert env.client.get("/healthz").get_json()["outbox_backlog"] == 0
