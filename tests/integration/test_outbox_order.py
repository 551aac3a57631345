"""Per-chat order: a chat's messages leave in the order they were written, across retries and workers."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug import Request, Response

from bot.messages import Channel
from channels.base import OutboundMessage, PermanentSendError, TransientSendError
from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig
from intake.db import unit_of_work
from intake.db.models import OutboxMessage, utcnow
from intake.delivery.outbox import OutboxWorker, RetryPolicy, enqueue
from tests.integration.test_outbox import RecordingSender
from tests.support.clock import FakeClock
from tests.support.twilio_fake import ACCOUNT, FakeTwilio, error


def _telegram(chat: str, text: str) -> OutboundMessage:
    return OutboundMessage(channel=Channel.TELEGRAM, recipient=chat, text=text)


def _put(factory: sessionmaker[Session], now: Any, *messages: OutboundMessage) -> list[int]:
    with unit_of_work(factory) as session:
        return [enqueue(session, m, now=now).id for m in messages]


def _worker(factory: sessionmaker[Session], sender: Any, clock: Any, **kwargs: Any) -> OutboxWorker:
    policy = RetryPolicy(max_attempts=5, base_seconds=2, max_seconds=60, rng=random.Random(3))
    return OutboxWorker(factory, {str(sender.channel): sender}, clock=clock, policy=policy, **kwargs)


def test_a_failing_message_holds_its_chat_and_no_other(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _put(session_factory, clock(), _telegram("1", "a1"), _telegram("1", "a2"), _telegram("2", "b1"))
    sender = RecordingSender([TransientSendError("HTTP 500")])
    worker = _worker(session_factory, sender, clock)
    assert worker.run_once() == 2  # the heads of both chats: a1 (fails) and b1
    assert [m.text for m in sender.sent] == ["b1"]
    assert worker.run_once() == 0  # a2 waits behind a1's backoff
    clock.advance(seconds=3)
    worker.run_once()
    worker.run_once()
    assert [m.text for m in sender.sent] == ["b1", "a1", "a2"]


def test_a_retry_after_holds_only_that_chat(session_factory: sessionmaker[Session], clock: FakeClock) -> None:
    _put(session_factory, clock(), _telegram("1", "a1"), _telegram("1", "a2"), _telegram("2", "b1"))
    _put(session_factory, clock(), _telegram("2", "b2"))
    sender = RecordingSender([TransientSendError("429", retry_after=30)])
    worker = _worker(session_factory, sender, clock)
    while worker.run_once():
        pass
    assert [m.text for m in sender.sent] == ["b1", "b2"]
    clock.advance(seconds=31)
    while worker.run_once():
        pass
    assert [m.text for m in sender.sent] == ["b1", "b2", "a1", "a2"]


def test_a_dead_letter_lets_the_rest_of_the_chat_go(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _put(session_factory, clock(), _telegram("1", "a1"), _telegram("1", "a2"))
    sender = RecordingSender([PermanentSendError("bad request", "400")])
    worker = _worker(session_factory, sender, clock)
    worker.run_once()
    worker.run_once()
    assert [m.text for m in sender.sent] == ["a2"]


def test_a_claimed_head_holds_its_chat_from_other_workers(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    first, _second = _put(session_factory, clock(), _telegram("1", "a1"), _telegram("1", "a2"))
    one = _worker(session_factory, RecordingSender(), clock)
    other = _worker(session_factory, RecordingSender(), clock)
    assert one.claim().row_ids == [first]
    assert other.claim().row_ids == []  # a2 may not overtake a1 while a1 is in flight


def test_the_claim_query_uses_the_chat_index(engine: Engine) -> None:
    worker = OutboxWorker(sessionmaker(engine), {"whatsapp": object()}, clock=utcnow)  # type: ignore[dict-item]
    statement = worker._claims.claim.statement(engine.dialect.name)
    params = {"now": utcnow(), "until": utcnow(), "token": "t" * 32, "limit": 20}
    with engine.connect() as conn:
        compiled = str(statement.bindparams(**params).compile(conn, compile_kwargs={"literal_binds": True}))
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table would be scanned anyway
            plan = "\n".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
        else:
            plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_outbox_chat" in plan, plan


# --- faults against the real twilio client and a fake Twilio that fails for a while, then recovers ---


class FlakyTwilio(FakeTwilio):
    """Answers 500, 429 (Retry-After) and too slowly in turn while `failing` is set; records deliveries."""

    def __init__(self, server: HTTPServer) -> None:
        super().__init__(server)
        self.failing = threading.Event()
        self.delivered: list[tuple[str, str]] = []  # (To, Body) of every create answered 201
        self.faults = 0
        self.lock = threading.Lock()

    def _create(self, request: Request) -> Response:
        if self.failing.is_set():
            with self.lock:
                self.faults += 1
                kind = self.faults % 3
            if kind == 0:
                time.sleep(0.4)  # longer than the client's timeout: the client gives up, nothing is sent
                return error("api_error_20500")()
            if kind == 1:
                return error("api_error_20429", {"Retry-After": "0.2"})()
            return error("api_error_20500")()
        with self.lock:
            answer = super()._create(request)
            if answer.status_code == 201:
                self.delivered.append((request.form["To"], request.form["Body"]))
            return answer


@pytest.fixture
def flaky() -> Iterator[FlakyTwilio]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield FlakyTwilio(server)
    server.clear()
    server.stop()


def _adapter(twilio: FlakyTwilio) -> WhatsAppAdapter:
    config = WhatsAppConfig(
        account_sid=ACCOUNT,
        auth_token="t" * 32,
        from_number="whatsapp:+14155238886",
        api_base_url=twilio.base_url,
        request_timeout=0.2,
    )
    return WhatsAppAdapter(config)


def test_faults_then_recovery_deliver_everything_once_and_in_order_with_two_workers(
    session_factory: sessionmaker[Session], flaky: FlakyTwilio
) -> None:
    chats = [f"+5691000{n:04d}" for n in range(8)]
    flaky.failing.set()
    adapter = _adapter(flaky)
    policy = RetryPolicy(max_attempts=100, base_seconds=0.05, max_seconds=0.3)
    workers = [
        OutboxWorker(session_factory, {"whatsapp": adapter}, clock=utcnow, policy=policy, batch_size=4)
        for _ in range(2)
    ]
    stop = threading.Event()

    def loop(worker: OutboxWorker) -> None:
        while not stop.is_set():
            if not worker.run_once():
                time.sleep(0.02)

    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        for turn in range(4):  # written while the provider fails, interleaved across chats
            for chat in chats:
                message = OutboundMessage(channel=Channel.WHATSAPP, recipient=chat, text=f"{chat} #{turn}")
                _put(session_factory, utcnow(), message)
        time.sleep(1.0)
        assert flaky.faults > 0
        flaky.failing.clear()
        deadline = time.monotonic() + 20
        while len(flaky.delivered) < 32 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # nothing more may arrive
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        adapter.close()
    bodies = [body for _, body in flaky.delivered]
    assert len(bodies) == 32 == len(set(bodies))  # every message once
    for chat in chats:
        received = [body for to, body in flaky.delivered if to == f"whatsapp:{chat}"]
        assert received == [f"{chat} #{turn}" for turn in range(4)]
    with session_factory() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}
