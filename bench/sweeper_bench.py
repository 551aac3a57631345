"""The sweeper's due-tickets query and a full sweep, with 100 000 open tickets.

Run: .venv/bin/python bench/sweeper_bench.py [--tickets N] [--due N]
     (set TEST_DATABASE_URL=postgresql+psycopg://… to also run on PostgreSQL, in a database of its own
     that is dropped at the end)

Per backend: a temporary database migrated to head gets N open tickets (mixed statuses and
priorities, next SLA checks spread over the coming days, 20 % with none: paused or exempt) plus
`--due` P1 tickets whose response clock just crossed 75 %, 90 % or 100 %. It prints:
- the due-tickets query (`intake.jobs.sweeper.due_tickets_query`, LIMIT = the sweeper's batch) with its
  plan, timed with ix_tickets_sla_next_check, then the same query with that index dropped (same
  process, same data), and the ratio;
- one full sweep (`Sweeper.run_once`: SLA alerts, escalations, validations, surveys, idle dialogs)
  with the due tickets, and an idle sweep right after it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake.bootstrap import build_container
from intake.config import load_settings
from intake.db import upgrade
from intake.db.models import Agent, Contact, Conversation, Ticket
from intake.jobs.sweeper import due_tickets_query
from intake.services.demo import load_demo
from tests.support.postgres import scratch_postgres_database

SANTIAGO = ZoneInfo("America/Santiago")
NOW = datetime(2026, 3, 2, 9, 31, tzinfo=SANTIAGO).astimezone(UTC)  # a Monday, 09:31 in Santiago
STATUSES = [("new", 10), ("in_analysis", 10), ("in_progress", 60), ("waiting_customer", 15)]
STATUSES += [("solution_proposed", 3), ("reopened", 2)]
PRIORITIES = ["P1", "P2", "P3", "P4", "P5"]
INDEX = "ix_tickets_sla_next_check"
BATCH = 100


def main() -> None:
    """Run the bench on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="open tickets not due")
    parser.add_argument("--due", type=int, default=300, help="tickets due for an SLA alert")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.db", Path(tmp), args.tickets, args.due)
        admin = os.environ.get("TEST_DATABASE_URL")
        if admin:
            with postgres_database(admin) as url:
                run("postgresql", url, Path(tmp), args.tickets, args.due)


def postgres_database(admin_url: str) -> AbstractContextManager[str]:
    """A fresh PostgreSQL database for the bench, dropped at the end."""
    return scratch_postgres_database(admin_url, "sweeper_bench")


def run(backend: str, url: str, tmp: Path, count: int, due: int) -> None:
    """Seed, then time the query with and without its index, then sweep."""
    print(f"\n== {backend}: {count:,} open tickets + {due} due ==")
    began = time.perf_counter()
    upgrade(url)
    settings = load_settings({"DATABASE_URL": url, "DATA_DIR": str(tmp / backend)}, env_file=None)
    container = build_container(settings, clock=lambda: NOW)
    seed(container.engine, count, due)
    analyze(container.engine)
    print(f"seeded in {time.perf_counter() - began:.1f} s")
    query = due_tickets_query(NOW, BATCH)
    sql = str(query.compile(container.engine, compile_kwargs={"literal_binds": True}))
    with container.engine.connect() as conn:
        assert len(conn.execute(query).all()) == min(BATCH, due)
    indexed = timed_query(container.engine, sql, repeats=300)
    print(f"due query, LIMIT {BATCH}, with {INDEX}: median {indexed * 1000:.3f} ms")
    print(plan(container.engine, sql))
    with_index_dropped(container.engine)
    scanned = timed_query(container.engine, sql, repeats=15)
    print(f"same query without the index: median {scanned * 1000:.3f} ms")
    print(plan(container.engine, sql))
    restore_index(container.engine)
    print(f"ratio: the index makes the due query {scanned / indexed:,.0f}x faster")
    sweeper = container.make_sweeper()
    began = time.perf_counter()
    report = sweeper.run_once(NOW)
    took = time.perf_counter() - began
    print(f"full sweep with {due} due tickets: {took:.2f} s ({took / due * 1000:.1f} ms per due ticket)")
    print(f"  {report.as_dict()}")
    began = time.perf_counter()
    idle = sweeper.run_once(NOW + timedelta(seconds=30))
    print(
        f"idle sweep right after (nothing due): {(time.perf_counter() - began) * 1000:.1f} ms, "
        f"{idle.actions} action(s)"
    )
    container.close()


