"""One settable fake clock for every test, and a recorder of the sleeps code asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A settable clock for tests: `now()` returns the current fake instant."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        """Move time forward by a timedelta's keyword arguments."""
        self.current += timedelta(**kwargs)
        return self.current


class Sleeps:
    """Records the backoff code asked for instead of sleeping (pass as its `sleep`)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class FakeMonotonic:
    """A monotonic clock (float seconds) that moves only when code sleeps on it or a test sets `now`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the sleep and advance the clock instead of waiting; a sleep must be positive."""
        assert seconds > 0, f"asked to sleep {seconds}s"
        self.sleeps.append(seconds)
        self.now += seconds


class VirtualTime:
    """A monotonic clock and sleep for the Telegram adapter's rate limiter and retries: waits cost nothing."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        """The virtual monotonic time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move virtual time forward."""
        self.slept.append(seconds)
        self.now += seconds
