"""Connects the pure SLA engine to the database: calendars and targets per plan, pauses, contingencies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.models import Company, Contingency, SupportPlan, Ticket, TicketPause
from sla.calendar import BusinessCalendar, calendar_from_dict
from sla.calendar_presets import get_calendar
from sla.clock import deadlines_for
from sla.explain import deadline_phrase, explain_deadline
from sla.priority import DEFAULT_TARGETS, Budget, Priority, Target


class SlaService:
    """Deadlines and explanations for tickets, on each customer's calendar and targets."""

    def __init__(self, default_calendar: str = "default") -> None:
        self.default_calendar = get_calendar(default_calendar)

    def calendar_for(self, session: Session, company_id: int | None) -> BusinessCalendar:
        """The business calendar of a company's plan (the default one when it has none)."""
        plan = self._plan(session, company_id)
        if plan is None:
            return self.default_calendar
        if plan.calendar_config:
            return calendar_from_dict(plan.calendar_config)
        return get_calendar(plan.calendar_name) if plan.calendar_name else self.default_calendar

    def targets_for(self, session: Session, company_id: int | None) -> dict[Priority, Target]:
        """The contract's targets, with the plan's overrides applied."""
        plan = self._plan(session, company_id)
        return targets_with_overrides(plan.target_overrides if plan else None)

    def deadlines(
        self, session: Session, ticket: Ticket, pauses: Iterable[TicketPause]
    ) -> tuple[datetime, datetime]:
        """Response and resolution deadlines from the opening time, excluding finished pauses."""
        closed = [p for p in pauses if p.ended_at is not None]
        resolution_pauses = [(p.started_at, p.ended_at) for p in closed]
        # Only a contingency stops the response clock; waiting on the customer pauses resolution alone.
        response_pauses = [(p.started_at, p.ended_at) for p in closed if p.reason == "contingency"]
        cal = self.calendar_for(session, ticket.company_id)
        targets = self.targets_for(session, ticket.company_id)
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
        cal = self.calendar_for(session, ticket.company_id)
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
