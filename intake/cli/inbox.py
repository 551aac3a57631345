"""``intake-bot inbox``: what webhooks accepted and the worker has not finished (status, failed, retry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from intake.cli.common import open_container
from intake.cli.terminal import terminal_safe

if TYPE_CHECKING:  # imported when a command runs, so `intake-bot --help` stays light
    from intake.bootstrap import Container
    from intake.services.inbox import Inbox


@click.group(name="inbox")
def inbox_group() -> None:
    """Messages webhooks accepted, waiting for (or failing) their dialog turn in the worker."""


@inbox_group.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """How many accepted messages wait for their turn, are being handled, or failed."""
    with open_container(ctx) as container:
        inbox = _inbox(container)
        counts = inbox.counts()
    shown = "  ".join(f"{name} {counts.get(name, 0)}" for name in ("pending", "working", "failed"))
    click.echo(shown)


@inbox_group.command("failed")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.pass_context
def failed(ctx: click.Context, limit: int) -> None:
    """The messages whose turn kept failing, newest first (id, channel, sender, attempts, last error)."""
    with open_container(ctx) as container:
        rows = _inbox(container).failed(limit)
        lines = [
            f"#{row.id}\t{row.channel}\t{terminal_safe(row.sender, single_line=True)}\t"
            f"{row.attempts} attempt(s)\t{terminal_safe(row.last_error, single_line=True)}"
            for row in rows
        ]
    click.echo("\n".join(lines) if lines else "no failed messages")


@inbox_group.command("retry")
@click.option("--id", "row_ids", type=click.IntRange(min=1), multiple=True, help="Only these (repeat).")
@click.pass_context
def retry(ctx: click.Context, row_ids: tuple[int, ...]) -> None:
    """Put failed messages back in line (once their cause is fixed); the worker runs their turns."""
    with open_container(ctx) as container:
        count = _inbox(container).retry(list(row_ids) or None)
    click.echo(f"{count} message(s) back in line")


def _inbox(container: Container) -> Inbox:
    if container.inbox is None:
        raise click.ClickException("INBOUND_MODE is inline: webhooks run their turns themselves, no inbox")
    return container.inbox
