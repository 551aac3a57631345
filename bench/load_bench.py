"""Load: customers chatting through the whole intake at once, replies through a slow fake Twilio.

Run: .venv/bin/python bench/load_bench.py [--customers 50] [--latency 0.15] [--worker-processes 1,2]
                                          [--blast-customers 50] [--clients 16] [--modes production,embedded]
     (PostgreSQL admin URL from TEST_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test;
     each mode works in a scratch database of its own, dropped at the end)

Two shapes, each on loopback only:
- production: `gunicorn --workers 4 'webhooks:app_from_env()'` + `--worker-processes` × `intake-bot worker`
  on a scratch PostgreSQL database;
- embedded: `intake-bot serve` (Werkzeug's threaded server with the worker inside) on a SQLite file
  (or PostgreSQL with --embedded-db postgresql).

The fake Twilio (a threaded local HTTP server in this process) answers every Messages.create after
`--latency` seconds, like the real API, and notes when each message arrived and for whom.

Warm-up (not counted): once every process is up (the workers' logs say "worker running"), `--warmup`
other customers do the whole intake as below, so that the figures are of running processes, not of
their first statements' compilation and first connections.

Phase 1, chat: `--customers` customers (each a known contact of its own company) do the intake at
once — hola → 1 → description → omitir → omitir → 1 → 1 → confirmar — each posting a signed
webhook, then waiting for the bot's answer at the fake Twilio, then "reading" for 0.3–1.0 s, like a
person — and never sooner than 3.3 s after its previous webhook was answered (the dialog absorbs a
text that follows the previous one within its 3 s burst window, `bot.engine.BURST_WINDOW`, as one
answer; the server stamps a message when it handles it).
Reply lag = from just before the webhook POST to the first new message reaching the fake
Twilio for that customer. Webhook latency = the POST's round trip. Worker CPU = the user + system
CPU the worker processes (embedded: the serve process) used from the chat's start until everything
drained, per chat message: the cost that decides the lag, since one process's Python runs one
thread at a time.

Phase 2, blast: `--blast-customers` other customers' whole intakes (8 signed webhooks each, no
waiting for replies) from `--clients` threads as fast as they go, then the same number of signed
requests against a bare endpoint that only checks the Twilio signature and answers empty TwiML,
served the same way (gunicorn with 4 workers, or Werkzeug's threaded server). Ratio = app / bare.
Delivery = messages reaching the fake Twilio per second from the app blast's start until the outbox
drained (the bare blast runs after that).

Phase 3, backlog: `--backlog` messages to each chatting customer written in one transaction (an
outage's worth of notifications); reported is the rate from that commit until the fake Twilio got
them all: the workers' delivery capacity (each chat in order, so at most one message per chat in
flight).

At the end (after the outbox drained) every chatting customer must have exactly one ticket (the
blast's scripts do not wait for answers, so the dialog absorbs them as bursts), every outbox row
must be `sent`, and each customer's messages must have reached the fake Twilio exactly once and
in outbox order; otherwise the exit status is 1. The whole run is bounded by --timeout per phase.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.engine import BURST_WINDOW  # noqa: E402  (after the path is set)

ACCOUNT = "AC3f5a0c1e2d4b6a8c9e0f1a2b3c4d5e6f"
TOKEN = "bench_7f3e9a1c5b2d8e4f6a0c9b3d7e1f5a2c"
SANDBOX = "whatsapp:+14155238886"
PUBLIC = "https://support.example.com"
INBOUND = "/webhooks/whatsapp"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
BURST_SECONDS = BURST_WINDOW.total_seconds()
DIALOG = ("hola", "1", None, "omitir", "omitir", "1", "1", "confirmar")  # None: the description
PROBLEMS = (
    "No puedo emitir facturas electrónicas, el SII rechaza el envío",
    "El inventario muestra stock negativo en la bodega central",
    "La conciliación bancaria no carga la cartola de este mes",
    "Los pedidos de venta quedan bloqueados al confirmar",
)
BIN = Path(sys.executable).parent


def bare_app() -> Any:
    """The bare signed endpoint: Twilio's signature check and an empty TwiML answer, nothing else."""
    from flask import Flask, Response, abort, request
    from twilio.request_validator import RequestValidator

    app = Flask("bare")
    validator = RequestValidator(TOKEN)

    @app.post(INBOUND)
    def inbound() -> Any:
        if not validator.validate(
            PUBLIC + INBOUND, request.form, request.headers.get("X-Twilio-Signature", "")
        ):
            abort(403)
        return Response(EMPTY_TWIML, mimetype="application/xml")

    return app


