"""`intake-bot ticket billable | not-billable | log-time | show` and `intake-bot company credit | bank`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.cli import cli
from intake.cli.simulator import ChatSession
from intake.db.models import AuditEntry, Company, HoursBankCredit, TimeEntry
from intake.services.demo import DEMO_COMPANY
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock

ANA = "ana@latamadvisory.example"


def test_billing_and_the_hours_bank_from_the_terminal(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = datetime.now(UTC)
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes", "2", "2")
    chat.flush()
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        result = runner.invoke(cli, list(args), env=env, obj={}, catch_exceptions=False)
        clock.current = datetime.now(UTC) + timedelta(seconds=1)  # the CLI runs on the real clock
        return result

    def run(*args: str) -> str:
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        return result.output

    # the demo plan "Plan Estándar" has a 20-hour allotment: a bank; credit it 10.5 hours
    assert "Comercial Andes SpA: +10 h 30 min, balance 10 h 30 min" in run(
        "company", "credit", DEMO_COMPANY, "--hours", "10.5", "--note", "Paquete", "--actor", ANA
    )
    assert "logged (total 45 min)" in run("ticket", "log-time", number, "45", "Revisión", "--agent", ANA)
    out = run("ticket", "billable", number, "--reason", "El usuario borró la regla", "--agent", ANA)
    assert f"{number}: billable (user error)" in out
    assert "con cargo al cliente" in texts(chat.flush())
    logged = run("ticket", "log-time", number, "30", "Restauración", "--agent", ANA)
    assert "charged to the hours bank (balance 9 h 15 min)" in logged
    shown = run("ticket", "show", number)
    assert "BILLABLE (user error): El usuario borró la regla" in shown
    assert "time logged 1 h 15 min (1 h 15 min charged to the bank) · bank balance 9 h 15 min" in shown
    assert "Ana Soporte · 30 min · bank · Restauración" in shown
    assert "balance 9 h 15 min; warning at 2 h 00 min" in run("company", "bank", DEMO_COMPANY)
    assert f"{number}: not billable" in run(
        "ticket", "not-billable", number, "--reason", "bug", "--agent", ANA
    )
    with container.session_factory() as session:
        andes_id = session.scalars(select(Company.id).where(Company.name == DEMO_COMPANY)).one()
    assert "balance 10 h 30 min" in run("company", "bank", f"#{andes_id}")

    # refusals: clean errors, nothing written
    for args, words in (
        (("ticket", "log-time", number, "0", "x", "--agent", ANA), "1 to 1440 minutes"),
        (("ticket", "log-time", number, "1441", "x", "--agent", ANA), "1 to 1440 minutes"),
        (("ticket", "log-time", "LA-999999", "10", "x", "--agent", ANA), "no ticket LA-999999"),
        (("ticket", "billable", number, "--reason", " ", "--agent", ANA), "reason"),
        (("company", "credit", "Nadie SpA", "--hours", "1"), "no company"),
        (("company", "credit", DEMO_COMPANY, "--hours", "-2"), "between 1 minute"),
        (("company", "credit", DEMO_COMPANY, "--hours", "nan"), "hours must be a number"),
    ):
        result = invoke(*args)
        assert result.exit_code != 0 and words in result.output, (args, result.output)
    with container.session_factory() as session:
        assert len(session.scalars(select(TimeEntry)).all()) == 2
        assert len(session.scalars(select(HoursBankCredit)).all()) == 1
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "hours_bank.credit")).one()
        company = session.scalars(select(Company).where(Company.name == DEMO_COMPANY)).one()
        assert audit.actor == ANA and audit.target == company.name
    container.close()
