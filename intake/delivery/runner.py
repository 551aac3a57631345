"""The long-running delivery loop: parallel sends across chats, woken by commits, leases kept alive.

One loop per worker process. It claims the due head of up to `concurrency` chats (see
`OutboxWorker.claim`) and sends each in a small thread pool, so several chats are in flight while
each chat stays in order (its next message is claimable only once the head is recorded). A send that
finishes wakes the loop at once, so a chat's next message follows without waiting for a poll.

Leases are short and renewed every third of their length while the loop lives: a crashed process's
claims expire within `lease_seconds` and another worker takes them over. On stop (SIGTERM, Ctrl-C)
the loop claims nothing more, lets sends in flight finish for up to `grace_seconds`, and releases
every claim it still holds, so another worker can send those messages immediately.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import timedelta
from typing import Protocol

from intake.delivery.outbox import Claim

log = logging.getLogger(__name__)

_STOP_CHECK_SECONDS = 0.2


class LeasedWork(Protocol):
    """Rows claimed under a renewable lease, handled one by one: the outbox's sends, the inbox's turns."""

    @property
    def lease(self) -> timedelta:
        """How long a claim lasts unless renewed."""
        ...

    def claim(self, limit: int | None = None) -> Claim:
        """Lease up to `limit` due rows (at most one per chat or sender)."""
        ...

    def deliver(self, row_id: int, token: str) -> None:
        """Handle one claimed row and record the outcome."""
        ...

    def renew(self, tokens: Collection[str]) -> int:
        """Extend the leases still held under `tokens`."""
        ...

    def release(self, tokens: Collection[str]) -> int:
        """Give back what is still claimed under `tokens`."""
        ...


class DeliveryLoop:
    """Keeps up to `concurrency` rows in flight, one per chat (or sender), until stopped."""

    def __init__(
        self,
        worker: LeasedWork,
        *,
        concurrency: int = 8,
        poll_seconds: float = 1.0,
        grace_seconds: float = 10.0,
        wake: threading.Event | None = None,
        name: str = "outbox",
    ) -> None:
        self.worker = worker
        self.name = name
        self.concurrency = max(1, concurrency)
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self.wake = wake or threading.Event()
        self._lock = threading.Lock()
        self._inflight: dict[int, str] = {}  # row id -> claim token, from claim until recorded
        self._futures: set[Future[None]] = set()
        self._stopping = threading.Event()

    @property
    def inflight(self) -> int:
        """Rows claimed by this loop and not yet recorded."""
        with self._lock:
            return len(self._inflight)

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; then finish or release every claim."""
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"{self.name}-work")
        renew_every = self.worker.lease.total_seconds() / 3
        next_renewal = time.monotonic() + renew_every
        try:
            while not stop.is_set():
                self.wake.clear()  # before claiming: a commit from now on wakes the wait below
                claimed = self._claim_into(pool)
                if time.monotonic() >= next_renewal:
                    self._renew()
                    next_renewal = time.monotonic() + renew_every
                if not claimed or self.inflight >= self.concurrency:
                    self._idle(stop, min(self.poll_seconds, renew_every))
        finally:
            self._shutdown(pool)

    def _claim_into(self, pool: ThreadPoolExecutor) -> int:
        free = self.concurrency - self.inflight
        if free <= 0:
            return 0
        try:
            claim = self.worker.claim(limit=free)
        except Exception:  # the database is away: try again after the poll interval
            log.exception("%s claim failed", self.name)
            return 0
        with self._lock:
            for row_id in claim.row_ids:
                self._inflight[row_id] = claim.token
        for row_id in claim.row_ids:
            future = pool.submit(self._send, row_id, claim.token)
            with self._lock:
                self._futures.add(future)
            future.add_done_callback(self._forget)
        return len(claim.row_ids)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _send(self, row_id: int, token: str) -> None:
        if self._stopping.is_set():
            return  # not started: stays claimed and is released by _shutdown
        try:
            self.worker.deliver(row_id, token)
        except Exception:  # recorded by the lease: another attempt happens when it expires
            log.exception("%s %s: bookkeeping failed; the lease will expire", self.name, row_id)
        finally:
            with self._lock:
                self._inflight.pop(row_id, None)
            self.wake.set()  # this chat's next message (and a free slot) may be claimed now

    def _idle(self, stop: threading.Event, seconds: float) -> None:
        """Wait for a wake-up, the stop signal or `seconds`, whichever comes first."""
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self.wake.wait(min(left, _STOP_CHECK_SECONDS)):
                return

    def _renew(self) -> None:
        with self._lock:
            tokens = set(self._inflight.values())
        try:
            self.worker.renew(tokens)
        except Exception:
            log.exception("%s lease renewal failed", self.name)

    def _shutdown(self, pool: ThreadPoolExecutor) -> None:
        """Let sends in flight finish (up to the grace period), then release whatever is still claimed."""
        self._stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            running = set(self._futures)
        _, pending = wait_futures(running, timeout=self.grace_seconds)
        if pending:
            grace = self.grace_seconds
            log.warning(
                "%s: %d row(s) still in flight after %.0fs; releasing them", self.name, len(pending), grace
            )
        with self._lock:
            tokens = set(self._inflight.values())
        try:
            released = self.worker.release(tokens)
        except Exception:  # the leases expire on their own
            log.exception("%s: could not release claims on stop", self.name)
            return
        if released:
            log.info("%s: released %d claimed message(s) on stop", self.name, released)
