"""In-process send limits for Telegram: per chat, per group chat and overall (sliding windows)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` sends in any window of `seconds`."""

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds <= 0:
            raise ValueError("a rate needs count ≥ 1 and seconds > 0")


@dataclass(frozen=True, slots=True)
class TelegramRateLimits:
    """Telegram's published limits; `max_wait` caps how long one send may block."""

    per_chat: Rate = Rate(1, 1.0)
    per_group: Rate = Rate(20, 60.0)
    overall: Rate = Rate(30, 1.0)
    max_wait: float = 5.0


class RateLimitedError(Exception):
    """Sending now would exceed a limit for longer than `max_wait`; retry after `retry_after`."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"local rate limit, retry in {retry_after:.2f}s")
        self.retry_after = retry_after


class _Window:
    """Send times inside the last `rate.seconds`."""

    __slots__ = ("rate", "times")

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.times: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Seconds until one more send fits in the window."""
        # Compare as "start + length <= now" (not "start <= now - length"): floats round both ways.
        while self.times and self.times[0] + self.rate.seconds <= now:
            self.times.popleft()
        if len(self.times) < self.rate.count:
            return 0.0
        return self.times[0] + self.rate.seconds - now

    def idle(self, now: float) -> bool:
        """True when nothing in the window still counts."""
        return not self.times or self.times[-1] + self.rate.seconds <= now


def is_group_chat(chat_id: str | int) -> bool:
    """Group and supergroup (and channel) chat ids are negative; user chats are positive."""
    return str(chat_id).startswith("-")


class TelegramRateLimiter:
    """Blocks (with an injectable clock and sleep) until a send to a chat respects every limit."""

    _PRUNE_ABOVE = 5000

    def __init__(
        self,
        limits: TelegramRateLimits | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.limits = limits or TelegramRateLimits()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._overall = _Window(self.limits.overall)
        self._chats: dict[str, _Window] = {}
        self._groups: dict[str, _Window] = {}

    def acquire(self, chat_id: str | int, *, bounded: bool = True) -> float:
        """Wait until a message to `chat_id` may go; return the seconds waited.

        With `bounded`, raise RateLimitedError instead of waiting longer than `max_wait`.
        """
        waited = 0.0
        while True:
            with self._lock:
                wait = self._try_take(str(chat_id))
            if wait <= 0:
                return waited
            if bounded and waited + wait > self.limits.max_wait:
                raise RateLimitedError(wait)
            self._sleep(wait)
            waited += wait

    def take_overall(self) -> None:
        """Count a call that is not a chat message (e.g. answerCallbackQuery) against the total."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._overall.wait_needed(now)
                if wait <= 0:
                    self._overall.times.append(now)
                    return
            self._sleep(wait)

    def _windows_for(self, chat: str) -> list[_Window]:
        windows = [self._overall, self._chats.setdefault(chat, _Window(self.limits.per_chat))]
        if is_group_chat(chat):
            windows.append(self._groups.setdefault(chat, _Window(self.limits.per_group)))
        return windows

    def _try_take(self, chat: str) -> float:
        now = self._clock()
        windows = self._windows_for(chat)
        wait = max(window.wait_needed(now) for window in windows)
        if wait <= 0:
            for window in windows:
                window.times.append(now)
            self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        for table in (self._chats, self._groups):
            if len(table) > self._PRUNE_ABOVE:
                for chat in [c for c, w in table.items() if w.idle(now)]:
                    del table[chat]