# --- the fake provider ------------------------------------------------------------------------


def make_provider(latency: float) -> Any:
    """A started fake Twilio (threaded) that lets customers wait for their next message."""
    import logging

    from tests.support.provider import SlowTwilio, threaded_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per fake Twilio call

    class WatchedTwilio(SlowTwilio):
        def __init__(self) -> None:
            super().__init__(threaded_server(), latency)
            self.arrived = threading.Condition(self.lock)
            self.per_chat: dict[str, list[float]] = {}

        def _create(self, request: Any) -> Any:
            answer = super()._create(request)
            with self.arrived:
                if answer.status_code == 201:
                    self.per_chat.setdefault(request.form["To"], []).append(time.monotonic())
                self.arrived.notify_all()
            return answer

        def seen(self, chat: str) -> int:
            with self.lock:
                return len(self.per_chat.get(chat, []))

        def wait_next(self, chat: str, after: int, timeout: float) -> float | None:
            """When message number `after` (0-based) to `chat` arrived, waiting up to `timeout`."""
            deadline = time.monotonic() + timeout
            with self.arrived:
                while len(self.per_chat.get(chat, [])) <= after:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self.arrived.wait(left)
                return self.per_chat[chat][after]

    return WatchedTwilio()


# --- HTTP -------------------------------------------------------------------------------------


def post(port: int, form: dict[str, str]) -> tuple[int, float]:
    """POST a signed Twilio webhook; return the status and the round trip in seconds."""
    from tests.support.signing import twilio_headers

    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **twilio_headers(TOKEN, PUBLIC + INBOUND, form),
    }
    body = urlencode(form)
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", INBOUND, body, headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        conn.close()


def message_form(rng: random.Random, number: str, body: str) -> dict[str, str]:
    """A WhatsApp text as Twilio POSTs it, with a fresh MessageSid."""
    sid = f"SM{rng.getrandbits(128):032x}"
    return {
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "SmsStatus": "received",
        "To": SANDBOX,
        "From": f"whatsapp:{number}",
        "WaId": number[1:],
        "ProfileName": f"Cliente {number[-4:]}",
        "ApiVersion": "2010-04-01",
        "NumSegments": "1",
        "NumMedia": "0",
        "MessageType": "text",
        "Body": body,
    }


def dialog(rng: random.Random, number: str) -> list[dict[str, str]]:
    """One customer's eight signed turns."""
    texts = [
        a or f"{rng.choice(PROBLEMS)} desde las {rng.randrange(7, 12)}:{rng.randrange(60):02d}"
        for a in DIALOG
    ]
    return [message_form(rng, number, text) for text in texts]


