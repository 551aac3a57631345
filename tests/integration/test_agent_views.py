"""Issue 10, items 4 and 18: deadlines shown as they stand (paused, overdue), what agents see of a
ticket, alerts for file-only replies, companies named by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from intake.cli import cli
from intake.db.models import Company, Contingency, Ticket
from tests.integration.service_harness import open_ticket_through_chat, texts
from tests.integration.test_sweeper_sla import Desk, local
from tests.support.clock import FakeClock

ANA = "ana@latamadvisory.example"


def _cli(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, list(args), env=env, obj={}, catch_exceptions=False)
    return result.exit_code, result.output


# --- 4: paused and overdue clocks in the customer's chat -------------------------------------------


def test_the_chat_status_shows_a_paused_clock_not_a_stale_date(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "Las remuneraciones no calculan las horas extra", "1", "1")
    clock.current = local(2026, 3, 2, 9, 10)
    desk.chat.agent("info", number, "¿Qué trabajador y qué mes?")
    shown = texts(desk.chat.say(f"estado {number}"))
    assert "Respuesta: respondido · Solución: en pausa: esperando su respuesta" in shown, shown
    desk.container.close()


def test_the_chat_status_shows_an_overdue_clock(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "El sistema de facturación no abre para nadie", "1", "1")
    clock.current = local(2026, 3, 2, 9, 45)  # the P1 response was due at 09:30 and nobody answered
    shown = texts(desk.chat.say(f"estado {number}"))
    assert "Respuesta: vencido · Solución: 2026-03-02 15:00" in shown, shown  # resolution still runs
    desk.container.close()


# --- 4 and 18: what agents see ----------------------------------------------------------------------


def test_ticket_show_and_list_tell_who_where_files_survey_and_clock_states(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    evidence = tmp_path / "error-factura.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    number = open_ticket_through_chat(desk.chat, "No se puede validar ninguna factura electrónica", "1", "1")
    clock.current = local(2026, 3, 2, 9, 10)
    desk.chat.agent("take", number)
    desk.chat.agent("info", number, "¿Qué folio?")
    desk.chat.say(files=(evidence,))  # a file-only answer
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 9, 12))
    replied = [a for a in texts_of(desk, agents) if a.startswith(f"Customer replied on {number}")]
    assert replied and "error-factura.png" in replied[0], agents  # the alert is not empty

    # the CLI runs on the real clock: March 2026 is in the past, so the running clock is overdue
    code, listed = _cli(database_url, tmp_path, "ticket", "list")
    assert code == 0, listed
    assert f"{number}  P1  in_progress" in listed and "OVERDUE since 2026-03-02 15:00" in listed
    assert "Comercial Andes" in listed and "María González" in listed and "Ana Soporte" in listed

    desk.chat.agent("solve", number, "Renovamos el certificado")
    desk.chat.say("sí")
    desk.chat.say("4")
    desk.chat.say("Muy rápido, gracias")
    code, shown = _cli(database_url, tmp_path, "ticket", "show", number)
    assert code == 0, shown
    assert "company Comercial Andes" in shown and "contact María González" in shown
    assert "channel chat" in shown and "assignee Ana Soporte" in shown
    assert "response answered · resolution" in shown
    assert "attachments (1):" in shown and "error-factura.png · 108 B · stored" in shown
    assert "stored at " in shown
    assert "survey 4/5 · comment: Muy rápido, gracias" in shown
    desk.container.close()


def texts_of(desk: Desk, agents: list[str]) -> list[str]:
    """Agents' alerts, plus the ones queued since the last sweep."""
    return agents + [m.text for m in desk.agents.take("agents")]


def test_ticket_list_shows_a_paused_clock(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    clock.current = datetime.now(UTC) - timedelta(minutes=5)
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "No se pueden emitir notas de crédito", "3", "3")
    desk.chat.agent("info", number, "¿Desde cuándo?")
    code, listed = _cli(database_url, tmp_path, "ticket", "list")
    assert code == 0, listed
    assert f"{number}  P5  waiting_customer  paused: waiting on the customer" in listed, listed
    desk.container.close()


# --- 18: companies by name ---------------------------------------------------------------------------


def test_company_list_and_a_contingency_declared_by_company_name(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    with desk.container.session_factory() as session:
        andes = session.scalars(select(Company.id).where(Company.name.like("Comercial Andes%"))).one()
    code, listed = _cli(database_url, tmp_path, "company", "list")
    assert code == 0, listed
    assert f"#{andes}\tComercial Andes" in listed and "Distribuidora del Pacífico Ltda." in listed

    code, out = _cli(database_url, tmp_path, "contingency", "declare", "--title", "X", "--company", "ZZZ",
                     "--by", "Carlos")
    assert code == 1 and "no company is named 'ZZZ'" in out
    code, out = _cli(database_url, tmp_path, "contingency", "declare", "--title", "X", "--company", "a",
                     "--by", "Carlos")
    assert code == 1 and "names several companies" in out  # ambiguous: refused, nothing written
    with desk.container.session_factory() as session:
        assert session.scalars(select(Contingency)).all() == []

    code, out = _cli(database_url, tmp_path, "contingency", "declare", "--title", "Caída del hosting",
                     "--company", "COMERCIAL ANDES", "--by", "Carlos")
    assert code == 0, out
    assert f"declared for companies {andes}" in out
    with desk.container.session_factory() as session:
        (contingency,) = session.scalars(select(Contingency)).all()
        assert contingency.company_ids == [andes]
        assert session.scalars(select(Ticket)).all() == []
    desk.container.close()
