"""The console's texts for SLA clocks and events (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from intake.services.queue import ClockBadge, SlaBadge, Tone
from sla.clock import ClockState
from web.format import badge_text, badge_title, clock_text, duration, event_text

DUE = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
SANTIAGO = ZoneInfo("America/Santiago")


def clock(state: ClockState, remaining: float, name: str = "response") -> ClockBadge:
    return ClockBadge(name, state, 0.5, remaining, DUE)


def test_durations_are_business_hours_and_minutes() -> None:
    assert [duration(m) for m in (0, 7.4, 60, 65, 442, -8)] == [
        "0 min",
        "7 min",
        "1 h",
        "1 h 05 min",
        "7 h 22 min",
        "8 min",
    ]


def test_each_clock_state_reads_in_the_agent_s_language() -> None:
    assert clock_text(clock(ClockState.ON_TRACK, 30), "es") == "quedan 30 min"
    assert clock_text(clock(ClockState.ON_TRACK, 30), "en") == "30 min left"
    assert clock_text(clock(ClockState.BREACHED, -8), "es") == "vencido hace 8 min"
    assert clock_text(clock(ClockState.PAUSED, 336), "en") == "paused · 5 h 36 min left"
    assert clock_text(clock(ClockState.MET, 10), "es") == "cumplido"
    assert clock_text(None, "es") == "—"


def test_the_badge_names_the_urgent_clock_and_the_hover_both() -> None:
    response, resolution = clock(ClockState.BREACHED, -8), clock(ClockState.ON_TRACK, 300, "resolution")
    badge = SlaBadge(Tone.RED, response, response, resolution)
    assert badge_text(badge, "es") == "vencido hace 8 min"
    assert badge_title(badge, "en", SANTIAGO) == (
        "Response: breached 8 min ago (due 2026-03-02 09:30) · Resolution: 5 h left (due 2026-03-02 09:30)"
    )
    assert badge_text(SlaBadge(Tone.NONE, None, None, None, exempt=True), "es") == "exento de SLA"
    paused = clock(ClockState.PAUSED, 100, "resolution")
    assert badge_text(SlaBadge(Tone.GREY, paused, None, paused), "es") == "en pausa"


def test_status_changes_are_shown_in_words() -> None:
    assert event_text("status", "new → in_analysis", "es") == "nuevo → en análisis"
    assert event_text("status", "new → in_analysis", "en") == "new → in analysis"
    assert event_text("note", "a → b", "es") == "a → b"
