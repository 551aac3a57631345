"""A real `intake-bot worker` process: killed mid-batch, stopped with SIGTERM, woken by commits.

Each test starts the worker on the test database against a fake Twilio that answers after a delay,
stops it while sends are in flight, and lets a second worker (in this process) finish the outbox:
every message must arrive, each chat in order, with at most the one in-flight message of a chat
sent twice, and the takeover must take seconds, not the old five-minute lease.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel, InboundMessage
from channels.base import OutboundMessage
from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig
from intake.db import unit_of_work
from intake.db.models import OutboxMessage, utcnow
from intake.delivery.outbox import OutboxWorker, enqueue
from intake.delivery.runner import DeliveryLoop
from tests.conftest import BACKENDS
from tests.integration.test_delivery_router import seed
from tests.support.provider import SlowTwilio, threaded_server
from tests.support.twilio_fake import ACCOUNT

BIN = Path(sys.executable).parent / "intake-bot"
TOKEN = "t" * 32


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    httpserver = threaded_server()
    yield httpserver
    httpserver.clear()
    httpserver.stop()


def _chats(factory: sessionmaker[Session], count: int) -> list[str]:
    """Customers who wrote just now (inside WhatsApp's 24-hour window)."""
    chats = [f"+5697700{n:04d}" for n in range(count)]
    for chat in chats:
        seed(
            factory, utcnow(), identity_inbound=utcnow(), address=chat, email_identity=None, with_ticket=False
        )
    return chats


def _enqueue(factory: sessionmaker[Session], chats: list[str], per_chat: int) -> dict[str, list[str]]:
    expected: dict[str, list[str]] = {f"whatsapp:{chat}": [] for chat in chats}
    for turn in range(per_chat):
        for chat in chats:
            text = f"{chat} #{turn}"
            with unit_of_work(factory) as session:
                enqueue(
                    session,
                    OutboundMessage(channel=Channel.WHATSAPP, recipient=chat, text=text),
                    now=utcnow(),
                )
            expected[f"whatsapp:{chat}"].append(text)
    return expected


def _env(database_url: str, twilio: SlowTwilio, tmp_path: Path, **settings: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path / "var"),
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TWILIO_API_BASE_URL=twilio.base_url,
        LOG_LEVEL="INFO",
    )
    env.update({name.upper(): str(value) for name, value in settings.items()})
    return env


