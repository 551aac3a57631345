"""Intervals of real time: clock pauses and contingency (force majeure) windows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sla.timeline import to_us


class TimeWindow(NamedTuple):
    """Half-open interval of real time ``[start, end)``; ``end=None`` means still running."""

    start: datetime
    end: datetime | None = None


Pause = TimeWindow
"""A pause of an SLA clock (waiting on the customer, contingency)."""

WindowLike = tuple[datetime, datetime | None]
"""Any (start, end-or-None) pair; TimeWindow is one."""


def window_contains(window: WindowLike, instant: datetime) -> bool:
    """Whether an instant lies inside a window (start inclusive, end exclusive)."""
    start, end = window_bounds(window)
    t = to_us(instant)
    return start <= t and (end is None or t < end)


def window_overlaps(window: WindowLike, start: datetime, end: datetime | None = None) -> bool:
    """Whether ``[start, end)`` (end None = still running) shares any instant with the window.

    An empty interval (start == end) is treated as the instant ``start``.
    """
    w_start, w_end = window_bounds(window)
    a = to_us(start)
    b = None if end is None else to_us(end)
    if b is not None and b < a:
        raise ValueError("interval ends before it starts")
    if b == a:
        return window_contains(window, start)
    return (b is None or w_start < b) and (w_end is None or a < w_end)


def touched_by_contingency(
    windows: Iterable[WindowLike], opened_at: datetime, closed_at: datetime | None = None
) -> bool:
    """Whether a ticket open during ``[opened_at, closed_at)`` meets any contingency window (exempt)."""
    return any(window_overlaps(window, opened_at, closed_at) for window in windows)


def window_bounds(window: WindowLike) -> tuple[int, int | None]:
    """A window as microseconds since the epoch, validated (aware, not ending before it starts)."""
    start, end = window
    a = to_us(start)
    if end is None:
        return a, None
    b = to_us(end)
    if b < a:
        raise ValueError(f"window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return a, b


def merged_windows(windows: Iterable[WindowLike]) -> list[tuple[int, int | None]]:
    """Windows as sorted, merged microsecond intervals (an open-ended window absorbs later ones)."""
    bounds = sorted((window_bounds(w) for w in windows), key=lambda bound: bound[0])
    merged: list[tuple[int, int | None]] = []
    for start, end in bounds:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end:
                new_end = None if end is None else max(end, last_end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((start, end))
    return merged
