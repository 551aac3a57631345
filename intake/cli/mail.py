"""`intake-bot mail ingest`: one RFC 822 message on stdin (for an MTA pipe) opens a ticket or is refused."""

from __future__ import annotations

import sys
from email.utils import parseaddr

import click

from intake.cli.common import open_container
from intake.services.mail_intake import MailIntake


@click.group("mail")
def mail_group() -> None:
    """Inbound e-mail (IMAP polling is not built yet)."""


@mail_group.command("ingest")
@click.pass_context
def ingest(ctx: click.Context) -> None:
    """Read one e-mail from stdin and open its ticket; automatic mail and duplicates are reported, exit 0."""
    raw = sys.stdin.buffer.read()
    if not raw.strip():
        raise click.ClickException("no message on stdin")
    with open_container(ctx) as container:
        intake = MailIntake(
            container.session_factory,
            container.tickets,
            container.store,
            container.clock,
            (parseaddr(container.settings.email_from)[1],),
        )
        outcome = intake.ingest(raw)
    detail = outcome.number or outcome.reason or ""
    click.echo(f"{outcome.result}: {detail}".rstrip(": "))
    for name, code in outcome.refused:
        click.echo(f"refused attachment {name}: {code}")
