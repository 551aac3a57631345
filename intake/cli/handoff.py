"""`intake-bot handoff`: chats where a customer asked for a person — list, answer, hand back to the bot."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from intake.cli.common import open_container

if TYPE_CHECKING:
    from intake.bootstrap import Container

AGENT_OPTION = click.option("--agent", "agent_email", required=True, help="E-mail of the agent acting.")


@click.group("handoff")
def handoff_group() -> None:
    """Hand-offs: customers who asked for a person ("agente", "humano")."""


@handoff_group.command("list")
@click.pass_context
def list_handoffs(ctx: click.Context) -> None:
    """Open hand-offs, longest waiting first: chat id, who, channel, since when, what they wrote."""
    with open_container(ctx) as container:
        tz = container.sla.default_calendar.tz
        found = container.handoffs.open()
    if not found:
        click.echo("no open hand-offs")
    for h in found:
        since = h.since.astimezone(tz).strftime("%Y-%m-%d %H:%M") if h.since else "?"
        who = f"{_printable(h.contact)} ({h.company})"
        click.echo(f"#{h.conversation_id}  {who} · {h.channel} {h.address} · since {since}")
        for m in h.messages:
            click.echo(f"    {m.at.astimezone(tz).strftime('%H:%M')}  {_printable(m.text)}")


@handoff_group.command("reply")
@click.argument("chat_id", type=click.IntRange(min=1))
@click.argument("message")
@AGENT_OPTION
@click.pass_context
def reply(ctx: click.Context, chat_id: int, message: str, agent_email: str) -> None:
    """Answer the customer in that chat."""
    _run(ctx, f"#{chat_id}: reply sent", lambda c: c.handoffs.reply(chat_id, agent_email, message))


@handoff_group.command("end")
@click.argument("chat_id", type=click.IntRange(min=1))
@AGENT_OPTION
@click.pass_context
def end(ctx: click.Context, chat_id: int, agent_email: str) -> None:
    """Hand the chat back to the bot (the customer is told)."""
    _run(ctx, f"#{chat_id}: back to the bot", lambda c: c.handoffs.end(chat_id, agent_email))


def _run(ctx: click.Context, done: str, action: Callable[[Container], None]) -> None:
    from intake.services.agent_actions import ActionError

    with open_container(ctx) as container:
        try:
            action(container)
        except ActionError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(done)


def _printable(value: str) -> str:
    """Customer text is data: no control sequences reach the terminal."""
    return "".join(ch if ch.isprintable() else " " for ch in value)
