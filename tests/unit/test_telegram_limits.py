"""Telegram send limits with a fake clock: per chat, per group, overall, bounded waits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.telegram.limits import (
    Rate,
    RateLimitedError,
    TelegramRateLimiter,
    TelegramRateLimits,
    is_group_chat,
)
from tests.support.clock import FakeMonotonic


def limiter(clock: FakeMonotonic, **limits: object) -> TelegramRateLimiter:
    return TelegramRateLimiter(TelegramRateLimits(**limits), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def send_times(lim: TelegramRateLimiter, clock: FakeMonotonic, chats: list[int]) -> list[float]:
    times = []
    for chat in chats:
        lim.acquire(chat, bounded=False)
        times.append(clock.now)
    return times


def test_one_message_per_second_per_chat() -> None:
    clock = FakeMonotonic()
    assert send_times(limiter(clock), clock, [42, 42, 42]) == [0.0, 1.0, 2.0]


def test_different_private_chats_do_not_wait_for_each_other() -> None:
    clock = FakeMonotonic()
    assert send_times(limiter(clock), clock, [1, 2, 3, 4]) == [0.0, 0.0, 0.0, 0.0]
    assert clock.sleeps == []


def test_thirty_per_second_overall() -> None:
    clock = FakeMonotonic()
    times = send_times(limiter(clock), clock, list(range(1, 32)))
    assert times[:30] == [0.0] * 30
    assert times[30] == pytest.approx(1.0)


def test_twenty_per_minute_in_a_group() -> None:
    clock = FakeMonotonic()
    times = send_times(limiter(clock), clock, [-100123] * 21)
    assert times[:20] == [float(n) for n in range(20)]  # also 1/s as any chat
    assert times[20] == pytest.approx(60.0)  # the 21st waits until the first leaves the window


def test_a_busy_group_does_not_slow_private_chats() -> None:
    clock = FakeMonotonic()
    lim = limiter(clock)
    send_times(lim, clock, [-100123] * 20)
    before = clock.now
    lim.acquire(77)
    assert clock.now == before


def test_bounded_acquire_refuses_long_waits_with_retry_after() -> None:
    clock = FakeMonotonic()
    lim = limiter(clock, max_wait=5.0)
    send_times(lim, clock, [-100123] * 20)  # ends at t=19
    with pytest.raises(RateLimitedError) as info:
        lim.acquire(-100123)
    assert info.value.retry_after == pytest.approx(41.0)
    assert clock.now == 19.0  # nothing slept, nothing counted
    clock.now = 60.0
    assert lim.acquire(-100123) == 0.0


def test_bounded_acquire_waits_short_delays() -> None:
    clock = FakeMonotonic()
    lim = limiter(clock, max_wait=5.0)
    lim.acquire(5)
    assert lim.acquire(5) == pytest.approx(1.0)


def test_take_overall_counts_against_the_total_only() -> None:
    clock = FakeMonotonic()
    lim = limiter(clock, overall=Rate(2, 1.0))
    lim.take_overall()
    lim.take_overall()
    lim.acquire(9, bounded=False)
    assert clock.now == pytest.approx(1.0)


def test_rate_validation() -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate(0, 1.0)
    with pytest.raises(ValueError, match="rate"):
        Rate(1, 0)


def test_group_chat_ids_are_negative() -> None:
    assert is_group_chat(-1001987654321)
    assert is_group_chat("-42")
    assert not is_group_chat(5011223344)


@settings(max_examples=50, deadline=None)
@given(
    chats=st.lists(st.sampled_from([-1, -2, 3, 4, 5]), min_size=1, max_size=80),
    gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=80, max_size=80),
)
def test_no_window_ever_holds_more_than_its_limit(chats: list[int], gaps: list[float]) -> None:
    clock = FakeMonotonic()
    lim = limiter(clock, per_group=Rate(4, 10.0), overall=Rate(6, 1.0))
    log: list[tuple[float, int]] = []
    for chat, gap in zip(chats, gaps, strict=False):
        clock.now += gap
        lim.acquire(chat, bounded=False)
        log.append((clock.now, chat))

    def most_in_window(times: list[float], window: float) -> int:
        return max(sum(1 for t in times if start <= t < start + window) for start in times)

    for chat in set(chats):
        times = [t for t, c in log if c == chat]
        assert most_in_window(times, 1.0) <= 1
        if chat < 0:
            assert most_in_window(times, 10.0) <= 4
    assert most_in_window([t for t, _ in log], 1.0) <= 6
