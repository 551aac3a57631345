"""When a proposed solution is reminded or closed automatically, and when a survey is reminded (pure)."""

from __future__ import annotations

from datetime import datetime

from sla.calendar import BusinessCalendar
from sla.clock import add_business_time
from sla.priority import Budget

ONE_DAY = Budget(business_days=1)


def validation_action(
    cal: BusinessCalendar,
    proposed_at: datetime,
    reminded_at: datetime | None,
    now: datetime,
    close_after_days: int,
) -> str | None:
    """Return "remind" one business day after a proposed solution, "close" after N business days, else None.

    The customer always gets the reminder before the automatic close; a reminder that could only go
    out on or after the close date (one-day setting, sweeper down) pushes the close one business day
    after it.
    """
    if reminded_at is None:
        return "remind" if now >= add_business_time(cal, proposed_at, ONE_DAY) else None
    return "close" if now >= auto_close_at(cal, proposed_at, reminded_at, close_after_days) else None


def auto_close_at(
    cal: BusinessCalendar, proposed_at: datetime, reminded_at: datetime, close_after_days: int
) -> datetime:
    """When a solution reminded at reminded_at closes automatically: N business days after it was
    proposed, or one business day after a reminder that went out on or after that date."""
    close_at = add_business_time(cal, proposed_at, Budget(business_days=close_after_days))
    if reminded_at >= close_at:
        close_at = add_business_time(cal, reminded_at, ONE_DAY)
    return close_at


def survey_reminder_due(cal: BusinessCalendar, sent_at: datetime, now: datetime) -> bool:
    """Whether an unanswered survey waited one business day (its single reminder is due)."""
    return now >= add_business_time(cal, sent_at, ONE_DAY)
