"""The inbox: a webhook accepts verified messages with one INSERT and answers at once; the worker runs
their dialog turns (`InboundService.handle_inbound`), one sender at a time, in the order accepted.

Why: a dialog turn is a dozen statements and ~10,000 Python calls; run inside the webhook it made the
provider wait for it and let one busy process delay every other webhook (issue 16). Accepting is
cheap and durable: once the row is committed the message cannot be lost, and a provider's redelivery
of the same message id is a no-op (unique channel + provider id).

Order and leases follow the outbox (intake/delivery/outbox.py): only the oldest unfinished row of a
sender may be claimed, under a short renewed lease; a crashed worker's rows are taken over when the
lease expires, and `handle_inbound` itself dedupes on the provider id, so a turn that committed just
before a crash is not run twice. A turn that raises is retried with backoff; after
`policy.max_attempts` the row is `failed` (shown by /healthz and `intake-bot inbox`) and the sender's
later messages go on.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import InboundMessage, inbound_from_json, inbound_to_json
from intake.db import unit_of_work
from intake.db.models import InboxItem, UTCDateTime
from intake.delivery.claims import ClaimRunner, HeadClaim
from intake.delivery.outbox import Claim, RetryPolicy
from intake.delivery.wakeup import INBOX_CHANNEL, INBOX_WAKEUPS, writer
from intake.services.inbound import InboundService

log = logging.getLogger(__name__)

PENDING, WORKING, DONE, FAILED = "pending", "working", "done", "failed"
MAX_PROVIDER_ID = 100
MAX_SENDER = 254
DEFAULT_POLICY = RetryPolicy(max_attempts=5, base_seconds=1.0, max_seconds=60.0)
# The turn's last statement (every turn runs it): plain SQL, built once, no ORM bulk-update machinery.
_FINISH = text(
    "UPDATE inbox SET status = :done, processed_at = :now, claim_token = NULL, locked_until = NULL,"
    " last_error = NULL WHERE id = :id AND claim_token = :token AND status = :working"
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("done", DONE), bindparam("working", WORKING))


class LeaseLost(Exception):
    """The row was taken over by another worker while this one ran its turn."""


class Inbox:
    """Accepts messages for later turns and runs those turns for a worker (a `LeasedWork`)."""

    def __init__(
        self,
        engine: Engine,
        session_factory: sessionmaker[Session],
        inbound: InboundService,
        clock: Callable[[], datetime],
        *,
        policy: RetryPolicy | None = None,
        lease_seconds: float = 15.0,
        batch_size: int = 20,
    ) -> None:
        self.engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.session_factory = session_factory
        self.inbound = inbound
        self.clock = clock
        self.policy = policy or DEFAULT_POLICY
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        # Payload and acceptance time, read with the claim: no second round trip.
        self._payloads: dict[int, tuple[dict[str, Any], datetime]] = {}
        self._lock = threading.Lock()
        self._claims = ClaimRunner(
            HeadClaim(
                InboxItem,
                ("channel", "sender"),
                pending=PENDING,
                working=WORKING,
                order_by="h.id",
                returning=("id", "payload", "accepted_at"),
            )
        )

    def accept(self, messages: Sequence[InboundMessage]) -> int:
        """Store verified messages for their turns (a redelivered provider id is ignored); return how many
        were new. One short transaction of plain INSERTs, then the workers are woken."""
        if not messages:
            return 0
        now = self.clock()
        rows = [_row(message, now) for message in messages]
        try:
            return self._insert(rows)
        except DBAPIError as exc:
            # A pooled connection that died with a database restart fails its first statement, and
            # SQLAlchemy then discards the pool: one retry on a fresh connection, or Twilio (which does
            # not retry a failed webhook) would lose the message.
            if not exc.connection_invalidated:
                raise
            log.warning("inbox: connection lost (%s); accepting on a fresh one", type(exc.orig).__name__)
            return self._insert(rows)

    def _insert(self, rows: list[dict[str, Any]]) -> int:
        """INSERT the new rows (autocommit + NOTIFY on PostgreSQL) and wake this process's loops."""
        if self.engine.dialect.name == "postgresql":
            # Autocommit: the one INSERT is its own transaction (one round trip instead of BEGIN,
            # INSERT, COMMIT); the NOTIFY after it reaches every worker process's LISTEN.
            with self._autocommit.connect() as conn:
                if len(rows) == 1:  # a webhook's one message: INSERT and NOTIFY in one statement
                    accepted = len(conn.exec_driver_sql(_ACCEPT_ONE_PG, _driver_params(rows[0])).all())
                else:
                    accepted = _insert_new(conn, rows)
                    if accepted:
                        notify = {"channel": INBOX_CHANNEL, "writer": writer()}
                        conn.execute(text("SELECT pg_notify(:channel, :writer)"), notify)
        else:
            with self.engine.begin() as conn:
                accepted = _insert_new(conn, rows)
        if accepted:
            INBOX_WAKEUPS.notify()
        return accepted

    def claim(self, limit: int | None = None) -> Claim:
        """Lease the due head of each sender (one token for the batch), in one transaction."""
        now = self.clock()
        token = uuid.uuid4().hex
        with unit_of_work(self.session_factory) as session:  # one UPDATE … RETURNING
            rows = self._claims.run(
                session, now=now, until=now + self.lease, token=token, limit=limit or self.batch_size
            )
        claimed = [(int(row.id), (row.payload, row.accepted_at)) for row in rows]
        with self._lock:
            self._payloads.update(claimed)
        return Claim(token, [row_id for row_id, _ in claimed])

    def deliver(self, row_id: int, token: str) -> None:
        """Run the turn of one claimed row and record done, retry or failed."""
        with self._lock:
            found = self._payloads.pop(row_id, None)
        found = found or self._load(row_id, token)
        if found is None:
            return
        payload, accepted_at = found
        try:
            message = inbound_from_json(payload)
        except (KeyError, TypeError, ValueError) as exc:
            self._record(row_id, token, f"unreadable payload: {exc}", final=True)
            return
        # The turn happens when the message arrived, not when a worker got to it (after an outage, say):
        # a ticket opened by it starts its SLA clocks then.
        now = min(accepted_at, self.clock())
        try:
            self.inbound.handle_inbound(message, now=now, finish=self._done(row_id, token))
        except LeaseLost:  # another worker took the row over: the turn rolled back, the new owner runs it
            log.warning("inbox %s: lease lost during the turn; left to the new owner", row_id)
        except Exception as exc:  # the database went away, or a bug in one turn: retried with backoff
            log.exception("inbox %s: the turn failed", row_id)
            self._record(row_id, token, f"{type(exc).__name__}: {exc}")

    def _done(self, row_id: int, token: str) -> Callable[[Session], None]:
        """Mark the row done inside the turn's own transaction; LeaseLost (rolling it back) if not ours."""

        def finish(session: Session) -> None:
            params = {"id": row_id, "token": token, "now": self.clock()}
            if not session.execute(_FINISH, params).rowcount:  # type: ignore[attr-defined]
                raise LeaseLost(row_id)

        return finish

    def run_once(self) -> int:
        """Run every due turn now, in order (tests, `worker --once`, the simulator); return how many."""
        done = 0
        while True:
            claim = self.claim()
            if not claim.row_ids:
                return done
            for row_id in claim.row_ids:
                self.deliver(row_id, claim.token)
            done += len(claim.row_ids)

    def renew(self, tokens: Collection[str]) -> int:
        """Extend the lease of every row still claimed under `tokens`; return how many."""
        if not tokens:
            return 0
        with unit_of_work(self.session_factory) as session:
            statement = (
                update(InboxItem).where(_claimed_under(tokens)).values(locked_until=self.clock() + self.lease)
            )
            return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def release(self, tokens: Collection[str]) -> int:
        """Give back every row still claimed under `tokens` (due at once, for any worker); return how many."""
        if not tokens:
            return 0
        with unit_of_work(self.session_factory) as session:
            statement = (
                update(InboxItem)
                .where(_claimed_under(tokens))
                .values(status=PENDING, claim_token=None, locked_until=None)
            )
            released = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
        if released:
            INBOX_WAKEUPS.notify()
        return released

    def counts(self) -> dict[str, int]:
        """Rows per unfinished or failed status (for /healthz and `intake-bot inbox`)."""
        with self.session_factory() as session:
            found = session.execute(
                select(InboxItem.status, func.count())
                .where(InboxItem.status.in_((PENDING, WORKING, FAILED)))
                .group_by(InboxItem.status)
            ).all()
        return {str(status): int(count) for status, count in found}

    def failed(self, limit: int = 50) -> list[InboxItem]:
        """The most recent rows whose turn kept failing."""
        with self.session_factory() as session:
            query = select(InboxItem).where(InboxItem.status == FAILED).order_by(InboxItem.id.desc())
            return list(session.scalars(query.limit(limit)))

    def retry(self, row_ids: Collection[int] | None = None) -> int:
        """Put failed rows (all, or these) back in line for another turn; return how many."""
        with unit_of_work(self.session_factory) as session:
            statement = update(InboxItem).where(InboxItem.status == FAILED)
            if row_ids is not None:
                statement = statement.where(InboxItem.id.in_(list(row_ids)))
            values = {"status": PENDING, "attempts": 0, "next_attempt_at": self.clock(), "claim_token": None}
            retried = int(session.execute(statement.values(**values)).rowcount or 0)  # type: ignore[attr-defined]
        if retried:
            INBOX_WAKEUPS.notify()
        return retried

    def purge(self, keep: timedelta) -> int:
        """Delete rows done more than `keep` ago (the transcript keeps their messages); return how many.

        Failed and unfinished rows are never purged."""
        cutoff = self.clock() - keep
        with unit_of_work(self.session_factory) as session:
            statement = delete(InboxItem).where(InboxItem.status == DONE, InboxItem.processed_at < cutoff)
            return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def _load(self, row_id: int, token: str) -> tuple[dict[str, Any], datetime] | None:
        with self.session_factory() as session:
            row = session.get(InboxItem, row_id)
            if row is None or row.status != WORKING or row.claim_token != token:
                return None
            return dict(row.payload), row.accepted_at

    def _record(self, row_id: int, token: str, error: str, *, final: bool = False) -> None:
        """Another attempt later, or failed for good; nothing when the lease was lost meanwhile."""
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            row = session.get(InboxItem, row_id, with_for_update=True)
            if row is None or row.status != WORKING or row.claim_token != token:
                log.warning("inbox %s: lease lost during the turn; left to the new owner", row_id)
                return
            row.claim_token, row.locked_until = None, None
            row.attempts += 1
            row.last_error = error[:500]
            if final or row.attempts >= self.policy.max_attempts:
                row.status = FAILED
                log.error("inbox %s: failed after %d attempt(s): %s", row_id, row.attempts, row.last_error)
                return
            row.status = PENDING
            row.next_attempt_at = now + timedelta(seconds=self.policy.delay(row.attempts))
        INBOX_WAKEUPS.notify()


