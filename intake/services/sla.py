"""Connects the pure SLA engine to the database: calendars and targets per plan, pauses, contingencies,
and the SLA bookkeeping of a ticket (its clocks' level crossings and the sweeper's next check)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.db.models import Company, Contingency, SlaAlert, SupportPlan, Ticket, TicketPause
from intake.domain.lifecycle import OPEN_STATUSES, TicketStatus
from sla.calendar import BusinessCalendar, calendar_from_dict
from sla.calendar_presets import get_calendar
from sla.clock import alert_times, deadlines_for
from sla.explain import deadline_phrase, explain_deadline
from sla.priority import DEFAULT_TARGETS, Budget, Priority, Target

LEVELS = (75, 90, 100)
CLOCKS = ("response", "resolution")
OPEN = sorted(s.value for s in OPEN_STATUSES)


class SlaService:
    """Deadlines and explanations for tickets, on each customer's calendar and targets."""

    def __init__(self, default_calendar: str = "default") -> None:
        self.default_calendar = get_calendar(default_calendar)
        # Built once per process and plan content (not per turn); keyed by the stored JSON itself, so
        # a plan an admin edits gets a fresh entry and nothing stale is ever served.
        self._calendars: dict[str, BusinessCalendar] = {}
        self._targets: dict[str, dict[Priority, Target]] = {}

    def calendar_for(self, session: Session, company_id: int | None) -> BusinessCalendar:
        """The business calendar of a company's current plan (the default one when it has none)."""
        return self.plan_calendar(self._plan(session, company_id))

    def targets_for(self, session: Session, company_id: int | None) -> dict[Priority, Target]:
        """The contract's targets with the company's current plan's overrides (a copy to change)."""
        return self.plan_targets(self._plan(session, company_id))

    def ticket_calendar(self, session: Session, ticket: Ticket) -> BusinessCalendar:
        """The calendar of the plan the ticket was opened under, for its priority (see `plan_calendar`)."""
        return self.plan_calendar(ticket_plan(session, ticket), ticket.priority)

    def ticket_targets(self, session: Session, ticket: Ticket) -> dict[Priority, Target]:
        """The targets of the plan the ticket was opened under (not the company's current plan)."""
        return self.plan_targets(ticket_plan(session, ticket))

    def plan_calendar(self, plan: SupportPlan | None, priority: str | None = None) -> BusinessCalendar:
        """A plan's calendar; a priority's own calendar when the plan's target table names one.

        `target_overrides` may give a priority its own calendar — a built-in name or a calendar dict —
        e.g. {"P1": {"calendar": "cl-24x7"}}: P1 runs 24×7 while the other priorities keep the plan's hours.
        """
        if plan is None:
            return self.default_calendar
        spec = (plan.target_overrides or {}).get(priority or "", {})
        own = spec.get("calendar") if isinstance(spec, Mapping) else None
        if isinstance(own, str):
            return get_calendar(own)
        config = own if isinstance(own, Mapping) else plan.calendar_config
        if config:
            key = _cache_key(config)
            calendar = self._calendars.get(key)
            if calendar is None:
                calendar = _remember(self._calendars, key, calendar_from_dict(config))
            return calendar
        return get_calendar(plan.calendar_name) if plan.calendar_name else self.default_calendar

    def plan_targets(self, plan: SupportPlan | None) -> dict[Priority, Target]:
        """The contract's targets with a plan's overrides applied (a copy the caller may change)."""
        overrides = plan.target_overrides if plan else None
        key = _cache_key(overrides or {})
        targets = self._targets.get(key)
        if targets is None:
            targets = _remember(self._targets, key, targets_with_overrides(overrides))
        return dict(targets)

    def deadlines(
        self, session: Session, ticket: Ticket, pauses: Iterable[TicketPause]
    ) -> tuple[datetime, datetime]:
        """Response and resolution deadlines from the opening time, excluding finished pauses."""
        closed = [p for p in pauses if p.ended_at is not None]
        resolution_pauses = [(p.started_at, p.ended_at) for p in closed]
        # Only a contingency stops the response clock; waiting on the customer pauses resolution alone.
        response_pauses = [(p.started_at, p.ended_at) for p in closed if p.reason == "contingency"]
        cal = self.ticket_calendar(session, ticket)
        targets = self.ticket_targets(session, ticket)
        due = deadlines_for(
            cal,
            ticket.opened_at,
            Priority(ticket.priority),
            targets,
            pauses=resolution_pauses,
            response_pauses=response_pauses,
        )
        return due.response_due, due.resolution_due

    def explain(self, session: Session, ticket: Ticket) -> tuple[str, str]:
        """Both deadlines explained in words in the ticket's language."""
        cal = self.ticket_calendar(session, ticket)
        lang, ref = ticket.language, ticket.opened_at
        return (
            deadline_phrase(cal, ticket.response_due, "response", lang, ref),
            explain_deadline(cal, ticket.resolution_due, "resolution", lang, ref),
        )

    def active_contingency(
        self, session: Session, company_id: int | None, now: datetime
    ) -> Contingency | None:
        """A declared contingency covering this company at `now`, if any."""
        query = select(Contingency).where(
            Contingency.started_at <= now, (Contingency.ended_at.is_(None)) | (Contingency.ended_at > now)
        )
        for contingency in session.scalars(query):
            if contingency.all_companies or (company_id in (contingency.company_ids or [])):
                return contingency
        return None

    def _plan(self, session: Session, company_id: int | None) -> SupportPlan | None:
        if company_id is None:
            return None
        company = session.get(Company, company_id)
        return company.plan if company is not None else None


