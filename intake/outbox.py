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
        """Send one claimed row and record success, retry or dead letter."""
        with unit_of_work(self.session_factory) as session:
            # Locked until the outcome is committed: a status callback that overtakes it waits for the sid.
            row = session.get(OutboxMessage, row_id, with_for_update=True)
            if row is None or row.status != "sending":
                return
            message = from_payload(row.payload)
            if self.router is not None:
                routed = self.router(session, row, message, self.clock())
                if routed is None:
                    row.status, row.locked_until = "held", None
                    return
                message = routed
            self._attempt(session, row, message)

    def _attempt(self, session: Session, row: OutboxMessage, message: OutboundMessage) -> None:
        sender = self.senders.get(row.channel)
        row.attempts += 1
        try:
            if sender is None:
                raise PermanentSendError(f"channel {row.channel} is not configured")
            result = sender.send(message)
        except TransientSendError as exc:
            self._retry_or_bury(session, row, exc.reason, exc.retry_after)
        except OutsideWindowError as exc:
            reroute = getattr(self.router, "reroute_outside_window", None)
            if reroute is None:
                self._bury(session, row, exc.reason, exc.code)
            else:  # the router re-sends it as a template (this row stays dead) or holds it for later
                row.status, row.locked_until, row.last_error = "dead", None, exc.reason
                reroute(session, row, self.clock())
        except PermanentSendError as exc:
            self._bury(session, row, exc.reason, exc.code)
        except Exception as exc:  # an adapter bug must not kill the worker; retry it like a glitch
            log.exception("outbox %s: unexpected error from %s sender", row.id, row.channel)
            self._retry_or_bury(session, row, f"unexpected {type(exc).__name__}", None)
        else:
            self._mark_sent(session, row, result)

    def _mark_sent(self, session: Session, row: OutboxMessage, result: SendResult) -> None:
        now = self.clock()
        row.status, row.sent_at, row.locked_until = "sent", now, None
        row.provider_message_ids = list(result.provider_message_ids)
        row.last_error = None
        transcript = session.scalars(select(Message).where(Message.outbox_id == row.id)).first()
        ids: list[str | None] = [*result.provider_message_ids] or [None]
        if transcript is not None:
            transcript.provider_message_id, transcript.status = ids[0], result.status
        for extra in ids[1:]:
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
                    status=result.status,
                    created_at=now,
                )
            )

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
