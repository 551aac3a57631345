"""The inbox (issue 16): webhooks accept with one INSERT, the worker runs the turns in order per sender.

Real database (SQLite and PostgreSQL); the turns are the real `InboundService.handle_inbound` on the
demo desk, except where a test makes one raise to show retries, failures and takeovers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from bot.messages import (
    Channel,
    InboundMedia,
    InboundMessage,
    Location,
    MediaKind,
    inbound_from_json,
    inbound_to_json,
)
from intake.bootstrap import Container
from intake.config import SettingsError, load_settings
from intake.db.models import Conversation, InboxItem, Message, OutboxMessage, ProcessedMessage
from intake.delivery.runner import DeliveryLoop
from intake.delivery.wakeup import INBOX_WAKEUPS, PostgresListener, writer
from intake.services.inbox import Inbox
from tests.conftest import BACKENDS, _truncate
from tests.integration.service_harness import make_container
from tests.support.clock import FakeClock
from webhooks import create_app


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    built = make_container(database_url, tmp_path, clock)
    yield built
    built.close()


def message(sender: str, n: int, text: str = "hola", at: datetime | None = None) -> InboundMessage:
    """A Telegram text from `sender`, provider id unique per (sender, n)."""
    return InboundMessage(
        channel=Channel.TELEGRAM,
        sender_id=sender,
        chat_id=sender,
        provider_message_id=f"{sender}:{n}",
        received_at=at or datetime(2026, 12, 1, 13, 0, n, tzinfo=UTC),
        text=text,
    )


def inbox_of(container: Container) -> Inbox:
    assert container.inbox is not None
    return container.inbox


def rows(container: Container) -> list[InboxItem]:
    with container.session_factory() as session:
        return list(session.scalars(select(InboxItem).order_by(InboxItem.id)))


def transcript(container: Container, sender: str) -> list[str]:
    """The texts recorded from `sender`, in the order their turns ran."""
    with container.session_factory() as session:
        found = session.scalars(
            select(Message.provider_message_id)
            .where(Message.direction == "in", Message.provider_message_id.like(f"{sender}:%"))
            .order_by(Message.id)
        )
        return [str(pid) for pid in found]


class FlakyTurns:
    """Wraps the real turn: raises for the provider ids in `failing` (as many times as given)."""

    def __init__(self, container: Container, failing: dict[str, int]) -> None:
        self.real = container.inbound.handle_inbound
        self.failing = dict(failing)
        self.ran: list[str] = []

    def __call__(self, inbound: InboundMessage, *, now: datetime | None = None, finish: Any = None) -> Any:
        self.ran.append(inbound.provider_message_id)
        left = self.failing.get(inbound.provider_message_id, 0)
        if left:
            self.failing[inbound.provider_message_id] = left - 1
            raise RuntimeError("database went away")
        return self.real(inbound, now=now, finish=finish)


def test_the_codec_keeps_every_field() -> None:
    original = InboundMessage(
        channel=Channel.WHATSAPP,
        sender_id="+56911112222",
        provider_message_id="SM" + "a" * 32,
        received_at=datetime(2026, 12, 1, 13, 0, 5, 123456, tzinfo=UTC),
        text="Adjunto la foto ñandú",
        chat_id="+56911112222",
        button_payload="impact_high",
        callback_query_id="cq-1",
        media=(InboundMedia("https://api.twilio.com/m/1", "image/png", MediaKind.IMAGE, "f.png", 10, "u1"),),
        location=Location(-33.45, -70.66, "Santiago"),
        profile_name="Ana",
        language_code="es",
        is_edit=True,
        raw={"From": "whatsapp:+56911112222", "nested": {"a": [1, 2]}},
    )
    assert inbound_from_json(inbound_to_json(original)) == original
    plain = message("7", 1)
    assert inbound_from_json(inbound_to_json(plain)) == plain


def test_the_codec_refuses_a_naive_time_and_a_missing_field() -> None:
    data = inbound_to_json(message("7", 1))
    with pytest.raises(ValueError, match="timezone"):
        inbound_from_json({**data, "received_at": "2026-12-01T13:00:00"})
    with pytest.raises(KeyError):
        inbound_from_json({k: v for k, v in data.items() if k != "sender_id"})


def test_accepting_stores_each_provider_message_once_and_runs_no_turn(container: Container) -> None:
    inbox = inbox_of(container)
    assert inbox.accept([message("100", 1), message("100", 2)]) == 2
    assert inbox.accept([message("100", 1)]) == 0  # the provider's redelivery
    assert [(r.provider_message_id, r.status, r.sender) for r in rows(container)] == [
        ("100:1", "pending", "100"),
        ("100:2", "pending", "100"),
    ]
    assert transcript(container, "100") == []  # accepted, not yet answered
    assert inbox.counts() == {"pending": 2}


def test_a_key_out_of_bounds_is_refused_and_nothing_is_written(container: Container) -> None:
    inbox = inbox_of(container)
    with pytest.raises(ValueError, match="provider message id"):
        inbox.accept([message("100", 1), replace(message("100", 2), provider_message_id="x" * 101)])
    with pytest.raises(ValueError, match="sender"):
        inbox.accept([replace(message("100", 3), sender_id="")])
    assert rows(container) == []


def test_only_the_oldest_unfinished_message_of_each_sender_is_claimed(container: Container) -> None:
    inbox = inbox_of(container)
    inbox.accept([message("100", 1), message("200", 1), message("100", 2), message("200", 2)])
    first = inbox.claim()
    claimed = {r.id: r.provider_message_id for r in rows(container)}
    assert sorted(claimed[i] for i in first.row_ids) == ["100:1", "200:1"]
    assert inbox.claim().row_ids == []  # each sender's next message waits for its head
    inbox.deliver(first.row_ids[0], first.token)  # 100:1 done: 100:2 may go, 200:2 still waits
    assert [claimed[i] for i in inbox.claim().row_ids] == ["100:2"]


def test_the_turns_run_in_order_and_answer_the_customer(container: Container) -> None:
    inbox = inbox_of(container)
    texts = ["hola", "1", "El sistema de facturación no emite boletas"]
    start = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    inbox.accept([message("300", n, text, start + timedelta(seconds=10 * n)) for n, text in enumerate(texts)])
    assert inbox.run_once() == 3
    assert transcript(container, "300") == ["300:0", "300:1", "300:2"]
    assert {r.status for r in rows(container)} == {"done"}
    assert all(r.processed_at is not None for r in rows(container))
    with container.session_factory() as session:
        replies = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "300")).all()
    assert len(replies) >= 3  # a dialog answer to each turn


def test_a_failing_turn_is_retried_and_holds_only_its_own_sender(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_of(container)
    turns = FlakyTurns(container, {"100:1": 1})
    monkeypatch.setattr(container.inbound, "handle_inbound", turns)
    inbox.accept([message("100", 1), message("100", 2), message("200", 1)])
    inbox.run_once()
    assert transcript(container, "100") == [] and transcript(container, "200") == ["200:1"]
    [failed_once] = [r for r in rows(container) if r.provider_message_id == "100:1"]
    assert failed_once.status == "pending" and failed_once.attempts == 1
    assert failed_once.last_error == "RuntimeError: database went away"
    assert failed_once.next_attempt_at > clock()  # backoff: not again at once
    clock.advance(seconds=120)
    inbox.run_once()
    assert transcript(container, "100") == ["100:1", "100:2"]  # retried, then the next one, in order


def test_a_turn_that_keeps_failing_is_set_aside_and_the_sender_goes_on(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_of(container)
    monkeypatch.setattr(container.inbound, "handle_inbound", FlakyTurns(container, {"100:1": 99}))
    inbox.accept([message("100", 1), message("100", 2)])
    for _ in range(inbox.policy.max_attempts):
        inbox.run_once()
        clock.advance(seconds=120)
    assert [(r.provider_message_id, r.status) for r in rows(container)] == [
        ("100:1", "failed"),
        ("100:2", "done"),
    ]
    assert inbox.counts() == {"failed": 1}
    health = create_app(container).test_client().get("/healthz").get_json()
    assert health["inbox_failed"] == 1 and health["inbox_backlog"] == 0
    [failed] = inbox.failed()
    assert failed.attempts == inbox.policy.max_attempts and "database went away" in (failed.last_error or "")

    monkeypatch.undo()  # the cause is fixed
    assert inbox.retry() == 1  # an operator puts it back once the cause is fixed: nothing was lost
    inbox.run_once()
    assert transcript(container, "100") == ["100:2", "100:1"] and inbox.counts() == {}


def test_an_unreadable_payload_fails_at_once_without_a_turn(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_of(container)
    turns = FlakyTurns(container, {})
    monkeypatch.setattr(container.inbound, "handle_inbound", turns)
    inbox.accept([message("100", 1)])
    with container.transaction() as session:
        row = session.scalars(select(InboxItem)).one()
        row.payload = {"channel": "pigeon"}
    inbox.run_once()
    [row] = rows(container)
    assert row.status == "failed" and (row.last_error or "").startswith("unreadable payload")
    assert turns.ran == []


def test_a_crashed_workers_claim_is_taken_over_after_the_lease(
    container: Container, clock: FakeClock
) -> None:
    inbox = inbox_of(container)
    inbox.accept([message("100", 1), message("100", 2)])
    crashed = inbox.claim()  # a worker claims, then dies before the turn
    assert len(crashed.row_ids) == 1
    other = Inbox(container.engine, container.session_factory, container.inbound, clock)
    assert other.claim().row_ids == []  # still leased
    clock.advance(seconds=inbox.lease.total_seconds() + 1)
    takeover = other.claim()
    assert takeover.row_ids == crashed.row_ids
    other.deliver(takeover.row_ids[0], takeover.token)
    inbox.deliver(crashed.row_ids[0], crashed.token)  # the old owner wakes up: its claim is not its own
    assert transcript(container, "100") == ["100:1"]  # the turn ran once
    assert other.run_once() == 1 and transcript(container, "100") == ["100:1", "100:2"]


def test_release_gives_claims_back_at_once(container: Container) -> None:
    inbox = inbox_of(container)
    inbox.accept([message("100", 1)])
    claim = inbox.claim()
    assert inbox.renew([claim.token]) == 1
    assert inbox.release([claim.token]) == 1
    assert [r.status for r in rows(container)] == ["pending"]
    assert inbox.run_once() == 1 and transcript(container, "100") == ["100:1"]


def test_a_commit_wakes_the_worker_at_once(container: Container) -> None:
    """The loop polls every 30 s here: a turn within a second can only come from the wake-up."""
    inbox = inbox_of(container)
    stop = threading.Event()
    wake = INBOX_WAKEUPS.subscribe()
    loop = DeliveryLoop(inbox, concurrency=2, poll_seconds=30, wake=wake, name="inbox")
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    try:
        time.sleep(0.3)  # the loop found nothing and waits
        inbox.accept([message("100", 1)])
        deadline = time.monotonic() + 5
        while transcript(container, "100") != ["100:1"]:
            assert time.monotonic() < deadline, "the turn did not run"
            time.sleep(0.02)
        assert time.monotonic() - (deadline - 5) < 1.5
    finally:
        stop.set()
        thread.join(timeout=15)
        INBOX_WAKEUPS.unsubscribe(wake)


def test_inline_mode_runs_the_turn_in_the_webhook_and_a_wrong_mode_is_refused(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    inline = make_container(database_url, tmp_path, clock, INBOUND_MODE="inline")
    try:
        assert inline.inbox is None
        inline.accept_inbound([message("100", 1)])
        assert transcript(inline, "100") == ["100:1"] and rows(inline) == []
    finally:
        inline.close()
    with pytest.raises(SettingsError, match="INBOUND_MODE"):
        load_settings({"DATABASE_URL": database_url, "INBOUND_MODE": "later"}, env_file=None)


def test_a_turn_whose_lease_was_taken_over_meanwhile_rolls_back_whole(
    container: Container, clock: FakeClock
) -> None:
    """The slow old owner finishes first: its turn is undone, the new owner's turn is the one that counts."""
    inbox = inbox_of(container)
    inbox.accept([message("100", 1)])
    slow = inbox.claim()
    clock.advance(seconds=inbox.lease.total_seconds() + 1)
    other = Inbox(container.engine, container.session_factory, container.inbound, clock)
    takeover = other.claim()
    inbox.deliver(slow.row_ids[0], slow.token)
    assert transcript(container, "100") == []  # rolled back: no transcript, no reply, no dedupe mark
    with container.session_factory() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
    other.deliver(takeover.row_ids[0], takeover.token)
    assert transcript(container, "100") == ["100:1"] and [r.status for r in rows(container)] == ["done"]


