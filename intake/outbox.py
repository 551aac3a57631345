"""The transactional outbox: enqueue in the caller's transaction, deliver from a worker with retries."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel, Option
from channels.base import (
    ChannelAdapter,
    OutboundMessage,
    OutsideWindowError,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from intake.db import unit_of_work
from intake.models import Message, OutboxMessage, TicketEvent

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


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
    return OutboundMessage(**values)


def enqueue(
    session: Session,
    message: OutboundMessage,
    *,
    now: datetime,
    ticket_id: int | None = None,
    conversation_id: int | None = None,
    author: str = "bot",
    agent_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the outbox and the transcript, in the caller's transaction."""
    row = OutboxMessage(
        channel=str(message.channel),
        recipient=message.recipient,
        payload=to_payload(message),
        kind=message.kind,
        ticket_id=ticket_id,
        conversation_id=conversation_id,
        status="pending",
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


# A hook run just before sending; it may rewrite the message (templates) or return None to hold it.
Router = Callable[[Session, OutboxMessage, OutboundMessage, datetime], OutboundMessage | None]


class OutboxWorker:
    """Claims due outbox rows (SKIP LOCKED on PostgreSQL), sends them, records the outcome."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        senders: Mapping[str, ChannelAdapter],
        *,
        clock: Clock,
        policy: RetryPolicy | None = None,
        batch_size: int = 20,
        lease_seconds: float = 120.0,
        router: Router | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.senders = senders
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.router = router

    def run_once(self) -> int:
        """Deliver one batch of due messages; return how many were attempted."""
        claimed = self.claim()
        for row_id in claimed:
            self.deliver(row_id)
        return len(claimed)

    def claim(self) -> list[int]:
        """Lease a batch of due rows to this worker in one short transaction."""
        now = self.clock()
        due = or_(
            (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == "sending") & (OutboxMessage.locked_until <= now),
        )
        # A worker claims only what it can send: rows of other channels wait for a worker that can.
        query = (
            select(OutboxMessage)
            .where(due, OutboxMessage.channel.in_(list(self.senders)))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        with unit_of_work(self.session_factory) as session:
            rows = list(session.scalars(query))
            for row in rows:
                row.status = "sending"
                row.locked_until = now + self.lease
            return [row.id for row in rows]

    def deliver(self, row_id: int) -> None:
        """Send one claimed row and record success, retry or dead letter.

        Routing and recording are two short transactions; the provider call between them holds no
        database lock, so webhooks of the same customer never wait for a send.
        """
        message = self._prepare(row_id)
        if message is None:
            return
        sender = self.senders.get(message.channel)
        try:
            if sender is None:
                raise PermanentSendError(f"channel {message.channel} is not configured")
            outcome: SendResult | Exception = sender.send(message)
        except Exception as exc:  # recorded below; an adapter bug must not kill the worker
            if not isinstance(exc, TransientSendError | PermanentSendError):
                log.exception("outbox %s: unexpected error from %s sender", row_id, message.channel)
            outcome = exc
        self._record(row_id, outcome)

    def _prepare(self, row_id: int) -> OutboundMessage | None:
        """Route a claimed row (template, hold or as is) and return what to send, or None."""
        with unit_of_work(self.session_factory) as session:
            row = session.get(OutboxMessage, row_id, with_for_update=True)
            if row is None or row.status != "sending":
                return None
            message = from_payload(row.payload)
            if self.router is not None:
                routed = self.router(session, row, message, self.clock())
                if routed is None:
                    row.status, row.locked_until = "held", None
                    return None
                message = routed
            row.attempts += 1
            return message

    def _record(self, row_id: int, outcome: SendResult | Exception) -> None:
        with unit_of_work(self.session_factory) as session:
            row = session.get(OutboxMessage, row_id, with_for_update=True)
            if row is None:
                return
            if isinstance(outcome, SendResult):
                self._mark_sent(session, row, outcome)
            elif isinstance(outcome, TransientSendError):
                self._keep_progress(session, row, outcome.sent_ids)
                self._retry_or_bury(session, row, outcome.reason, outcome.retry_after)
            elif isinstance(outcome, OutsideWindowError):
                self._outside_window(session, row, outcome)
            elif isinstance(outcome, PermanentSendError):
                self._bury(session, row, outcome.reason, outcome.code)
            else:
                self._retry_or_bury(session, row, f"unexpected {type(outcome).__name__}", None)

    def _outside_window(self, session: Session, row: OutboxMessage, exc: OutsideWindowError) -> None:
        reroute = getattr(self.router, "reroute_outside_window", None)
        if reroute is None:
            self._bury(session, row, exc.reason, exc.code)
            return
        # The router re-sends it as a template (this row stays dead) or holds it for later.
        row.status, row.locked_until, row.last_error = "dead", None, exc.reason
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
        row.status, row.sent_at, row.locked_until = "sent", self.clock(), None
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
                    author="bot",
                    provider_message_id=extra,
                    text="",
                    status=status,
                    created_at=self.clock(),
                )
            )
        on_sent = getattr(self.router, "on_sent", None)
        if on_sent is not None and ids:
            session.flush()
            on_sent(session, row, ids, self.clock())

    def _retry_or_bury(
        self, session: Session, row: OutboxMessage, reason: str, retry_after: float | None
    ) -> None:
        if row.attempts >= self.policy.max_attempts:
            self._bury(session, row, f"gave up after {row.attempts} attempts: {reason}", None)
            return
        delay = self.policy.delay(row.attempts, retry_after)
        row.status, row.locked_until, row.last_error = "pending", None, reason
        row.next_attempt_at = self.clock() + timedelta(seconds=delay)
        log.info("outbox %s: attempt %s failed (%s), retry in %.1fs", row.id, row.attempts, reason, delay)

    def _bury(self, session: Session, row: OutboxMessage, reason: str, code: str | None) -> None:
        now = self.clock()
        row.status, row.locked_until, row.last_error = "dead", None, reason
        log.warning("outbox %s: dead letter (%s)", row.id, reason)
        for transcript in session.scalars(select(Message).where(Message.outbox_id == row.id)):
            transcript.status, transcript.error_code = "failed", code
        if row.ticket_id is not None:
            session.add(
                TicketEvent(
                    ticket_id=row.ticket_id,
                    kind="delivery_failed",
                    actor="system",
                    body=f"Message to customer on {row.channel} not delivered: {reason}",
                    data={"outbox_id": row.id, "code": code},
                    created_at=now,
                )
            )