def wait_http(port: int, path: str, seconds: float = 60) -> None:
    """Wait until something answers on the port (any HTTP status)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def unused_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- processes --------------------------------------------------------------------------------


@contextmanager
def process(args: Sequence[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, stopped with SIGTERM (then killed) at the end."""
    with log.open("ab") as out:
        proc = subprocess.Popen(list(args), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def environment(database_url: str, provider: Any, data_dir: Path, concurrency: int) -> dict[str, str]:
    """What the web and worker processes see."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_", "SMTP_"))}
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        PUBLIC_BASE_URL=PUBLIC,
        SECRET_KEY="bench-" + "k" * 40,
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_WHATSAPP_FROM=SANDBOX,
        TWILIO_API_BASE_URL=provider.base_url,
        LOG_LEVEL="WARNING",
        OUTBOX_CONCURRENCY=str(concurrency),
    )
    return env


def gunicorn(app: str, port: int, env: dict[str, str], log: Path) -> Any:
    """gunicorn as docs/operations.md runs it: 4 sync workers on loopback."""
    args = [str(BIN / "gunicorn"), "--workers", "4", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), app]
    return process(args, env, log)


# --- the scenario -----------------------------------------------------------------------------


@dataclass
class Run:
    """What one mode measured."""

    mode: str
    workers: int = 1
    drain_rate: float = (
        0.0  # messages/s the workers delivered from the blast's start until the outbox drained
    )
    lags: list[float] = field(default_factory=list)
    after_answer: list[float] = field(default_factory=list)  # reply lag minus the webhook's round trip
    webhooks: list[float] = field(default_factory=list)
    app_rps: float = 0.0
    bare_rps: float = 0.0
    app_blast: list[float] = field(default_factory=list)
    bare_blast: list[float] = field(default_factory=list)
    chat_seconds: float = 0.0
    delivered: int = 0
    backlog: int = 0
    backlog_rate: float = 0.0  # messages/s while a backlog written in one transaction drains
    paused_rps: float = 0.0  # the app blast again with the worker processes stopped (--paused-blast)
    worker_cpu: float = 0.0  # CPU seconds the worker processes used during the chat phase
    failures: list[str] = field(default_factory=list)


def chat(provider: Any, port: int, numbers: Sequence[str], seed: int, timeout: float, run: Run) -> None:
    """Every customer does the intake at once, waiting for each answer and reading it."""
    lock = threading.Lock()
    barrier = threading.Barrier(len(numbers))

    def customer(index: int, number: str) -> None:
        rng = random.Random(f"chat-{seed}-{index}")  # sids never shared with the blast
        chat_id = f"whatsapp:{number}"
        barrier.wait()
        time.sleep(rng.uniform(0, 1.0))  # they do not all start in the same millisecond
        for form in dialog(rng, number):
            before = provider.seen(chat_id)
            started = time.monotonic()
            status, took = post(port, form)
            arrived = provider.wait_next(chat_id, before, timeout)
            with lock:
                run.webhooks.append(took)
                if status != 200:
                    run.failures.append(f"{number}: webhook answered {status}")
                if arrived is None:
                    run.failures.append(f"{number}: no reply within {timeout:.0f}s")
                    return
                run.lags.append(arrived - started)
                run.after_answer.append(arrived - started - took)
            # Reading the answer, 0.3–1.0 s; and, like a person typing the next answer, never within the
            # dialog's burst window of the previous message (bot.engine.BURST_WINDOW: a text that
            # follows within it is absorbed into the previous answer, which would stall this script).
            typed_after = BURST_SECONDS + 0.3 - (time.monotonic() - started - took)  # from the answer
            time.sleep(max(rng.uniform(0.3, 1.0), typed_after))

    started = time.monotonic()
    threads = [threading.Thread(target=customer, args=(i, n)) for i, n in enumerate(numbers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 60)
    run.chat_seconds = time.monotonic() - started


def blast(
    port: int, scripts: Sequence[list[dict[str, str]]], clients: int
) -> tuple[float, list[float], list[str]]:
    """Post every script's turns in order, `clients` scripts at a time; return req/s, latencies, failures."""
    queue = list(scripts)
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                script = queue.pop()
            for form in script:
                status, took = post(port, form)
                with lock:
                    latencies.append(took)
                    if status != 200:
                        failures.append(f"blast answered {status}")

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - started), latencies, failures


def paused_blast(
    port: int,
    scripts: Sequence[list[dict[str, str]]],
    clients: int,
    workers: Sequence[int],
    failures: list[str],
) -> float:
    """The app blast with the worker processes stopped (SIGSTOP, then SIGCONT); return req/s."""
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        rps, _, failed = blast(port, scripts, clients)
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    failures += failed
    return rps


def backlog(url: str, provider: Any, numbers: Sequence[str], each: int, timeout: float) -> tuple[int, float]:
    """Write `each` messages to every customer in one transaction; return how many and their delivery rate."""
    from bot.messages import Channel
    from channels.base import OutboundMessage
    from intake.db import make_engine, make_session_factory, unit_of_work
    from intake.db.models import utcnow
    from intake.delivery.outbox import enqueue

    engine = make_engine(url)
    total, mark = each * len(numbers), provider.count()
    with unit_of_work(make_session_factory(engine)) as session:
        for turn in range(each):
            for number in numbers:
                text = f"Aviso {turn + 1} de {each}"
                enqueue(
                    session,
                    OutboundMessage(channel=Channel.WHATSAPP, recipient=number, text=text),
                    now=utcnow(),
                )
        started = time.monotonic()  # the commit wakes the workers
    engine.dispose()
    deadline = started + timeout
    while provider.count() < mark + total:
        if time.monotonic() > deadline:
            raise TimeoutError(f"backlog not delivered after {timeout:.0f}s")
        time.sleep(0.01)
    return total, total / (time.monotonic() - started)


