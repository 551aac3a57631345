"""`intake-bot report show|csv|pdf|send` on the seeded November (tests/support/report_month.py): the CSV
parsed back, the PDF turned into images (pdftoppm) and text (pdftotext), the e-mails received by a real
SMTP server (aiosmtpd). The figures are the hand-worked ones of tests/integration/test_report.py."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.cli.report import report_group
from intake.config import Settings, load_settings
from intake.db.models import OutboxMessage
from intake.services.report_output import CSV_COLUMNS
from intake.wiring import container_from_settings
from tests.integration.test_email_send import Mailbox, free_port
from tests.support.report_month import seed_month


def invoke(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(report_group, list(args), obj={"settings": settings})


@pytest.fixture
def settings(database_url: str, session_factory: sessionmaker[Session], tmp_path: Path) -> Settings:
    with session_factory.begin() as session:
        seed_month(session)
    return load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, env_file=None)


def test_show_prints_the_figures(settings: Settings) -> None:
    shown = invoke(settings, "show", "--month", "2026-11", "--company", "Acme Industrial")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "Monthly service report 2026-11 — Acme Industrial (America/Santiago)"
    total = next(line for line in lines if line.startswith("total"))
    # 8 opened, 5 closed, 1 exempt, 60 % (3/5), 75 % (3/4), medians 0.625 / 9, p90 2 / 26.5
    assert total.split()[:9] == ["total", "8", "5", "1", "60.0%", "(3/5)", "75.0%", "(3/4)", "0.62"]
    assert "  A-6 P3 resolution: 268.50 h of 24.00 h, still open — Acme Industrial — Ticket A-6" in lines
    assert lines[-1] == "Hours bank at month end: credited 15.00 h, charged 4.25 h, balance 10.75 h"


def test_bad_input_is_a_clean_error(settings: Settings, tmp_path: Path) -> None:
    bad_month = invoke(settings, "show", "--month", "2026-13")
    assert bad_month.exit_code == 1 and "a month is written YYYY-MM" in bad_month.output
    unknown = invoke(
        settings, "pdf", "--month", "2026-11", "--company", "Nadie", "-o", str(tmp_path / "x.pdf")
    )
    assert unknown.exit_code == 1 and "no company is named 'Nadie'" in unknown.output
    assert not (tmp_path / "x.pdf").exists()
    no_smtp = invoke(settings, "send", "--month", "2026-11")
    assert no_smtp.exit_code == 1 and "e-mail is not configured" in no_smtp.output


def test_csv_parsed_back(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "nov.csv"
    written = invoke(settings, "csv", "--month", "2026-11", "-o", str(out))
    assert written.exit_code == 0, written.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    # Three companies and the desk, six rows each (P1…P5, total).
    assert [(r["company"], r["priority"]) for r in rows][::6] == [
        ("Acme Industrial", "P1"),
        ("Beta Logística", "P1"),
        ("Gamma Retail", "P1"),
        ("desk", "P1"),
    ]
    assert len(rows) == 24
    acme = {r["priority"]: r for r in rows if r["company"] == "Acme Industrial"}
    assert {k: acme["total"][k] for k in CSV_COLUMNS[3:]} == {
        "priority": "total",
        "opened": "8",
        "closed": "5",
        "sla_exempt": "1",
        "response_measured": "5",
        "response_met": "3",
        "response_met_pct": "60.00",
        "resolution_measured": "4",
        "resolution_met": "3",
        "resolution_met_pct": "75.00",
        "response_median_business_hours": "0.62",  # 0.625 → 0.62 (round half to even)
        "response_p90_business_hours": "2.00",
        "resolution_median_business_hours": "9.00",
        "resolution_p90_business_hours": "26.50",
        "backlog_0_2_days": "1",
        "backlog_3_7_days": "2",
        "backlog_8_30_days": "0",
        "backlog_over_30_days": "1",
        "solutions_proposed": "4",
        "reopened": "1",
        "reopen_pct": "25.00",
        "surveys_sent": "4",
        "surveys_answered": "3",
        "survey_response_pct": "75.00",
        "survey_average": "4.00",
        "hours_used": "4.50",  # 270 min
        "hours_charged_to_bank": "3.50",  # 210 min
        "bank_credited_hours_to_month_end": "15.00",  # 900 min
        "bank_charged_hours_to_month_end": "4.25",  # 255 min
        "bank_balance_hours": "10.75",  # 645 min
    }
    assert acme["P2"]["response_met_pct"] == "0.00" and acme["P2"]["response_median_business_hours"] == ""
    assert acme["P1"]["bank_balance_hours"] == ""  # the bank is on the total row only
    beta_p2 = next(r for r in rows if r["company"] == "Beta Logística" and r["priority"] == "P2")
    assert (beta_p2["response_met_pct"], beta_p2["response_median_business_hours"]) == ("100.00", "1.50")
    desk = next(r for r in rows if r["company"] == "desk" and r["priority"] == "total")
    assert (desk["company_id"], desk["opened"], desk["resolution_met_pct"], desk["survey_average"]) == (
        "",
        "11",
        "83.33",  # 5/6
        "3.60",
    )
    assert desk["bank_balance_hours"] == "13.75"  # 825 min
    one = tmp_path / "beta.csv"
    assert invoke(settings, "csv", "--month", "2026-11", "--company", "Beta", "-o", str(one)).exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(one.read_text())))) == 6


def pdf_pages(pdf: Path, tmp_path: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


def ink_share(png: Path) -> float:
    """The share of pixels that are not (nearly) white."""
    with Image.open(png) as image:
        histogram = image.convert("L").histogram()
    return sum(histogram[:235]) / sum(histogram)


def test_pdf_pages_are_not_blank(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "acme.pdf"
    written = invoke(settings, "pdf", "--month", "2026-11", "--company", "Acme", "-o", str(out))
    assert written.exit_code == 0, written.output
    assert out.read_bytes().startswith(b"%PDF")
    pages = pdf_pages(out, tmp_path)
    assert len(pages) >= 1
    assert ink_share(pages[0]) > 0.03  # the summary table and three charts
    words = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True, text=True).stdout
    assert "Informe mensual de servicio" in words and "Acme Industrial" in words and "noviembre 2026" in words
    assert "60.0 %" in words and "268.50 / 24.00" in words and "10.75" in words

    english = tmp_path / "desk-en.pdf"
    assert invoke(settings, "pdf", "--month", "2026-11", "--lang", "en", "-o", str(english)).exit_code == 0
    words = subprocess.run(
        ["pdftotext", str(english), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Monthly service report" in words and "Whole desk" in words and "November 2026" in words
    assert "71.4 %" in words  # 5/7 answered within the target, the whole desk


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp_port(mailbox: Mailbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_send_mails_each_report_contact_once(
    settings: Settings, database_url: str, tmp_path: Path, mailbox: Mailbox, smtp_port: int
) -> None:
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path), "SMTP_HOST": "127.0.0.1"}
    smtp = load_settings(
        {**env, "SMTP_PORT": str(smtp_port), "EMAIL_FROM": "soporte@desk.example"}, env_file=None
    )
    sent = invoke(smtp, "send", "--month", "2026-11")
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines() == [
        "queued 2026-11 report of Acme Industrial to ana@acme.example",
        "queued 2026-11 report of Acme Industrial to bob@acme.example",
        "queued 2026-11 report of Beta Logística to paulo@beta.example",
        "no report contact with an e-mail: Gamma Retail",
        "3 e-mail(s) queued, 0 already sent, 1 compan(y/ies) without report contacts",
    ]
    container = container_from_settings(smtp)
    try:
        container.make_worker().run_once()
    finally:
        container.close()
    received = {rcpt[0]: message for _, rcpt, message in mailbox.received}
    assert sorted(received) == ["ana@acme.example", "bob@acme.example", "paulo@beta.example"]
    subjects = {address: str(message["Subject"]) for address, message in received.items()}
    assert subjects == {
        "ana@acme.example": "Informe mensual de servicio — noviembre 2026 — Acme Industrial",
        "bob@acme.example": "Monthly service report — November 2026 — Acme Industrial",
        "paulo@beta.example": "Relatório mensal de serviço — novembro 2026 — Beta Logística",
    }
    for address, message in received.items():
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf", address
        assert attachment.get_content().startswith(b"%PDF")
    assert received["bob@acme.example"].get_filename() is None
    assert [a.get_filename() for a in received["bob@acme.example"].iter_attachments()] == [
        "report-2026-11-acme-industrial.pdf"
    ]
    pdf = tmp_path / "paulo.pdf"
    pdf.write_bytes(next(received["paulo@beta.example"].iter_attachments()).get_content())
    words = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "Relatório mensal de serviço" in words and "Beta Logística" in words

    again = invoke(smtp, "send", "--month", "2026-11")
    assert again.exit_code == 0
    assert "0 e-mail(s) queued, 3 already sent" in again.output
    assert "already sent 2026-11 report of Acme Industrial to ana@acme.example (use --force to resend)" in (
        again.output
    )
    forced = invoke(smtp, "send", "--month", "2026-11", "--company", "Beta", "--force")
    assert forced.exit_code == 0 and "1 e-mail(s) queued, 0 already sent" in forced.output
    engine_settings = container_from_settings(smtp)
    try:
        with engine_settings.session_factory() as session:
            count = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "monthly_report")
            )
        assert count == 4  # 3 + the forced one; the plain second run queued nothing
        engine_settings.make_worker().run_once()
    finally:
        engine_settings.close()
    assert len(mailbox.received) == 4


def test_demo_month_loads_once(database_url: str, tmp_path: Path) -> None:
    from intake.cli.demo import demo_group

    fresh = load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, env_file=None)
    first = CliRunner().invoke(demo_group, ["month"], obj={"settings": fresh})
    assert first.exit_code == 0 and first.output.startswith("demo month 2026-11: created")
    again = CliRunner().invoke(demo_group, ["month"], obj={"settings": fresh})
    assert again.exit_code == 0 and again.output.startswith("demo month 2026-11: already there")
    shown = invoke(fresh, "show", "--month", "2026-11", "--company", "Acme")
    assert "total     8    5   1   60.0% (3/5)   75.0% (3/4)" in shown.output


def test_show_prints_a_hostile_title_without_its_terminal_escapes(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from sqlalchemy import update

    from intake.db.models import Ticket

    with session_factory.begin() as session:  # a breached ticket whose title came from a customer
        session.execute(
            update(Ticket)
            .where(Ticket.number == "A-6")
            .values(title="Caja \x1b[2J\x1b]52;c;ZXZpbA==\x07rota")
        )
    shown = invoke(settings, "show", "--month", "2026-11", "--company", "Acme Industrial")
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output and "\x07" not in shown.output
    assert "A-6 P3 resolution" in shown.output and "Caja" in shown.output
