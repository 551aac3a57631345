"""`intake-bot company`: the customer companies agents name in other commands (by id or name)."""

from __future__ import annotations

import click

from intake.cli.common import open_container


@click.group("company")
def company_group() -> None:
    """Customer companies: list them."""


@company_group.command("list")
@click.pass_context
def list_companies(ctx: click.Context) -> None:
    """List companies: id, name, plan, open tickets (inactive ones marked)."""
    from intake.services.companies import company_lines

    with open_container(ctx) as container, container.session_factory() as session:
        lines = company_lines(session)
    for c in lines:
        inactive = "\t(inactive)" if not c.active else ""
        click.echo(f"#{c.id}\t{c.name}\tplan {c.plan}\t{c.open_tickets} open ticket(s){inactive}")
    if not lines:
        click.echo("no companies")
