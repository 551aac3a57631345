"""The outbox: delivery, retry with backoff, dead letter, and concurrent workers never double-send."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel, InboundMedia, InboundMessage, Option
from channels.base import (
    DownloadedMedia,
    OutboundMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from intake.db import unit_of_work
from intake.db.models import Message, OutboxMessage, Ticket, TicketEvent
from intake.delivery.outbox import OutboxWorker, RetryPolicy, enqueue, from_payload, to_payload
from tests.support.clock import FakeClock


class RecordingSender:
    """A channel double that records sends and fails as scripted (the real adapters have their own tests)."""

    channel = Channel.TELEGRAM

    def __init__(self, script: list[Exception | None] | None = None) -> None:
        self.sent: list[OutboundMessage] = []
        self.script = list(script or [])
        self.lock = threading.Lock()

    def verify(self, url: str, headers: Mapping[str, str], form: Mapping[str, str], body: bytes) -> bool:
        return False

    def parse(self, headers: Mapping[str, str], form: Mapping[str, str], body: bytes) -> list[InboundMessage]:
        return []

    def download(self, media: InboundMedia) -> DownloadedMedia:
        raise AssertionError("not used")

    def send(self, message: OutboundMessage) -> SendResult:
        with self.lock:
            outcome = self.script.pop(0) if self.script else None
            if outcome is not None:
                raise outcome
            self.sent.append(message)
            return SendResult((f"m{len(self.sent)}",))


def _message(text: str = "hola") -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.TELEGRAM,
        recipient="42",
        text=text,
        options=(Option("yes", "Sí"), Option("no", "No")),
        step="confirm",
    )


def _enqueue(factory: sessionmaker[Session], clock: FakeClock, count: int = 1) -> list[int]:
    with unit_of_work(factory) as session:
        return [enqueue(session, _message(f"hola {i}"), now=clock()).id for i in range(count)]


def _worker(
    factory: sessionmaker[Session], sender: RecordingSender, clock: FakeClock, **kwargs: object
) -> OutboxWorker:
    policy = RetryPolicy(max_attempts=3, base_seconds=2, max_seconds=60, rng=random.Random(7))
    return OutboxWorker(factory, {"telegram": sender}, clock=clock, policy=policy, **kwargs)  # type: ignore[arg-type]


def test_payload_round_trip() -> None:
    original = _message()
    assert from_payload(to_payload(original)) == original


def test_delivers_and_records_provider_id(session_factory: sessionmaker[Session], clock: FakeClock) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    sender = RecordingSender()
    assert _worker(session_factory, sender, clock).run_once() == 1
    assert [m.text for m in sender.sent] == ["hola 0"]
    assert sender.sent[0].options == (Option("yes", "Sí"), Option("no", "No"))
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "sent" and row.attempts == 1
        assert row.provider_message_ids == ["m1"]
        transcript = session.scalars(select(Message).where(Message.outbox_id == row_id)).one()
        assert transcript.provider_message_id == "m1" and transcript.direction == "out"
    assert _worker(session_factory, sender, clock).run_once() == 0  # nothing is sent twice


def test_transient_failure_retries_with_growing_backoff(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    sender = RecordingSender([TransientSendError("HTTP 500"), TransientSendError("HTTP 503")])
    worker = _worker(session_factory, sender, clock)
    delays = []
    for _ in range(2):
        assert worker.run_once() == 1
        with session_factory() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None and row.status == "pending"
            delays.append((row.next_attempt_at - clock()).total_seconds())
        assert worker.run_once() == 0  # not due yet
        clock.current = row.next_attempt_at
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 4
    assert worker.run_once() == 1
    assert len(sender.sent) == 1


def test_retry_after_is_honoured(session_factory: sessionmaker[Session], clock: FakeClock) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    worker = _worker(session_factory, RecordingSender([TransientSendError("429", retry_after=30)]), clock)
    worker.run_once()
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        assert row.next_attempt_at - clock() >= timedelta(seconds=30)


def test_gives_up_after_max_attempts_and_tells_agents(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with unit_of_work(session_factory) as session:
        ticket = Ticket(
            tracking_token="t1",
            channel="telegram",
            ticket_type="incident",
            title="x",
            impact="alto",
            urgency="alta",
            priority="P1",
            opened_at=clock(),
            response_due=clock(),
            resolution_due=clock(),
        )
        session.add(ticket)
        session.flush()
        row_id = enqueue(session, _message(), now=clock(), ticket_id=ticket.id).id
    sender = RecordingSender([TransientSendError("timeout")] * 3)
    worker = _worker(session_factory, sender, clock)
    for _ in range(3):
        worker.run_once()
        clock.advance(hours=1)
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "dead" and row.attempts == 3
        assert "gave up after 3 attempts" in (row.last_error or "")
        event = session.scalars(select(TicketEvent).where(TicketEvent.kind == "delivery_failed")).one()
        assert "not delivered" in event.body
    assert worker.run_once() == 0 and sender.sent == []


def test_permanent_failure_is_dead_lettered_at_once(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    worker = _worker(session_factory, RecordingSender([PermanentSendError("chat not found", "400")]), clock)
    worker.run_once()
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "dead" and row.last_error == "chat not found"
        transcript = session.scalars(select(Message).where(Message.outbox_id == row_id)).one()
        assert transcript.status == "failed" and transcript.error_code == "400"


def test_rows_of_other_channels_wait_for_a_worker_that_can_send_them(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    assert OutboxWorker(session_factory, {}, clock=clock).run_once() == 0
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "pending" and row.attempts == 0
    sender = RecordingSender()
    assert _worker(session_factory, sender, clock).run_once() == 1
    assert [m.text for m in sender.sent] == ["hola 0"]


def test_expired_lease_is_picked_up_again(session_factory: sessionmaker[Session], clock: FakeClock) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    sender = RecordingSender()
    worker = _worker(session_factory, sender, clock, lease_seconds=60)
    assert worker.claim().row_ids == [row_id]  # a worker that claimed and then died
    assert worker.claim().row_ids == []
    clock.advance(seconds=61)
    assert worker.run_once() == 1 and len(sender.sent) == 1


def test_router_can_hold_a_message(session_factory: sessionmaker[Session], clock: FakeClock) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    sender = RecordingSender()
    worker = _worker(session_factory, sender, clock, router=lambda *_: None)
    worker.run_once()
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "held"
    assert sender.sent == []


def test_two_workers_never_send_one_row_twice(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    # PostgreSQL shares the work with SKIP LOCKED; SQLite serializes writers with BEGIN IMMEDIATE.
    with unit_of_work(session_factory) as session:
        for i in range(200):
            message = replace(_message(f"hola {i}"), recipient=str(i % 10))
            enqueue(session, message, now=clock())
    sender = RecordingSender()
    workers = [_worker(session_factory, sender, clock, batch_size=7) for _ in range(4)]
    barrier = threading.Barrier(len(workers))

    def drain(worker: OutboxWorker) -> None:
        # A worker may find nothing to claim while the others hold every chat's head: go on until done.
        barrier.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not worker.run_once() and _unsent(session_factory) == 0:
                return

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    texts = [m.text for m in sender.sent]
    assert len(texts) == 200 == len(set(texts))
    for chat in range(10):  # and each chat in the order its messages were written
        numbers = [int(m.text.split()[1]) for m in sender.sent if m.recipient == str(chat)]
        assert numbers == sorted(numbers) and len(numbers) == 20
    with session_factory() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}


def _unsent(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        unsent = OutboxMessage.status.in_(["pending", "sending"])
        return len(list(session.scalars(select(OutboxMessage.id).where(unsent))))


def test_outside_window_at_send_time_goes_to_the_router(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    from channels.base import OutsideWindowError

    (row_id,) = _enqueue(session_factory, clock)
    rerouted: list[tuple[int, str]] = []

    class Router:
        def __call__(
            self, session: Session, row: OutboxMessage, message: OutboundMessage, now: object
        ) -> object:
            return message

        def reroute_outside_window(self, session: Session, row: OutboxMessage, now: object) -> None:
            rerouted.append((row.id, row.status))
            row.status = "held"

    sender = RecordingSender([OutsideWindowError("63016 outside the window", "63016")])
    _worker(session_factory, sender, clock, router=Router()).run_once()
    assert rerouted == [(row_id, "dead")]
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "held" and "63016" in (row.last_error or "")
    assert _worker(session_factory, RecordingSender(), clock).run_once() == 0  # not re-sent by itself


def test_parts_already_sent_are_kept_and_skipped_on_retry(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    seen: list[list[str]] = []

    class Router:
        def __call__(
            self, session: Session, row: OutboxMessage, message: OutboundMessage, now: object
        ) -> object:
            return message

        def on_sent(self, session: Session, row_id: int, ids: list[str], now: object) -> None:
            seen.append(list(ids))

    sender = RecordingSender([TransientSendError("500 on part 2", sent_ids=("part-1",))])
    worker = _worker(session_factory, sender, clock, router=Router())
    worker.run_once()
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "pending" and row.payload["skip_parts"] == 1
        clock.current = row.next_attempt_at
    worker.run_once()
    assert [m.skip_parts for m in sender.sent] == [1]  # the retry sends only what is left
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "sent" and row.provider_message_ids == ["part-1", "m1"]
        ids = session.scalars(select(Message.provider_message_id).where(Message.outbox_id == row_id)).all()
        assert sorted(ids) == ["m1", "part-1"]
    assert seen == [["part-1"], ["m1"]]  # early status callbacks are applied as each sid is recorded


def test_a_worker_whose_lease_expired_neither_sends_nor_records(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    slow, fast = RecordingSender(), RecordingSender()
    stale = _worker(session_factory, slow, clock, lease_seconds=60)
    stale_claim = stale.claim()
    clock.advance(seconds=61)  # the first worker stalled past its lease: another one takes the row
    assert _worker(session_factory, fast, clock).run_once() == 1
    stale.deliver(row_id, stale_claim.token)
    assert [m.text for m in fast.sent] == ["hola 0"] and slow.sent == []
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "sent" and row.attempts == 1


def test_a_late_outcome_from_a_lost_lease_is_not_recorded(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    (row_id,) = _enqueue(session_factory, clock)
    stale = _worker(session_factory, RecordingSender(), clock, lease_seconds=60)
    token = stale.claim().token
    assert stale._prepare(row_id, token) is not None  # it started sending...
    clock.advance(seconds=61)
    new_owner = _worker(session_factory, RecordingSender([TransientSendError("503")]), clock)
    new_owner.run_once()  # ...the new owner's attempt failed and scheduled a retry
    assert stale._record(row_id, token, SendResult(("late",))) == []  # the stale success is ignored
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "pending" and row.provider_message_ids is None


def test_a_routing_error_counts_as_an_attempt_and_ends_dead(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    (row_id,) = _enqueue(session_factory, clock)

    def broken_router(*_: object) -> OutboundMessage:
        raise KeyError("bad payload")

    sender = RecordingSender()
    worker = _worker(session_factory, sender, clock, router=broken_router)
    for _ in range(3):
        worker.run_once()
        clock.advance(hours=1)
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "dead" and row.attempts == 3
    assert sender.sent == []


def test_agents_files_are_signed_when_sent_not_when_queued(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    from intake.delivery.media_links import MediaLinks

    with unit_of_work(session_factory) as session:
        message = OutboundMessage(
            channel=Channel.TELEGRAM, recipient="42", text="manual", media_attachment_id=7
        )
        enqueue(session, message, now=clock())
    clock.advance(days=3)  # e.g. held outside WhatsApp's window, released days later
    links = MediaLinks("k" * 32, "https://support.example.com", clock)
    sender = RecordingSender()
    _worker(session_factory, sender, clock, media_links=links).run_once()
    (sent,) = sender.sent
    assert sent.media_url is not None
    assert links.attachment_id(sent.media_url.rsplit("/", 1)[1]) == 7  # still valid: signed at send time


def test_a_prepare_that_failed_to_commit_leaves_no_trace_for_the_next_attempt(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    """Whether a send is a first whole one is decided in each attempt's own transaction: a worker whose
    prepare failed, while another worker sent part of the message, still records every part."""
    (row_id,) = _enqueue(session_factory, clock)
    first = _worker(session_factory, RecordingSender(), clock)
    failures = [RuntimeError("connection lost at COMMIT")]

    def lose_the_commit(session: Session) -> None:
        if failures:
            raise failures.pop()

    claim = first.claim()
    event.listen(Session, "before_commit", lose_the_commit)
    try:
        first.deliver(row_id, claim.token)  # counted as a failed attempt, the row retried later
    finally:
        event.remove(Session, "before_commit", lose_the_commit)
    partial = RecordingSender([TransientSendError("429", sent_ids=("part-1",))])
    other = _worker(session_factory, partial, clock)
    clock.advance(seconds=120)
    other.deliver(row_id, other.claim().token)  # part 1 went out, then a 429
    clock.advance(seconds=120)
    first.deliver(row_id, first.claim().token)  # the rest, as one provider message
    with session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None and row.status == "sent" and row.provider_message_ids == ["part-1", "m1"]
        ids = session.scalars(select(Message.provider_message_id).where(Message.outbox_id == row_id)).all()
        assert sorted(ids) == ["m1", "part-1"]
