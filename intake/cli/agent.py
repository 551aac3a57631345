"""`intake-bot agent`: console accounts from the server's shell (the first admin is made here)."""

from __future__ import annotations

import sys

import click
from werkzeug.security import check_password_hash, generate_password_hash

from intake.cli.common import open_container
from intake.services.accounts import AccountError, Accounts, AgentAccount, PasswordHasher, Role

HASHER = PasswordHasher(
    hash=lambda password: generate_password_hash(password, method="scrypt"),
    check=check_password_hash,
)


@click.group("agent")
def agent_group() -> None:
    """Agents' console accounts: add, disable, reset a password."""


@agent_group.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The agent's name, as customers see it.")
@click.option("--admin", is_flag=True, help="Same as --role admin (the first admin is made this way).")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.AGENT.value, show_default=True
)
@click.option("--language", type=click.Choice(["es", "en"]), default="es", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (no prompt).")
@click.pass_context
def add(
    ctx: click.Context, email: str, name: str, admin: bool, role: str, language: str, password_stdin: bool
) -> None:
    """Add an agent who signs in to the console with EMAIL and a password."""
    password = _password(password_stdin)
    with open_container(ctx) as container:
        accounts = Accounts(container.session_factory, HASHER, container.clock)
        try:
            account = accounts.add(
                email, name, password, role=Role.ADMIN if admin else role, language=language
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"added: {_describe(account)}")


@agent_group.command("disable")
@click.argument("email")
@click.pass_context
def disable(ctx: click.Context, email: str) -> None:
    """Disable an agent: no more sign-ins, open sessions end."""
    with open_container(ctx) as container:
        accounts = Accounts(container.session_factory, HASHER, container.clock)
        try:
            account = accounts.disable(email)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"disabled: {_describe(account)}")


@agent_group.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.pass_context
def reset_password(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Give an agent a new password; their open sessions end."""
    password = _password(password_stdin)
    with open_container(ctx) as container:
        accounts = Accounts(container.session_factory, HASHER, container.clock)
        try:
            account = accounts.reset_password(email, password)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"password reset: {_describe(account)}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _describe(account: AgentAccount) -> str:
    state = "active" if account.active else "disabled"
    return f"{account.id}  {account.name}  <{account.email}>  {account.role}  {account.language}  [{state}]"
