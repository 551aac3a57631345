"""Issue 10, item 17: the terminal simulator on a chosen, movable clock; messages shown at once; two
simulators on one database never take each other's messages."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import intake.cli.chat as chat_cli
from bot.messages import Channel, InboundMessage
from intake.cli import cli
from intake.cli.chat import _Poller
from intake.cli.simulator import ChatSession, SimulatedClock, parse_offset
from intake.db.models import Ticket
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock

SANTIAGO = ZoneInfo("America/Santiago")
INTAKE = ["hola", "1", "El módulo de ventas no deja confirmar pedidos", "omitir", "omitir", "3", "3"]
INTAKE.append("confirmar")


def _chat(database_url: str, tmp_path: Path, lines: list[str], *args: str) -> str:
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        cli,
        ["chat", "--poll-seconds", "0", *args],
        input="\n".join([*lines, "/quit"]) + "\n",
        env=env,
        obj={},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_parse_offset() -> None:
    assert parse_offset("+2h") == timedelta(hours=2)
    assert parse_offset("+30m") == timedelta(minutes=30)
    assert parse_offset("+3d") == timedelta(days=3)
    assert parse_offset("+1d2h30m") == timedelta(days=1, hours=2, minutes=30)
    for bad in ("2h", "+", "+2x", "-1h", "+h"):
        with pytest.raises(ValueError):
            parse_offset(bad)


def test_the_simulated_clock_starts_where_asked_runs_and_jumps() -> None:
    real = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    clock = SimulatedClock(datetime(2026, 12, 4, 19, 0, tzinfo=UTC), real=real)
    assert clock() == datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    real.advance(seconds=5)
    assert clock() == datetime(2026, 12, 4, 19, 0, 5, tzinfo=UTC)
    assert clock.advance(timedelta(hours=2)) == datetime(2026, 12, 4, 21, 0, 5, tzinfo=UTC)


def test_chat_at_a_friday_afternoon_then_the_clock_moves_over_the_weekend(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    make_container(database_url, tmp_path, clock).close()  # migrated, demo loaded
    lines = [*INTAKE, "/clock", "/agent take LA-000001", "/agent solve LA-000001 Reindexamos", "/clock +2d",
             "/clock +1d"]
    out = _chat(database_url, tmp_path, lines, "--at", "2026-12-04 16:00")
    assert "2026-12-04 16:00 (America/Santiago)" in out
    assert "Registramos su ticket LA-000001" in out
    # the validation reminder is due one business day later: Monday 16:00, not on the weekend
    after_weekend = out.split("(clock: 2026-12-06 16:00")[1]
    before_monday, monday = after_weekend.split("(clock: 2026-12-07 16:00")
    assert "Recordatorio" not in before_monday
    # three business days after Friday, skipping the weekend and Tuesday 8 December (a holiday)
    assert "Recordatorio" in monday
    assert "se cerrará automáticamente el jueves 10 de diciembre 16:00" in monday
    container = make_container(database_url, tmp_path, clock)
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket)).one()
    container.close()
    opened = ticket.opened_at.astimezone(SANTIAGO)
    start = datetime(2026, 12, 4, 16, 0, tzinfo=SANTIAGO)
    assert start <= opened < start + timedelta(minutes=2)


def test_a_bad_time_is_a_clean_error(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    make_container(database_url, tmp_path, clock).close()
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["chat", "--at", "mañana"], input="/quit\n", env=env, obj={})
    assert result.exit_code == 2 and "YYYY-MM-DD HH:MM" in result.output


def test_two_simulators_on_one_database_keep_their_own_messages(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    # two terminals: two containers, each with its own in-process chat adapter, on the same database
    first = make_container(database_url, tmp_path, clock)
    second = make_container(database_url, tmp_path, clock)
    maria = ChatSession(first, "+56911111111")
    stranger = ChatSession(second, "+15550009999", language="en")
    # María writes; the other terminal happens to run its jobs before María's terminal does
    inbound = InboundMessage(
        channel=Channel.CHAT, sender_id="+56911111111", provider_message_id="sim-1",
        received_at=clock(), text="hola", raw={"simulated_channel": "whatsapp"},
    )
    first.inbound.handle_inbound(inbound, now=clock())
    assert stranger.flush() == []
    assert second.adapters["chat"].take() == []  # nothing of María's reached the other terminal
    assert "María" in texts(maria.flush())
    first.close()
    second.close()


def test_an_agent_acting_elsewhere_reaches_the_chat_without_the_customer_typing(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes")
    shown: list[str] = []
    original = chat_cli._show
    chat_cli._show = shown.extend  # type: ignore[assignment]
    poller = _Poller(chat, 0.05)
    try:
        agents = make_container(database_url, tmp_path, clock)  # another terminal: `intake-bot ticket take`
        agents.agent_actions.take(number, "ana@latamadvisory.example")
        agents.close()
        deadline = time.monotonic() + 5
        while not shown and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()
        chat_cli._show = original
    assert any("Ana Soporte tomó su ticket" in line for line in shown), shown
    container.close()


def test_a_simulator_on_a_past_clock_still_shows_what_an_agent_queued_on_the_real_clock(
    database_url: str, tmp_path: Path
) -> None:
    real = FakeClock(datetime(2026, 12, 5, 13, 0, tzinfo=UTC))
    sim = SimulatedClock(datetime(2026, 12, 4, 19, 0, tzinfo=UTC), real=real)
    container = make_container(database_url, tmp_path, sim)  # type: ignore[arg-type]
    chat = ChatSession(container, "+56911111111", delivery_clock=sim.latest)
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes")
    other = make_container(database_url, tmp_path, real)  # `intake-bot ticket take` on the real clock
    other.agent_actions.take(number, "ana@latamadvisory.example")
    other.close()
    assert "Ana Soporte tomó su ticket" in texts(chat.flush())
    container.close()
