"""End to end: outbox worker + WhatsApp router + the real twilio client (local fake API) + SMTP (aiosmtpd)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from channels.base import OutboundChannel
from channels.email import EmailAdapter, EmailConfig
from channels.whatsapp.adapter import WhatsAppAdapter
from intake.db import unit_of_work
from intake.db.models import ChannelIdentity, Conversation, Message, OutboxMessage
from intake.delivery.outbox import OutboxWorker
from intake.delivery.whatsapp_window import WhatsAppRouter, release_held
from tests.integration.test_delivery_router import (
    CUSTOMER,
    EMAIL,
    NUMBER,
    PROGRESS_SID,
    Customer,
    events,
    notification,
    outbox,
    put,
    seed,
    whatsapp_adapter,
)
from tests.integration.test_email_send import Mailbox, content, free_port
from tests.support.clock import FakeClock
from tests.support.twilio_fake import FakeTwilio, fixture


@pytest.fixture
def twilio(httpserver: HTTPServer) -> FakeTwilio:
    return FakeTwilio(httpserver)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def parts(
    httpserver: HTTPServer, mailbox: tuple[Mailbox, int], session_factory: sessionmaker[Session],
    clock: FakeClock,
) -> Iterator[tuple[OutboxWorker, WhatsAppRouter, WhatsAppAdapter]]:
    whatsapp = whatsapp_adapter(api_base_url=httpserver.url_for("/").rstrip("/"), request_timeout=5.0)
    email = EmailAdapter(EmailConfig(host="127.0.0.1", port=mailbox[1], sender="soporte@consultora.cl"))
    router = WhatsAppRouter(whatsapp)
    senders: dict[str, OutboundChannel] = {"whatsapp": whatsapp, "email": email}
    yield OutboxWorker(session_factory, senders, clock=clock, router=router), router, whatsapp
    whatsapp.close()


def callback(whatsapp: WhatsAppAdapter, name: str, sid: str) -> Any:
    """A real status-callback payload (fixture) for one of our sids, read by the adapter."""
    return whatsapp.parse_status({**fixture(name), "MessageSid": sid, "SmsSid": sid})


def transcript(factory: sessionmaker[Session], row_id: int) -> Message:
    with factory() as session:
        return session.scalars(select(Message).where(Message.outbox_id == row_id)).one()


def test_outside_the_window_a_notification_goes_out_as_contentsid(
    session_factory: sessionmaker[Session], clock: FakeClock, twilio: FakeTwilio,
    parts: tuple[OutboxWorker, WhatsAppRouter, WhatsAppAdapter],
) -> None:
    worker, router, whatsapp = parts
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(days=3))
    row_id = put(session_factory, clock(), customer, notification())
    assert worker.run_once() == 1
    [call] = twilio.calls
    assert call["ContentSid"] == PROGRESS_SID and call["To"] == f"whatsapp:{CUSTOMER}"
    assert json.loads(call["ContentVariables"]) == {
        "1": "Ana Pérez", "2": NUMBER, "3": "revisamos el asiento contable."
    }
    assert "Body" not in call
    sid = transcript(session_factory, row_id).provider_message_id
    assert sid == "SM" + "1".zfill(32)
    for name in ("status_sent", "status_delivered", "status_read", "status_sent"):
        router.handle_status(session_factory, callback(whatsapp, name, sid), clock())
    assert transcript(session_factory, row_id).status == "read"


def test_inside_the_window_the_text_goes_as_body(
    session_factory: sessionmaker[Session], clock: FakeClock, twilio: FakeTwilio,
    parts: tuple[OutboxWorker, WhatsAppRouter, WhatsAppAdapter],
) -> None:
    worker, _, _ = parts
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(hours=2))
    message = notification()
    put(session_factory, clock(), customer, message)
    worker.run_once()
    [call] = twilio.calls
    assert call["Body"] == message.text and "ContentSid" not in call


def test_held_message_goes_by_email_then_by_whatsapp_when_the_customer_writes(
    session_factory: sessionmaker[Session], clock: FakeClock, twilio: FakeTwilio,
    mailbox: tuple[Mailbox, int],
    parts: tuple[OutboxWorker, WhatsAppRouter, WhatsAppAdapter],
) -> None:
    worker, _, _ = parts
    box, _ = mailbox
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(days=2))
    text = f"Su ticket {NUMBER} fue escalado para darle más prioridad. Le mantendremos informado."
    row_id = put(session_factory, clock(), customer, notification("escalation", text=text,
                                                                  template_variables={"number": NUMBER}))
    assert worker.run_once() == 1  # held: nothing reaches Twilio
    assert twilio.calls == [] and outbox(session_factory, "whatsapp")[0].status == "held"
    assert worker.run_once() == 1  # the e-mail copy
    [(_, rcpt, mail)] = box.received
    assert rcpt == [EMAIL] and mail["Subject"] == f"Su ticket {NUMBER} fue escalado"
    assert content(mail) == text + "\n"
    [event] = events(session_factory, "customer_unreachable")
    assert event.ticket_id == customer.ticket_id
    assert worker.run_once() == 0  # nothing loops
    written = clock.advance(days=1)
    _customer_writes(session_factory, customer, written)
    assert worker.run_once() == 1
    [call] = twilio.calls
    assert call["Body"] == text
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "sent"
    assert len(box.received) == 1 and len(events(session_factory, "customer_unreachable")) == 1


def test_63016_callback_resends_the_message_as_a_template(
    session_factory: sessionmaker[Session], clock: FakeClock, twilio: FakeTwilio,
    parts: tuple[OutboxWorker, WhatsAppRouter, WhatsAppAdapter],
) -> None:
    worker, router, whatsapp = parts
    # our records say the window is open, WhatsApp disagrees (e.g. the clocks differ by a minute)
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(hours=23, minutes=59))
    row_id = put(session_factory, clock(), customer, notification())
    worker.run_once()
    assert "Body" in twilio.calls[0]
    sid = transcript(session_factory, row_id).provider_message_id
    assert sid is not None
    clock.advance(minutes=2)
    for name in ("status_sent", "status_undelivered_63016", "status_failed_63016"):
        router.handle_status(session_factory, callback(whatsapp, name, sid), clock())
    assert worker.run_once() == 1
    assert len(twilio.calls) == 2
    assert twilio.calls[1]["ContentSid"] == PROGRESS_SID and "Body" not in twilio.calls[1]
    assert transcript(session_factory, row_id).status == "undelivered"
    assert [e.kind for e in events(session_factory, "delivery_rerouted")] == ["delivery_rerouted"]


def _customer_writes(factory: sessionmaker[Session], customer: Customer, now: Any) -> None:
    """What the inbound pipeline does for this test: new last-inbound time, then release."""
    with unit_of_work(factory) as session:
        identity = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.contact_id == customer.contact_id,
                                          ChannelIdentity.channel == "whatsapp")
        ).one()
        identity.last_inbound_at = now
        assert release_held(session, "whatsapp", CUSTOMER, now) == 1


def test_a_customer_writing_while_the_worker_decides_is_never_left_held(
    session_factory: sessionmaker[Session], clock: FakeClock, twilio: FakeTwilio,
    parts: tuple[OutboxWorker, WhatsAppRouter, WhatsAppAdapter],
) -> None:
    # The inbound transaction holds the conversation lock (as lock_conversation does) and has
    # updated last_inbound_at but not committed yet when the worker finds the window closed: the
    # worker re-reads under that lock before holding, so it sends instead of holding a message that
    # the inbound's release_held (already run) would never release.
    worker, _, _ = parts
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(days=2))
    put(session_factory, clock(), customer, notification("escalation"))
    worker_thread = threading.Thread(target=worker.run_once)
    with session_factory() as inbound:
        lock = select(Conversation).where(Conversation.id == customer.conversation_id).with_for_update()
        inbound.scalars(lock).one()
        identity = inbound.scalars(select(ChannelIdentity).where(
            ChannelIdentity.contact_id == customer.contact_id, ChannelIdentity.channel == "whatsapp")).one()
        identity.last_inbound_at = clock()
        inbound.flush()
        worker_thread.start()
        blocked = _wait_until_blocked(inbound, worker_thread)
        released = release_held(inbound, "whatsapp", CUSTOMER, clock())
        inbound.commit()
    worker_thread.join(timeout=30)
    assert blocked  # the worker waited for the inbound transaction before deciding to hold
    assert released == 0  # and had not held anything
    [call] = twilio.calls
    assert call["Body"] == notification("escalation").text
    assert events(session_factory, "customer_unreachable") == []
    assert [row.status for row in outbox(session_factory, "whatsapp")] == ["sent"]


def _wait_until_blocked(session: Session, thread: threading.Thread) -> bool:
    """True once the worker waits for a lock we hold (PostgreSQL: a row lock; SQLite: BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        time.sleep(0.3)  # SQLite serializes writers at BEGIN: the worker cannot have started
        return thread.is_alive()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and thread.is_alive():
        if session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
            return True
        time.sleep(0.01)
    return False
