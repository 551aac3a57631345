"""`intake-bot customers import FILE.csv [--dry-run]`: companies and contacts from a CSV file."""

from __future__ import annotations

from pathlib import Path

import click

from intake.cli.common import open_container
from intake.services.customer_import import COLUMNS, CustomerImport, ImportReport


@click.group("customers")
def customers_group() -> None:
    """Customer companies and contacts in bulk."""


@customers_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
@click.pass_context
def import_customers(ctx: click.Context, path: Path, dry_run: bool) -> None:
    """Import companies and contacts (columns: company, tax_id, plan, contact_name, email, phone, whatsapp,
    telegram). Good rows are imported in one transaction, bad rows are listed and skipped; exit 1 if any."""
    data = path.read_bytes()
    with open_container(ctx) as container:
        importer = CustomerImport(container.session_factory, container.clock)
        report = importer.preview(data) if dry_run else importer.run(data, "cli")
    _print(report, dry_run)
    if report.errors:
        ctx.exit(1)


def _print(report: ImportReport, dry_run: bool) -> None:
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.file_errors:
        click.echo(f"nothing imported: fix the file (columns: {', '.join(COLUMNS)})", err=True)
        return
    for row in report.rows:
        if row.ok:
            contact = f", contact {row.contact_action}" if row.contact_action else ""
            click.echo(f"row {row.row}: company {row.company_action}{contact}")
    verb = "would import" if dry_run else "imported"
    skipped = len(report.rows) - report.good_rows
    click.echo(
        f"{verb} {report.good_rows} row(s), skipped {skipped} bad row(s)" + (" (dry run)" if dry_run else "")
    )
