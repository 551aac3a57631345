"""The transactional outbox: enqueue in the caller's transaction, deliver from a worker with retries."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, bindparam, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel, Option
from channels.base import (
    OutboundChannel,
    OutboundMessage,
    OutsideWindowError,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from intake.db import unit_of_work
from intake.db.events import record_event
from intake.db.models import Message, OutboxMessage, UTCDateTime
from intake.delivery.claims import ClaimRunner, HeadClaim
from intake.delivery.email_thread import thread_email
from intake.delivery.media_links import MediaLinks
from intake.delivery.wakeup import mark_written
from intake.domain.events import Actor, EventKind, OutboxStatus

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# In a payload: when the recipient last wrote, as the code that queued it knew (an ISO instant). It only
# ever under-states the truth (later messages move it forward), so a window it shows open is open.
WINDOW_OPENED_KEY = "window_opened_at"


def to_payload(message: OutboundMessage) -> dict[str, Any]:
    """Serialize an outbound message for the outbox's JSON column."""
    data = asdict(message)
    data["channel"] = str(message.channel)
    data["template_variables"] = dict(message.template_variables)
    return data


def from_payload(data: Mapping[str, Any]) -> OutboundMessage:
    """Rebuild an outbound message from its stored JSON (unknown keys are ignored)."""
    known = {f for f in OutboundMessage.__dataclass_fields__}
    values = {k: v for k, v in data.items() if k in known}
    values["channel"] = Channel(values["channel"])
    values["options"] = tuple(Option(**o) for o in values.get("options") or ())
    values["reply_to_ids"] = tuple(values.get("reply_to_ids") or ())
    return OutboundMessage(**values)