def seed_customers(database_url: str, count: int) -> list[str]:
    """The demo data, then one company, contact and WhatsApp identity per customer."""
    from sqlalchemy import select

    from intake.db import make_engine, make_session_factory, unit_of_work, upgrade
    from intake.db.models import ChannelIdentity, Company, Contact, SupportPlan
    from intake.services.demo import load_demo

    upgrade(database_url)
    engine = make_engine(database_url)
    numbers = [f"+5697{n:07d}" for n in range(1, count + 1)]
    with unit_of_work(make_session_factory(engine)) as session:
        load_demo(session)
        session.flush()
        plan = session.scalars(select(SupportPlan).where(SupportPlan.name == "Plan Estándar")).one()
        for serial, number in enumerate(numbers, start=1):
            company = Company(name=f"Cliente {serial:04d} SpA", plan=plan)
            contact = Contact(
                name=f"Cliente {serial}",
                email=f"c{serial}@cliente{serial}.example",
                company=company,
                language="es",
            )
            session.add_all(
                [company, contact, ChannelIdentity(contact=contact, channel="whatsapp", address=number)]
            )
    engine.dispose()
    return numbers


def drained(database_url: str) -> Callable[[], bool]:
    """A check: no accepted message still waits for its turn, no outbox row is still pending or being sent."""
    from sqlalchemy import func, select

    from intake.db import make_engine
    from intake.db.models import InboxItem, OutboxMessage

    engine = make_engine(database_url)

    def check() -> bool:
        with engine.connect() as conn:
            waiting = select(func.count()).where(InboxItem.status.in_(["pending", "working"]))
            unsent = select(func.count()).where(OutboxMessage.status.in_(["pending", "sending"]))
            return not conn.execute(waiting).scalar_one() and not conn.execute(unsent).scalar_one()

    return check


def verify(database_url: str, provider: Any, numbers: Sequence[str], since: int) -> list[str]:
    """One ticket per customer; every outbox row sent, once, in order, per customer."""
    from sqlalchemy import func, select

    from intake.db import make_engine
    from intake.db.models import ChannelIdentity, OutboxMessage, Ticket

    failures = []
    engine = make_engine(database_url)
    with engine.connect() as conn:
        owners = select(ChannelIdentity.address, func.count(Ticket.id)).join(
            Ticket, Ticket.contact_id == ChannelIdentity.contact_id
        )
        tickets = dict(
            conn.execute(
                owners.where(ChannelIdentity.channel == "whatsapp").group_by(ChannelIdentity.address)
            ).all()
        )
        rows = conn.execute(
            select(
                OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.provider_message_ids
            ).order_by(OutboxMessage.id)
        ).all()
    engine.dispose()
    for number in numbers:
        if tickets.get(number) != 1:
            failures.append(f"{number}: {tickets.get(number, 0)} ticket(s)")
    bad = [r.status for r in rows if r.status != "sent"]
    if bad:
        failures.append(f"{len(bad)} outbox row(s) not sent: {sorted(set(bad))}")
    expected: dict[str, list[str]] = {}
    for recipient, _, ids in rows:
        to = recipient if recipient.startswith("whatsapp:") else f"whatsapp:{recipient}"
        expected.setdefault(to, []).extend(ids or [])
    received: dict[str, list[str]] = {}
    with provider.lock:
        for to, sid in provider.sids_to[since:]:
            received.setdefault(to, []).append(sid)
    for to in sorted(set(expected) | set(received)):
        if expected.get(to, []) != received.get(to, []):
            failures.append(
                f"{to}: provider got {len(received.get(to, []))} message(s), outbox recorded "
                f"{len(expected.get(to, []))}, or another order"
            )
    return failures


def start_shape(
    stack: ExitStack, run: Run, env: dict[str, str], tmp: Path, app_port: int, bare_port: int
) -> list[int]:
    """Start the mode's web and worker processes and the bare endpoint; return the processes that run
    the turns and the sends (their CPU is measured)."""
    workers: list[int] = []
    if run.mode == "production":
        stack.enter_context(gunicorn("webhooks:app_from_env()", app_port, env, tmp / "web.log"))
        stack.enter_context(gunicorn("bench.load_bench:bare_app()", bare_port, env, tmp / "bare.log"))
        for n in range(run.workers):
            worker = process([str(BIN / "intake-bot"), "worker"], env, tmp / f"worker{n}.log")
            workers.append(stack.enter_context(worker).pid)
    else:
        serve = [str(BIN / "intake-bot"), "serve", "--port", str(app_port)]
        workers.append(stack.enter_context(process(serve, env, tmp / "serve.log")).pid)
        bare = [sys.executable, str(Path(__file__)), "--serve-bare", str(bare_port)]
        stack.enter_context(process(bare, env, tmp / "bare.log"))
    return workers