def ticket_plan(session: Session, ticket: Ticket) -> SupportPlan | None:
    """The plan the ticket was opened under (`Ticket.plan_id`, set by `TicketService.open_ticket`, or by
    `settle_open_tickets` when a stranger's ticket gets its company)."""
    return session.get(SupportPlan, ticket.plan_id) if ticket.plan_id is not None else None


def settle_open_tickets(session: Session, contact_id: int, company_id: int | None) -> None:
    """A contact was verified: its open tickets take its company and, if they had none, its plan."""
    values: dict[str, Any] = {"needs_verification": False, "company_id": company_id}
    if company_id is not None:
        plan = select(Company.plan_id).where(Company.id == company_id).scalar_subquery()
        values["plan_id"] = func.coalesce(Ticket.plan_id, plan)
    session.execute(
        update(Ticket)
        .where(Ticket.contact_id == contact_id, Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


_V = TypeVar("_V")
_CACHE_LIMIT = 256  # distinct plan contents kept per process; cleared when exceeded


def _cache_key(config: Mapping[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, default=str)


def _remember(cache: dict[str, _V], key: str, value: _V) -> _V:
    """Store a built value (bounded: a process never holds more than _CACHE_LIMIT entries)."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def targets_with_overrides(overrides: Mapping[str, Any] | None) -> dict[Priority, Target]:
    """Apply a plan's overrides like {"P1": {"response_minutes": 15, "resolution_business_days": 1}}."""
    targets = dict(DEFAULT_TARGETS)
    for key, spec in (overrides or {}).items():
        priority = Priority(key)
        base = targets[priority]
        targets[priority] = Target(
            response=_budget(spec, "response", base.response),
            resolution=_budget(spec, "resolution", base.resolution),
        )
    return targets


def _budget(spec: Mapping[str, Any], prefix: str, default: Budget) -> Budget:
    if f"{prefix}_minutes" in spec:
        return Budget(minutes=int(spec[f"{prefix}_minutes"]))
    if f"{prefix}_business_days" in spec:
        return Budget(business_days=int(spec[f"{prefix}_business_days"]))
    return default


# --- the SLA clocks of a ticket --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Crossing:
    """The instant a ticket's clock reaches a level (75, 90, 100 %), and that clock's deadline."""

    clock: str
    level: int
    at: datetime
    due: datetime | None


def clock_crossings(session: Session, sla: SlaService, ticket: Ticket) -> list[Crossing]:
    """Every defined level crossing of the ticket's running clocks (none when closed or SLA-exempt).

    The response clock runs until the first response; the resolution clock until the ticket is closed,
    without the time inside its pauses. Behind an open pause a crossing is undefined and left out.
    """
    if ticket.status not in OPEN or ticket.sla_exempt:
        return []
    cal = sla.ticket_calendar(session, ticket)
    target = sla.ticket_targets(session, ticket)[Priority(ticket.priority)]
    pauses = list(session.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket.id)))
    found: list[Crossing] = []
    if ticket.first_response_at is None:
        contingency = [p for p in pauses if p.reason == "contingency"]
        found += _crossings(cal, "response", ticket.opened_at, target.response, contingency)
    found += _crossings(cal, "resolution", ticket.opened_at, target.resolution, pauses)
    return found


def _crossings(
    cal: BusinessCalendar, clock: str, start: datetime, budget: Budget, pauses: Sequence[TicketPause]
) -> list[Crossing]:
    closed = [(p.started_at, p.ended_at) for p in pauses if p.ended_at is not None]
    open_since = min((p.started_at for p in pauses if p.ended_at is None), default=None)
    times = alert_times(cal, start, budget, closed)

    def defined(instant: datetime) -> bool:
        # The engine returns a crossing reached before an open pause begins; later ones are unknown.
        return open_since is None or instant <= open_since

    due = times.due if defined(times.due) else None
    instants = (times.at_risk_75, times.at_risk_90, times.due)
    return [Crossing(clock, lvl, at, due) for lvl, at in zip(LEVELS, instants, strict=True) if defined(at)]


def fired_alerts(session: Session, ticket_id: int) -> set[tuple[str, int]]:
    """The (clock, level) alerts already raised for a ticket."""
    rows = session.execute(select(SlaAlert.clock, SlaAlert.level).where(SlaAlert.ticket_id == ticket_id))
    return {(clock, level) for clock, level in rows}


def next_sla_check(session: Session, sla: SlaService, ticket: Ticket) -> datetime | None:
    """When the sweeper must next look at the ticket: its earliest crossing not yet alerted, or None."""
    crossings = clock_crossings(session, sla, ticket)
    if not crossings:
        return None
    return earliest_pending(crossings, fired_alerts(session, ticket.id))


def earliest_pending(crossings: Iterable[Crossing], fired: set[tuple[str, int]]) -> datetime | None:
    """The earliest crossing whose (clock, level) alert was not raised yet, or None."""
    return min((c.at for c in crossings if (c.clock, c.level) not in fired), default=None)


# --- how a deadline is shown ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineStates:
    """How each deadline of a ticket is shown at an instant: "" shows the date (the clock runs), else
    a state: answered, overdue, paused_customer, paused_validation, paused_contingency."""

    response: str
    resolution: str


def deadline_states(ticket: Ticket, now: datetime) -> DeadlineStates:
    """Whether each clock is answered, paused (and why), overdue, or running towards its date."""
    if ticket.status not in OPEN:
        return DeadlineStates("answered" if ticket.first_response_at else "", "")
    if ticket.first_response_at is not None:
        response = "answered"
    elif ticket.sla_exempt:
        response = "paused_contingency"
    else:
        response = "overdue" if now >= ticket.response_due else ""
    if ticket.status == TicketStatus.WAITING_CUSTOMER:
        resolution = "paused_customer"
    elif ticket.status == TicketStatus.SOLUTION_PROPOSED:
        resolution = "paused_validation"
    elif ticket.sla_exempt:
        resolution = "paused_contingency"
    else:
        resolution = "overdue" if now >= ticket.resolution_due else ""
    return DeadlineStates(response, resolution)
