"""Wake workers the moment a transaction that wrote outbox (or inbox) rows commits.

Two paths, polling being only the fallback: in this process, a SQLAlchemy `after_commit` hook sets
the events of every delivery loop (the embedded mode, `intake-bot serve`); across processes, the
writing transaction runs `pg_notify` (PostgreSQL delivers it at commit, never on rollback) and each
worker process LISTENs on a dedicated psycopg connection. The payload is a token of the writing process:
a listener ignores its own process's notifications, which the in-process path has already delivered
(each wake-up makes a loop claim, and a worker's own commits are most of what it hears).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

CHANNEL = "intake_outbox"


# A random token per process, new in every forked child: pids repeat across hosts and containers
# (each container's first process is pid 1), and a listener must not mistake another's NOTIFY for its own.
_PROCESS_TOKEN = [uuid.uuid4().hex]
os.register_at_fork(after_in_child=lambda: _PROCESS_TOKEN.__setitem__(0, uuid.uuid4().hex))


def writer() -> str:
    """The NOTIFY payload: which process wrote (see PostgresListener), unique per process."""
    return _PROCESS_TOKEN[0]


INBOX_CHANNEL = "intake_inbox"  # webhooks accepted messages: the inbox loops run their turns
_WRITTEN = "intake.outbox_written"


class Wakeups:
    """The wake-up events of this process's delivery loops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: set[threading.Event] = set()

    def subscribe(self) -> threading.Event:
        """A new event, set whenever an outbox write commits in this process."""
        wake = threading.Event()
        with self._lock:
            self._events.add(wake)
        return wake

    def unsubscribe(self, wake: threading.Event) -> None:
        """Stop setting `wake`."""
        with self._lock:
            self._events.discard(wake)

    def notify(self) -> None:
        """Set every subscribed event."""
        with self._lock:
            events = list(self._events)
        for wake in events:
            wake.set()


WAKEUPS = Wakeups()
INBOX_WAKEUPS = Wakeups()


def mark_written(session: Session) -> None:
    """Note that this transaction wrote due outbox rows: wake the workers when (and if) it commits."""
    if session.info.get(_WRITTEN):
        return
    session.info[_WRITTEN] = True
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :writer)"), {"channel": CHANNEL, "writer": writer()})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WRITTEN, False):
        WAKEUPS.notify()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a rolled-back transaction wakes nobody; the next one starts clean
        session.info.pop(_WRITTEN, None)


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as a plain libpq URI for psycopg.connect."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresListener:
    """A thread LISTENing on one channel (the outbox's by default) that sets `wake` on every notification."""

    def __init__(
        self,
        database_url: str,
        wake: threading.Event,
        stop: threading.Event,
        retry_seconds: float = 1.0,
        channel: str = CHANNEL,
    ) -> None:
        self.url = libpq_url(database_url)
        self.wake = wake
        self.stop = stop
        self.retry_seconds = retry_seconds
        self.channel = channel

    def start(self) -> threading.Thread:
        """Listen in a daemon thread until `stop` is set."""
        thread = threading.Thread(target=self._run, name=f"{self.channel}-listen", daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # the database went away: poll meanwhile, then listen again
                log.warning("%s LISTEN connection lost (%s); retrying", self.channel, exc)
                self.stop.wait(self.retry_seconds)

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"LISTEN {self.channel}")
            self.wake.set()  # catch up with whatever committed while nobody listened
            own = writer()
            while not self.stop.is_set():
                for notice in conn.notifies(timeout=0.5):
                    if notice.payload != own:
                        self.wake.set()