def run_mode(mode: str, workers: int, args: argparse.Namespace, admin_url: str, provider: Any) -> Run:
    """Start the shape, chat, blast, drain, check, stop."""
    from tests.support.postgres import scratch_postgres_database

    run = Run(mode, workers)
    with ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix=f"load_{mode}_"))  # removed at the end unless a check failed
        if mode == "production" or args.embedded_db == "postgresql":
            url = stack.enter_context(scratch_postgres_database(admin_url, "intake_load"))
        else:
            url = f"sqlite:///{tmp / 'intake.db'}"
        total = args.customers + args.blast_customers + args.warmup
        numbers = seed_customers(url, total)
        chatters, blasters = numbers[: args.customers], numbers[args.customers : total - args.warmup]
        warmers = numbers[total - args.warmup :]
        env = environment(url, provider, tmp / "var", args.concurrency)
        if args.worker_nice:
            env["WORKER_NICE"] = args.worker_nice
        app_port, bare_port = unused_port(), unused_port()
        workers = start_shape(stack, run, env, tmp, app_port, bare_port)
        wait_http(app_port, "/healthz")
        wait_http(bare_port, "/")
        for log in tmp.glob("worker*.log"):  # imported, wired and listening (not still starting up)
            wait_for_line(log, "worker running", args.timeout)
        since = len(provider.sids_to)  # the order check covers the warm-up's chats too
        # Warm-up, not counted: every process compiles its statements and opens its connections.
        chat(provider, app_port, warmers, args.seed + 1, args.timeout, Run(mode))
        wait_until(drained(url), args.timeout)
        before = provider.count()
        cpu = cpu_seconds(workers)
        chat(provider, app_port, chatters, args.seed, args.timeout, run)
        wait_until(drained(url), args.timeout)
        run.worker_cpu = cpu_seconds(workers) - cpu
        rng = random.Random(f"blast-{args.seed}")
        scripts = [dialog(rng, number) for number in blasters]
        mark, started = provider.count(), time.monotonic()
        run.app_rps, run.app_blast, failures = blast(app_port, scripts, args.clients)
        wait_until(drained(url), args.timeout)
        run.drain_rate = (provider.count() - mark) / (time.monotonic() - started)
        run.bare_rps, run.bare_blast, bare_failures = blast(bare_port, scripts, args.clients)
        if args.paused_blast and mode == "production":  # the accept path alone: no turn competes
            scripts = [dialog(rng, number) for number in blasters]
            run.paused_rps = paused_blast(app_port, scripts, args.clients, workers, run.failures)
            wait_until(drained(url), args.timeout)
        run.failures += failures + bare_failures
        run.backlog, run.backlog_rate = backlog(url, provider, chatters, args.backlog, args.timeout)
        time.sleep(0.5)
        run.delivered = provider.count() - before
        # One ticket each for the chatting customers; the blast posts a whole intake without waiting
        # for answers, which the dialog reads as bursts (absorbed), so blasters need not end with one.
        run.failures += verify(url, provider, chatters, since)
        if not run.failures:
            stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        else:
            print(f"  logs kept in {tmp}: {sorted(p.name for p in tmp.iterdir())}", file=sys.stderr)
            for log in tmp.glob("*.log"):
                print(
                    f"--- {log.name} (tail)\n"
                    + "\n".join(log.read_text(errors="replace").splitlines()[-20:]),
                    file=sys.stderr,
                )
    return run


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds these processes have used so far (Linux /proc; 0 elsewhere)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_for_line(log: Path, line: str, seconds: float) -> None:
    """Wait until a process's log shows `line`."""
    deadline = time.monotonic() + seconds
    while line not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{log.name} never said {line!r}")
        time.sleep(0.1)


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    """Poll until true or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {seconds:.0f}s")
        time.sleep(0.2)


def pct(values: Sequence[float], p: int) -> float:
    """The p-th percentile (nearest rank), in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(run: Run, args: argparse.Namespace) -> None:
    """Print one mode's figures."""
    workers = f", {run.workers} worker process(es)" if run.mode == "production" else ""
    latency = args.latency * 1000
    print(f"\n== {run.mode}{workers}: {args.customers} customers chatting, provider latency {latency:.0f} ms")
    lags, hooks = run.lags, run.webhooks
    print(
        f"reply lag      p50 {pct(lags, 50):7.0f} ms  p95 {pct(lags, 95):7.0f} ms"
        f"  max {max(lags or [0]) * 1000:7.0f} ms  (n={len(lags)})"
    )
    after = run.after_answer
    print(
        f"  of which after the webhook answered: p50 {pct(after, 50):7.0f} ms  p95 {pct(after, 95):7.0f} ms"
    )
    print(
        f"webhook (chat) p50 {pct(hooks, 50):7.1f} ms  p95 {pct(hooks, 95):7.1f} ms"
        f"  p99 {pct(hooks, 99):7.1f} ms  (n={len(hooks)})"
    )
    for name, rps, values in (("app ", run.app_rps, run.app_blast), ("bare", run.bare_rps, run.bare_blast)):
        print(
            f"blast {name}     {rps:7.1f} req/s  p50 {pct(values, 50):6.1f} ms  p99 {pct(values, 99):6.1f} ms"
            f"  (n={len(values)}, {args.clients} clients)"
        )
    ratio = run.app_rps / run.bare_rps if run.bare_rps else float("nan")
    print(f"ratio app/bare {ratio:7.2f}")
    if run.paused_rps:
        paused = run.paused_rps / run.bare_rps if run.bare_rps else float("nan")
        print(f"  with the worker processes stopped: {run.paused_rps:7.1f} req/s, ratio {paused:5.2f}")
    print(f"delivery       {run.drain_rate:7.1f} msg/s from the blast's start until the outbox drained")
    print(
        f"backlog        {run.backlog_rate:7.1f} msg/s ({run.backlog} messages, {args.backlog} per customer)"
    )
    who = "worker processes" if run.mode == "production" else "serve process (web + worker)"
    per_turn = 1000 * run.worker_cpu / max(len(run.lags), 1)
    print(f"worker CPU     {per_turn:7.1f} ms per chat message ({run.worker_cpu:.1f} s in the {who})")
    verdict = "OK" if not run.failures else f"{len(run.failures)} FAILED"
    print(f"messages delivered {run.delivered}; chat phase {run.chat_seconds:.1f} s; checks: {verdict}")
    for failure in run.failures[:20]:
        print(f"  FAIL {failure}")


