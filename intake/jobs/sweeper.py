"""The SLA sweeper: 75/90/100 % alerts and escalation, validation and survey reminders, idle dialogs.

Every action runs in its own short transaction and is safe with several sweepers on PostgreSQL: due
tickets are claimed with ``FOR UPDATE SKIP LOCKED`` and leased (their ``sla_next_check_at`` moves a few
minutes ahead), each ticket is then handled under its conversation and ticket row locks (the order the
inbound path uses), and the ``(ticket_id, clock, level)`` unique constraint of ``sla_alerts`` is the
last guard: an alert that another sweeper already raised rolls the whole ticket back before any
message is queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Select, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.flow import STEP_BY_NAME, flow_of
from bot.state import EXPIRING_FLOWS
from intake.db import unit_of_work
from intake.db.models import Conversation, SlaAlert, SupportPlan, SurveyAnswer, Ticket
from intake.domain.lifecycle import TicketStatus
from intake.services.notify import alert_agents
from intake.services.sla import (
    CLOCKS,
    OPEN,
    Crossing,
    SlaService,
    clock_crossings,
    earliest_pending,
    fired_alerts,
    next_sla_check,
)
from sla.calendar import BusinessCalendar
from sla.explain import format_local
from sla.followup import survey_reminder_due, validation_action

if TYPE_CHECKING:
    from intake.config import Settings
    from intake.services.conversations import ConversationService
    from intake.services.tickets import TicketService

log = logging.getLogger(__name__)

# Steps of the flows that time out (identification, intake, ticket choice, language choice).
EXPIRING_STEPS = sorted(name for name in STEP_BY_NAME if flow_of(name) in EXPIRING_FLOWS)


def due_tickets_query(now: datetime, limit: int) -> Select[int]:
    """Open, non-exempt tickets whose next SLA check is due: a range scan of ix_tickets_sla_next_check."""
    return (
        select(Ticket.id)
        .where(
            Ticket.sla_next_check_at <= now,
            Ticket.status.in_(OPEN),
            Ticket.sla_exempt.is_(False),
        )
        .order_by(Ticket.sla_next_check_at)
        .limit(limit)
    )


# --- the sweeper ------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    """What one sweep did, counted per action."""

    sla_checked: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    validation_reminders: int = 0
    auto_closed: int = 0
    survey_reminders: int = 0
    idle_expired: int = 0
    skipped_races: int = 0
    errors: int = 0

    @property
    def actions(self) -> int:
        """How many things the sweep told somebody (alerts, reminders, closes, expiries)."""
        return (
            self.warnings
            + self.breaches
            + self.validation_reminders
            + self.auto_closed
            + self.survey_reminders
            + self.idle_expired
        )

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (logs, CLI)."""
        return asdict(self)


