"""The monthly service report, computed from plain facts (no database): figures per priority and in total.

Every figure is taken "as of the month's end" (the first instant of the next month in the desk's time
zone), so a month's report does not change when it is produced again later. Definitions (docs/report.md):

- opened: tickets opened in the month; closed: tickets whose status is closed with ``closed_at`` in it.
- SLA-exempt: tickets a contingency touched (``sla_exempt`` or a contingency pause): counted in opened and
  closed, never in the SLA percentages, medians or breaches (the contract promises no SLA for them).
- response: tickets opened in the month, not exempt nor cancelled; met when answered within the response
  budget of the ticket's calendar; breached when answered late or still unanswered past the budget at the
  month's end; still running otherwise (left out). Response times: opening → first response, business hours.
- resolution: tickets closed in the month, not exempt; resolution time = business time from opening to
  closing without the ticket's pauses (waiting on the customer, validation), as the SLA clock counts it.
- breaches: the clocks above that broke, plus tickets still open at the month's end past their resolution
  budget; each with what the ticket's history records (priority changes, SLA breach alerts, escalations).
- backlog: tickets opened before the month's end and not closed or cancelled by then, by whole days of age.
- reopen rate: tickets reopened in the month / tickets with a solution proposed in the month.
- surveys: surveys sent in the month, answers (with a rating) to them, their average rating.
- hours: time entries worked in the month (total, and charged to the bank); the bank: credits up to the
  month's end, time charged to it up to then, and the balance.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import BusinessCalendar
from sla.clock import ClockState, ClockStatus, clock_status
from sla.priority import Budget, Priority, Target

PRIORITIES: tuple[str, ...] = tuple(p.value for p in Priority)
TOTAL = "total"
ROWS: tuple[str, ...] = (*PRIORITIES, TOTAL)
BACKLOG_BUCKETS: tuple[str, ...] = ("0-2", "3-7", "8-30", ">30")
CLOSED, CANCELLED = "closed", "cancelled"


class ReportError(ValueError):
    """A report cannot be produced as asked (bad month, unknown company); the message says why."""


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month in the desk's time zone: [start, end) as aware datetimes."""

    year: int
    month: int
    tz: ZoneInfo

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo) -> Month:
        """``2026-11`` → the month; anything else raises ReportError."""
        try:
            year, month = (int(part) for part in text.strip().split("-"))
            date(year, month, 1)
        except ValueError:
            raise ReportError(f"a month is written YYYY-MM (for example 2026-11), got {text!r}") from None
        if not 2000 <= year <= 2100:
            raise ReportError(f"month {text!r} is out of range")
        return cls(year, month, tz)

    @property
    def label(self) -> str:
        """``2026-11``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        """The first instant of the month, in the desk's zone."""
        return datetime(self.year, self.month, 1, tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """The first instant of the next month, in the desk's zone."""
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(year, month, 1, tzinfo=self.tz)

    def contains(self, instant: datetime | None) -> bool:
        """Whether an instant falls in the month."""
        return instant is not None and self.start <= instant < self.end


# --- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PauseFacts:
    """A pause of a ticket's clock (``ended_at`` None while open)."""

    reason: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True, order=True)
class HistoryNote:
    """What a ticket's history records that explains a breach: a priority change (detail "P2 → P1: why"),
    a reopening or an escalation (detail: the comment), or an SLA breach alert (detail: the clock)."""

    at: datetime
    kind: str  # priority_changed | reopened | escalated | sla_alert
    detail: str


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the report needs to know about one ticket (its current priority, calendar and target)."""

    id: int
    number: str
    title: str
    company_id: int | None
    company: str
    priority: str
    status: str
    opened_at: datetime
    calendar: BusinessCalendar
    target: Target
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    sla_exempt: bool = False
    pauses: tuple[PauseFacts, ...] = ()
    solutions_proposed_at: tuple[datetime, ...] = ()
    reopened_at: tuple[datetime, ...] = ()
    survey_sent_at: datetime | None = None
    survey_rating: int | None = None
    # What the ticket's history records, in time order (see HistoryNote).
    history: tuple[HistoryNote, ...] = ()

    @property
    def exempt(self) -> bool:
        """Touched by a contingency: out of the SLA figures."""
        return self.sla_exempt or any(p.reason == "contingency" for p in self.pauses)


@dataclass(frozen=True, slots=True)
class TimeFacts:
    """A time entry: minutes worked on a ticket of a priority, maybe charged to the hours bank."""

    company_id: int | None
    priority: str
    minutes: int
    charged_to_bank: bool
    worked_at: datetime


@dataclass(frozen=True, slots=True)
class CreditFacts:
    """Minutes credited to a company's hours bank."""

    company_id: int
    minutes: int
    credited_at: datetime


