"""`intake-bot token`: agents' API tokens from the server's shell (create shows the token once)."""

from __future__ import annotations

import click

from intake.cli.common import open_container
from intake.services.api_tokens import ApiTokens, TokenError, TokenInfo


@click.group("token")
def token_group() -> None:
    """API tokens: create, list, revoke."""


@token_group.command("create")
@click.option("--agent", "agent", required=True, help="The e-mail of the agent the token acts as.")
@click.option("--name", default="", help="What the token is for (e.g. 'Odoo sync').")
@click.pass_context
def create(ctx: click.Context, agent: str, name: str) -> None:
    """Create a token for an agent; it is printed once and cannot be shown again."""
    with open_container(ctx) as container:
        try:
            new = ApiTokens(container.session_factory, container.clock).create(agent, name)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"created: {_describe(new.info)}")
    click.echo(new.secret)
    click.echo("Keep this token now: only its hash is stored. Send it as 'Authorization: Bearer <token>'.")


@token_group.command("list")
@click.option("--agent", "agent", default=None, help="Only this agent's tokens (e-mail).")
@click.pass_context
def list_tokens(ctx: click.Context, agent: str | None) -> None:
    """List tokens (never the tokens themselves): id, prefix, agent, name, state, last use."""
    with open_container(ctx) as container:
        try:
            tokens = ApiTokens(container.session_factory, container.clock).list(agent)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
    if not tokens:
        click.echo("no tokens")
    for info in tokens:
        click.echo(_describe(info))


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token by id: it stops working at once."""
    with open_container(ctx) as container:
        try:
            info = ApiTokens(container.session_factory, container.clock).revoke(token_id)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"revoked: {_describe(info)}")


def _describe(info: TokenInfo) -> str:
    state = "active" if info.active else f"revoked {info.revoked_at:%Y-%m-%d %H:%M} UTC"
    used = f"last used {info.last_used_at:%Y-%m-%d %H:%M} UTC" if info.last_used_at else "never used"
    name = f" {info.name!r}" if info.name else ""
    return f"#{info.id} {info.prefix}… {info.agent_email}{name} ({state}, {used})"
