"""Webhook latency: signed WhatsApp webhooks through the real Flask app, a full intake dialog each.

Run: .venv/bin/python bench/inbound_bench.py [--customers N] [--warmup N] [--threads N] [--processes]
                                            [--companies N] [--history N] [--seed S]
     (set TEST_DATABASE_URL=postgresql+psycopg://… to also run on PostgreSQL, in a database of its own
     that is dropped at the end)

DESIGN.md promises that "the webhook answers in milliseconds". Per backend, a temporary database
migrated to head gets the demo customer plus one company (on the demo plan), contact and WhatsApp
identity per bench customer — the same population on every backend. The app is
`webhooks.create_app` around a container wired as production wires it (settings → `whatsapp_config`
→ `WhatsAppAdapter`), with TWILIO_API_BASE_URL on an unused loopback port: a webhook sends nothing
and the worker never runs. Requests go through Flask's test client (no socket, no WSGI server)
carrying an X-Twilio-Signature computed with twilio's RequestValidator over PUBLIC_BASE_URL + path,
signed before the clock starts. The service's clock ticks from a fixed Monday 09:00 in Santiago.

Each customer does a full intake — hola → 1 → description → omitir → omitir → 1 → 1 → confirmar
(8 webhooks, a P1 ticket at the end) — and every webhook is replayed once right after it (a Twilio
retry: a no-op). The customers' dialogs are interleaved at random (fixed seed). Reported per kind:
(a) dialog turns, (b) the ticket-creating turn, (c) duplicate replays: p50/p95/p99 latency and SQL
statements per request (BEGIN included), against baselines measured just before, in the same
process on the same app: GET /healthz, a signed no-op (signature check + parse + empty TwiML: the
HTTP/Flask floor) and record-only (`process_inbound` with a no-op handler: dedupe, conversation
lock, transcript row, commit — the transaction floor without the dialog). Warm-up customers and
requests run first and are not counted. On PostgreSQL the scenario then runs again on fresh
customers from `--threads` threads at once (one test client each; they share one GIL, so this shows
database contention, not CPU parallelism; `--processes` forks processes instead, like gunicorn
workers). `--companies` adds active companies and `--history` closed tickets in them, to see how
a turn's cost grows with the size of those tables.

At the end every driven customer must have exactly one ticket and no other ticket may exist,
processed_messages must equal the distinct MessageSids posted to routes that process them, every
answer must have been a 200 (an empty TwiML for webhooks) and no outbox row may have been attempted;
otherwise the exit status is 1.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, request
from flask.testing import FlaskClient
from sqlalchemy import event, func, insert, select
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from channels.whatsapp.adapter import WhatsAppAdapter
from intake.bootstrap import Container, build_container
from intake.config import load_settings
from intake.db import upgrade
from intake.db.models import (
    ChannelIdentity,
    Company,
    Contact,
    Message,
    OutboxMessage,
    ProcessedMessage,
    SupportPlan,
    Ticket,
)
from intake.services.demo import load_demo
from intake.services.inbound import process_inbound
from intake.wiring import whatsapp_config
from tests.support.postgres import scratch_postgres_database
from webhooks import EMPTY_TWIML, create_app, public_url

ACCOUNT = "AC" + "3f5a0c1e2d4b6a8c9e0f1a2b3c4d5e6f"
TOKEN = "bench_" + "7f3e9a1c5b2d8e4f6a0c9b3d7e1f5a2c"
SANDBOX = "whatsapp:+14155238886"
PUBLIC = "https://support.example.com"
INBOUND = "/webhooks/whatsapp"
NOOP = "/bench/noop"
RECORD = "/bench/record-only"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, 09:00 in Santiago: business hours
DIALOG = ("hola", "1", None, "omitir", "omitir", "1", "1", "confirmar")  # None: the description
PROBLEMS = (
    "No puedo emitir facturas electrónicas, el SII rechaza el envío",
    "El inventario muestra stock negativo en la bodega central",
    "La conciliación bancaria no carga la cartola de este mes",
    "Los pedidos de venta quedan bloqueados al confirmar",
    "No se generan las liquidaciones de sueldo del mes",
    "Las órdenes de compra no llegan por correo al proveedor",
)
KINDS = ("turn", "ticket", "replay")
BASELINES = ("healthz", "noop", "record")
LABELS = {
    "healthz": "baseline GET /healthz",
    "noop": "baseline signed no-op",
    "record": "baseline record only",
    "turn": "dialog turn",
    "ticket": "ticket-creating turn",
    "replay": "duplicate replay",
}
HEADER = f"{'kind':<24}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'SQL/req':>9}"


@dataclass(frozen=True)
class Call:
    """One prepared request: what it measures, where it goes, its form and signed headers."""

    kind: str
    path: str
    form: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Samples:
    """Latencies (seconds) and SQL statement counts per kind, wall time and failures of one run."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    statements: dict[str, list[int]] = field(default_factory=dict)
    wall: float = 0.0
    failures: list[str] = field(default_factory=list)

    def add(self, kind: str, elapsed: float, statements: int) -> None:
        """Record one request."""
        self.seconds.setdefault(kind, []).append(elapsed)
        self.statements.setdefault(kind, []).append(statements)

    def merge(self, other: Samples) -> None:
        """Fold another run's samples into this one (wall time is set by the caller)."""
        for kind, values in other.seconds.items():
            self.seconds.setdefault(kind, []).extend(values)
            self.statements.setdefault(kind, []).extend(other.statements[kind])
        self.failures += other.failures

    def count(self, kinds: Sequence[str] = KINDS) -> int:
        """How many requests of these kinds."""
        return sum(len(self.seconds.get(kind, [])) for kind in kinds)

    def all_of(self, kinds: Sequence[str] = KINDS) -> list[float]:
        """The latencies of these kinds together."""
        return [value for kind in kinds for value in self.seconds.get(kind, [])]

    def p(self, pct: int, kinds: Sequence[str] = KINDS) -> float:
        """The pct-th percentile latency (seconds) of these kinds together."""
        return percentile(self.all_of(kinds), pct)