def test_purge_deletes_only_rows_done_long_enough_ago(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_of(container)
    inbox.accept([message("100", 1)])
    inbox.run_once()  # done now
    clock.advance(days=8)
    monkeypatch.setattr(container.inbound, "handle_inbound", FlakyTurns(container, {"200:1": 99}))
    inbox.accept([message("200", 1), message("300", 1)])
    inbox.run_once()  # 200:1 failed once (pending again), 300:1 done just now
    assert inbox.purge(timedelta(days=7)) == 1
    assert sorted(r.provider_message_id for r in rows(container)) == ["200:1", "300:1"]
    assert transcript(container, "100") == ["100:1"]  # the message itself stays in the transcript


def test_the_inbox_cli_shows_failed_messages_and_puts_them_back(
    container: Container, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from intake.cli import cli

    inbox = inbox_of(container)
    monkeypatch.setattr(container.inbound, "handle_inbound", FlakyTurns(container, {"100:1": 99}))
    inbox.accept([message("100", 1, text="hola")])
    with container.transaction() as session:  # as if every attempt had failed, with a hostile error text
        row = session.scalars(select(InboxItem)).one()
        row.status, row.attempts, row.last_error = "failed", 5, "boom \x1b[2J\x1b]52;c;ZXZpbA==\x07"
        row_id = row.id
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    status = runner.invoke(cli, ["inbox", "status"], env=env)
    assert status.exit_code == 0 and status.output.strip() == "pending 0  working 0  failed 1"
    shown = runner.invoke(cli, ["inbox", "failed"], env=env)
    assert shown.exit_code == 0 and f"#{row_id}\ttelegram\t100\t5 attempt(s)\tboom" in shown.output
    assert "\x1b" not in shown.output and "\x07" not in shown.output
    again = runner.invoke(cli, ["inbox", "retry", "--id", str(row_id)], env=env)
    assert again.exit_code == 0 and "1 message(s) back in line" in again.output
    assert [(r.status, r.attempts) for r in rows(container)] == [("pending", 0)]
    inline = runner.invoke(cli, ["inbox", "status"], env={**env, "INBOUND_MODE": "inline"})
    assert inline.exit_code == 1 and "no inbox" in inline.output


def test_a_turn_runs_at_the_time_its_message_was_accepted(container: Container, clock: FakeClock) -> None:
    """After a worker outage the turn (and a ticket it opens) is dated when the customer wrote."""
    inbox = inbox_of(container)
    accepted_at = clock()
    inbox.accept([message("100", 1)])
    clock.advance(hours=2)  # no worker for two hours
    inbox.run_once()
    with container.session_factory() as session:
        processed = session.scalars(
            select(ProcessedMessage.processed_at).where(ProcessedMessage.provider_message_id == "100:1")
        ).one()
        conversation = session.scalars(select(Conversation).where(Conversation.address == "100")).one()
    assert processed == accepted_at and conversation.updated_at == accepted_at


if "postgresql" in BACKENDS:

    def test_accepting_survives_a_connection_the_database_dropped(
        postgres_url: str, tmp_path: Path, clock: FakeClock
    ) -> None:
        """Twilio does not retry a failed webhook: a pooled connection killed by a database restart must
        not cost the message (no pre-ping: the accept retries once on a fresh connection)."""
        container = make_container(postgres_url, tmp_path, clock)
        try:
            inbox = inbox_of(container)
            assert inbox.accept([message("100", 1)]) == 1  # the pool now holds a connection
            with container.engine.connect() as conn:
                own = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                killed = conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": own}).scalar_one()
            admin.dispose()
            assert killed
            assert inbox.accept([message("100", 2)]) == 1
            assert [r.provider_message_id for r in rows(container)] == ["100:1", "100:2"]
        finally:
            container.close()
            _truncate(postgres_url)


if "postgresql" in BACKENDS:

    def test_a_listener_ignores_its_own_process_notifications_and_wakes_for_others(
        clean_postgres_url: str,
    ) -> None:
        """This process's commits wake its loops in-process; hearing them again would only add claims."""
        wake, stop = threading.Event(), threading.Event()
        PostgresListener(clean_postgres_url, wake, stop, channel="intake_test_wake").start()
        engine = create_engine(clean_postgres_url)
        try:
            assert wake.wait(5)  # set once when it starts listening (catching up)
            wake.clear()
            with engine.begin() as conn:
                conn.execute(text("SELECT pg_notify('intake_test_wake', :me)"), {"me": writer()})
            assert not wake.wait(1.0)
            with engine.begin() as conn:  # another process (a web worker) accepted a message
                conn.execute(text("SELECT pg_notify('intake_test_wake', :pid)"), {"pid": "1"})
            assert wake.wait(2.0)
        finally:
            stop.set()
            engine.dispose()


def _token_of_a_forked_child(conn: Any) -> None:
    conn.send(writer())
    conn.close()


def test_every_process_signs_its_notifications_with_its_own_token() -> None:
    """Not the pid: containers repeat pids (each one's first process is 1), forks must not share it."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    child = context.Process(target=_token_of_a_forked_child, args=(child_end,))
    child.start()
    token = parent_end.recv()
    child.join(10)
    assert writer() == writer() and len(writer()) == 32
    assert token != writer() and len(token) == 32 and token != str(child.pid)
