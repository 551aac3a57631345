"""`handle_inbound` called directly: one transaction from dedupe to outbox, replays are no-ops."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.messages import Channel, InboundMessage
from intake.bootstrap import Container
from intake.db.models import Conversation, Message, OutboxMessage, ProcessedMessage
from intake.services.inbound import Recorded
from tests.integration.service_harness import make_container
from tests.support.clock import FakeClock

DEMO = "+56911111111"  # the demo contact's WhatsApp number


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    built = make_container(database_url, tmp_path, clock)
    yield built
    built.close()


def _whatsapp(text: str, sid: str, clock: FakeClock) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WHATSAPP,
        sender_id=DEMO,
        provider_message_id=sid,
        received_at=clock(),
        text=text,
    )


def _held(container: Container, clock: FakeClock) -> int:
    """A message the worker held because WhatsApp's 24-hour window was closed."""
    with container.transaction() as session:
        row = OutboxMessage(
            channel="whatsapp",
            recipient=f"whatsapp:{DEMO}",
            payload={"channel": "whatsapp", "recipient": f"whatsapp:{DEMO}", "text": "Su ticket avanzó"},
            kind="progress",
            status="held",
            attempts=1,
            next_attempt_at=clock(),
            created_at=clock(),
        )
        session.add(row)
        session.flush()
        return row.id


def test_a_message_is_recorded_answered_and_releases_held_messages(
    container: Container, clock: FakeClock
) -> None:
    held = _held(container, clock)
    outcome = container.inbound.handle_inbound(_whatsapp("hola", "SM1", clock), now=clock())
    assert not outcome.duplicate and outcome.conversation_id is not None
    with container.session_factory() as session:
        conversation = session.get(Conversation, outcome.conversation_id)
        assert conversation is not None and conversation.contact_id is not None  # the demo contact
        assert conversation.last_inbound_at == clock() and conversation.version == 1
        inbound = session.scalars(select(Message).where(Message.direction == "in")).one()
        assert (inbound.provider_message_id, inbound.text, inbound.author) == ("SM1", "hola", "customer")
        released = session.get(OutboxMessage, held)
        assert released is not None and released.status == "pending" and released.next_attempt_at == clock()
        answers = list(
            session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.conversation_id == conversation.id, OutboxMessage.status == "pending"
                )
            )
        )
        assert answers and answers[0].recipient == DEMO and "María" in answers[0].payload["text"]


def test_a_replayed_provider_id_writes_nothing(container: Container, clock: FakeClock) -> None:
    container.inbound.handle_inbound(_whatsapp("hola", "SM1", clock), now=clock())
    before = _counts(container)
    clock.advance(seconds=5)
    again = container.inbound.handle_inbound(_whatsapp("hola otra vez", "SM1", clock), now=clock())
    assert again.duplicate and again.conversation_id is None
    assert _counts(container) == before


def test_a_failing_dialog_rolls_the_whole_message_back(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _held(container, clock)
    before = _counts(container)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("dialog crashed")

    monkeypatch.setattr(container.conversations, "handle", broken)
    with pytest.raises(RuntimeError):
        container.inbound.handle_inbound(_whatsapp("hola", "SM2", clock), now=clock())
    assert _counts(container) == before  # not even marked processed: the provider's retry is handled
    with container.session_factory() as session:
        row = session.get(OutboxMessage, held)
        assert row is not None and row.status == "held"
    monkeypatch.undo()
    assert not container.inbound.handle_inbound(_whatsapp("hola", "SM2", clock), now=clock()).duplicate


def test_the_record_only_step_sees_the_locked_conversation_and_the_transcript_row(
    container: Container, clock: FakeClock
) -> None:
    from intake.services.inbound import process_inbound

    seen: list[Recorded] = []
    outcome = process_inbound(
        container.session_factory,
        _whatsapp("hola", "SM3", clock),
        lambda session, recorded: seen.append(recorded),
        now=clock(),
    )
    (recorded,) = seen
    assert recorded.conversation.id == outcome.conversation_id and recorded.record.text == "hola"
    with container.session_factory() as session:
        assert _count(session, OutboxMessage) == 0  # recording alone answers nothing


def _counts(container: Container) -> tuple[int, ...]:
    with container.session_factory() as session:
        return tuple(_count(session, m) for m in (ProcessedMessage, Message, OutboxMessage, Conversation))


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0