def _row(message: InboundMessage, now: datetime) -> dict[str, Any]:
    """The inbox row of one message; ValueError when its keys are out of bounds."""
    if not 0 < len(message.provider_message_id) <= MAX_PROVIDER_ID:
        raise ValueError(f"provider message id must be 1–{MAX_PROVIDER_ID} characters")
    if not 0 < len(message.sender_id) <= MAX_SENDER:
        raise ValueError(f"sender must be 1–{MAX_SENDER} characters")
    return {
        "channel": str(message.channel),
        "provider_message_id": message.provider_message_id,
        "sender": message.sender_id,
        "payload": inbound_to_json(message),
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "accepted_at": now,
    }


# Every webhook runs this: plain SQL handed to the driver (no statement building or compiling), one
# round trip; the NOTIFY is evaluated only for a row actually inserted (a redelivery wakes nobody).
_ACCEPT_ONE_PG = (
    "WITH new AS (INSERT INTO inbox (channel, provider_message_id, sender, payload, status, attempts,"
    " next_attempt_at, accepted_at) VALUES (%(channel)s, %(provider_message_id)s, %(sender)s,"
    " %(payload)s::json, %(status)s, 0, %(now)s, %(now)s)"
    " ON CONFLICT (channel, provider_message_id) DO NOTHING RETURNING id)"
    " SELECT pg_notify(%(notify)s, %(writer)s) FROM new"
)