def _start_worker(env: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    with (tmp_path / "worker.log").open("ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [str(BIN), "worker"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )


def _wait_for(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s")
        time.sleep(0.02)


class Takeover:
    """A second worker in this process (no lease wait of its own), delivering until stopped."""

    def __init__(self, factory: sessionmaker[Session], twilio: SlowTwilio) -> None:
        config = WhatsAppConfig(
            account_sid=ACCOUNT,
            auth_token=TOKEN,
            from_number="whatsapp:+14155238886",
            api_base_url=twilio.base_url,
        )
        self.adapter = WhatsAppAdapter(config)
        worker = OutboxWorker(factory, {"whatsapp": self.adapter}, clock=utcnow, lease_seconds=5)
        self.loop = DeliveryLoop(worker, concurrency=4, poll_seconds=0.1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop.run, args=(self.stop,))

    def __enter__(self) -> Takeover:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=20)
        self.adapter.close()


def _check(twilio: SlowTwilio, expected: dict[str, list[str]], factory: sessionmaker[Session]) -> int:
    """Every message arrived, each chat in order; return how many were sent twice (at most one per chat)."""
    duplicates = 0
    received = twilio.bodies_by_chat()
    for chat, bodies in expected.items():
        got = received.get(chat, [])
        collapsed = [b for i, b in enumerate(got) if i == 0 or got[i - 1] != b]  # a resend follows itself
        assert collapsed == bodies, (chat, got)
        assert len(got) - len(bodies) <= 1, (chat, got)
        duplicates += len(got) - len(bodies)
    with factory() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}
    return duplicates


def _all_arrived(twilio: SlowTwilio, expected: dict[str, list[str]]) -> bool:
    received = twilio.bodies_by_chat()
    return all(set(bodies) <= set(received.get(chat, [])) for chat, bodies in expected.items())


def test_a_worker_killed_mid_batch_is_taken_over_within_its_lease(
    session_factory: sessionmaker[Session], database_url: str, server: HTTPServer, tmp_path: Path
) -> None:
    twilio = SlowTwilio(server, latency=0.3)
    expected = _enqueue(session_factory, _chats(session_factory, 4), per_chat=4)
    env = _env(database_url, twilio, tmp_path, outbox_lease_seconds=2, outbox_concurrency=2)
    worker = _start_worker(env, tmp_path)
    try:
        _wait_for(lambda: twilio.count() >= 3, 60)
    finally:
        worker.kill()  # SIGKILL: no chance to release anything
        worker.wait(timeout=10)
    killed_at = time.monotonic()
    with Takeover(session_factory, twilio):
        _wait_for(lambda: _all_arrived(twilio, expected), 30)
    took = max(t for *_, t in twilio.delivered) - killed_at
    assert took < 2 + 4, f"the last message arrived {took:.1f}s after the kill"  # lease + sending the rest
    assert _check(twilio, expected, session_factory) <= 2  # at most the 2 sends in flight


def test_a_worker_lowers_its_cpu_priority_in_every_thread_by_worker_nice(
    database_url: str, server: HTTPServer, tmp_path: Path
) -> None:
    """Webhooks first: where it shares cores with the web processes, the worker's turns yield to them."""
    worker = _start_worker(_env(database_url, SlowTwilio(server), tmp_path, worker_nice=7), tmp_path)
    try:
        _wait_for(lambda: "worker running" in (tmp_path / "worker.log").read_text(), 30)
        expected = min(os.getpriority(os.PRIO_PROCESS, 0) + 7, 19)
        threads = list(Path(f"/proc/{worker.pid}/task").iterdir())
        assert len(threads) > 3  # the loops' threads started after the priority was lowered
        for thread in threads:
            nice = int((thread / "stat").read_text().rsplit(")", 1)[1].split()[16])
            assert nice == expected, (thread.name, nice, expected)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


@pytest.mark.parametrize(
    ("stop_signal", "latency", "grace"),
    [(signal.SIGTERM, 0.3, 10.0), (signal.SIGTERM, 1.5, 0.2), (signal.SIGINT, 1.5, 0.2)],
    ids=["sigterm-finishes", "sigterm-releases", "ctrl-c-releases"],
)
def test_a_stop_signal_finishes_or_releases_the_claims_and_another_worker_goes_on_at_once(
    session_factory: sessionmaker[Session],
    database_url: str,
    server: HTTPServer,
    tmp_path: Path,
    stop_signal: signal.Signals,
    latency: float,
    grace: float,
) -> None:
    twilio = SlowTwilio(server, latency=latency)
    expected = _enqueue(session_factory, _chats(session_factory, 3), per_chat=3)
    # A 60 s lease: only a release on stop (not an expiry) lets the other worker go on within seconds.
    settings = {"outbox_lease_seconds": 60, "outbox_concurrency": 2, "outbox_stop_grace_seconds": grace}
    worker = _start_worker(_env(database_url, twilio, tmp_path, **settings), tmp_path)
    try:
        _wait_for(lambda: twilio.started >= 4, 60)  # two sent, two in flight
        worker.send_signal(stop_signal)
        stopped_at = time.monotonic()
        assert worker.wait(timeout=20) == 0
    finally:
        worker.kill()
    stop_took = time.monotonic() - stopped_at
    assert stop_took < grace + 3, stop_took
    log = (tmp_path / "worker.log").read_text()
    assert "worker stopped" in log
    with Takeover(session_factory, twilio):
        _wait_for(lambda: _all_arrived(twilio, expected), 30)
    took = max(t for *_, t in twilio.delivered) - stopped_at
    assert took < 3 * latency * 3 + 5, took  # the rest of 3 chats of 3 messages, far below the lease
    duplicates = _check(twilio, expected, session_factory)
    if grace >= latency:
        assert duplicates == 0  # the sends in flight finished before the worker left
    else:
        assert "released 2 claimed message(s) on stop" in log


def _deliver_one_and_time(factory: sessionmaker[Session], twilio: SlowTwilio, chat: str, text: str) -> float:
    before = twilio.count()
    started = time.monotonic()
    with unit_of_work(factory) as session:
        enqueue(session, OutboundMessage(channel=Channel.WHATSAPP, recipient=chat, text=text), now=utcnow())
    _wait_for(lambda: twilio.count() > before, 10)
    return twilio.delivered[-1][2] - started


def _lags(factory: sessionmaker[Session], twilio: SlowTwilio, chat: str) -> list[float]:
    lags = []
    for n in range(6):
        time.sleep(0.15 + 0.1 * n)  # land anywhere in the 1 s poll interval
        lags.append(_deliver_one_and_time(factory, twilio, chat, f"ping {n}"))
    return lags


if "postgresql" in BACKENDS:

    def test_a_worker_process_wakes_on_notify_well_before_its_poll(
        clean_postgres_url: str, server: HTTPServer, tmp_path: Path
    ) -> None:
        from intake.db import make_engine, make_session_factory

        engine = make_engine(clean_postgres_url)
        session_factory = make_session_factory(engine)
        twilio = SlowTwilio(server)
        (chat,) = _chats(session_factory, 1)
        worker = _start_worker(_env(clean_postgres_url, twilio, tmp_path, worker_poll_seconds=1), tmp_path)
        try:
            _deliver_one_and_time(session_factory, twilio, chat, "warm-up")  # the worker is up
            lags = _lags(session_factory, twilio, chat)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
            engine.dispose()
        assert max(lags) < 0.5 and statistics.median(lags) < 0.25, lags


    def test_a_worker_process_runs_an_accepted_messages_turn_at_once(
        clean_postgres_url: str, server: HTTPServer, tmp_path: Path
    ) -> None:
        """A webhook (here: this process) accepts; the worker process, polling every 5 s, is woken by
        the commit's NOTIFY, runs the dialog turn and sends the greeting well within a second."""
        from intake.bootstrap import build_container
        from intake.config import Settings

        files = tmp_path / "f"
        settings = Settings(database_url=clean_postgres_url, data_dir=tmp_path, attachments_dir=files)
        webhook = build_container(settings)
        assert webhook.inbox is not None
        twilio = SlowTwilio(server)
        worker = _start_worker(_env(clean_postgres_url, twilio, tmp_path, worker_poll_seconds=5), tmp_path)
        lags = []
        try:
            time.sleep(2)  # the worker is up and listening
            for n in range(4):
                started = time.monotonic()
                webhook.inbox.accept([_hello(f"+5697711{n:04d}", n)])
                _wait_for(lambda n=n: twilio.count() > n, 10)  # type: ignore[misc]
                lags.append(twilio.delivered[-1][2] - started)
                time.sleep(0.3)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
            webhook.close()
        assert max(lags) < 1.0, lags
        assert "whatsapp:+56977110003" in twilio.bodies_by_chat()


def _hello(number: str, n: int) -> InboundMessage:
    """A customer's first WhatsApp message, as the adapter reads it."""
    return InboundMessage(
        channel=Channel.WHATSAPP,
        sender_id=number,
        chat_id=number,
        provider_message_id=f"SM{n:032d}",
        received_at=utcnow(),
        text="hola",
    )


def test_the_embedded_worker_wakes_on_commit_well_before_its_poll(
    session_factory: sessionmaker[Session], database_url: str, server: HTTPServer, tmp_path: Path
) -> None:
    from intake.bootstrap import build_container, run_background_loops
    from intake.config import Settings

    twilio = SlowTwilio(server)
    (chat,) = _chats(session_factory, 1)
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        attachments_dir=tmp_path / "files",
        worker_poll_seconds=1.0,
        sweeper_interval_seconds=3600,
    )
    config = WhatsAppConfig(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        from_number="whatsapp:+14155238886",
        api_base_url=twilio.base_url,
    )
    container = build_container(settings, adapters={"whatsapp": WhatsAppAdapter(config)})
    stop = threading.Event()
    threads = run_background_loops(container, stop)
    try:
        _deliver_one_and_time(container.session_factory, twilio, chat, "warm-up")
        lags = _lags(container.session_factory, twilio, chat)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
        container.close()
    assert max(lags) < 0.5 and statistics.median(lags) < 0.25, lags