def enqueue(
    session: Session,
    message: OutboundMessage,
    *,
    now: datetime,
    ticket_id: int | None = None,
    conversation_id: int | None = None,
    author: str = Actor.BOT,
    agent_id: int | None = None,
    window_opened_at: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox and the transcript, in the caller's transaction.

    `window_opened_at`: the recipient's last inbound message as the caller knows it (a reply to a
    chat): the router may trust it instead of asking the database (WINDOW_OPENED_KEY)."""
    payload = to_payload(message)
    if window_opened_at is not None:
        payload[WINDOW_OPENED_KEY] = window_opened_at.isoformat()
    row = OutboxMessage(
        channel=str(message.channel),
        recipient=message.recipient,
        payload=payload,
        kind=message.kind,
        ticket_id=ticket_id,
        conversation_id=conversation_id,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.add(
        Message(
            conversation_id=conversation_id,
            ticket_id=ticket_id,
            outbox_id=row.id,
            direction="out",
            channel=str(message.channel),
            author=author,
            agent_id=agent_id,
            text=message.text,
            status="queued",
            created_at=now,
        )
    )
    mark_written(session)
    return row


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter, capped, and a maximum number of attempts."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    max_seconds: float = 600.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt number `attempts + 1` (never less than retry_after)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        jittered = self.rng.uniform(ceiling / 2, ceiling)
        return max(jittered, retry_after or 0.0)


def _rowcount(result: Any) -> int:
    """Rows an UPDATE matched (a CursorResult's rowcount)."""
    return int(result.rowcount or 0)


def _claimed_under(tokens: Collection[str]) -> Any:
    """Rows being sent under one of these claim tokens."""
    return (OutboxMessage.claim_token.in_(list(tokens))) & (OutboxMessage.status == OutboxStatus.SENDING)


# The outcome of a first, whole send (OutboxWorker._record_first_send): built once, no ORM objects.
_MARK_SENT = text(
    "UPDATE outbox SET status = :sent, sent_at = :now, locked_until = NULL, last_error = NULL,"
    " claim_token = NULL, provider_message_ids = :ids"
    " WHERE id = :id AND claim_token = :token AND status = :sending RETURNING id"
).bindparams(
    bindparam("now", type_=UTCDateTime()),
    bindparam("ids", type_=JSON()),
    bindparam("sent", value=str(OutboxStatus.SENT)),
    bindparam("sending", value=str(OutboxStatus.SENDING)),
)
_TRANSCRIPT_SENT = text(
    "UPDATE messages SET provider_message_id = :sid, status = :status"
    " WHERE id = (SELECT min(id) FROM messages WHERE outbox_id = :outbox_id)"
    " AND provider_message_id IS NULL"
)

# A hook run just before sending; it may rewrite the message (templates) or return None to hold it.
Router = Callable[[Session, OutboxMessage, OutboundMessage, datetime], OutboundMessage | None]


@dataclass(frozen=True, slots=True)
class Claim:
    """A batch of rows leased to one worker, and the token that proves the lease is still its own."""

    token: str
    row_ids: list[int]


# Called when a customer's message of a ticket is buried (dead letter): (session, row, reason, now).
DeadLetterHook = Callable[[Session, OutboxMessage, str, datetime], None]


class OutboxWorker:
    """Claims due outbox rows (SKIP LOCKED on PostgreSQL), sends them, records the outcome."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        senders: Mapping[str, OutboundChannel],
        *,
        clock: Clock,
        policy: RetryPolicy | None = None,
        batch_size: int = 20,
        lease_seconds: float = 15.0,
        router: Router | None = None,
        media_links: MediaLinks | None = None,
        conversation_ids: Collection[int] | None = None,
        on_dead: DeadLetterHook | None = None,
    ) -> None:
        """`conversation_ids` restricts the customer messages this worker sends to those conversations
        (a terminal simulator sends only its own chat's); rows of no conversation (alerts) still go.
        `on_dead` runs in the transaction that buries a customer's message of a ticket (agents' alert)."""
        self.session_factory = session_factory
        self.senders = senders
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.router = router
        self.media_links = media_links
        self.conversation_ids = None if conversation_ids is None else sorted(conversation_ids)
        self.on_dead = on_dead
        # A worker claims only what it can send: rows of other channels wait for a worker that can.
        self._claims = ClaimRunner(
            HeadClaim(
                OutboxMessage,
                ("channel", "recipient"),
                pending=OutboxStatus.PENDING,
                working=OutboxStatus.SENDING,
                order_by="h.next_attempt_at, h.id",
                channels=list(senders),
                conversation_ids=self.conversation_ids,  # a terminal simulator: its chat, plus alerts
            )
        )

    def run_once(self) -> int:
        """Deliver one batch of due messages; return how many were attempted."""
        claim = self.claim()
        for row_id in claim.row_ids:
            try:
                self.deliver(row_id, claim.token)
            except Exception:  # one row's failure must not stall the rest of the batch
                log.exception("outbox %s: delivery bookkeeping failed; the lease will expire", row_id)
        return len(claim.row_ids)

    def claim(self, limit: int | None = None) -> Claim:
        """Lease the due head of each chat to this worker (one token for the batch), in one statement.

        Only the oldest unsent row of a chat (channel + recipient) may be claimed: a row waiting for a
        retry, or being sent by another worker, holds the rows behind it in that chat and no other.
        """
        token = uuid.uuid4().hex
        if not self.senders:
            return Claim(token, [])
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            rows = self._claims.run(
                session, now=now, until=now + self.lease, token=token, limit=limit or self.batch_size
            )
        return Claim(token, [int(row.id) for row in rows])

    def renew(self, tokens: Collection[str]) -> int:
        """Extend the lease of every row still claimed under `tokens`; return how many."""
        if not tokens:
            return 0
        with unit_of_work(self.session_factory) as session:
            statement = (
                update(OutboxMessage)
                .where(_claimed_under(tokens))
                .values(locked_until=self.clock() + self.lease)
            )
            return _rowcount(session.execute(statement))

    def release(self, tokens: Collection[str]) -> int:
        """Give back every row still claimed under `tokens` (due at once, for any worker); return how many."""
        if not tokens:
            return 0
        with unit_of_work(self.session_factory) as session:
            statement = (
                update(OutboxMessage)
                .where(_claimed_under(tokens))
                .values(status=OutboxStatus.PENDING, claim_token=None, locked_until=None)
            )
            released = _rowcount(session.execute(statement))
            if released:
                mark_written(session)
            return released

    def deliver(self, row_id: int, token: str) -> None:
        """Send one claimed row and record success, retry or dead letter.

        Routing and recording are two short transactions; the provider call between them holds no
        database lock, so webhooks of the same customer never wait for a send. Both check the claim
        token: a row whose lease expired and that another worker took is left to that worker.
        """
        try:
            prepared = self._prepare(row_id, token)
        except Exception as exc:  # a routing bug or a bad payload: count it like a failed attempt
            log.exception("outbox %s: could not prepare the message", row_id)
            self._record(row_id, token, exc, count_attempt=True)
            return
        if prepared is None:
            return
        message, fresh = prepared
        sender = self.senders.get(message.channel)
        try:
            if sender is None:
                raise PermanentSendError(f"channel {message.channel} is not configured")
            outcome: SendResult | Exception = sender.send(message)
        except Exception as exc:  # recorded below; an adapter bug must not kill the worker
            if not isinstance(exc, TransientSendError | PermanentSendError):
                log.exception("outbox %s: unexpected error from %s sender", row_id, message.channel)
            outcome = exc
        ids = self._record_first_send(row_id, token, outcome) if fresh else None
        if ids is None:
            ids = self._record(row_id, token, outcome)
        on_sent = getattr(self.router, "on_sent", None)
        if ids and on_sent is not None:
            # Its own transaction, after the ids are committed: a status callback that raced the send
            # either sees the ids or has committed its early status by now
            # (see intake.delivery.whatsapp_window).
            with unit_of_work(self.session_factory) as session:
                on_sent(session, row_id, ids, self.clock())

    def _prepare(self, row_id: int, token: str) -> tuple[OutboundMessage, bool] | None:
        """Route a claimed row (template, hold or as is), renew its lease and return what to send, and
        whether no part of it went out yet (see _record_first_send); None: nothing to send."""
        with unit_of_work(self.session_factory) as session:
            row = session.get(OutboxMessage, row_id, with_for_update=True)
            if row is None or row.status != OutboxStatus.SENDING or row.claim_token != token:
                return None
            now = self.clock()
            row.locked_until = now + self.lease  # the lease covers this send, not the whole batch
            message = from_payload(row.payload)
            if self.router is not None:
                routed = self.router(session, row, message, now)
                if routed is None:
                    row.status, row.locked_until = OutboxStatus.HELD, None
                    return None
                message = routed
            message = thread_email(session, row, message, now)
            if message.media_attachment_id is not None and self.media_links is not None:
                # Signed now, not when queued: a held message may go out days later.
                message = replace(message, media_url=self.media_links.url_for(message.media_attachment_id))
            row.attempts += 1
            return message, not row.provider_message_ids

    def _record_first_send(
        self, row_id: int, token: str, outcome: SendResult | Exception
    ) -> list[str] | None:
        """The common outcome, recorded with two plain UPDATEs: a message sent whole as one provider
        message, on its first successful attempt. None: any other outcome, for `_record`."""
        if not isinstance(outcome, SendResult) or len(outcome.provider_message_ids) != 1:
            return None
        (sid,) = outcome.provider_message_ids
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            sent = session.execute(_MARK_SENT, {"id": row_id, "token": token, "now": now, "ids": [sid]})
            if sent.first() is None:
                log.warning("outbox %s: lease lost during the send; outcome left to the new owner", row_id)
                return []
            session.execute(_TRANSCRIPT_SENT, {"outbox_id": row_id, "sid": sid, "status": outcome.status})
        return [sid]

    def _record(
        self, row_id: int, token: str, outcome: SendResult | Exception, *, count_attempt: bool = False
    ) -> list[str]:
        """Record the outcome of an attempt; return the provider ids it recorded."""
        with unit_of_work(self.session_factory) as session:
            row = session.get(OutboxMessage, row_id, with_for_update=True)
            if row is None or row.status != OutboxStatus.SENDING or row.claim_token != token:
                log.warning("outbox %s: lease lost during the send; outcome left to the new owner", row_id)
                return []
            row.claim_token = None
            if count_attempt:
                row.attempts += 1
            if isinstance(outcome, SendResult):
                self._mark_sent(session, row, outcome)
                return list(outcome.provider_message_ids)
            if isinstance(outcome, TransientSendError):
                self._keep_progress(session, row, outcome.sent_ids)
                self._retry_or_bury(session, row, outcome.reason, outcome.retry_after)
                return list(outcome.sent_ids)
            if isinstance(outcome, OutsideWindowError):
                self._outside_window(session, row, outcome)
            elif isinstance(outcome, PermanentSendError):
                self._bury(session, row, outcome.reason, outcome.code)
            else:
                self._retry_or_bury(session, row, f"unexpected {type(outcome).__name__}", None)
            return []

    def _outside_window(self, session: Session, row: OutboxMessage, exc: OutsideWindowError) -> None:
        reroute = getattr(self.router, "reroute_outside_window", None)
        if reroute is None:
            self._bury(session, row, exc.reason, exc.code)
            return
        # The router re-sends it as a template (this row stays dead) or holds it for later.
        row.status, row.locked_until, row.last_error = OutboxStatus.DEAD, None, exc.reason
        reroute(session, row, self.clock())

    def _keep_progress(self, session: Session, row: OutboxMessage, sent_ids: tuple[str, ...]) -> None:
        """Remember the parts of a split message that went out, so the retry sends only the rest."""
        if not sent_ids:
            return
        payload = dict(row.payload)
        payload["skip_parts"] = int(payload.get("skip_parts") or 0) + len(sent_ids)
        row.payload = payload
        self._record_ids(session, row, list(sent_ids), "sent")
        row.provider_message_ids = [*(row.provider_message_ids or []), *sent_ids]

    def _mark_sent(self, session: Session, row: OutboxMessage, result: SendResult) -> None:
        row.status, row.sent_at, row.locked_until = OutboxStatus.SENT, self.clock(), None
        row.last_error = None
        self._record_ids(session, row, list(result.provider_message_ids), result.status)
        row.provider_message_ids = [*(row.provider_message_ids or []), *result.provider_message_ids]

    def _record_ids(self, session: Session, row: OutboxMessage, ids: list[str], status: str) -> None:
        """Put provider ids on the transcript (one message row per part) and apply early callbacks."""
        transcript = session.scalars(select(Message).where(Message.outbox_id == row.id).order_by(Message.id))
        first = next(iter(transcript), None)
        pending = list(ids)
        if first is not None and first.provider_message_id is None:
            first.provider_message_id, first.status = (pending.pop(0) if pending else None), status
        for extra in pending:
            session.add(
                Message(
                    conversation_id=row.conversation_id,
                    ticket_id=row.ticket_id,
                    outbox_id=row.id,
                    direction="out",
                    channel=row.channel,
                    author=Actor.BOT,
                    provider_message_id=extra,
                    text="",
                    status=status,
                    created_at=self.clock(),
                )
            )

    def _retry_or_bury(
        self, session: Session, row: OutboxMessage, reason: str, retry_after: float | None
    ) -> None:
        if row.attempts >= self.policy.max_attempts:
            self._bury(session, row, f"gave up after {row.attempts} attempts: {reason}", None)
            return
        delay = self.policy.delay(row.attempts, retry_after)
        row.status, row.locked_until, row.last_error = OutboxStatus.PENDING, None, reason
        row.next_attempt_at = self.clock() + timedelta(seconds=delay)
        log.info("outbox %s: attempt %s failed (%s), retry in %.1fs", row.id, row.attempts, reason, delay)

    def _bury(self, session: Session, row: OutboxMessage, reason: str, code: str | None) -> None:
        now = self.clock()
        row.status, row.locked_until, row.last_error = OutboxStatus.DEAD, None, reason
        log.warning("outbox %s: dead letter (%s)", row.id, reason)
        undelivered = select(Message).where(
            Message.outbox_id == row.id, Message.provider_message_id.is_(None)
        )
        for transcript in session.scalars(undelivered):  # parts that did go out keep their status
            transcript.status, transcript.error_code = "failed", code
        if row.ticket_id is not None:
            body = f"Message to customer on {row.channel} not delivered: {reason}"
            data = {"outbox_id": row.id, "code": code}
            record_event(
                session, row.ticket_id, EventKind.DELIVERY_FAILED, Actor.SYSTEM, body, now=now, data=data
            )
            if self.on_dead is not None and row.conversation_id is not None:
                self.on_dead(session, row, reason, now)
