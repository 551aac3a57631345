"""`intake-bot company`: the customer companies agents name in other commands (by id or name)."""

from __future__ import annotations

import math

import click

from intake.cli.common import open_container


@click.group("company")
def company_group() -> None:
    """Customer companies: list them, their hours bank (bank, credit)."""


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


@company_group.command("credit")
@click.argument("name")
@click.option("--hours", type=float, required=True, help="Hours to add to the bank (e.g. 10 or 1.5).")
@click.option("--note", default="", help="What the credit is (package bought, monthly allotment).")
@click.option("--actor", default="cli", help="Who adds it, for the audit log (an admin's e-mail).")
@click.pass_context
def credit(ctx: click.Context, name: str, hours: float, note: str, actor: str) -> None:
    """Add hours to a company's hours bank (by exact name or #id); prints the new balance."""
    from intake.services.hours_bank import BankError, format_minutes

    if not math.isfinite(hours):
        raise click.BadParameter("hours must be a number", param_hint="--hours")
    minutes = round(hours * 60)
    with open_container(ctx) as container:
        try:
            status = container.hours_bank.credit(actor, _company_ref(name), minutes, note)
        except BankError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"{status.company}: +{format_minutes(minutes)}, balance {format_minutes(status.balance_minutes)}"
    )


@company_group.command("bank")
@click.argument("name")
@click.pass_context
def bank(ctx: click.Context, name: str) -> None:
    """Show a company's hours bank: credited, charged, balance and its warning level."""
    from intake.services.hours_bank import BankError, format_minutes

    with open_container(ctx) as container:
        try:
            s = container.hours_bank.status(_company_ref(name))
        except BankError as exc:
            raise click.ClickException(str(exc)) from None
    low = " (LOW)" if s.has_bank and s.low else ""
    credited, charged = format_minutes(s.credited_minutes), format_minutes(s.charged_minutes)
    balance, level = format_minutes(s.balance_minutes), format_minutes(s.low_balance_minutes)
    click.echo(
        f"{s.company}: credited {credited}, charged {charged}, balance {balance}{low}; warning at {level}"
    )


def _company_ref(name: str) -> str | int:
    """A company named by "#12" or "12" (its id) or by its name."""
    text = name.strip()
    digits = text.removeprefix("#")
    return int(digits) if digits.isdigit() else text
