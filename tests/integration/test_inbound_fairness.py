"""Fairness (issue 16): a per-sender inbound limit, one noisy chat never delays the others, albums
acknowledged once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.messages import Channel, InboundMedia, InboundMessage, MediaKind
from bot.texts import text
from intake.bootstrap import Container
from intake.config import SettingsError, load_settings
from intake.db.models import Conversation, Message, OutboxMessage, utcnow
from intake.delivery.outbox import OutboxWorker
from intake.services.demo import DEMO_TELEGRAM, DEMO_WHATSAPP
from tests.integration.service_harness import make_container
from tests.integration.test_outbox_parallel import Running, SlowSender
from tests.support.clock import FakeClock

FLOOD = text("inbound_flood", "es")
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    built = make_container(database_url, tmp_path, clock)
    yield built
    built.close()


def _telegram(sender: str, sid: str, at: datetime, body: str = "", **extra: object) -> InboundMessage:
    return InboundMessage(
        channel=Channel.TELEGRAM,
        sender_id=sender,
        chat_id=sender,
        provider_message_id=sid,
        received_at=at,
        text=body,
        **extra,  # type: ignore[arg-type]
    )


def _outbox_texts(container: Container, recipient: str) -> list[str]:
    with container.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)
        )
        return [str(row.payload.get("text") or "") for row in rows]


def _inbound_count(container: Container, channel: str, address: str) -> int:
    with container.transaction() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.channel == channel, Conversation.address == address)
        )
        assert conversation is not None
        query = select(func.count(Message.id)).where(
            Message.conversation_id == conversation.id, Message.direction == "in"
        )
        return int(session.scalar(query) or 0)


def test_a_sender_over_the_limit_is_recorded_told_once_and_answered_again_after_the_window(
    container: Container,
) -> None:
    handle = container.inbound.handle_inbound
    for n in range(30):  # 30 messages in 6 s: the limit is 20 per 30 s
        at = T0 + timedelta(seconds=n * 0.2)
        handle(_telegram("501", f"tg:{n}", at, f"mensaje número {n} sobre el problema"), now=at)
    texts = _outbox_texts(container, "501")
    assert texts.count(FLOOD) == 1
    assert texts[-1] == FLOOD  # nothing after the notice: messages 22..30 got no reply
    before = len(texts)
    assert _inbound_count(container, "telegram", "501") == 30  # every message recorded, none lost

    later = T0 + timedelta(seconds=40)  # the window has passed: the dialog answers again
    handle(_telegram("501", "tg:late", later, "hola"), now=later)
    after = _outbox_texts(container, "501")
    assert len(after) > before and FLOOD not in after[before:]


def test_a_pressed_button_over_the_limit_is_still_answered_silently(container: Container) -> None:
    handle = container.inbound.handle_inbound
    for n in range(22):
        at = T0 + timedelta(seconds=n * 0.1)
        handle(_telegram("502", f"tg:b{n}", at, f"texto {n}"), now=at)
    at = T0 + timedelta(seconds=3)
    handle(_telegram("502", "tg:button", at, "Sí", button_payload="yes", callback_query_id="cq1"), now=at)
    with container.transaction() as session:
        last = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "502").order_by(OutboxMessage.id.desc())
        ).first()
        assert last is not None
        assert last.payload.get("callback_query_id") == "cq1" and not last.payload.get("text")


def test_the_limit_is_configurable_and_a_window_must_be_positive(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "sqlite://", "DATA_DIR": str(tmp_path)}
    settings = load_settings(
        {**env, "INBOUND_SENDER_MAX_MESSAGES": "5", "INBOUND_SENDER_WINDOW_SECONDS": "10"}, env_file=None
    )
    assert (settings.inbound_sender_max_messages, settings.inbound_sender_window_seconds) == (5, 10.0)
    with pytest.raises(SettingsError):
        load_settings({**env, "INBOUND_SENDER_WINDOW_SECONDS": "0"}, env_file=None)


def _photo(n: int) -> InboundMedia:
    return InboundMedia(ref=f"file-{n}", content_type="image/jpeg", kind=MediaKind.IMAGE)


INTAKE_TO_EVIDENCE = ["hola", "1", "El sistema de facturación no emite boletas desde esta mañana", "omitir"]


def _reach_evidence_step(container: Container, channel: Channel, address: str, at: datetime) -> datetime:
    """The demo contact starts an incident up to the evidence question (20 s between answers)."""
    for n, body in enumerate(INTAKE_TO_EVIDENCE):
        at += timedelta(seconds=20)
        chat_id = address if channel == Channel.TELEGRAM else None
        message = InboundMessage(channel, address, f"{channel}:{n}", at, text=body, chat_id=chat_id)
        container.inbound.handle_inbound(message, now=at)
    assert _step(container, str(channel), address) == "ask_evidence"
    return at


def _step(container: Container, channel: str, address: str) -> str | None:
    with container.transaction() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.channel == channel, Conversation.address == address)
        )
        assert conversation is not None
        return conversation.step


def test_a_telegram_album_is_one_step_one_acknowledgement_every_photo_kept(container: Container) -> None:
    at = _reach_evidence_step(container, Channel.TELEGRAM, DEMO_TELEGRAM, T0)
    before = len(_outbox_texts(container, DEMO_TELEGRAM))
    for n in range(10):  # one album: ten updates sharing a media_group_id, within a second
        at += timedelta(milliseconds=80)
        raw = {"update_id": 900 + n, "message": {"media_group_id": "album-1"}}
        photo = _telegram(DEMO_TELEGRAM, f"tg:album:{n}", at, media=(_photo(n),), raw=raw)
        container.inbound.handle_inbound(photo, now=at)
    replies = _outbox_texts(container, DEMO_TELEGRAM)[before:]
    assert len(replies) == 1 and "Recibido" in replies[0], replies
    with container.transaction() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.address == DEMO_TELEGRAM))
        assert conversation is not None
        assert len(conversation.state.get("evidence") or ()) == 10  # every photo is evidence

    at += timedelta(seconds=5)  # a second album right after: acknowledged once more, not ten times
    for n in range(3):
        raw = {"update_id": 950 + n, "message": {"media_group_id": "album-2"}}
        photo = _telegram(DEMO_TELEGRAM, f"tg:album2:{n}", at, media=(_photo(20 + n),), raw=raw)
        container.inbound.handle_inbound(photo, now=at)
    assert len(_outbox_texts(container, DEMO_TELEGRAM)[before:]) == 2


def test_a_whatsapp_message_with_several_media_is_acknowledged_once(container: Container) -> None:
    at = _reach_evidence_step(container, Channel.WHATSAPP, DEMO_WHATSAPP, T0)
    before = len(_outbox_texts(container, DEMO_WHATSAPP))
    assert before > 0
    at += timedelta(seconds=20)
    album = InboundMessage(
        Channel.WHATSAPP, DEMO_WHATSAPP, "SMalbum", at, media=tuple(_photo(n) for n in range(4))
    )
    container.inbound.handle_inbound(album, now=at)
    replies = _outbox_texts(container, DEMO_WHATSAPP)[before:]
    assert len(replies) == 1 and "4 archivo" in replies[0], replies


def test_450_messages_from_one_telegram_sender_do_not_delay_other_customers(container: Container) -> None:
    """A Telegram user sends 450 messages in 25 s while five other customers chat; their replies
    leave within the 1 s target (measured from the committed webhook to the provider's send)."""
    sender = SlowSender(latency=0.05)
    worker = OutboxWorker(container.session_factory, {"telegram": sender}, clock=utcnow)
    lags: list[float] = []
    errors: list[BaseException] = []

    def noisy() -> None:
        try:
            for n in range(450):
                at = T0 + timedelta(seconds=n * 25 / 450)
                container.inbound.handle_inbound(_telegram("666", f"tg:noisy:{n}", at, f"spam {n}"), now=at)
                time.sleep(0.02)  # ~40 webhooks/s: faster than the 18/s of the report, 11 s in all
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def customer(index: int) -> None:
        chat = f"70{index}"
        try:
            for n, body in enumerate(["hola", "Ana Pérez", "ana@example.org"]):
                at = T0 + timedelta(seconds=20 * n + index)
                seen = sum(m.recipient == chat for m in sender.sent)
                container.inbound.handle_inbound(_telegram(chat, f"tg:{chat}:{n}", at, body), now=at)
                committed = time.monotonic()
                while sum(m.recipient == chat for m in sender.sent) <= seen:
                    assert time.monotonic() - committed < 15, "no reply"
                    time.sleep(0.005)
                lags.append(time.monotonic() - committed)
                time.sleep(0.2)  # reading the answer
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with Running(worker, concurrency=4):
        threads = [threading.Thread(target=noisy)] + [
            threading.Thread(target=customer, args=(i,)) for i in range(5)
        ]
        threads[0].start()
        time.sleep(0.3)  # the flood is under way before the others start chatting
        for thread in threads[1:]:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors
    assert len(lags) == 15
    assert max(lags) < 1.0, sorted(lags)  # the target: every other customer's reply within a second
    assert _inbound_count(container, "telegram", "666") == 450  # all recorded
    noisy_replies = _outbox_texts(container, "666")
    assert noisy_replies.count(FLOOD) == 1
    assert len(noisy_replies) <= 2 * 20 + 1  # ~a reply per message up to the limit, then one notice
    assert sender.most_per_chat == 1
