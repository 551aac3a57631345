"""The WhatsApp router: 24-hour window, templates, holds with agent notice and e-mail copy, release."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel, Option, Reply
from channels.base import OutboundMessage
from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig
from intake.db import unit_of_work
from intake.db.models import (
    ChannelIdentity,
    Contact,
    Conversation,
    Message,
    OutboxMessage,
    Ticket,
    TicketEvent,
)
from intake.delivery.outbox import WINDOW_OPENED_KEY, enqueue, from_payload
from intake.delivery.whatsapp_window import (
    NOTIFIED_KEY,
    WhatsAppRouter,
    last_inbound_at,
    release_held,
)
from intake.services.notify import reply_to_conversation
from tests.support.clock import FakeClock

ACCOUNT = "AC3f5a0c1e2d4b6a8c9e0f1a2b3c4d5e6f"
TOKEN = "tok_9b1c0ffee5ecret7a41d8cd98f00b2"
CUSTOMER = "+56912345678"
OTHER = "+56987654321"
EMAIL = "ana.perez@cliente.cl"
NUMBER = "LA-000123"
PROGRESS_SID = "HX" + "1" * 32
REGISTRATION_SID = "HX" + "2" * 32
SURVEY_SID = "HX" + "3" * 32


def whatsapp_adapter(**overrides: Any) -> WhatsAppAdapter:
    """The real adapter; template_for reads its config and needs no network."""
    settings: dict[str, Any] = {
        "account_sid": ACCOUNT,
        "auth_token": TOKEN,
        "from_number": "whatsapp:+14155238886",
        "notification_templates": {
            "progress": PROGRESS_SID,
            "registration": REGISTRATION_SID,
            "survey": SURVEY_SID,
        },
    }
    settings.update(overrides)
    return WhatsAppAdapter(WhatsAppConfig(**settings))


@dataclass(frozen=True)
class Customer:
    contact_id: int
    conversation_id: int
    ticket_id: int | None


def seed(
    factory: sessionmaker[Session],
    now: datetime,
    *,
    identity_inbound: datetime | None,
    conversation_inbound: datetime | None = None,
    email_identity: str | None = EMAIL,
    contact_email: str | None = None,
    name: str = "Ana Pérez",
    address: str = CUSTOMER,
    with_ticket: bool = True,
) -> Customer:
    """A contact with a WhatsApp identity, maybe an e-mail identity, a conversation and a ticket."""
    with unit_of_work(factory) as session:
        contact = Contact(name=name, email=contact_email, language="es", created_at=now)
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id, channel="whatsapp", address=address,
                                    last_inbound_at=identity_inbound))
        if email_identity:
            session.add(ChannelIdentity(contact_id=contact.id, channel="email", address=email_identity))
        conversation = Conversation(channel="whatsapp", address=address, contact_id=contact.id, state={},
                                    last_inbound_at=conversation_inbound, created_at=now, updated_at=now)
        session.add(conversation)
        session.flush()
        ticket_id = None
        if with_ticket:
            ticket = Ticket(number=NUMBER if address == CUSTOMER else f"LA-{address[-6:]}",
                            tracking_token=uuid.uuid4().hex, contact_id=contact.id,
                            conversation_id=conversation.id, channel="whatsapp", ticket_type="incident",
                            title="Error al validar factura", impact="alto", urgency="alta", priority="P2",
                            opened_at=now, response_due=now, resolution_due=now, created_at=now,
                            updated_at=now)
            session.add(ticket)
            session.flush()
            ticket_id = ticket.id
        return Customer(contact.id, conversation.id, ticket_id)


def notification(
    kind: str | None = "progress", *, recipient: str = CUSTOMER, **fields: Any
) -> OutboundMessage:
    values: dict[str, Any] = {
        "channel": Channel.WHATSAPP,
        "recipient": recipient,
        "kind": kind,
        "text": f"Avance en su ticket {NUMBER}: revisamos el asiento contable.",
        "template_variables": {"number": NUMBER, "note": "revisamos el asiento contable."},
    }
    values.update(fields)
    return OutboundMessage(**values)


def put(factory: sessionmaker[Session], now: datetime, customer: Customer, message: OutboundMessage) -> int:
    """Enqueue a message for the customer's conversation and ticket; return the outbox id."""
    with unit_of_work(factory) as session:
        return enqueue(session, message, now=now, ticket_id=customer.ticket_id,
                       conversation_id=customer.conversation_id).id


