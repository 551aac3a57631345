"""Several sweepers at once never raise an alert twice (SKIP LOCKED claims, row locks, unique alerts)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import intake.jobs.sweeper as sweeper_module
from intake.bootstrap import Container
from intake.db.models import Agent, Contact, Conversation, OutboxMessage, SlaAlert, Ticket
from intake.jobs.sweeper import Sweeper, SweepReport
from intake.services.tickets import NewTicket
from sla.priority import Impact, Urgency
from tests.conftest import BACKENDS
from tests.integration.service_harness import make_container
from tests.integration.test_sweeper_sla import local
from tests.support.clock import FakeClock


def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Container:
    """A container whose agents have Telegram chats (so alerts are queued)."""
    container = make_container(database_url, tmp_path, clock)
    with container.transaction() as session:
        for agent in session.scalars(select(Agent)):
            agent.telegram_chat_id = "supervisors" if agent.is_supervisor else "agents"
    return container


def open_tickets(container: Container, count: int, now: datetime) -> list[int]:
    """`count` P1 tickets of the demo contact, each in its own conversation."""
    ids = []
    with container.transaction() as session:
        contact = session.scalars(select(Contact)).first()
        assert contact is not None
        for i in range(count):
            conversation = Conversation(
                channel="whatsapp",
                address=f"+569900{i:05d}",
                contact_id=contact.id,
                state={},
                created_at=now,
                updated_at=now,
            )
            session.add(conversation)
            session.flush()
            data = NewTicket(
                "incident", f"Falla número {i}: el sistema no responde", Impact.HIGH, Urgency.HIGH
            )
            ids.append(container.tickets.open_ticket(session, conversation, contact, data, now=now).id)
    return ids


def run_together(actions: list[Callable[[], object]]) -> None:
    """Start the actions in threads at the same moment; re-raise the first error."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []


def breach_alerts(session: Session) -> Counter[int | None]:
    rows = session.scalars(
        select(OutboxMessage.ticket_id).where(
            OutboxMessage.recipient == "agents", OutboxMessage.kind == "agent_alert"
        )
    )
    return Counter(rows)


def small_batch_sweeper(container: Container) -> Sweeper:
    sweeper = container.make_sweeper()
    sweeper.batch_size = 4
    return sweeper


def test_two_sweepers_split_the_work_and_alert_each_ticket_once(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = desk(database_url, tmp_path, clock)
    ids = open_tickets(container, 30, local(2026, 3, 2, 9, 0))
    with container.session_factory() as session:
        before = breach_alerts(session)  # the "new ticket" alerts
    now = local(2026, 3, 2, 9, 31)  # every response clock just passed 100 %
    reports = [SweepReport(), SweepReport()]
    sweepers = [small_batch_sweeper(container), small_batch_sweeper(container)]

    def sweep(index: int) -> None:
        sweeper = sweepers[index]
        report = reports[index]
        sweeper.sweep_sla(now, report)

    run_together([lambda: sweep(0), lambda: sweep(1)])
    assert reports[0].breaches + reports[1].breaches == 30
    assert reports[0].errors == reports[1].errors == 0
    with container.session_factory() as session:
        alerts = session.execute(select(SlaAlert.ticket_id, SlaAlert.clock, SlaAlert.level)).all()
        assert sorted(alerts) == sorted((i, "response", level) for i in ids for level in (75, 90, 100))
        sent = breach_alerts(session) - before
        assert sent == Counter(dict.fromkeys(ids, 1))  # exactly one agents' alert per ticket
        levels = session.scalars(select(Ticket.escalation_level)).all()
        assert levels == [1] * 30
        escalated = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "escalation")
        )
        assert escalated == 30
    container.close()


def test_two_sweepers_racing_on_one_ticket_raise_its_alert_once(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = desk(database_url, tmp_path, clock)
    ids = open_tickets(container, 5, local(2026, 3, 2, 9, 0))
    now = local(2026, 3, 2, 9, 24)  # 75 % crossed
    sweepers = [container.make_sweeper(), container.make_sweeper()]
    reports = [SweepReport(), SweepReport()]
    for ticket_id in ids:
        run_together(
            [
                lambda s=s, r=r, t=ticket_id: s.check_ticket(t, now, r)  # type: ignore[misc]
                for s, r in zip(sweepers, reports, strict=True)
            ]
        )
    assert reports[0].warnings + reports[1].warnings == 5
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SlaAlert)) == 5
        warnings = session.scalars(
            select(OutboxMessage.ticket_id).where(
                OutboxMessage.recipient == "agents", OutboxMessage.payload["text"].as_string().like("SLA%")
            )
        ).all()
        assert Counter(warnings) == Counter(ids)
    container.close()


# Only PostgreSQL lets two sweepers read before either writes (SQLite serializes writers at BEGIN
# IMMEDIATE), so this race exists, and is tested, only where TEST_DATABASE_URL names a PostgreSQL server.
if "postgresql" in BACKENDS:

    def test_without_row_locks_the_unique_alert_still_stops_the_second_sweeper(
        clean_postgres_url: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        container = desk(clean_postgres_url, tmp_path, clock)
        [ticket_id] = open_tickets(container, 1, local(2026, 3, 2, 9, 0))
        both_read = threading.Barrier(2)
        read_alerts = sweeper_module.fired_alerts

        def unlocked(session: Session, ticket_id: int) -> Ticket | None:
            return session.get(Ticket, ticket_id)

        def read_then_wait(session: Session, ticket_id: int) -> set[tuple[str, int]]:
            fired = read_alerts(session, ticket_id)
            both_read.wait(timeout=30)  # both sweepers saw no alert before either inserts one
            return fired

        monkeypatch.setattr(sweeper_module, "_lock_ticket", unlocked)
        monkeypatch.setattr(sweeper_module, "fired_alerts", read_then_wait)
        now = local(2026, 3, 2, 9, 24)
        sweepers = [container.make_sweeper(), container.make_sweeper()]
        reports = [SweepReport(), SweepReport()]
        run_together(
            [
                lambda s=s, r=r: s.check_ticket(ticket_id, now, r)  # type: ignore[misc]
                for s, r in zip(sweepers, reports, strict=True)
            ]
        )
        assert sorted([reports[0].warnings, reports[1].warnings]) == [0, 1]
        assert reports[0].skipped_races + reports[1].skipped_races == 1
        with container.session_factory() as session:
            assert session.scalar(select(func.count()).select_from(SlaAlert)) == 1
            texts = session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.recipient == "agents")
            ).all()
            assert [t["text"].split(":")[0] for t in texts if t["text"].startswith("SLA")] == [
                f"SLA warning LA-{ticket_id:06d} (P1)"
            ]
        container.close()
