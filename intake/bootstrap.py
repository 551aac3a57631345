"""The composition root: builds engine, session factory, channel adapters and the worker from settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channels.base import ChannelAdapter
from intake.config import Settings
from intake.db import make_engine, make_session_factory
from intake.models import utcnow
from intake.outbox import OutboxWorker, RetryPolicy

log = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything the app, the worker and the CLI share; built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow
    adapters: dict[str, ChannelAdapter] = field(default_factory=dict)

    def make_worker(self) -> OutboxWorker:
        """An outbox worker wired to this container's adapters and settings."""
        s = self.settings
        policy = RetryPolicy(
            s.outbox_max_attempts, s.outbox_backoff_base_seconds, s.outbox_backoff_max_seconds
        )
        return OutboxWorker(
            self.session_factory,
            self.adapters,
            clock=self.clock,
            policy=policy,
            batch_size=s.outbox_batch_size,
        )

    def close(self) -> None:
        """Release adapters' resources and the connection pool."""
        for adapter in self.adapters.values():
            closer = getattr(adapter, "close", None)
            if callable(closer):
                closer()
        self.engine.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    adapters: dict[str, ChannelAdapter] | None = None,
) -> Container:
    """Wire the application from settings; tests pass their own clock and adapters."""
    engine = make_engine(settings.database_url)
    container = Container(settings, engine, make_session_factory(engine), clock)
    container.adapters = adapters if adapters is not None else {}
    return container


def run_background_loops(container: Container, stop: threading.Event) -> list[threading.Thread]:
    """Start the outbox worker loop in a daemon thread (the embedded single-process mode)."""
    worker = container.make_worker()

    def loop() -> None:
        while not stop.is_set():
            try:
                busy = worker.run_once()
            except Exception:  # keep the loop alive; the failure is logged and retried next tick
                log.exception("outbox worker iteration failed")
                busy = 0
            if not busy:
                stop.wait(container.settings.worker_poll_seconds)

    thread = threading.Thread(target=loop, name="outbox-worker", daemon=True)
    thread.start()
    return [thread]
