"""`intake-bot demo`: load the demo customer, and a demo month for the monthly report."""

from __future__ import annotations

import click

from intake.cli.common import settings_of
from intake.services.demo import DEMO_COMPANY, DEMO_WHATSAPP, load_demo


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@click.pass_context
def demo_load(ctx: click.Context) -> None:
    """Load the demo customer (idempotent)."""
    from intake.db import make_engine, make_session_factory, unit_of_work

    settings = settings_of(ctx)
    engine = make_engine(settings.database_url)
    with unit_of_work(make_session_factory(engine)) as session:
        created = load_demo(session)
    engine.dispose()
    click.echo(
        f"demo customer {DEMO_COMPANY}: {'created' if created else 'already there'}; "
        f"contact María González, WhatsApp {DEMO_WHATSAPP}"
    )


@demo_group.command("month")
@click.pass_context
def demo_month(ctx: click.Context) -> None:
    """Load a demo month of tickets for the monthly report (November 2026; idempotent)."""
    from intake.db import make_engine, make_session_factory, unit_of_work
    from intake.services.demo_month import DEMO_MONTH, load_demo_month

    settings = settings_of(ctx)
    engine = make_engine(settings.database_url)
    with unit_of_work(make_session_factory(engine)) as session:
        created = load_demo_month(session)
    engine.dispose()
    click.echo(
        f"demo month {DEMO_MONTH}: {'created' if created else 'already there'}; "
        f"try `intake-bot report show --month {DEMO_MONTH} --company Acme`"
    )
