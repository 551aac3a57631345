"""Template filters: business time left, local times, SLA badge texts (in the agent's language)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from intake.services.hours_bank import format_minutes
from intake.services.queue import ClockBadge, SlaBadge, Tone
from sla.clock import ClockState
from web.i18n import agent_language, translate


def duration(minutes: float) -> str:
    """Business minutes as `3 h 05 min`, `45 min` (absolute value)."""
    total = round(abs(minutes))
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def clock_text(clock: ClockBadge | None, language: str) -> str:
    """One clock in words: `2 h 10 min left`, `breached 15 min ago`, `paused`, `met`."""
    if clock is None:
        return "—"
    if clock.state == ClockState.MET:
        return translate("met", language)
    left = duration(clock.remaining_minutes)
    if clock.state == ClockState.BREACHED:
        return translate("breached {} ago", language).format(left)
    remaining = translate("{} left", language).format(left)
    if clock.state == ClockState.PAUSED:
        return f"{translate('paused', language)} · {remaining}"
    return remaining


def badge_text(badge: SlaBadge, language: str) -> str:
    """The badge's own text: the most urgent running clock."""
    if badge.exempt:
        return translate("SLA exempt", language)
    if badge.urgent is None:
        return "—"
    if badge.tone == Tone.GREY:
        return translate("paused", language)
    if badge.urgent.state == ClockState.BREACHED:
        return translate("breached {} ago", language).format(duration(badge.urgent.remaining_minutes))
    return duration(badge.urgent.remaining_minutes)


def event_text(kind: str | None, text: str, language: str) -> str:
    """An event's stored text for the page: a status change `new → in_analysis` in words."""
    if kind == "status" and " → " in text:
        return " → ".join(translate(part.strip(), language) for part in text.split(" → "))
    return text


def badge_title(badge: SlaBadge, language: str, zone: ZoneInfo) -> str:
    """Both clocks for the hover text."""
    parts = []
    for name, clock in (("Response", badge.response), ("Resolution", badge.resolution)):
        if clock is None:
            continue
        due = f" ({translate('due', language)} {local(clock.due, zone)})" if clock.due else ""
        parts.append(f"{translate(name, language)}: {clock_text(clock, language)}{due}")
    return " · ".join(parts) or translate("SLA exempt", language)


def local(instant: datetime | None, zone: ZoneInfo) -> str:
    """An instant in the desk's time zone, `2026-03-02 09:00`."""
    if instant is None:
        return "—"
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def init_format(app: Flask, zone: ZoneInfo) -> None:
    """Register the filters (in the signed-in agent's language and the desk's time zone)."""
    app.jinja_env.filters["local"] = lambda instant: local(instant, zone)
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["minutes"] = format_minutes  # signed: a bank balance may be below zero
    app.jinja_env.filters["badge_text"] = lambda badge: badge_text(badge, agent_language())
    app.jinja_env.filters["badge_title"] = lambda badge: badge_title(badge, agent_language(), zone)
    app.jinja_env.filters["clock_text"] = lambda clock: clock_text(clock, agent_language())
    app.jinja_env.globals["event_text"] = lambda kind, text: event_text(kind, text, agent_language())