def route(
    factory: sessionmaker[Session], router: WhatsAppRouter, row_id: int, now: datetime
) -> OutboundMessage | None:
    """Run the router on a stored row in one transaction, as the worker does."""
    with unit_of_work(factory) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        routed = router(session, row, from_payload(row.payload), now)
        if routed is None:
            row.status = "held"
        return routed


def routed_now(
    factory: sessionmaker[Session], router: WhatsAppRouter, customer: Customer, message: OutboundMessage,
    now: datetime,
) -> OutboundMessage | None:
    """Enqueue a message and route it at once."""
    return route(factory, router, put(factory, now, customer, message), now)


def events(factory: sessionmaker[Session], kind: str) -> list[TicketEvent]:
    with factory() as session:
        query = select(TicketEvent).where(TicketEvent.kind == kind).order_by(TicketEvent.id)
        return list(session.scalars(query))


def outbox(factory: sessionmaker[Session], channel: str) -> list[OutboxMessage]:
    with factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel)
                                    .order_by(OutboxMessage.id)))


@pytest.fixture
def router() -> WhatsAppRouter:
    return WhatsAppRouter(whatsapp_adapter())


# --- the window -----------------------------------------------------------------------------------


def test_inside_the_window_the_message_goes_unchanged(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(hours=23, minutes=59))
    message = notification()
    row_id = put(session_factory, clock(), customer, message)
    assert route(session_factory, router, row_id, clock()) == message
    assert events(session_factory, "customer_unreachable") == [] and outbox(session_factory, "email") == []


