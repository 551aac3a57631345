"""The delivery loop sends several chats at once, each chat in order, within the providers' limits."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel
from channels.base import OutboundMessage, SendResult
from channels.telegram.adapter import TelegramAdapter, TelegramConfig
from intake.db import unit_of_work
from intake.db.models import utcnow
from intake.delivery.outbox import OutboxWorker, RetryPolicy, enqueue
from intake.delivery.runner import DeliveryLoop
from tests.integration.test_outbox import RecordingSender
from tests.support.telegram_fake import DEFAULT_TOKEN, FakeBotApi


class SlowSender(RecordingSender):
    """Takes `latency` seconds per send and remembers how many sends overlapped, overall and per chat."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency
        self.active: Counter[str] = Counter()
        self.most_at_once = 0
        self.most_per_chat = 0

    def send(self, message: OutboundMessage) -> SendResult:
        with self.lock:
            self.active[message.recipient] += 1
            self.most_at_once = max(self.most_at_once, sum(self.active.values()))
            self.most_per_chat = max(self.most_per_chat, self.active[message.recipient])
        time.sleep(self.latency)
        with self.lock:
            self.active[message.recipient] -= 1
        return super().send(message)


def _put(factory: sessionmaker[Session], chat: str, text: str) -> None:
    with unit_of_work(factory) as session:
        message = OutboundMessage(channel=Channel.TELEGRAM, recipient=chat, text=text)
        enqueue(session, message, now=utcnow())


class Running:
    """A delivery loop on a thread for the duration of a `with` block."""

    def __init__(self, worker: OutboxWorker, concurrency: int) -> None:
        self.loop = DeliveryLoop(worker, concurrency=concurrency, poll_seconds=0.05)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop.run, args=(self.stop,))

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=20)


def _wait_until(condition: object, seconds: float) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < seconds, "timed out"
        time.sleep(0.01)
    return time.monotonic() - started


def test_several_chats_are_in_flight_at_once_and_each_stays_in_order(
    session_factory: sessionmaker[Session],
) -> None:
    sender = SlowSender(latency=0.2)
    for turn in range(3):
        for chat in range(6):
            _put(session_factory, str(chat), f"{chat}:{turn}")
    worker = OutboxWorker(session_factory, {"telegram": sender}, clock=utcnow)
    with Running(worker, concurrency=6):
        took = _wait_until(lambda: len(sender.sent) == 18, 20)
    assert took < 18 * 0.2 / 2, took  # one at a time would take 3.6 s
    assert sender.most_at_once >= 3 and sender.most_per_chat == 1
    for chat in range(6):
        assert [m.text for m in sender.sent if m.recipient == str(chat)] == [f"{chat}:{t}" for t in range(3)]


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


def test_telegram_429_holds_only_its_chat_and_the_shared_limiter_spaces_one_chat(
    session_factory: sessionmaker[Session], api: FakeBotApi
) -> None:
    adapter = TelegramAdapter(
        TelegramConfig(bot_token=DEFAULT_TOKEN, webhook_secret="s", api_base_url=api.base_url)
    )
    policy = RetryPolicy(base_seconds=0.05, max_seconds=0.1, rng=random.Random(1))
    worker = OutboxWorker(session_factory, {"telegram": adapter}, clock=utcnow, policy=policy)
    try:
        api.fail("sendMessage", status=429, retry_after=1)  # the very next sendMessage: chat 100's first
        _put(session_factory, "100", "busy 1")
        _put(session_factory, "100", "busy 2")
        with Running(worker, concurrency=4):
            _wait_until(lambda: len(api.calls_to("sendMessage")) == 1, 10)
            for chat in ("201", "202", "203"):
                _put(session_factory, chat, f"hello {chat}")
            others = _wait_until(lambda: all(api.messages_to(c) for c in ("201", "202", "203")), 10)
            assert others < 0.8, others  # not behind chat 100's Retry-After
            assert api.messages_to("100") == []
            _wait_until(lambda: len(api.messages_to("100")) == 2, 10)
    finally:
        adapter.close()
    calls = [c for c in api.calls_to("sendMessage") if c.params.get("chat_id") == "100"]
    assert [c.params["text"] for c in calls] == ["busy 1", "busy 1", "busy 2"]  # the 429, its retry, then 2
    assert calls[1].at - calls[0].at >= 1.0  # Retry-After honoured
    assert calls[2].at - calls[1].at >= 0.9  # Telegram's 1 message/s per chat (the adapter's limiter)


def test_a_chat_with_a_long_queue_takes_one_slot_and_the_others_go_beside_it(
    session_factory: sessionmaker[Session],
) -> None:
    sender = SlowSender(latency=0.1)
    for n in range(60):  # a noisy chat's backlog, written first
        _put(session_factory, "noisy", f"noisy {n}")
    worker = OutboxWorker(session_factory, {"telegram": sender}, clock=utcnow)
    with Running(worker, concurrency=4):
        _wait_until(lambda: len(sender.sent) >= 3, 10)
        for chat in range(6):
            _put(session_factory, f"quiet{chat}", "hola")
        took = _wait_until(
            lambda: all(any(m.recipient == f"quiet{c}" for m in sender.sent) for c in range(6)), 10
        )
        noisy_sent = sum(m.recipient == "noisy" for m in sender.sent)
    assert took < 1.5, took  # 6 chats on 3 free slots at 0.1 s each, not behind 57 noisy messages (5.7 s)
    assert noisy_sent < 40 and sender.most_per_chat == 1
