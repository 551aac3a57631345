"""`mail poll` against a real IMAP server on loopback (pymap): unseen mail becomes tickets, seen after."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from channels.email_imap import ImapConfig, ImapLoginError, ImapPoller, RetryLater
from intake.bootstrap import Container, build_container, run_background_loops
from intake.cli import cli
from intake.config import load_settings
from intake.db.models import Ticket, TicketEvent
from tests.integration.mail_harness import smtp_desk
from tests.integration.test_email_send import Mailbox
from tests.support.clock import FakeClock
from tests.support.imap_server import PASSWORD, USER, ImapServer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"
OURS = "soporte@consultora.cl"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def imap(imap_server: ImapServer) -> ImapServer:
    imap_server.clear()
    return imap_server


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock, mailbox: Mailbox) -> Iterator[Container]:
    with smtp_desk(database_url, tmp_path, clock, mailbox, signing_key=None) as built:
        yield built


def config_for(server: ImapServer, **changes: object) -> ImapConfig:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "username": USER,
        "password": PASSWORD,
        "security": "plain",
        "timeout": 5.0,
        "poll_seconds": 0.5,
    }
    values.update(changes)
    return ImapConfig(**values)  # type: ignore[arg-type]


def poller_of(container: Container, server: ImapServer) -> ImapPoller:
    container.imap = config_for(server)
    poller = container.make_mail_poller()
    assert poller is not None
    return poller


def one_pass(poller: ImapPoller) -> tuple[int, int, int]:
    mailbox = poller.connect()
    try:
        result = poller.poll_once(mailbox)
    finally:
        mailbox.logout()
    return result.handled, result.failed, result.parked


def tickets(container: Container) -> list[Ticket]:
    with container.transaction() as session:
        rows = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        for row in rows:
            session.expunge(row)
        return rows


def test_a_new_message_opens_a_ticket_and_is_marked_seen(container: Container, imap: ImapServer) -> None:
    uid = imap.append(load("multipart_attachments.eml"))
    assert r"\Seen" not in imap.flags(uid)
    assert one_pass(poller_of(container, imap)) == (1, 0, 0)
    assert r"\Seen" in imap.flags(uid)
    [ticket] = tickets(container)
    assert ticket.channel == "email" and ticket.title == "No podemos emitir facturas desde esta mañana"
    assert one_pass(poller_of(container, imap)) == (0, 0, 0)  # seen: not fetched again


def test_a_reply_to_our_acknowledgement_threads_onto_the_ticket(
    container: Container, imap: ImapServer, mailbox: Mailbox
) -> None:
    poller = poller_of(container, imap)
    imap.append(load("html_only.eml"))
    one_pass(poller)
    container.run_jobs_once()  # the acknowledgement leaves by SMTP
    [(_, _, ack)] = [m for m in mailbox.received if m[1] == ["lucia.gomez@cliente.cl"]]
    reply = load("gmail_reply_es.eml").replace(
        b"<placeholder@consultora.cl>", str(ack["Message-ID"]).encode()
    )
    imap.append(reply)
    assert one_pass(poller) == (1, 0, 0)
    [ticket] = tickets(container)  # the reply opened nothing new
    with container.transaction() as session:
        bodies = session.scalars(
            select(TicketEvent.body).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "customer_reply"
            )
        ).all()
    assert bodies == ["Hola, un cuarto usuario (jperez) también quedó bloqueado."]


def test_a_failure_leaves_the_message_unseen_and_a_later_pass_takes_it(
    container: Container, imap: ImapServer
) -> None:
    real = poller_of(container, imap)
    calls: list[bytes] = []

    def broken(raw: bytes) -> None:
        calls.append(raw)
        raise RuntimeError("database unavailable")

    uid = imap.append(load("html_only.eml"))
    assert one_pass(ImapPoller(real.config, broken)) == (0, 1, 0)
    assert len(calls) == 1 and b"Usuarios bloqueados en el portal" in calls[0]
    assert imap.flags(uid) == set()  # still unseen
    assert tickets(container) == []
    assert one_pass(real) == (1, 0, 0)  # nothing was lost
    assert r"\Seen" in imap.flags(uid)
    assert len(tickets(container)) == 1


def test_a_message_that_keeps_failing_is_flagged_for_a_person_and_not_retried(
    imap: ImapServer, tmp_path: Path
) -> None:
    def broken(raw: bytes) -> None:
        raise ValueError("cannot parse")

    counts = tmp_path / "mail-failures.json"
    uid = imap.append(load("html_only.eml"))
    passes = [one_pass(ImapPoller(config_for(imap, max_failures=3), broken, counts)) for _ in range(3)]
    assert passes == [(0, 1, 0), (0, 1, 0), (0, 1, 1)]  # a new poller each time: the count survives
    assert imap.flags(uid) == {r"\Flagged"}  # unread, flagged for a person
    assert one_pass(ImapPoller(config_for(imap), broken, counts)) == (0, 0, 0)  # parked: never loops


def test_the_worker_polls_and_idle_picks_up_a_message_appended_while_idling(
    container: Container, imap: ImapServer
) -> None:
    container.imap = config_for(imap, poll_seconds=300.0)  # only IDLE can notice the new mail in time
    stop = threading.Event()
    threads = run_background_loops(container, stop)
    try:
        assert any(t.name == "mail-poller" for t in threads)
        time.sleep(1.5)  # connected, empty pass done, idling
        uid = imap.append(load("rfc2047_subject.eml"))
        deadline = time.monotonic() + 10
        while not tickets(container) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [t.title for t in tickets(container)] == ["Erro no relatório de comissões: ação urgente"]
        deadline = time.monotonic() + 5
        while r"\Seen" not in imap.flags(uid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert r"\Seen" in imap.flags(uid)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert not any(t.is_alive() for t in threads if t.name == "mail-poller")


def test_bad_credentials_are_a_clear_error_and_lose_nothing(container: Container, imap: ImapServer) -> None:
    uid = imap.append(load("html_only.eml"))
    poller = ImapPoller(config_for(imap, password="wrong-password"), container.make_mail_intake().ingest)
    with pytest.raises(ImapLoginError, match="IMAP login refused for 'soporte'") as refused:
        poller.connect()
    assert "wrong-password" not in str(refused.value)
    assert r"\Seen" not in imap.flags(uid)
    assert tickets(container) == []


def env_for(database_url: str, tmp_path: Path, imap: ImapServer, password: str = PASSWORD) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path),
        "EMAIL_FROM": f"Mesa <{OURS}>",
        "IMAP_HOST": imap.host,
        "IMAP_PORT": str(imap.port),
        "IMAP_USER": USER,
        "IMAP_PASSWORD": password,
        "IMAP_SSL": "false",
    }


def test_cli_mail_poll_once(
    container: Container, imap: ImapServer, database_url: str, tmp_path: Path
) -> None:
    uid = imap.append(load("html_only.eml"))
    result = CliRunner().invoke(cli, ["mail", "poll", "--once"], env=env_for(database_url, tmp_path, imap))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "handled: 1, failed: 0, parked: 0"
    assert r"\Seen" in imap.flags(uid) and len(tickets(container)) == 1


def test_cli_mail_poll_with_bad_credentials_fails_clearly(
    container: Container, imap: ImapServer, database_url: str, tmp_path: Path
) -> None:
    uid = imap.append(load("html_only.eml"))
    env = env_for(database_url, tmp_path, imap, password="nope-nope")
    result = CliRunner().invoke(cli, ["mail", "poll", "--once"], env=env)
    assert result.exit_code == 1
    assert "IMAP login refused" in result.output and "nope-nope" not in result.output
    assert r"\Seen" not in imap.flags(uid) and tickets(container) == []


def test_cli_mail_poll_without_imap_settings(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["mail", "poll", "--once"], env=env)
    assert result.exit_code == 1 and "IMAP is not configured" in result.output


def test_mail_arriving_during_a_pass_is_not_left_waiting_for_the_next_idle(
    container: Container, imap: ImapServer
) -> None:
    intake = container.make_mail_intake()
    later = load("new_mail_en.eml")
    arrived: list[str] = []

    def handle(raw: bytes) -> object:
        if not arrived:  # a new message lands while the first one is being handled
            arrived.append(imap.append(later))
        return intake.ingest(raw)

    imap.append(load("html_only.eml"))
    poller = ImapPoller(config_for(imap, poll_seconds=300.0), handle)
    mailbox = poller.connect()
    try:
        assert poller.poll_once(mailbox).handled >= 1
        stop = threading.Event()
        waiter = threading.Thread(target=poller.wait, args=(mailbox, stop))
        waiter.start()
        waiter.join(5)
        returned = not waiter.is_alive()  # no 25-minute IDLE over mail that is already there
        stop.set()
        waiter.join(5)
        assert returned
        poller.poll_once(mailbox)
    finally:
        mailbox.logout()
    assert sorted(t.title or "" for t in tickets(container)) == [
        "Invoices stuck in draft after the upgrade",
        "Usuarios bloqueados en el portal",
    ]
    assert r"\Seen" in imap.flags(arrived[0])


def test_a_database_outage_leaves_every_message_unseen_and_parks_none(
    container: Container, imap: ImapServer, tmp_path: Path, clock: FakeClock
) -> None:
    away = load_settings(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/no-such-dir/intake.db", "DATA_DIR": str(tmp_path / "away")},
        env_file=None,
    )
    broken = build_container(away, clock=clock)
    broken.imap = config_for(imap, max_failures=1)
    poller = broken.make_mail_poller()
    assert poller is not None
    uids = [imap.append(load("html_only.eml")), imap.append(load("new_mail_en.eml"))]
    try:
        for _ in range(3):
            with pytest.raises(RetryLater, match="database unavailable"):
                one_pass(poller)
    finally:
        broken.close()
    assert [imap.flags(uid) for uid in uids] == [set(), set()]  # neither seen nor parked
    assert one_pass(poller_of(container, imap)) == (2, 0, 0)  # the database is back: nothing was lost


def test_mail_over_the_size_limit_is_flagged_for_a_person_and_never_parsed(
    container: Container, imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, large = load("html_only.eml"), load("multipart_attachments.eml")
    assert len(small) < len(large)
    monkeypatch.setattr("channels.email_imap.MAX_MAIL_BYTES", len(small) + 100)  # the large one is over
    big = imap.append(large)
    fine = imap.append(small)
    assert one_pass(poller_of(container, imap)) == (1, 0, 1)
    assert imap.flags(big) == {r"\Flagged"} and r"\Seen" in imap.flags(fine)
    assert [t.title for t in tickets(container)] != [] and len(tickets(container)) == 1
    assert one_pass(poller_of(container, imap)) == (0, 0, 0)  # parked: never fetched again


def test_cli_mail_ingest_refuses_a_message_over_the_limit(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = load("multipart_attachments.eml")
    monkeypatch.setattr("intake.cli.mail.MAX_MAIL_BYTES", len(raw) - 1)
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    refused = CliRunner().invoke(cli, ["mail", "ingest"], input=raw, env=env)
    assert refused.exit_code == 1 and "over the" in refused.output and "refused" in refused.output
    settings = load_settings(env, env_file=None)
    container = build_container(settings)
    try:
        assert tickets(container) == []
    finally:
        container.close()