def seed(engine: Engine, count: int, due: int) -> None:
    """The demo company and agents, `count` open tickets not due and `due` P1 tickets due now."""
    with Session(engine) as session, session.begin():
        load_demo(session)
        session.flush()
        for agent in session.scalars(select(Agent)):
            agent.telegram_chat_id = "supervisors" if agent.is_supervisor else "agents"
        contact = session.scalars(select(Contact)).one()
        company_id, contact_id = contact.company_id, contact.id
    rng = random.Random(20260302)
    rows = [background_ticket(i, rng, company_id, contact_id) for i in range(count)]
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(Ticket), rows[start : start + 10_000])
        if not due:
            return
        conversations = [
            {
                "channel": "whatsapp",
                "address": f"+5698{i:07d}",
                "contact_id": contact_id,
                "state": {},
                "language": "es",
                "version": 0,
                "handoff_requested": False,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(due)
        ]
        conn.execute(insert(Conversation), conversations)
        ids = conn.execute(select(Conversation.id).order_by(Conversation.id)).scalars().all()
        conn.execute(
            insert(Ticket), [due_ticket(i, conv, company_id, contact_id) for i, conv in enumerate(ids)]
        )


def background_ticket(i: int, rng: random.Random, company_id: int | None, contact_id: int) -> dict[str, Any]:
    """An open ticket whose next SLA check is later (or none: paused, exempt, all alerts raised)."""
    opened = NOW - timedelta(minutes=rng.randrange(1, 30 * 24 * 60))
    status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
    later = NOW + timedelta(minutes=rng.randrange(1, 10 * 24 * 60))
    return ticket_row(f"BG-{i:07d}", status, rng.choice(PRIORITIES), opened, company_id, contact_id, None) | {
        "sla_next_check_at": later if rng.random() < 0.8 else None,
        "solution_proposed_at": NOW - timedelta(hours=2) if status == "solution_proposed" else None,
    }


def due_ticket(i: int, conversation_id: int, company_id: int | None, contact_id: int) -> dict[str, Any]:
    """A P1 opened 09:00–09:08: at 09:31 its response clock crossed 100 %, 90 % or 75 %."""
    opened = NOW - timedelta(minutes=31 - i % 9)
    row = ticket_row(f"DUE-{i:05d}", "new", "P1", opened, company_id, contact_id, conversation_id)
    return row | {"sla_next_check_at": opened + timedelta(seconds=30 * 45)}


def ticket_row(
    number: str,
    status: str,
    priority: str,
    opened: datetime,
    company_id: int | None,
    contact_id: int,
    conversation_id: int | None,
) -> dict[str, Any]:
    """The columns of one ticket row."""
    return {
        "number": number,
        "tracking_token": uuid.uuid4().hex,
        "company_id": company_id,
        "contact_id": contact_id,
        "conversation_id": conversation_id,
        "channel": "whatsapp",
        "ticket_type": "incident",
        "title": f"Bench ticket {number}",
        "description": "bench",
        "impact": "alto",
        "urgency": "alta",
        "priority": priority,
        "status": status,
        "language": "es",
        "billable": False,
        "needs_verification": False,
        "sla_exempt": False,
        "minutes_logged": 0,
        "escalation_level": 0,
        "opened_at": opened,
        "response_due": opened + timedelta(minutes=30),
        "resolution_due": opened + timedelta(hours=6),
        "created_at": opened,
        "updated_at": opened,
    }


def analyze(engine: Engine) -> None:
    """Fresh planner statistics, as a production database would have."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def timed_query(engine: Engine, sql: str, repeats: int) -> float:
    """Median seconds of one run of the query (after a warm-up)."""
    with engine.connect() as conn:
        conn.exec_driver_sql(sql).all()
        samples = []
        for _ in range(repeats):
            began = time.perf_counter()
            conn.exec_driver_sql(sql).all()
            samples.append(time.perf_counter() - began)
        conn.rollback()
    return statistics.median(samples)


def plan(engine: Engine, sql: str) -> str:
    """The query plan, indented."""
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(explain + sql).all()
        conn.rollback()
    lines = [str(row[-1]) for row in rows]
    return "\n".join(f"  plan | {line}" for line in lines)


def with_index_dropped(engine: Engine) -> None:
    """Drop the sweeper's index (the baseline: the same query without it)."""
    ddl(engine, f"DROP INDEX {INDEX}")


def restore_index(engine: Engine) -> None:
    """Put the index back as the migration made it."""
    ddl(engine, f"CREATE INDEX {INDEX} ON tickets (sla_next_check_at)")


def ddl(engine: Engine, statement: str) -> None:
    """Run one DDL statement and refresh the planner's statistics."""
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    analyze(engine)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\nbench finished in {time.perf_counter() - t0:.0f} s")
