"""Statements and CPU of one dialog turn: K known customers do a full WhatsApp intake through
`InboundService.handle_inbound` (no HTTP), on a scratch SQLite file or a given database URL.

Run: .venv/bin/python bench/turn_profile.py [DATABASE_URL] [--customers K] [--profile] [--sort tottime]
     [--top N] [--custom-calendar] [--show-statements]

Prints, per dialog step, the SQL statements each turn sent (a SQLAlchemy `before_cursor_execute`
listener: every statement is one round trip; on PostgreSQL the implicit BEGIN and the COMMIT are
two more), the Python function calls per turn (cProfile, a load-independent measure of CPU work on a
busy machine), and the wall time per turn (noisy when other processes share the cores). With
`--profile` the cProfile listing follows. `--custom-calendar` puts the customers on a plan whose
calendar is stored as JSON (built by `calendar_from_dict`) instead of a built-in preset.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event

from bot.messages import Channel, InboundMessage
from intake.bootstrap import build_container
from intake.config import load_settings
from intake.db import upgrade
from intake.db.models import ChannelIdentity, Company, Contact, SupportPlan
from intake.services.demo import load_demo
from tests.support.clock import FakeClock

STEPS = ["hola", "1", "El sistema de facturación no emite boletas desde esta mañana", "omitir", "omitir",
         "1", "1", "confirmar"]


def main() -> None:
    """Run the intakes and print statements, calls and time per turn."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    parser.add_argument("--customers", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--custom-calendar", action="store_true")
    parser.add_argument("--show-statements", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="turn-profile-"))
    url = args.url or f"sqlite:///{tmp}/turns.db"
    upgrade(url)
    clock = FakeClock()
    settings = load_settings({"DATABASE_URL": url, "DATA_DIR": str(tmp)}, env_file=None)
    container = build_container(settings, clock=clock)
    addresses = _seed(container, args.customers, args.custom_calendar)
    engine: Any = container.session_factory.kw["bind"]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _k, sql, *_: statements.append(sql))
    profiler = cProfile.Profile()
    per_step: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    examples: dict[int, list[str]] = {}
    for n, body in enumerate(STEPS):
        clock.advance(seconds=20)
        for i, address in enumerate(addresses):
            message = InboundMessage(Channel.WHATSAPP, address, f"SM{n}-{i}", clock(), text=body)
            statements.clear()
            calls = _calls(profiler)
            started = time.perf_counter()
            profiler.enable()
            container.inbound.handle_inbound(message)
            profiler.disable()
            elapsed = time.perf_counter() - started
            per_step[n].append((len(statements), elapsed, _calls(profiler) - calls))
            examples.setdefault(n, [" ".join(s.split())[:110] for s in statements])
    print(f"{args.customers} customers, {engine.dialect.name}, "
          f"{'JSON' if args.custom_calendar else 'preset'} calendar")
    print(f"{'step':24} {'statements':>10} {'calls':>8} {'p50 ms':>8}")
    for n, body in enumerate(STEPS):
        rows = per_step[n]
        sql, calls = statistics.fmean(r[0] for r in rows), statistics.fmean(r[2] for r in rows)
        print(f"{body[:24]:24} {sql:10.1f} {calls:8.0f} {statistics.median(r[1] for r in rows) * 1000:8.2f}")
        if args.show_statements:
            for line in examples[n]:
                print("    ", line)
    if args.profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    container.close()


def _calls(profiler: cProfile.Profile) -> int:
    """Function calls recorded so far (primitive and recursive)."""
    stats = pstats.Stats(profiler) if profiler.getstats() else None
    return int(stats.total_calls) if stats is not None else 0  # type: ignore[attr-defined]


def _seed(container: Any, customers: int, custom_calendar: bool) -> list[str]:
    """The demo data plus K known contacts of one company, each with a WhatsApp identity."""
    addresses = [f"+569000{i:05d}" for i in range(customers)]
    with container.transaction() as session:
        load_demo(session)
        custom = {"name": "acme", "timezone": "America/Santiago", "country": "CL"}
        config = custom if custom_calendar else None
        plan = SupportPlan(name="Bench plan", calendar_name="default", calendar_config=config,
                           includes_requests=True)
        company = Company(name="Bench Co", plan=plan)
        session.add(company)
        for i, address in enumerate(addresses):
            contact = Contact(name=f"Cliente {i}", email=f"c{i}@bench.example", company=company)
            session.add_all([contact, ChannelIdentity(contact=contact, channel="whatsapp", address=address)])
    return addresses


if __name__ == "__main__":
    main()