def main() -> None:
    """Parse the options and run each mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--blast-customers", type=int, default=50)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in the blast")
    parser.add_argument("--latency", type=float, default=0.15, help="fake Twilio answer delay, seconds")
    parser.add_argument("--worker-processes", default="1", help="comma-separated: one production run each")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="OUTBOX_CONCURRENCY of each worker (default 16)"
    )
    parser.add_argument("--modes", default="production,embedded")
    parser.add_argument("--embedded-db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--backlog", type=int, default=8, help="messages per chatting customer in phase 3")
    parser.add_argument("--timeout", type=float, default=120, help="bound of each phase, seconds")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument(
        "--warmup", type=int, default=4, help="customers doing a whole intake first, not counted (default 4)"
    )
    parser.add_argument(
        "--worker-nice", default="", help="WORKER_NICE of the worker processes (default: the setting's, 10)"
    )
    parser.add_argument(
        "--paused-blast",
        action="store_true",
        help="production: blast the app once more with the worker processes stopped (SIGSTOP), "
        "to tell the accept path's own capacity from the CPU the turns take meanwhile",
    )
    parser.add_argument("--serve-bare", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        from werkzeug.serving import run_simple

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        run_simple("127.0.0.1", args.serve_bare, bare_app(), threaded=True)
        return
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    provider = make_provider(args.latency)
    failed = False
    try:
        for mode in args.modes.split(","):
            counts = [int(n) for n in args.worker_processes.split(",")] if mode == "production" else [0]
            for workers in counts:
                run = run_mode(mode, workers, args, admin_url, provider)
                report(run, args)
                failed = failed or bool(run.failures)
    finally:
        provider.server.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