# --- outputs ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriorityFigures:
    """One row of the report: a priority (or the total)."""

    priority: str
    opened: int = 0
    closed: int = 0
    exempt: int = 0
    response_met: int = 0
    response_measured: int = 0
    resolution_met: int = 0
    resolution_measured: int = 0
    response_median_hours: float | None = None
    response_p90_hours: float | None = None
    resolution_median_hours: float | None = None
    resolution_p90_hours: float | None = None
    backlog: tuple[int, int, int, int] = (0, 0, 0, 0)
    solutions: int = 0
    reopened: int = 0
    surveys_sent: int = 0
    surveys_answered: int = 0
    survey_average: float | None = None
    minutes_used: int = 0
    minutes_charged: int = 0

    @property
    def response_pct(self) -> float | None:
        """% answered within the response target (None when nothing was measured)."""
        return _pct(self.response_met, self.response_measured)

    @property
    def resolution_pct(self) -> float | None:
        """% resolved within the resolution target."""
        return _pct(self.resolution_met, self.resolution_measured)

    @property
    def backlog_total(self) -> int:
        """Tickets still open at the month's end."""
        return sum(self.backlog)

    @property
    def reopen_pct(self) -> float | None:
        """% of tickets with a solution proposed that were reopened."""
        return _pct(self.reopened, self.solutions)

    @property
    def survey_response_pct(self) -> float | None:
        """% of surveys sent that were answered."""
        return _pct(self.surveys_answered, self.surveys_sent)


@dataclass(frozen=True, slots=True)
class Breach:
    """A clock that broke: which ticket, which clock, how long against the target, and what history says."""

    number: str
    title: str
    company: str
    priority: str
    clock: str  # response | resolution
    elapsed_hours: float
    target_hours: float
    still_open: bool
    reasons: tuple[HistoryNote, ...]


@dataclass(frozen=True, slots=True)
class BankFigures:
    """The hours bank at the month's end (minutes)."""

    credited: int
    charged: int

    @property
    def balance(self) -> int:
        """Credits minus time charged to the bank, up to the month's end."""
        return self.credited - self.charged


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """The monthly service report of one company (or of the whole desk when company_id is None)."""

    month: Month
    company_id: int | None
    company: str
    rows: tuple[PriorityFigures, ...]
    breaches: tuple[Breach, ...]
    bank: BankFigures
    companies: tuple[str, ...] = field(default=())

    def row(self, priority: str) -> PriorityFigures:
        """The row of a priority ("P1"…"P5") or of the total ("total")."""
        return next(r for r in self.rows if r.priority == priority)

    @property
    def total(self) -> PriorityFigures:
        """The total row."""
        return self.row(TOTAL)


# --- the computation --------------------------------------------------------------------------------


def monthly_report(
    month: Month,
    company_id: int | None,
    company: str,
    tickets: Iterable[TicketFacts],
    times: Iterable[TimeFacts],
    credits: Iterable[CreditFacts],
) -> MonthlyReport:
    """The report for one company (company_id) or the whole desk (None) from the facts given."""
    mine = [t for t in tickets if company_id is None or t.company_id == company_id]
    entries = [e for e in times if company_id is None or e.company_id == company_id]
    bank_credits = [c for c in credits if company_id is None or c.company_id == company_id]
    rows = [
        _figures(p, [t for t in mine if t.priority == p], [e for e in entries if e.priority == p], month)
        for p in PRIORITIES
    ]
    rows.append(_figures(TOTAL, mine, entries, month))
    breaches = sorted(
        (b for t in mine for b in _breaches(t, month)), key=lambda b: (b.priority, b.number, b.clock)
    )
    bank = BankFigures(
        credited=sum(c.minutes for c in bank_credits if c.credited_at < month.end),
        charged=sum(e.minutes for e in entries if e.charged_to_bank and e.worked_at < month.end),
    )
    return MonthlyReport(month, company_id, company, tuple(rows), tuple(breaches), bank)


def _figures(
    priority: str, tickets: Sequence[TicketFacts], entries: Sequence[TimeFacts], month: Month
) -> PriorityFigures:
    opened = [t for t in tickets if month.contains(t.opened_at)]
    closed = [t for t in tickets if t.status == CLOSED and month.contains(t.closed_at)]
    answered, responses = _responses(tickets, month)
    resolutions = [_resolution(t) for t in closed if not t.exempt]
    surveyed = [t for t in tickets if month.contains(t.survey_sent_at)]
    ratings = [t.survey_rating for t in surveyed if t.survey_rating is not None]
    proposed = [t for t in tickets if any(month.contains(at) for at in t.solutions_proposed_at)]
    in_month = [e for e in entries if month.contains(e.worked_at)]
    return PriorityFigures(
        priority=priority,
        opened=len(opened),
        closed=len(closed),
        exempt=sum(1 for t in opened if t.exempt),
        response_met=sum(1 for met, _ in responses if met),
        response_measured=len(responses),
        resolution_met=sum(1 for met, _ in resolutions if met),
        resolution_measured=len(resolutions),
        response_median_hours=_median(answered),
        response_p90_hours=_p90(answered),
        resolution_median_hours=_median([hours for _, hours in resolutions]),
        resolution_p90_hours=_p90([hours for _, hours in resolutions]),
        backlog=_backlog(tickets, month),
        solutions=len(proposed),
        reopened=sum(1 for t in proposed if any(month.contains(at) for at in t.reopened_at)),
        surveys_sent=len(surveyed),
        surveys_answered=len(ratings),
        survey_average=statistics.fmean(ratings) if ratings else None,
        minutes_used=sum(e.minutes for e in in_month),
        minutes_charged=sum(e.minutes for e in in_month if e.charged_to_bank),
    )