class Sweeper:
    """Runs the time-driven jobs of tickets and conversations; see the module docstring."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        sla: SlaService,
        tickets: TicketService,
        conversations: ConversationService,
        settings: Settings,
        clock: Callable[[], datetime],
        batch_size: int = 100,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.session_factory = session_factory
        self.sla = sla
        self.tickets = tickets
        self.conversations = conversations
        self.settings = settings
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease

    def run_once(self, now: datetime | None = None) -> SweepReport:
        """One sweep at ``now`` (default: the clock): SLA alerts, validations, surveys, idle dialogs."""
        now = now or self.clock()
        report = SweepReport()
        self.sweep_sla(now, report)
        self.sweep_validations(now, report)
        self.sweep_surveys(now, report)
        self.sweep_idle_dialogs(now, report)
        if report.actions or report.errors:
            log.info("sweep at %s: %s", now.isoformat(), report.as_dict())
        return report

    # --- SLA alerts ---------------------------------------------------------------------------
    def sweep_sla(self, now: datetime, report: SweepReport) -> None:
        """Claim due tickets batch by batch and raise their newly crossed alerts."""
        while True:
            claimed = self.claim_due(now)
            for ticket_id in claimed:
                self._guarded(report, partial(self.check_ticket, ticket_id, now, report))
            if len(claimed) < self.batch_size:
                return

    def claim_due(self, now: datetime) -> list[int]:
        """Lease a batch of due tickets to this sweeper (SKIP LOCKED: concurrent sweepers split them)."""
        query = due_tickets_query(now, self.batch_size).with_for_update(skip_locked=True)
        with unit_of_work(self.session_factory) as session:
            ids = list(session.scalars(query))
            if ids:
                session.execute(
                    update(Ticket).where(Ticket.id.in_(ids)).values(sla_next_check_at=now + self.lease)
                )
            return ids

    def check_ticket(self, ticket_id: int, now: datetime, report: SweepReport) -> None:
        """Raise the ticket's crossed, not yet raised alerts once, then store its next check."""
        try:
            with unit_of_work(self.session_factory) as session:
                ticket = _lock_ticket(session, ticket_id)
                if ticket is not None:
                    self._check(session, ticket, now, report)
        except IntegrityError:
            log.info("ticket %s: SLA alert already raised by another sweeper", ticket_id)
            report.skipped_races += 1

    def _check(self, session: Session, ticket: Ticket, now: datetime, report: SweepReport) -> None:
        crossings = clock_crossings(session, self.sla, ticket)
        fired = fired_alerts(session, ticket.id)
        new = [c for c in crossings if c.at <= now and (c.clock, c.level) not in fired]
        if new:
            session.add_all(
                SlaAlert(ticket_id=ticket.id, clock=c.clock, level=c.level, fired_at=now) for c in new
            )
            session.flush()  # a sweeper that raised these first fails here, before any message is queued
            self._announce(session, ticket, new, now, report)
            fired |= {(c.clock, c.level) for c in new}
        ticket.sla_next_check_at = earliest_pending(crossings, fired)
        report.sla_checked += 1

    def _announce(
        self, session: Session, ticket: Ticket, new: Sequence[Crossing], now: datetime, report: SweepReport
    ) -> None:
        """Per clock, alert the highest level just crossed; a breach also escalates (once per sweep)."""
        cal = self.sla.ticket_calendar(session, ticket)
        breached: list[Crossing] = []
        for clock in CLOCKS:
            mine = [c for c in new if c.clock == clock]
            if not mine:
                continue
            top = max(mine, key=lambda c: c.level)
            alert_agents(session, ticket, alert_text(ticket, top, cal), now=now, routing=self.tickets.alerts)
            if top.level == 100:
                breached.append(top)
                report.breaches += 1
            else:
                report.warnings += 1
        if breached:
            clocks = " and ".join(f"{c.clock} target" for c in breached)
            self.tickets.escalate(session, ticket, f"SLA breached: {clocks} of {ticket.priority}", now=now)
            report.escalations += 1

    # --- validation: reminder, then automatic close ------------------------------------------
    def sweep_validations(self, now: datetime, report: SweepReport) -> None:
        """Remind customers who did not validate a solution, then close it automatically."""
        with self.session_factory() as session:
            columns = (
                Ticket.id,
                Ticket.plan_id,
                Ticket.priority,
                Ticket.solution_proposed_at,
                Ticket.validation_reminded_at,
            )
            rows = session.execute(
                select(*columns)
                .where(Ticket.status == TicketStatus.SOLUTION_PROPOSED.value)
                .order_by(Ticket.solution_proposed_at)
            ).all()
            calendars = _CalendarCache(session, self.sla)
            due = [
                ticket_id
                for ticket_id, plan_id, priority, proposed, reminded in rows
                if proposed is not None
                and self._validation_due(calendars(plan_id, priority), proposed, reminded, now)
            ]
        for ticket_id in due:
            self._guarded(report, partial(self.handle_validation, ticket_id, now, report))

    def _validation_due(
        self, cal: BusinessCalendar, proposed: datetime, reminded: datetime | None, now: datetime
    ) -> bool:
        close_days = self.settings.validation_auto_close_business_days
        return validation_action(cal, proposed, reminded, now, close_days) is not None

    def handle_validation(self, ticket_id: int, now: datetime, report: SweepReport) -> None:
        """Send the validation reminder or close the ticket automatically, as its time says."""
        with unit_of_work(self.session_factory) as session:
            ticket = _lock_ticket(session, ticket_id)
            awaiting = ticket is not None and ticket.status == TicketStatus.SOLUTION_PROPOSED
            if ticket is None or not awaiting or ticket.solution_proposed_at is None:
                return
            cal = self.sla.ticket_calendar(session, ticket)
            close_days = self.settings.validation_auto_close_business_days
            action = validation_action(
                cal, ticket.solution_proposed_at, ticket.validation_reminded_at, now, close_days
            )
            if action == "remind":
                self.conversations.remind_validation(session, ticket, now)
                report.validation_reminders += 1
            elif action == "close":
                self.conversations.auto_close(session, ticket, now)
                report.auto_closed += 1

    # --- survey: one reminder -----------------------------------------------------------------
    def sweep_surveys(self, now: datetime, report: SweepReport) -> None:
        """Remind once the customers who did not rate a closed ticket after one business day."""
        with self.session_factory() as session:
            rows = session.execute(_unanswered_surveys()).all()
            calendars = _CalendarCache(session, self.sla)
            due = [
                ticket_id
                for ticket_id, plan_id, priority, sent in rows
                if sent is not None and survey_reminder_due(calendars(plan_id, priority), sent, now)
            ]
        for ticket_id in due:
            self._guarded(report, partial(self.remind_survey, ticket_id, now, report))

    def remind_survey(self, ticket_id: int, now: datetime, report: SweepReport) -> None:
        """Send the survey's single reminder (never a second one, never after an answer)."""
        with unit_of_work(self.session_factory) as session:
            ticket = _lock_ticket(session, ticket_id)
            if (
                ticket is None
                or ticket.survey_reminded_at is not None
                or ticket.status != TicketStatus.CLOSED
            ):
                return
            if session.scalar(select(SurveyAnswer.id).where(SurveyAnswer.ticket_id == ticket.id)):
                return
            self.conversations.remind_survey(session, ticket, now)
            report.survey_reminders += 1

    # --- idle dialogs -------------------------------------------------------------------------
    def sweep_idle_dialogs(self, now: datetime, report: SweepReport) -> None:
        """Close half-done intakes that waited longer than the idle timeout, telling the customer."""
        cutoff = now - timedelta(minutes=self.settings.dialog_idle_minutes)
        with self.session_factory() as session:
            ids = list(
                session.scalars(
                    select(Conversation.id).where(
                        Conversation.step.in_(EXPIRING_STEPS), Conversation.updated_at <= cutoff
                    )
                )
            )
        for conversation_id in ids:
            self._guarded(report, partial(self.expire_dialog, conversation_id, now, report))

    def expire_dialog(self, conversation_id: int, now: datetime, report: SweepReport) -> None:
        """Expire one conversation if its dialog is still idle (a customer writing right now wins)."""
        with unit_of_work(self.session_factory) as session:
            query = select(Conversation).where(Conversation.id == conversation_id)
            conversation = session.scalar(query.with_for_update(skip_locked=True))
            if conversation is not None and self.conversations.expire_idle(session, conversation, now):
                report.idle_expired += 1

    # --- helpers ------------------------------------------------------------------------------
    def backfill(self, now: datetime | None = None) -> int:
        """Compute sla_next_check_at for open tickets that have none (tickets from before the sweeper)."""
        now = now or self.clock()
        with unit_of_work(self.session_factory) as session:
            query = select(Ticket).where(
                Ticket.status.in_(OPEN), Ticket.sla_exempt.is_(False), Ticket.sla_next_check_at.is_(None)
            )
            count = 0
            for ticket in session.scalars(query):
                ticket.sla_next_check_at = next_sla_check(session, self.sla, ticket)
                count += ticket.sla_next_check_at is not None
            return count

    def _guarded(self, report: SweepReport, action: Callable[[], None]) -> None:
        """One item's failure is logged and counted; the sweep goes on (a leased ticket retries later)."""
        try:
            action()
        except Exception:
            log.exception("sweeper item failed")
            report.errors += 1