class StatementCounter:
    """Counts the SQL statements each thread sends (BEGIN included), via an engine event."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, *_args: Any) -> None:
        self._local.count = self.value + 1

    @property
    def value(self) -> int:
        """Statements sent by the calling thread so far."""
        return int(getattr(self._local, "count", 0))


@dataclass
class Bench:
    """One backend's container and app, its counter, and what was posted (for the final check)."""

    name: str
    container: Container
    app: Flask
    counter: StatementCounter
    signer: RequestValidator
    sids: set[str] = field(default_factory=set)  # posted to routes that process them
    unstored: set[str] = field(default_factory=set)  # posted to the no-op only
    driven: list[str] = field(default_factory=list)  # customers whose dialog was sent
    history: int = 0


def main() -> None:
    """Run the bench on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=150, help="measured customers per scenario")
    parser.add_argument("--warmup", type=int, default=20, help="customers run first, not counted")
    parser.add_argument("--baseline", type=int, default=500, help="requests per baseline")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients on PostgreSQL (0: none)")
    parser.add_argument("--processes", action="store_true", help="concurrent clients are processes")
    parser.add_argument("--companies", type=int, default=0, help="extra active companies")
    parser.add_argument("--history", type=int, default=0, help="closed tickets in the extra companies")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args()
    if args.history and not args.companies:
        parser.error("--history needs --companies (the closed tickets belong to those companies)")
    began = time.perf_counter()
    p95: dict[str, float] = {}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run("sqlite", f"sqlite:///{tmp}/bench.db", Path(tmp), args, False, p95)
        admin = os.environ.get("TEST_DATABASE_URL")
        if admin:
            with postgres_database(admin) as url:
                ok &= run("postgresql", url, Path(tmp), args, True, p95)
    print(f"\nbench finished in {time.perf_counter() - began:.0f} s")
    if not ok:
        print("CORRECTNESS CHECK FAILED (see WRONG lines above)", file=sys.stderr)
    print(summary_line(p95, args))
    if not ok:
        sys.exit(1)


def summary_line(p95: dict[str, float], args: argparse.Namespace) -> str:
    """The last line: p95 of all dialog webhooks per backend (and with concurrent clients)."""
    line = f"p95 webhook latency {p95['sqlite'] * 1000:.1f} ms on SQLite, "
    if "postgresql" not in p95:
        return line + "PostgreSQL not measured (set TEST_DATABASE_URL)"
    line += f"{p95['postgresql'] * 1000:.1f} ms on PostgreSQL"
    if "postgresql concurrent" not in p95:
        return line
    clients = f"{args.threads} {'processes' if args.processes else 'threads'}"
    return line + f" ({p95['postgresql concurrent'] * 1000:.1f} ms with {clients})"


def postgres_database(admin_url: str) -> AbstractContextManager[str]:
    """A fresh PostgreSQL database for the bench, dropped at the end."""
    return scratch_postgres_database(admin_url, "inbound_bench")


def run(
    backend: str, url: str, tmp: Path, args: argparse.Namespace, concurrent: bool, p95: dict[str, float]
) -> bool:
    """Seed, warm up, time the baselines and the dialogs (then concurrently), check; True when correct."""
    rng = random.Random(f"{args.seed}:{backend}")
    began = time.perf_counter()
    upgrade(url)
    bench = make_bench(backend, url, tmp / backend)
    # The same population on every backend: the concurrent scenario's customers are seeded anyway.
    groups = {"warmup": args.warmup, "sequential": args.customers, "concurrent": args.customers}
    customers = seed(bench, groups)
    seed_extra(bench, args.companies, args.history, rng)
    print(f"\n== {backend}: {args.customers} customers × {len(DIALOG)} turns + 1 replay each; "
          f"{population(bench)}; seeded in {time.perf_counter() - began:.1f} s ==")
    client = bench.app.test_client()
    warm = Samples()
    drive(bench, client, interleave(rng, [script(bench, rng, c) for c in customers["warmup"]]), warm)
    baselines = measure_baselines(bench, client, rng, args.baseline)
    dialogs = Samples()
    calls = interleave(rng, [script(bench, rng, c) for c in customers["sequential"]])
    began = time.perf_counter()
    drive(bench, client, calls, dialogs)
    dialogs.wall = time.perf_counter() - began
    print_table(baselines, dialogs)
    p95[backend] = dialogs.p(95)
    failures = warm.failures + baselines.failures + dialogs.failures
    if concurrent and args.threads:
        clients = run_processes if args.processes else run_threads
        together = clients(bench, rng, customers["concurrent"], args.threads)
        print_concurrent(together, dialogs, args.threads, "processes" if args.processes else "threads")
        p95[f"{backend} concurrent"] = together.p(95)
        failures += together.failures
    problems = check(bench)
    if failures:
        problems.append(f"{len(failures)} requests answered wrongly, e.g. {failures[0]}")
    for problem in problems:
        print(f"  WRONG: {problem}")
    if not problems:
        print(f"  check: {len(bench.driven)} customers → {len(bench.driven)} tickets, "
              f"{len(bench.sids)} MessageSids → {len(bench.sids)} processed_messages, nothing sent")
    bench.container.close()
    return not problems


def make_bench(backend: str, url: str, data_dir: Path) -> Bench:
    """Settings → whatsapp_config → WhatsAppAdapter → container → Flask app, as production wires them."""
    settings = load_settings(
        {
            "DATABASE_URL": url,
            "DATA_DIR": str(data_dir),
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_WHATSAPP_FROM": SANDBOX,
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{unused_port()}",
            "PUBLIC_BASE_URL": PUBLIC,
            "SECRET_KEY": "bench-secret-key-0123456789",
        },
        env_file=None,
    )
    clock = ticking_clock()
    adapter = WhatsAppAdapter(whatsapp_config(settings), clock=clock)
    container = build_container(settings, clock=clock, adapters={"whatsapp": adapter})
    counter = StatementCounter()
    event.listen(container.engine, "before_cursor_execute", counter)
    app = create_app(container)
    add_baseline_routes(app, container)
    return Bench(backend, container, app, counter, RequestValidator(TOKEN))


def unused_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ticking_clock() -> Callable[[], datetime]:
    """Real elapsed time from a fixed Monday morning, so SLA quotes are the same on every run."""
    origin = time.perf_counter()
    return lambda: START + timedelta(seconds=time.perf_counter() - origin)


def add_baseline_routes(app: Flask, container: Container) -> None:
    """The floors: a signed no-op (verify + parse + empty TwiML) and record-only (no dialog)."""

    def verified() -> list[Any]:
        adapter: Any = container.adapters["whatsapp"]  # as webhooks._adapter hands it out
        form, body = request.form, request.get_data(cache=True)
        if not adapter.verify(public_url(container), request.headers, form, body):
            abort(403)
        return list(adapter.parse(request.headers, form, body))

    def noop() -> Any:
        verified()
        return Response(EMPTY_TWIML, mimetype="application/xml")

    def record_only() -> Any:
        for inbound in verified():
            process_inbound(container.session_factory, inbound, lambda *_: None, now=container.clock())
        return Response(EMPTY_TWIML, mimetype="application/xml")

    app.add_url_rule(NOOP, "bench_noop", noop, methods=["POST"])
    app.add_url_rule(RECORD, "bench_record_only", record_only, methods=["POST"])


def seed(bench: Bench, groups: dict[str, int]) -> dict[str, list[str]]:
    """The demo data, then one company (on the demo plan), contact and WhatsApp identity per customer."""
    numbers: dict[str, list[str]] = {}
    with bench.container.transaction() as session:
        load_demo(session)
        session.flush()
        plan = session.scalars(select(SupportPlan).where(SupportPlan.name == "Plan Estándar")).one()
        serial = 0
        for group, size in groups.items():
            numbers[group] = []
            for _ in range(size):
                serial += 1
                number = f"+5697{serial:07d}"
                company = Company(name=f"Cliente {serial:04d} SpA", plan=plan)
                contact = Contact(name=f"Cliente {serial}", email=f"c{serial}@cliente{serial}.example",
                                  company=company, language="es")
                identity = ChannelIdentity(contact=contact, channel="whatsapp", address=number)
                session.add_all([company, contact, identity])
                numbers[group].append(number)
    return numbers


def seed_extra(bench: Bench, companies: int, history: int, rng: random.Random) -> None:
    """`companies` more active companies with one contact each, and `history` closed tickets among them."""
    if not companies:
        return
    engine = bench.container.engine
    with engine.begin() as conn:
        plan = conn.execute(select(SupportPlan.id).where(SupportPlan.name == "Plan Estándar")).scalar_one()
        conn.execute(insert(Company), [{"name": f"Empresa {i:06d}", "plan_id": plan, "active": True}
                                       for i in range(companies)])
        ids = conn.execute(select(Company.id).where(Company.name.like("Empresa %"))).scalars().all()
        conn.execute(insert(Contact), [{"name": f"Contacto {i}", "email": f"e{i}@empresa{i}.example",
                                        "company_id": company_id, "verified": True,
                                        "self_identified": False, "language": "es"}
                                       for i, company_id in enumerate(ids)])
        owners = select(Contact.id, Contact.company_id).where(Contact.company_id.in_(ids))
        contacts = conn.execute(owners).all()
        for start in range(0, history, 10_000):
            batch = range(start, min(history, start + 10_000))
            conn.execute(insert(Ticket), [closed_ticket(i, rng.choice(contacts), rng) for i in batch])
        conn.exec_driver_sql("ANALYZE")
    bench.history = history


def closed_ticket(i: int, owner: Any, rng: random.Random) -> dict[str, Any]:
    """The columns of one closed ticket of the last three years."""
    opened = START - timedelta(minutes=rng.randrange(60, 3 * 365 * 24 * 60))
    closed = opened + timedelta(hours=rng.randrange(1, 200))
    return {
        "number": f"H-{i:07d}", "tracking_token": uuid.uuid4().hex, "company_id": owner.company_id,
        "contact_id": owner.id, "channel": "whatsapp", "ticket_type": "incident", "title": f"Histórico {i}",
        "description": "cerrado", "impact": "medio", "urgency": "media", "priority": "P3",
        "status": "closed", "language": "es", "billable": False, "needs_verification": False,
        "sla_exempt": False, "minutes_logged": 0, "escalation_level": 0, "opened_at": opened,
        "response_due": opened + timedelta(hours=2), "resolution_due": opened + timedelta(days=3),
        "closed_at": closed, "created_at": opened, "updated_at": closed,
    }


def population(bench: Bench) -> str:
    """How many companies and tickets the database holds (a turn's cost depends on them)."""
    with bench.container.session_factory() as session:
        companies = session.scalar(select(func.count()).select_from(Company)) or 0
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
    return f"{companies:,} companies, {tickets:,} tickets before the run"


def script(bench: Bench, rng: random.Random, number: str) -> list[Call]:
    """One customer's intake: each of the 8 turns, each followed by its replay (same MessageSid)."""
    bench.driven.append(number)
    calls = []
    for index, answer in enumerate(DIALOG):
        body = answer or f"{rng.choice(PROBLEMS)} desde las {rng.randrange(7, 12)}:{rng.randrange(60):02d}"
        kind = "ticket" if index == len(DIALOG) - 1 else "turn"
        form = message_form(bench, rng, number, body)
        calls.append(signed(bench, kind, INBOUND, form))
        calls.append(signed(bench, "replay", INBOUND, form))
    return calls


def message_form(
    bench: Bench, rng: random.Random, number: str, body: str, stored: bool = True
) -> dict[str, str]:
    """A WhatsApp text as Twilio POSTs it (fields as in tests/fixtures/whatsapp), with a new sid.

    `stored`: the sid goes to a route that processes it, so processed_messages must hold it.
    """
    sid = f"SM{rng.getrandbits(128):032x}"
    while sid in bench.sids or sid in bench.unstored:
        sid = f"SM{rng.getrandbits(128):032x}"
    (bench.sids if stored else bench.unstored).add(sid)
    return {
        "SmsMessageSid": sid, "SmsSid": sid, "MessageSid": sid, "AccountSid": ACCOUNT,
        "SmsStatus": "received", "To": SANDBOX, "From": f"whatsapp:{number}", "WaId": number[1:],
        "ProfileName": f"Cliente {number[-4:]}", "ApiVersion": "2010-04-01", "NumSegments": "1",
        "ReferralNumMedia": "0", "NumMedia": "0", "MessageType": "text", "Body": body,
    }


def signed(bench: Bench, kind: str, path: str, form: dict[str, str]) -> Call:
    """A request carrying X-Twilio-Signature over the public URL, as Twilio signs it."""
    signature = bench.signer.compute_signature(PUBLIC + path, form)
    return Call(kind, path, form, {"X-Twilio-Signature": signature})


def interleave(rng: random.Random, scripts: Sequence[Sequence[Call]]) -> list[Call]:
    """Merge the customers' scripts at random, each customer's calls staying in order."""
    iterators = [iter(s) for s in scripts]
    left = [len(s) for s in scripts]
    active = [i for i, n in enumerate(left) if n]
    merged = []
    while active:
        pick = rng.randrange(len(active))
        index = active[pick]
        merged.append(next(iterators[index]))
        left[index] -= 1
        if not left[index]:
            active[pick] = active[-1]
            active.pop()
    return merged


def drive(bench: Bench, client: FlaskClient, calls: Sequence[Call], samples: Samples) -> None:
    """Send the calls one after the other, timing each; a wrong answer is a failure."""
    counter = bench.counter
    for call in calls:
        before = counter.value
        began = time.perf_counter()
        if call.form is None:
            response = client.get(call.path)
        else:
            response = client.post(call.path, data=call.form, headers=call.headers)
        elapsed = time.perf_counter() - began
        samples.add(call.kind, elapsed, counter.value - before)
        body = response.get_data(as_text=True)
        if response.status_code != 200 or (call.form is not None and body != EMPTY_TWIML):
            samples.failures.append(f"{call.kind} {call.path}: {response.status_code} {body[:200]!r}")


def measure_baselines(bench: Bench, client: FlaskClient, rng: random.Random, count: int) -> Samples:
    """GET /healthz, the signed no-op and record-only, each after a short warm-up."""
    senders = [f"+5698{i:07d}" for i in range(max(1, count // 20))]

    def calls(kind: str, n: int) -> list[Call]:
        if kind == "healthz":
            return [Call("healthz", "/healthz") for _ in range(n)]
        path, stored = (NOOP, False) if kind == "noop" else (RECORD, True)
        forms = [message_form(bench, rng, senders[i % len(senders)], "hola", stored) for i in range(n)]
        return [signed(bench, kind, path, form) for form in forms]

    samples = Samples()
    for kind in BASELINES:
        drive(bench, client, calls(kind, max(10, count // 10)), samples=Samples())
        drive(bench, client, calls(kind, count), samples)
    return samples


def concurrent_plans(
    bench: Bench, rng: random.Random, customers: Sequence[str], clients: int
) -> list[list[Call]]:
    """The customers split over `clients`, each client's share interleaved at random."""
    parts = [list(customers[i::clients]) for i in range(clients)]
    return [interleave(rng, [script(bench, rng, c) for c in part]) for part in parts]


def run_threads(bench: Bench, rng: random.Random, customers: Sequence[str], threads: int) -> Samples:
    """The scenario on fresh customers from `threads` threads at once, one test client each."""
    plans = concurrent_plans(bench, rng, customers, threads)
    results = [Samples() for _ in plans]
    barrier = threading.Barrier(len(plans) + 1)

    def worker(calls: list[Call], samples: Samples) -> None:
        client = bench.app.test_client()
        barrier.wait()
        drive(bench, client, calls, samples)

    workers = [threading.Thread(target=worker, args=(p, r)) for p, r in zip(plans, results, strict=True)]
    for thread in workers:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in workers:
        thread.join()
    total = Samples(wall=time.perf_counter() - began)
    for samples in results:
        total.merge(samples)
    return total


def run_processes(bench: Bench, rng: random.Random, customers: Sequence[str], processes: int) -> Samples:
    """The scenario on fresh customers from `processes` forked processes at once (gunicorn-like)."""
    plans = concurrent_plans(bench, rng, customers, processes)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(plans) + 1)
    queue: Any = context.Queue()

    def child(calls: list[Call]) -> None:
        bench.container.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
        samples = Samples()
        client = bench.app.test_client()
        barrier.wait()
        drive(bench, client, calls, samples)
        queue.put(samples)

    children = [context.Process(target=child, args=(plan,)) for plan in plans]
    for process in children:
        process.start()
    barrier.wait()
    began = time.perf_counter()
    results = [queue.get() for _ in children]
    total = Samples(wall=time.perf_counter() - began)
    for process in children:
        process.join()
    for samples in results:
        total.merge(samples)
    return total


def check(bench: Bench) -> list[str]:
    """What went wrong: tickets per customer, processed ids vs sids posted, anything sent."""
    problems = []
    with bench.container.session_factory() as session:
        per_customer = dict(
            session.execute(
                select(ChannelIdentity.address, func.count(Ticket.id))
                .join(Ticket, Ticket.contact_id == ChannelIdentity.contact_id, isouter=True)
                .where(ChannelIdentity.channel == "whatsapp")
                .group_by(ChannelIdentity.address)
            ).all()
        )
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
        stored = set(session.scalars(select(ProcessedMessage.provider_message_id)))
        inbound = session.scalar(select(func.count()).where(Message.direction == "in")) or 0
        attempted = session.scalar(select(func.count()).where(OutboxMessage.attempts > 0)) or 0
    wrong = [number for number in bench.driven if per_customer.get(number) != 1]
    if wrong:
        problems.append(f"{len(wrong)} customers without exactly one ticket, e.g. {wrong[0]}")
    if tickets != len(bench.driven) + bench.history:
        expected = f"{len(bench.driven)} customers and {bench.history} closed ones"
        problems.append(f"{tickets} tickets for {expected}")
    if stored != bench.sids:
        problems.append(f"{len(stored)} processed_messages for {len(bench.sids)} distinct MessageSids posted "
                        f"({len(bench.sids - stored)} missing, {len(stored - bench.sids)} unexpected)")
    if inbound != len(stored):
        problems.append(f"{inbound} inbound transcript rows for {len(stored)} processed messages")
    if attempted:
        problems.append(f"{attempted} outbox rows were attempted: a webhook sent something")
    return problems


def percentile(values: Sequence[float], pct: int) -> float:
    """The pct-th percentile (inclusive method); the value itself for a single sample."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def row(label: str, seconds: Sequence[float], statements: Sequence[int], base: float) -> str:
    """One line of a table: count, percentiles in ms, SQL per request, p50 over the base p50."""
    p50, p95, p99 = (percentile(seconds, p) * 1000 for p in (50, 95, 99))
    sql = statistics.fmean(statements)
    ratio = p50 / 1000 / base
    return f"{label:<24}{len(seconds):>6}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}{sql:>9.1f}{ratio:>12.1f}x"


def print_table(baselines: Samples, dialogs: Samples) -> None:
    """Latency per kind, SQL per request and the ratio to the signed no-op's p50."""
    floor = percentile(baselines.seconds["noop"], 50)
    print(f"{HEADER}{'p50/no-op':>13}")
    for samples, kinds in ((baselines, BASELINES), (dialogs, KINDS)):
        for kind in kinds:
            print(row(LABELS[kind], samples.seconds[kind], samples.statements[kind], floor))
    statements = [s for kind in KINDS for s in dialogs.statements[kind]]
    print(row("all dialog webhooks", dialogs.all_of(), statements, floor))
    rate = dialogs.count() / dialogs.wall
    noop_rate = len(baselines.seconds["noop"]) / sum(baselines.seconds["noop"])
    record = percentile(baselines.seconds["record"], 50)
    turn = percentile(dialogs.seconds["turn"], 50)
    print(f"throughput: {dialogs.count()} webhooks in {dialogs.wall:.1f} s = {rate:,.0f} webhooks/s "
          f"(signed no-op {noop_rate:,.0f}/s: {noop_rate / rate:.0f}x); a dialog turn's p50 is "
          f"{turn / record:.1f}x record-only's")


def print_concurrent(together: Samples, alone: Samples, clients: int, what: str) -> None:
    """Latency per kind with `clients` clients at once, and throughput against one client."""
    print(f"-- the same scenario on fresh customers, {clients} {what} at once --")
    print(f"{HEADER}{'p50/1 client':>13}")
    for kind in KINDS:
        base = percentile(alone.seconds[kind], 50)
        print(row(LABELS[kind], together.seconds[kind], together.statements[kind], base))
    rate, single = together.count() / together.wall, alone.count() / alone.wall
    print(f"throughput: {together.count()} webhooks in {together.wall:.1f} s = {rate:,.0f} webhooks/s "
          f"({rate / single:.2f}x one client); p95 of all {together.p(95) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