def test_a_reply_stamped_with_a_recent_inbound_goes_without_asking_the_database(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    """A reply to a chat carries when the customer last wrote; inside 24 h the router trusts it."""
    customer = seed(session_factory, clock(), identity_inbound=None)  # the database knows of no inbound
    message = notification()
    with unit_of_work(session_factory) as session:
        conversation = session.get(Conversation, customer.conversation_id)
        assert conversation is not None
        conversation.last_inbound_at = clock() - timedelta(hours=23)
        reply_to_conversation(session, conversation, Reply(text=message.text, kind="progress"), now=clock())
    (row,) = outbox(session_factory, "whatsapp")
    assert row.payload[WINDOW_OPENED_KEY] == (clock() - timedelta(hours=23)).isoformat()
    statements: list[str] = []
    engine = session_factory.kw["bind"]
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        routed = route(session_factory, router, row.id, clock())
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert routed is not None and routed.template_sid is None and routed.text == message.text
    assert not any("last_inbound_at" in s for s in statements), statements


def test_a_stale_stamp_falls_back_to_the_database_and_a_bad_one_is_ignored(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(hours=1))
    stale = put_stamped(session_factory, clock(), customer, clock() - timedelta(hours=30))
    assert route(session_factory, router, stale, clock()) == notification()  # the database says open
    old = seed(session_factory, clock(), identity_inbound=clock() - timedelta(days=3), address=OTHER,
               email_identity=None)
    for stamp in (clock() - timedelta(hours=30), "not a date", "2026-12-05T10:00:00"):  # naive: ignored
        row_id = put_stamped(session_factory, clock(), old, stamp, recipient=OTHER)
        routed = route(session_factory, router, row_id, clock())
        assert routed is not None and routed.template_sid == PROGRESS_SID, stamp


def put_stamped(
    factory: sessionmaker[Session], now: datetime, customer: Customer, stamp: datetime | str,
    recipient: str = CUSTOMER,
) -> int:
    """Enqueue a progress notice whose payload carries `stamp` as the last inbound time."""
    with unit_of_work(factory) as session:
        row = enqueue(session, notification(recipient=recipient), now=now, ticket_id=customer.ticket_id,
                      conversation_id=customer.conversation_id)
        value = stamp.isoformat() if isinstance(stamp, datetime) else stamp
        row.payload = {**row.payload, WINDOW_OPENED_KEY: value}
        return row.id


def test_the_latest_of_identity_and_conversation_decides(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    recent, old = clock() - timedelta(hours=1), clock() - timedelta(days=3)
    seed(session_factory, clock(), identity_inbound=old, conversation_inbound=recent)
    seed(session_factory, clock(), identity_inbound=recent, conversation_inbound=old, address=OTHER,
         email_identity=None)
    with session_factory() as session:
        assert last_inbound_at(session, CUSTOMER) == recent
        assert last_inbound_at(session, "whatsapp:" + CUSTOMER) == recent
        assert last_inbound_at(session, OTHER) == recent
        assert last_inbound_at(session, "+10000000000") is None


def test_exactly_24_hours_is_outside_and_with_a_template_goes_as_contentsid(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(hours=24))
    message = notification()
    routed = route(session_factory, router, put(session_factory, clock(), customer, message), clock())
    assert routed is not None
    assert routed.template_sid == PROGRESS_SID
    assert dict(routed.template_variables) == {
        "1": "Ana Pérez", "2": NUMBER, "3": "revisamos el asiento contable."
    }
    assert routed.text == message.text and routed.recipient == CUSTOMER  # the transcript keeps the text
    assert events(session_factory, "customer_unreachable") == []


def test_never_wrote_on_whatsapp_counts_as_outside(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None)
    routed = route(session_factory, router, put(session_factory, clock(), customer, notification()), clock())
    assert routed is not None and routed.template_sid == PROGRESS_SID


# --- template variables -----------------------------------------------------------------------------


def test_variables_follow_the_kind_field_list(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None)
    registration = notification(
        "registration", text="✅ Registramos su ticket…",
        template_variables={"number": NUMBER, "priority": "P2", "response": "Primera respuesta: 45 min"},
    )
    routed = route(session_factory, router, put(session_factory, clock(), customer, registration), clock())
    assert routed is not None and routed.template_sid == REGISTRATION_SID
    assert dict(routed.template_variables) == {"1": "Ana Pérez", "2": NUMBER, "3": "P2"}
    survey = notification("survey", text="¿Cómo califica…?", template_variables={"ticket": NUMBER})
    routed = route(session_factory, router, put(session_factory, clock(), customer, survey), clock())
    assert routed is not None and dict(routed.template_variables) == {"1": "Ana Pérez", "2": NUMBER}


def test_variables_are_one_line_short_never_empty_and_fall_back(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None, name="")
    taken = notification(text="Su ticket fue tomado por\nCarla  Díaz.", template_variables={"number": NUMBER})
    routed = route(session_factory, router, put(session_factory, clock(), customer, taken), clock())
    assert routed is not None
    # no name on file -> "cliente"; no note -> the message text, newlines and runs of spaces collapsed
    assert dict(routed.template_variables) == {
        "1": "cliente", "2": NUMBER, "3": "Su ticket fue tomado por Carla Díaz."
    }
    long_note = notification(template_variables={"number": "", "note": "x" * 500})
    routed = route(session_factory, router, put(session_factory, clock(), customer, long_note), clock())
    assert routed is not None
    assert routed.template_variables["2"] == "-"
    assert len(routed.template_variables["3"]) == 200 and routed.template_variables["3"].endswith("…")


def test_nameless_contact_is_greeted_in_the_conversation_language(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None, name="")
    with unit_of_work(session_factory) as session:
        contact = session.get(Contact, customer.contact_id)
        conversation = session.get(Conversation, customer.conversation_id)
        assert contact is not None and conversation is not None
        contact.language, conversation.language = None, "en"
    routed = routed_now(session_factory, router, customer, notification(), clock())
    assert routed is not None and routed.template_variables["1"] == "customer"


def test_numeric_variables_pass_through_and_custom_field_lists_apply(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None)
    router = WhatsAppRouter(whatsapp_adapter(), template_fields={"progress": ("number", "note")})
    prebuilt = notification(template_variables={"1": "Ana", "2": "LA-9"})
    routed = route(session_factory, router, put(session_factory, clock(), customer, prebuilt), clock())
    assert routed is not None and dict(routed.template_variables) == {"1": "Ana", "2": "LA-9"}
    routed = route(session_factory, router, put(session_factory, clock(), customer, notification()), clock())
    assert routed is not None
    assert dict(routed.template_variables) == {"1": NUMBER, "2": "revisamos el asiento contable."}


# --- holding ----------------------------------------------------------------------------------------


def test_no_template_holds_tells_agents_and_copies_to_email_once(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=clock() - timedelta(days=2))
    options = (Option("yes", "Sí"), Option("no", "No"))
    message = notification("solution", text="Proponemos esta solución: reprocesar la factura.\n¿Se resolvió?",
                           options=options, template_variables={"number": NUMBER, "summary": "reprocesar"})
    row_id = put(session_factory, clock(), customer, message)
    assert route(session_factory, router, row_id, clock()) is None
    [event] = events(session_factory, "customer_unreachable")
    assert event.ticket_id == customer.ticket_id and event.actor == "system"
    assert "cannot be reached on WhatsApp" in event.body and EMAIL in event.body
    assert "no template for solution" in event.body
    [copy] = outbox(session_factory, "email")
    assert copy.recipient == EMAIL and copy.status == "pending" and copy.ticket_id == customer.ticket_id
    email = from_payload(copy.payload)
    assert email.channel == Channel.EMAIL and email.text == message.text and email.options == options
    assert email.kind == "solution" and email.template_variables["number"] == NUMBER
    assert event.data == {"outbox_id": row_id, "kind": "solution", "email": EMAIL, "email_outbox_id": copy.id}
    with session_factory() as session:
        transcript = session.scalars(select(Message).where(Message.outbox_id == copy.id)).one()
        assert transcript.channel == "email" and transcript.author == "system"
    # routed again (e.g. released while still outside the window): held again, but no second notice
    assert route(session_factory, router, row_id, clock() + timedelta(hours=1)) is None
    assert len(events(session_factory, "customer_unreachable")) == 1
    assert len(outbox(session_factory, "email")) == 1
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.payload[NOTIFIED_KEY] is True
        assert from_payload(row.payload) == message  # the marker does not change the message


def test_hold_without_email_still_tells_agents(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None, email_identity=None)
    assert route(session_factory, router, put(session_factory, clock(), customer, notification("escalation")),
                 clock()) is None
    [event] = events(session_factory, "customer_unreachable")
    assert "no e-mail address" in event.body
    assert outbox(session_factory, "email") == []


def test_contact_email_field_is_the_fallback_address(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None, email_identity=None,
                    contact_email="ana@otra.cl")
    routed_now(session_factory, router, customer, notification("escalation"), clock())
    [copy] = outbox(session_factory, "email")
    assert copy.recipient == "ana@otra.cl"


def test_dialog_reply_without_ticket_is_held_with_email_copy_only(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None, with_ticket=False)
    reply = notification(None, text="¿Cuál es el impacto?", template_variables={})
    assert route(session_factory, router, put(session_factory, clock(), customer, reply), clock()) is None
    assert events(session_factory, "customer_unreachable") == []
    [copy] = outbox(session_factory, "email")
    assert from_payload(copy.payload).text == "¿Cuál es el impacto?" and copy.ticket_id is None


def test_other_channels_and_templates_pass_through(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None)
    telegram = OutboundMessage(channel=Channel.TELEGRAM, recipient="4242", text="hola", kind="escalation")
    assert routed_now(session_factory, router, customer, telegram, clock()) == telegram
    templated = notification("escalation", template_sid="HX" + "9" * 32)
    assert routed_now(session_factory, router, customer, templated, clock()) == templated
    email = OutboundMessage(channel=Channel.EMAIL, recipient=EMAIL, text="hola")
    assert routed_now(session_factory, router, customer, email, clock()) == email
    assert events(session_factory, "customer_unreachable") == []


# --- release ----------------------------------------------------------------------------------------


def test_release_puts_only_that_customers_held_rows_back_in_the_queue(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    ana = seed(session_factory, clock(), identity_inbound=None)
    other = seed(session_factory, clock(), identity_inbound=None, address=OTHER, email_identity=None)
    held = [put(session_factory, clock(), ana, notification("escalation")) for _ in range(2)]
    held_other = put(session_factory, clock(), other, notification("escalation", recipient=OTHER))
    pending = put(session_factory, clock(), ana, notification("escalation"))
    for row_id in (*held, held_other):
        assert route(session_factory, router, row_id, clock()) is None
    later = clock.advance(hours=5)
    with unit_of_work(session_factory) as session:
        assert release_held(session, "whatsapp", "whatsapp:" + CUSTOMER, later) == 2
    with session_factory() as session:
        rows = {row.id: row for row in session.scalars(select(OutboxMessage))}
    assert [(rows[i].status, rows[i].next_attempt_at) for i in held] == [("pending", later)] * 2
    assert rows[held_other].status == "held"
    assert rows[pending].status == "pending" and rows[pending].next_attempt_at < later
    with unit_of_work(session_factory) as session:
        assert release_held(session, "whatsapp", CUSTOMER, later) == 0
        assert release_held(session, "telegram", OTHER, later) == 0
        assert release_held(session, "whatsapp", OTHER, later) == 1
