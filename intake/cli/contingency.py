"""``intake-bot contingency``: declare, end and list force-majeure windows that pause SLA clocks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, TypeVar

import click

from intake.cli.common import open_container

if TYPE_CHECKING:  # imported when a command runs, so `intake-bot --help` stays light
    from intake.bootstrap import Container

T = TypeVar("T")


@click.group(name="contingency")
def contingency_group() -> None:
    """Contingencies (force majeure): pause SLA clocks, exempt tickets and tell customers."""


@contingency_group.command("declare")
@click.option("--title", required=True, help="What happened, as customers will read it.")
@click.option(
    "--company",
    "companies",
    multiple=True,
    help="Affected company, by id or name (case-insensitive; repeat for several); without it, every company.",
)
@click.option("--by", "declared_by", required=True, help="Who declares it (agent or admin name).")
@click.pass_context
def declare(ctx: click.Context, title: str, companies: tuple[str, ...], declared_by: str) -> None:
    """Declare a contingency now: open tickets in scope are paused, exempt, and their customers told."""

    done = _run(ctx, lambda c: c.contingencies.declare(title, list(companies) or None, declared_by))
    click.echo(
        f"contingency #{done.contingency.id} declared for {done.scope}: {done.tickets} open ticket(s) "
        f"paused and SLA-exempt; customers told in {done.conversations} conversation(s)"
    )


@contingency_group.command("end")
@click.argument("contingency_id", type=click.IntRange(min=1))
@click.pass_context
def end(ctx: click.Context, contingency_id: int) -> None:
    """End a contingency now: clocks resume, deadlines move later, the same customers are told."""

    done = _run(ctx, lambda c: c.contingencies.end(contingency_id))
    click.echo(
        f"contingency #{done.contingency.id} ended: {done.tickets} ticket(s) resumed "
        "with their deadlines moved later"
    )


@contingency_group.command("list")
@click.pass_context
def list_contingencies(ctx: click.Context) -> None:
    """List contingencies, newest first (id, state, window, scope, tickets, title, declared by)."""

    def run(container: Container) -> list[str]:
        tz = container.sla.default_calendar.tz
        lines = []
        for done in container.contingencies.history():
            contingency = done.contingency
            start = contingency.started_at.astimezone(tz).isoformat(timespec="minutes")
            stop = (
                contingency.ended_at.astimezone(tz).isoformat(timespec="minutes")
                if contingency.ended_at
                else ""
            )
            state = "ended" if contingency.ended_at else "ACTIVE"
            lines.append(
                f"#{contingency.id}\t{state}\t{start} → {stop or '…'}\t{done.scope}\t"
                f"{done.tickets} ticket(s)\t{contingency.title}\t(by {contingency.declared_by})"
            )
        return lines

    lines = _run(ctx, run)
    click.echo("\n".join(lines) if lines else "no contingencies")


def _run(ctx: click.Context, action: Callable[[Container], T]) -> T:
    """Run one contingency use case (it owns its transaction); a refusal becomes a clean CLI error."""
    from intake.services.contingency import ContingencyError

    with _container(ctx) as container:
        try:
            return action(container)
        except ContingencyError as exc:
            raise click.ClickException(str(exc)) from None


def _container(ctx: click.Context) -> AbstractContextManager[Container]:

    return open_container(ctx)
