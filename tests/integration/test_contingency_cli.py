"""`intake-bot contingency declare|end|list` against the test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.cli.contingency import contingency_group
from intake.cli.simulator import ChatSession
from intake.config import Settings, load_settings
from intake.db.models import Company, OutboxMessage, Ticket, TicketPause
from tests.integration.service_harness import make_container, open_ticket_through_chat
from tests.support.clock import FakeClock


def invoke(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(contingency_group, list(args), obj={"settings": settings})


def test_declare_list_end_from_the_command_line(database_url: str, tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=1))
    container = make_container(database_url, tmp_path, clock)
    number = open_ticket_through_chat(
        ChatSession(container, "+56911111111"), "El ERP no abre desde la mañana"
    )
    with container.session_factory() as session:
        andes = session.scalars(select(Company.id).where(Company.name.like("Comercial Andes%"))).one()
    settings = load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, env_file=None)

    declared = invoke(
        settings, "declare", "--title", "Caída del hosting", "--company", str(andes), "--by", "Carlos"
    )
    assert declared.exit_code == 0, declared.output
    assert declared.output.strip() == (
        f"contingency #1 declared for companies {andes}: 1 open ticket(s) paused and SLA-exempt; "
        "customers told in 1 conversation(s)"
    )
    listed = invoke(settings, "list")
    assert listed.exit_code == 0
    [line] = listed.output.strip().splitlines()
    assert line.startswith("#1\tACTIVE\t") and line.endswith("\tCaída del hosting\t(by Carlos)")
    assert f"\tcompanies {andes}\t1 ticket(s)\t" in line

    twice = invoke(settings, "declare", "--title", "Otra", "--by", "Ana")
    assert twice.exit_code == 1 and "already active" in twice.output and "contingency end 1" in twice.output

    ended = invoke(settings, "end", "1")
    assert ended.exit_code == 0, ended.output
    assert (
        ended.output.strip() == "contingency #1 ended: 1 ticket(s) resumed with their deadlines moved later"
    )
    again = invoke(settings, "end", "1")
    assert again.exit_code == 1 and "already ended" in again.output
    assert "\tended\t" in invoke(settings, "list").output

    unknown = invoke(settings, "declare", "--title", "X", "--company", "999", "--by", "Ana")
    assert unknown.exit_code == 1 and "unknown company id(s): 999" in unknown.output
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert not ticket.sla_exempt  # exempt for the window only (issue 10, item 2)
        pause = session.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket.id)).one()
        assert pause.reason == "contingency" and pause.ended_at is not None
        kinds = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "contingency")).all()
        assert len(kinds) == 2  # started, ended
    container.close()


def test_list_without_contingencies_and_a_missing_option(database_url: str, tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, env_file=None)
    assert invoke(settings, "list").output.strip() == "no contingencies"
    missing = invoke(settings, "declare", "--title", "Sin autor")
    assert missing.exit_code == 2 and "--by" in missing.output
