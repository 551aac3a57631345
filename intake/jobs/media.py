"""Downloads customers' files from providers in the worker, with retries, limits and hash-named storage."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import InboundMedia, MediaKind
from channels.base import MediaRefusedError, MediaSource, PermanentSendError, TransientSendError
from intake.db import unit_of_work
from intake.db.models import Attachment, TicketEvent
from intake.db.storage import FileStore
from intake.delivery.outbox import RetryPolicy
from intake.services.tickets import clip

log = logging.getLogger(__name__)

# Called in the job's transaction when a file is refused or cannot be fetched, to tell the customer.
RefusalHook = Callable[[Session, Attachment, str, datetime], None]


class MediaDownloadJob:
    """Claims pending attachments, downloads them through their channel's `MediaSource` and stores them."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        adapters: Mapping[str, object],
        store: FileStore,
        *,
        clock: Callable[[], datetime],
        policy: RetryPolicy | None = None,
        on_refused: RefusalHook | None = None,
        batch_size: int = 5,
        lease_seconds: float = 300.0,
    ) -> None:
        self.session_factory = session_factory
        self.adapters = adapters
        self.store = store
        self.clock = clock
        self.policy = policy or RetryPolicy(max_attempts=6, base_seconds=2, max_seconds=120)
        self.on_refused = on_refused
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)

    def run_once(self) -> int:
        """Fetch one batch of due attachments; return how many were attempted."""
        claimed = self._claim()
        for attachment_id in claimed:
            self._fetch(attachment_id)
        return len(claimed)

    def _claim(self) -> list[int]:
        now = self.clock()
        due = or_(
            (Attachment.status == "pending") & (Attachment.next_attempt_at <= now),
            (Attachment.status == "fetching") & (Attachment.locked_until <= now),
        )
        query = select(Attachment).where(due).order_by(Attachment.id).limit(self.batch_size)
        with unit_of_work(self.session_factory) as session:
            rows = list(session.scalars(query.with_for_update(skip_locked=True)))
            for row in rows:
                row.status, row.locked_until = "fetching", now + self.lease
            return [row.id for row in rows]

    def _fetch(self, attachment_id: int) -> None:
        with unit_of_work(self.session_factory) as session:
            row = session.get(Attachment, attachment_id)
            if row is None or row.status != "fetching":
                return
            row.attempts += 1
            adapter = self.adapters.get(row.origin)
            media = InboundMedia(
                ref=row.provider_ref,
                content_type=row.mime_type,
                kind=MediaKind(row.kind),
                filename=row.filename,
                size=row.size,
            )
            try:
                if adapter is None:
                    raise MediaRefusedError(f"channel {row.origin} is not configured", "not_configured")
                if not isinstance(adapter, MediaSource):
                    raise MediaRefusedError("not supported", "unsupported")
                downloaded = adapter.download(media)
            except MediaRefusedError as exc:
                self._refuse(session, row, exc.code, exc.reason)
            except PermanentSendError as exc:  # 401/403, redirect loops: retrying cannot help
                self._refuse(session, row, exc.code or "download_failed", exc.reason)
            except TransientSendError as exc:
                self._retry(session, row, exc.reason, exc.retry_after)
            except Exception as exc:  # an adapter bug must not kill the worker
                log.exception("attachment %s: unexpected download error", row.id)
                self._retry(session, row, f"unexpected {type(exc).__name__}", None)
            else:
                stored = self.store.put(downloaded.content, downloaded.content_type, downloaded.filename)
                row.status, row.locked_until = "stored", None
                row.storage_path, row.sha256, row.size = (
                    self.store.relative(stored),
                    stored.sha256,
                    stored.size,
                )
                row.mime_type = clip(downloaded.content_type, 120) or row.mime_type
                row.filename = clip(downloaded.filename, 255) or row.filename
                self._event(session, row, "attachment_stored", f"File stored ({stored.size} bytes)")

    def _retry(self, session: Session, row: Attachment, reason: str, retry_after: float | None) -> None:
        if row.attempts >= self.policy.max_attempts:
            self._refuse(session, row, "unavailable", f"could not download after {row.attempts} attempts")
            row.status = "failed"
            return
        row.status, row.locked_until = "pending", None
        row.next_attempt_at = self.clock() + timedelta(seconds=self.policy.delay(row.attempts, retry_after))
        log.info("attachment %s: attempt %s failed (%s)", row.id, row.attempts, reason)

    def _refuse(self, session: Session, row: Attachment, code: str, reason: str) -> None:
        row.status, row.locked_until, row.refusal_reason = "refused", None, clip(f"{code}: {reason}", 200)
        self._event(session, row, "attachment_refused", f"File not kept: {reason}")
        if self.on_refused is not None:
            self.on_refused(session, row, code, self.clock())

    def _event(self, session: Session, row: Attachment, kind: str, body: str) -> None:
        if row.ticket_id is not None:
            session.add(
                TicketEvent(
                    ticket_id=row.ticket_id,
                    kind=kind,
                    actor="system",
                    body=body,
                    data={"attachment_id": row.id},
                    created_at=self.clock(),
                )
            )
