"""PostgreSQL restarted during a burst of webhooks (issue 16): 5xx while it is down, nothing
half-written, and after it is back every message processed once and every chat delivered in order.

The test starts its own disposable cluster (tests/support/pg_cluster.py) on a free port and stops
and restarts it; the machine's shared server is never touched.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

from intake.db import upgrade
from intake.db.models import Conversation, Message, OutboxMessage, ProcessedMessage, utcnow
from intake.delivery.outbox import OutboxWorker, RetryPolicy
from intake.delivery.runner import DeliveryLoop
from intake.services.inbox import Inbox
from tests.integration.test_outbox import RecordingSender
from tests.integration.test_whatsapp_webhook import INBOUND_PATH, PUBLIC, Env, build_env, sign
from tests.support.clock import FakeClock
from tests.support.pg_cluster import PgCluster
from tests.support.signing import TWILIO_SIGNATURE_HEADER
from webhooks import create_app

CUSTOMERS = 6
MESSAGES = ["hola", "Ana Pérez", "ana@example.org", "Acme", "1",
            "El sistema de facturación no emite boletas desde esta mañana"]


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    private = PgCluster()
    try:
        private.start()
        yield private
    finally:
        private.remove()


@pytest.fixture
def env(cluster: PgCluster, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock) -> Iterator[Env]:
    url = cluster.create_database("intake_restart")
    upgrade(url)
    built = build_env(url, tmp_path, httpserver, clock)
    yield built
    built.container.close()


def _form(customer: int, n: int) -> dict[str, str]:
    return {
        "MessageSid": f"SM{customer:02d}{n:04d}" + "0" * 28,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:+5699900{customer:04d}",
        "To": "whatsapp:+14155238886",
        "Body": MESSAGES[n],
        "NumMedia": "0",
    }


class Burst:
    """Customers posting their messages one after another, each retried (as a provider does) until 200."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.statuses: list[int] = []
        self.ok = 0
        self.lock = threading.Lock()
        self.errors: list[BaseException] = []

    def customer(self, index: int, client: FlaskClient) -> None:
        try:
            for n in range(len(MESSAGES)):
                form = _form(index, n)
                started = time.monotonic()
                while True:
                    headers = {TWILIO_SIGNATURE_HEADER: sign(PUBLIC + INBOUND_PATH, form)}
                    status = client.post(INBOUND_PATH, data=form, headers=headers).status_code
                    with self.lock:
                        self.statuses.append(status)
                        self.ok += status == 200
                    if status == 200:
                        break
                    assert time.monotonic() - started < 60, "never accepted"
                    time.sleep(0.05)
                time.sleep(0.05)
        except BaseException as exc:  # reported by the main thread
            self.errors.append(exc)


def _wait_for_turns(env: Env, seconds: float) -> None:
    """Until the worker ran the turn of every accepted message (done or failed)."""
    assert env.container.inbox is not None
    deadline = time.monotonic() + seconds
    while True:
        counts = env.container.inbox.counts()
        if not counts.get("pending") and not counts.get("working"):
            return
        assert time.monotonic() < deadline, counts
        time.sleep(0.1)


def test_postgres_restarted_during_a_burst(env: Env, cluster: PgCluster) -> None:
    c = env.container
    # The worker runs the turns while the database goes away and comes back: on the real clock, with a
    # short lease, so a turn whose bookkeeping failed while the database was down is taken over soon.
    policy = RetryPolicy(max_attempts=8, base_seconds=0.2, max_seconds=2)
    inbox = Inbox(c.engine, c.session_factory, c.inbound, utcnow, lease_seconds=2, policy=policy)
    stop = threading.Event()
    turns = DeliveryLoop(inbox, concurrency=4, poll_seconds=0.2, name="inbox")
    worker = threading.Thread(target=turns.run, args=(stop,))
    worker.start()
    burst = Burst(env)
    # One client per thread, built here: Python 3.11's compiler is not safe to run in parallel threads.
    clients = [create_app(c).test_client() for _ in range(CUSTOMERS)]
    threads = [threading.Thread(target=burst.customer, args=(i, clients[i])) for i in range(CUSTOMERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while burst.ok < 8:  # some messages in, then the database goes away mid-burst
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cluster.stop()
    accepted_while_down = burst.ok
    time.sleep(1.5)
    during = list(burst.statuses)
    assert burst.ok == accepted_while_down  # nothing is accepted while the database is down
    cluster.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not burst.errors, burst.errors
    try:
        _wait_for_turns(env, 60)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert env.container.inbox.counts() == {}  # every accepted message's turn done, none failed

    assert any(status >= 500 for status in during), during  # 5xx while down: the provider retries
    assert all(status == 200 or status >= 500 for status in burst.statuses)
    with env.container.transaction() as session:
        processed = session.scalar(select(func.count()).select_from(ProcessedMessage))
        inbound = session.scalars(select(Message).where(Message.direction == "in").order_by(Message.id)).all()
        assert processed == CUSTOMERS * len(MESSAGES)  # every message processed once
        assert len(inbound) == processed  # nothing half-written: no id without its transcript row
        by_chat: dict[int | None, list[str]] = defaultdict(list)
        for message in inbound:
            by_chat[message.conversation_id].append(message.text)
        assert sorted(by_chat.values()) == [MESSAGES] * CUSTOMERS  # each chat's messages in order
        conversations = session.scalars(select(Conversation)).all()
        assert all(c.version == len(MESSAGES) for c in conversations)  # every turn committed whole
        rows = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert rows and rows >= CUSTOMERS

    sender = RecordingSender()
    outbox = OutboxWorker(env.container.session_factory, {"whatsapp": sender}, clock=utcnow)
    for _ in range(200):
        if outbox.run_once() == 0:
            break
    with env.container.transaction() as session:
        queued = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert all(row.status == "sent" for row in queued), [row.status for row in queued]
        expected: dict[str, list[str]] = defaultdict(list)
        for row in queued:
            expected[row.recipient].append(str(row.payload.get("text")))
    sent: dict[str, list[str]] = defaultdict(list)
    for message in sender.sent:
        sent[message.recipient].append(message.text)
    assert sent == expected  # everything delivered, once, each chat in order