def alert_text(ticket: Ticket, crossing: Crossing, cal: BusinessCalendar) -> str:
    """The agents' alert: ticket number, priority, clock, percent and deadline in local time."""
    due = f"{format_local(cal, crossing.due, 'en')} ({cal.timezone})" if crossing.due else "unknown"
    if crossing.level >= 100:
        return (
            f"SLA BREACHED {ticket.number} ({ticket.priority}): {crossing.clock} clock at 100%, "
            f"was due {due}. Escalating."
        )
    return (
        f"SLA warning {ticket.number} ({ticket.priority}): {crossing.clock} clock at {crossing.level}%, "
        f"due {due}"
    )


def _lock_ticket(session: Session, ticket_id: int) -> Ticket | None:
    """Lock the ticket's conversation, then the ticket (the inbound path's order), and return it."""
    conversation_id = session.scalar(select(Ticket.conversation_id).where(Ticket.id == ticket_id))
    if conversation_id is not None:
        session.execute(select(Conversation.id).where(Conversation.id == conversation_id).with_for_update())
    return session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())


def _unanswered_surveys() -> Select[int, int | None, str, datetime | None]:
    answered = exists().where(SurveyAnswer.ticket_id == Ticket.id)
    return (
        select(Ticket.id, Ticket.plan_id, Ticket.priority, Ticket.survey_sent_at)
        .where(
            Ticket.status == TicketStatus.CLOSED.value,
            Ticket.survey_sent_at.is_not(None),
            Ticket.survey_reminded_at.is_(None),
            ~answered,
        )
        .order_by(Ticket.survey_sent_at)
    )


class _CalendarCache:
    """Calendars per (plan the ticket was opened under, priority) for one sweep (plans rarely differ)."""

    def __init__(self, session: Session, sla: SlaService) -> None:
        self.session = session
        self.sla = sla
        self.cache: dict[tuple[int | None, str], BusinessCalendar] = {}

    def __call__(self, plan_id: int | None, priority: str) -> BusinessCalendar:
        key = (plan_id, priority)
        if key not in self.cache:
            plan = self.session.get(SupportPlan, plan_id) if plan_id is not None else None
            self.cache[key] = self.sla.plan_calendar(plan, priority)
        return self.cache[key]
