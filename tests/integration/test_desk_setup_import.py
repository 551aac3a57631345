"""CSV import of companies and contacts on both backends: preview = the import rolled back, bad rows are
reported (row, column, reason) and skipped, re-import changes nothing; and the `customers import` command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from intake.bootstrap import Container
from intake.cli.customers import customers_group
from intake.config import load_settings
from intake.db.models import AuditEntry, ChannelIdentity, Company, Contact
from intake.services.customer_import import CustomerImport
from tests.integration.service_harness import make_container
from tests.support.clock import FakeClock

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "customers.csv"
HEADER = "company,tax_id,plan,contact_name,email,phone,whatsapp,telegram\n"
MIXED = HEADER + (
    "Minera Norte Ltda.,96.555.444-3,Plan Incidentes,Lucía Araya,lucia@mineranorte.cl,,+56 9 4444 5555,\n"
    "Minera Norte Ltda.,96.555.444-3,Plan Oro,Jorge Silva,jorge@mineranorte.cl,,,\n"
    "Minera Norte Ltda.,,,Rosa Díaz,rosa(at)mineranorte.cl,,,\n"
    "Transportes del Sur S.A.,77.888.999-K,,,,,,\n"
    ",,,Sin Empresa,sin@empresa.cl,,,\n"
    "Minera Norte Ltda.,,,Otro,otro@mineranorte.cl,,+56911111111,\n"
    "Minera Norte Ltda.,,,Lucía Araya,lucia@mineranorte.cl,,,111111111\n"
)


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    built = make_container(database_url, tmp_path, clock)
    yield built
    built.close()


@pytest.fixture
def importer(container: Container) -> CustomerImport:
    return CustomerImport(container.session_factory, container.clock)


def _counts(container: Container) -> tuple[int, ...]:
    with container.session_factory() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Company, Contact, ChannelIdentity, AuditEntry)
        )


def test_the_preview_shows_each_bad_row_and_writes_nothing(
    container: Container, importer: CustomerImport
) -> None:
    before = _counts(container)
    report = importer.preview(MIXED.encode())
    assert _counts(container) == before and not report.applied
    assert [str(e) for e in report.errors] == [
        "row 3, column plan: no plan named 'Plan Oro' (plans: Plan Estándar, Plan Incidentes)",
        "row 4, column email: 'rosa(at)mineranorte.cl' is not an e-mail address (name@example.com)",
        "row 6, column company: a company needs a name",
        "row 7, column whatsapp: +56911111111 is already María González (#1),"
        " a contact of Comercial Andes SpA",
        "row 8, column telegram: Telegram 111111111 already belongs to María González (#1);"
        " merge the two contacts instead",
    ]
    assert [(r.row, r.company_action, r.contact_action) for r in report.rows if r.ok] == [
        (2, "created", "created"),
        (5, "created", ""),
    ]
    assert report.good_rows == 2


def test_the_import_takes_the_good_rows_and_a_re_import_changes_nothing(
    container: Container, importer: CustomerImport
) -> None:
    first = importer.run(MIXED.encode(), "admin@soporte.example")
    assert first.applied and first.good_rows == 2 and len(first.errors) == 5
    with container.session_factory() as session:
        minera = session.scalars(select(Company).where(Company.name == "Minera Norte Ltda.")).one()
        assert (
            minera.tax_id == "96555444-3"
            and minera.plan is not None
            and minera.plan.name == "Plan Incidentes"
        )
        lucia = session.scalars(select(Contact).where(Contact.email == "lucia@mineranorte.cl")).one()
        assert lucia.company_id == minera.id and lucia.verified
        identities = session.scalars(
            select(ChannelIdentity.address).where(ChannelIdentity.contact_id == lucia.id)
        )
        assert list(identities) == ["+56944445555"]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "customers.import")).one()
        assert entry.actor == "admin@soporte.example" and entry.data and entry.data["skipped"] == 5
    after_first = _counts(container)
    again = importer.run(MIXED.encode(), "admin@soporte.example")
    assert [(r.company_action, r.contact_action) for r in again.rows if r.ok] == [
        ("unchanged", "unchanged"),
        ("unchanged", ""),
    ]
    assert _counts(container)[:3] == after_first[:3]


def test_the_example_file_imports_cleanly_and_updates_the_demo_customer(
    container: Container, importer: CustomerImport
) -> None:
    report = importer.run(EXAMPLE.read_bytes(), "cli")
    assert report.errors == [] and report.good_rows == 5
    assert report.rows[0].company_action == "updated" and report.rows[0].contact_action == "updated"
    with container.session_factory() as session:
        andes = session.scalars(select(Company).where(Company.name == "Comercial Andes SpA")).one()
        assert andes.tax_id == "76123456-7"
        maria = session.scalars(select(Contact).where(Contact.name == "María González")).one()
        assert maria.phone == "+56223456789"
    assert importer.preview(EXAMPLE.read_bytes()).counts == {
        "rows": 5,
        "skipped": 0,
        "companies_unchanged": 5,
        "contacts_unchanged": 4,
    }


def test_a_company_is_matched_by_tax_id_and_renamed(container: Container, importer: CustomerImport) -> None:
    importer.run(HEADER + "Minera Norte,96.555.444-3,,,,,,\n", "cli")
    report = importer.run(HEADER + "Minera Norte Ltda.,96555444-3,,,,,,\n", "cli")
    assert report.rows[0].company_action == "updated"
    clash = importer.preview(HEADER + "Comercial Andes SpA,96555444-3,,,,,,\n")
    assert [str(e) for e in clash.errors] == [
        "row 2, column tax_id: tax id 96555444-3 belongs to Minera Norte Ltda., not Comercial Andes SpA"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "row 1, column -: the file is empty; the first row must name the columns"),
        ("name,email\nX,x@y.cl\n", "row 1, column name: unknown column"),
        ("email\nx@y.cl\n", "row 1, column company: the header has no company column"),
    ],
)
def test_a_file_with_a_bad_header_imports_nothing(
    container: Container, importer: CustomerImport, text: str, message: str
) -> None:
    before = _counts(container)
    report = importer.run(text.encode(), "cli")
    assert str(report.errors[0]).startswith(message) and report.good_rows == 0
    assert _counts(container) == before


def test_a_file_that_is_not_utf8_imports_nothing(container: Container, importer: CustomerImport) -> None:
    report = importer.run(HEADER.encode() + "Compañía,,,,,,,\n".encode("latin-1"), "cli")
    assert [str(e) for e in report.errors] == [
        "row 1, column -: the file is not UTF-8 text (save it as CSV UTF-8)"
    ]


def test_semicolons_and_a_row_with_too_many_cells(importer: CustomerImport) -> None:
    text = HEADER.replace(",", ";") + "Uno SpA;;;;;;;\nDos SpA;;;;;;;;extra\n"
    report = importer.preview(text)
    assert [str(e) for e in report.errors] == ["row 3, column -: 9 cells but the header names 8"]
    assert report.good_rows == 1


def test_the_command_line_prints_each_bad_row_and_exits_1(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(MIXED, encoding="utf-8")
    settings = load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, env_file=None)
    before = _counts(container)
    runner = CliRunner()
    dry = runner.invoke(customers_group, ["import", str(path), "--dry-run"], obj={"settings": settings})
    assert dry.exit_code == 1
    assert "error: row 3, column plan: no plan named 'Plan Oro'" in dry.output
    assert "row 2: company created, contact created" in dry.output
    assert "would import 2 row(s), skipped 5 bad row(s) (dry run)" in dry.output
    assert _counts(container) == before
    done = runner.invoke(customers_group, ["import", str(path)], obj={"settings": settings})
    assert done.exit_code == 1 and "imported 2 row(s), skipped 5 bad row(s)" in done.output
    clean = runner.invoke(customers_group, ["import", str(EXAMPLE)], obj={"settings": settings})
    assert clean.exit_code == 0, clean.output
    assert "imported 5 row(s), skipped 0 bad row(s)" in clean.output