def _driver_params(row: dict[str, Any]) -> dict[str, Any]:
    """The parameters of _ACCEPT_ONE_PG for one inbox row (the payload as JSON text)."""
    keys = ("channel", "provider_message_id", "sender", "status")
    return {
        **{k: row[k] for k in keys},
        "payload": json.dumps(row["payload"]),
        "now": row["accepted_at"].astimezone(UTC),
        "notify": INBOX_CHANNEL,
        "writer": writer(),
    }


def _insert_new(conn: Any, rows: list[dict[str, Any]]) -> int:
    """INSERT the rows whose (channel, provider id) is new; return how many were inserted."""
    keys = ["channel", "provider_message_id"]
    dialect = conn.dialect
    if dialect.name in ("postgresql", "sqlite") and dialect.insert_returning:
        # One statement with its parameters apart: compiled once, then taken from SQLAlchemy's cache.
        module: Any = postgresql if dialect.name == "postgresql" else sqlite
        statement = module.insert(InboxItem).on_conflict_do_nothing(index_elements=keys)
        return len(conn.execute(statement.returning(InboxItem.id), rows).all())
    inserted = 0
    for row in rows:  # other databases: look first; a concurrent duplicate fails the unique constraint
        seen = select(InboxItem.id).where(
            InboxItem.channel == row["channel"], InboxItem.provider_message_id == row["provider_message_id"]
        )
        if conn.execute(seen).first() is None:
            conn.execute(insert(InboxItem).values(row))
            inserted += 1
    return inserted


def _claimed_under(tokens: Collection[str]) -> Any:
    """Rows being worked on under one of these claim tokens."""
    return InboxItem.claim_token.in_(list(tokens)) & (InboxItem.status == WORKING)
