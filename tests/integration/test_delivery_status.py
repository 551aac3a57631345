"""Twilio status callbacks: forward-only statuses, failures on the ticket, 63016 re-routing, replays."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.whatsapp.adapter import StatusUpdate
from intake.db import unit_of_work
from intake.db.models import Message, OutboxMessage, TicketEvent
from intake.delivery.outbox import from_payload
from intake.delivery.whatsapp_window import REROUTED_KEY, WhatsAppRouter, release_held
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
from tests.support.clock import FakeClock

SID = "SM" + "a" * 32


@pytest.fixture
def router() -> WhatsAppRouter:
    return WhatsAppRouter(whatsapp_adapter())


def sent(
    factory: sessionmaker[Session], clock: FakeClock, customer: Customer, *sids: str, **fields: Any
) -> int:
    """An outbox row the worker already sent, with one transcript row per provider sid."""
    row_id = put(factory, clock(), customer, notification(**fields))
    with unit_of_work(factory) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.sent_at, row.provider_message_ids = "sent", clock(), list(sids)
        first = session.scalars(select(Message).where(Message.outbox_id == row_id)).one()
        first.provider_message_id = sids[0]
        for extra in sids[1:]:
            session.add(
                Message(
                    outbox_id=row_id,
                    ticket_id=row.ticket_id,
                    conversation_id=row.conversation_id,
                    direction="out",
                    channel="whatsapp",
                    author="bot",
                    provider_message_id=extra,
                    status="queued",
                    created_at=clock(),
                )
            )
    return row_id


def status(
    sid: str = SID, value: str = "sent", code: str | None = None, text: str | None = None
) -> StatusUpdate:
    return StatusUpdate(
        message_sid=sid, status=value, error_code=code, error_message=text, recipient=CUSTOMER
    )


def message_state(factory: sessionmaker[Session], sid: str = SID) -> tuple[str | None, str | None]:
    with factory() as session:
        message = session.scalars(select(Message).where(Message.provider_message_id == sid)).one()
        return message.status, message.error_code


def apply(
    factory: sessionmaker[Session], router: WhatsAppRouter, clock: FakeClock, *updates: StatusUpdate
) -> None:
    for update in updates:
        router.handle_status(factory, update, clock())


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def customer(session_factory: sessionmaker[Session], clock: FakeClock) -> Customer:
    return seed(session_factory, clock(), identity_inbound=clock() - timedelta(hours=1))


def test_statuses_move_forward(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    sent(session_factory, clock, customer, SID)
    seen = []
    for value in ("queued", "sent", "delivered", "read"):
        apply(session_factory, router, clock, status(value=value))
        seen.append(message_state(session_factory))
    assert seen == [("queued", None), ("sent", None), ("delivered", None), ("read", None)]


def test_late_callbacks_never_move_a_status_backwards(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    sent(session_factory, clock, customer, SID)
    late = (status(value="delivered"), status(value="sent"), status(value="queued"))
    apply(session_factory, router, clock, *late)
    assert message_state(session_factory) == ("delivered", None)
    apply(session_factory, router, clock, status(value="read"), status(value="delivered"))
    assert message_state(session_factory) == ("read", None)
    # a failure after the phone got the message is noise, not a failure
    apply(session_factory, router, clock, status(value="undelivered", code="30008"))
    assert message_state(session_factory) == ("read", None)
    assert events(session_factory, "delivery_failed") == []


def test_failure_is_terminal_and_visible_to_agents_once(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    row_id = sent(session_factory, clock, customer, SID)
    failed = status(value="undelivered", code="30008", text="Unknown error")
    apply(session_factory, router, clock, status(value="sent"), failed)
    assert message_state(session_factory) == ("undelivered", "30008")
    [event] = events(session_factory, "delivery_failed")
    assert event.ticket_id == customer.ticket_id and event.actor == "system"
    assert "30008" in event.body and "undelivered" in event.body and "Unknown error" in event.body
    assert event.data is not None and event.data["code"] == "30008" and event.data["outbox_id"] == row_id
    before = (count(session_factory, TicketEvent), count(session_factory, OutboxMessage))
    apply(session_factory, router, clock, failed, status(value="delivered"), status(value="failed", code="1"))
    assert message_state(session_factory) == ("undelivered", "30008")
    assert (count(session_factory, TicketEvent), count(session_factory, OutboxMessage)) == before


def test_a_callback_for_a_sid_not_yet_recorded_is_kept_not_applied_and_expires(
    session_factory: sessionmaker[Session],
    clock: FakeClock,
    router: WhatsAppRouter,
    customer: Customer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from intake.db.models import EarlyStatus

    sent(session_factory, clock, customer, SID)
    with caplog.at_level(logging.INFO, logger="intake.delivery.whatsapp_window"):
        apply(session_factory, router, clock, status("SM" + "f" * 32, "failed", "30003"))
    assert "not yet recorded message SM" + "f" * 32 in caplog.text
    assert message_state(session_factory) == ("queued", None)  # our message is untouched
    assert count(session_factory, TicketEvent) == 0
    assert count(session_factory, EarlyStatus) == 1  # kept for the worker, in case the sid turns out ours
    clock.advance(days=2)
    apply(session_factory, router, clock, status("SM" + "e" * 32, "sent"))
    with session_factory() as session:
        kept = session.scalars(select(EarlyStatus.provider_message_id)).all()
    assert kept == ["SM" + "e" * 32]  # a day-old stranger is dropped when the next one is kept


def test_63016_with_a_template_resends_it_as_contentsid_once(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    second = "SM" + "b" * 32
    row_id = sent(session_factory, clock, customer, SID, second)  # a text split in two parts
    refused = status(value="failed", code="63016", text="outside the allowed window")
    apply(session_factory, router, clock, refused, refused, status(second, "failed", "63016"))
    assert message_state(session_factory) == ("failed", "63016")
    [original, again] = outbox(session_factory, "whatsapp")
    assert original.id == row_id and original.payload[REROUTED_KEY] == again.id
    assert again.status == "pending" and again.ticket_id == customer.ticket_id
    templated = from_payload(again.payload)
    assert templated.template_sid == PROGRESS_SID and templated.recipient == CUSTOMER
    assert dict(templated.template_variables) == {
        "1": "Ana Pérez",
        "2": NUMBER,
        "3": "revisamos el asiento contable.",
    }
    [event] = events(session_factory, "delivery_rerouted")
    assert "63016" in event.body and event.data is not None and event.data["template_outbox_id"] == again.id
    assert events(session_factory, "delivery_failed") == []
    assert events(session_factory, "customer_unreachable") == []
    assert outbox(session_factory, "email") == []


def test_63016_without_a_template_holds_notifies_and_copies_to_email_once(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    row_id = sent(session_factory, clock, customer, SID, kind="escalation")
    refused = status(value="undelivered", code="63016")
    apply(session_factory, router, clock, status(value="sent"), refused, refused)
    [row] = outbox(session_factory, "whatsapp")
    assert row.id == row_id and row.status == "held"
    [event] = events(session_factory, "customer_unreachable")
    assert "no template for escalation" in event.body and EMAIL in event.body
    [copy] = outbox(session_factory, "email")
    assert copy.recipient == EMAIL and from_payload(copy.payload).kind == "escalation"
    assert events(session_factory, "delivery_failed") == []
    # the customer writes again: the held message goes back to the queue
    with unit_of_work(session_factory) as session:
        assert release_held(session, "whatsapp", CUSTOMER, clock()) == 1
    assert outbox(session_factory, "whatsapp")[0].status == "pending"


def test_63016_on_a_template_does_not_loop(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    sent(session_factory, clock, customer, SID, template_sid=PROGRESS_SID)
    apply(session_factory, router, clock, status(value="failed", code="63016"))
    assert len(outbox(session_factory, "whatsapp")) == 1
    [event] = events(session_factory, "customer_unreachable")
    assert "even the template was refused" in event.body


def test_failure_without_a_ticket_changes_the_status_only(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter
) -> None:
    customer = seed(session_factory, clock(), identity_inbound=None, with_ticket=False)
    sent(session_factory, clock, customer, SID)
    apply(session_factory, router, clock, status(value="failed", code="63003"))
    assert message_state(session_factory) == ("failed", "63003")
    assert count(session_factory, TicketEvent) == 0


def test_replaying_every_callback_three_times_changes_nothing_more(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    ok, refused, lost, quiet = ("SM" + c * 32 for c in "1234")
    sent(session_factory, clock, customer, ok)
    sent(session_factory, clock, customer, refused)
    sent(session_factory, clock, customer, lost, kind="escalation")
    sent(session_factory, clock, customer, quiet, kind="solution")
    callbacks = [
        status(ok, "sent"),
        status(ok, "delivered"),
        status(ok, "read"),
        status(refused, "sent"),
        status(refused, "failed", "63016"),
        status(lost, "sent"),
        status(lost, "undelivered", "30008"),
        status(quiet, "sent"),
        status(quiet, "undelivered", "63016"),
    ]

    Snapshot = tuple[list[tuple[str, str, str]], list[tuple[int, str, str]], list[tuple[str, str]]]

    def snapshot() -> Snapshot:
        with session_factory() as session:
            messages = sorted(
                (m.provider_message_id or "", m.status or "", m.error_code or "")
                for m in session.scalars(select(Message))
            )
            rows = sorted((r.id, r.channel, r.status) for r in session.scalars(select(OutboxMessage)))
            trail = sorted((e.kind, e.body) for e in session.scalars(select(TicketEvent)))
        return messages, rows, trail

    apply(session_factory, router, clock, *callbacks)
    first = snapshot()
    for _ in range(2):
        apply(session_factory, router, clock, *callbacks)
    assert snapshot() == first
    _, rows, trail = first
    assert [kind for kind, _ in trail] == ["customer_unreachable", "delivery_failed", "delivery_rerouted"]
    assert [(channel, state) for _, channel, state in rows] == [
        ("whatsapp", "sent"),
        ("whatsapp", "sent"),
        ("whatsapp", "sent"),
        ("whatsapp", "held"),
        ("whatsapp", "pending"),
        ("email", "pending"),
    ]


def test_a_kept_callback_waits_while_unrecorded_and_applies_once_recorded(
    session_factory: sessionmaker[Session], clock: FakeClock, router: WhatsAppRouter, customer: Customer
) -> None:
    from intake.db.models import EarlyStatus

    early = "SM" + "b" * 32
    with unit_of_work(session_factory) as session:
        assert router.apply_status(session, status(early, "delivered"), clock()) is True
    with unit_of_work(session_factory) as session:  # the callback's own second look: still unrecorded
        router.apply_early(session, [early], clock())
    assert count(session_factory, EarlyStatus) == 1  # kept, not lost
    sent(session_factory, clock, customer, early)  # the worker records the sid
    with unit_of_work(session_factory) as session:
        router.apply_early(session, [early], clock())
    assert message_state(session_factory, early) == ("delivered", None)
    assert count(session_factory, EarlyStatus) == 0