def _responses(tickets: Sequence[TicketFacts], month: Month) -> tuple[list[float], list[tuple[bool, float]]]:
    """Response hours of the tickets answered, and (met, hours) of every measured response clock."""
    answered: list[float] = []
    measured: list[tuple[bool, float]] = []
    for ticket in tickets:
        if not month.contains(ticket.opened_at) or ticket.exempt or ticket.status == CANCELLED:
            continue
        status = _response_status(ticket, month.end)
        hours = status.elapsed_minutes / 60
        if status.state in (ClockState.MET, ClockState.BREACHED):
            measured.append((status.state == ClockState.MET, hours))
            if ticket.first_response_at is not None and ticket.first_response_at < month.end:
                answered.append(hours)
    return answered, measured


def _response_status(ticket: TicketFacts, end: datetime) -> ClockStatus:
    """The response clock at the month's end (stopped at the first response when it came before)."""
    stop = ticket.first_response_at if ticket.first_response_at and ticket.first_response_at < end else None
    pauses = [(p.started_at, p.ended_at) for p in ticket.pauses if p.reason == "contingency"]
    return clock_status(
        ticket.calendar, ticket.opened_at, ticket.target.response, stop or end, pauses=pauses, stopped_at=stop
    )


def _resolution(ticket: TicketFacts) -> tuple[bool, float]:
    """(met, business hours) of a closed ticket's resolution clock, its pauses excluded."""
    assert ticket.closed_at is not None
    status = clock_status(
        ticket.calendar,
        ticket.opened_at,
        ticket.target.resolution,
        ticket.closed_at,
        pauses=_windows(ticket, ticket.closed_at),
        stopped_at=ticket.closed_at,
    )
    return status.state == ClockState.MET, status.elapsed_minutes / 60


def _windows(ticket: TicketFacts, until: datetime) -> list[tuple[datetime, datetime]]:
    """The ticket's pauses as closed windows, an open one (or one running past ``until``) cut there."""
    return [(p.started_at, min(p.ended_at or until, until)) for p in ticket.pauses if p.started_at < until]


def _breaches(ticket: TicketFacts, month: Month) -> list[Breach]:
    if ticket.exempt:
        return []
    found: list[Breach] = []
    if month.contains(ticket.opened_at) and ticket.status != CANCELLED:
        status = _response_status(ticket, month.end)
        if status.state == ClockState.BREACHED:
            found.append(_breach(ticket, "response", status.elapsed_minutes, status.budget_minutes, month))
    if ticket.status == CLOSED and month.contains(ticket.closed_at):
        met, hours = _resolution(ticket)
        if not met:
            budget = _budget_hours(ticket.calendar, ticket.opened_at, ticket.target.resolution)
            found.append(_breach(ticket, "resolution", hours * 60, budget * 60, month))
    elif _open_at(ticket, month.end):
        status = clock_status(
            ticket.calendar,
            ticket.opened_at,
            ticket.target.resolution,
            month.end,
            pauses=_windows(ticket, month.end),
        )
        if status.state == ClockState.BREACHED:
            found.append(_breach(ticket, "resolution", status.elapsed_minutes, status.budget_minutes, month))
    return found


def _breach(ticket: TicketFacts, clock: str, elapsed: float, budget: float, month: Month) -> Breach:
    return Breach(
        number=ticket.number,
        title=ticket.title,
        company=ticket.company,
        priority=ticket.priority,
        clock=clock,
        elapsed_hours=elapsed / 60,
        target_hours=budget / 60,
        still_open=_open_at(ticket, month.end),
        reasons=ticket.history,
    )


def _budget_hours(cal: BusinessCalendar, start: datetime, budget: Budget) -> float:
    return clock_status(cal, start, budget, start).budget_minutes / 60


def _open_at(ticket: TicketFacts, end: datetime) -> bool:
    """Opened before ``end`` and not closed or cancelled by then."""
    if ticket.opened_at >= end:
        return False
    if ticket.closed_at is None:
        return ticket.status not in (CLOSED, CANCELLED)  # a finished ticket without a date: not open
    return ticket.closed_at >= end


def _backlog(tickets: Sequence[TicketFacts], month: Month) -> tuple[int, int, int, int]:
    counts = [0, 0, 0, 0]
    for ticket in tickets:
        if _open_at(ticket, month.end):
            counts[_bucket((month.end - ticket.opened_at) // timedelta(days=1))] += 1
    return counts[0], counts[1], counts[2], counts[3]


def _bucket(days: int) -> int:
    """0–2 days → 0, 3–7 → 1, 8–30 → 2, more than 30 → 3."""
    if days <= 2:
        return 0
    if days <= 7:
        return 1
    return 2 if days <= 30 else 3


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank: the ⌈0.9·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None
