"""`intake-bot contact`: agents review contacts the bot created from chats and vouch for them."""

from __future__ import annotations

from contextlib import AbstractContextManager

import click

from intake.bootstrap import Container
from intake.cli.common import open_container
from intake.services.contacts import ContactError, ContactSummary


@click.group("contact")
def contact_group() -> None:
    """Contacts: list the ones to verify, verify them."""


@contact_group.command("list")
@click.option(
    "--unverified", is_flag=True, help="Only contacts the bot created from a chat and nobody verified."
)
@click.pass_context
def list_contacts(ctx: click.Context, unverified: bool) -> None:
    """List contacts with their company (or what they claimed) and channels."""
    with _container(ctx) as container:
        for contact in container.contacts.list(unverified=unverified):
            click.echo(_describe(contact))


@contact_group.command("verify")
@click.argument("contact_id", type=int)
@click.option("--company", "company_name", help="The company the contact belongs to (exact name).")
@click.pass_context
def verify(ctx: click.Context, contact_id: int, company_name: str | None) -> None:
    """Vouch for a contact: it then sees its company's tickets, and its tickets stop asking for a check."""
    with _container(ctx) as container:
        try:
            contact = container.contacts.verify(contact_id, company_name)
        except ContactError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"verified: {_describe(contact)}")


def _describe(contact: ContactSummary) -> str:
    where = contact.company if contact.company else f"claims {contact.claimed_company!r}"
    state = "verified" if contact.verified else "to verify"
    claimed = (
        f" (typed e-mail {contact.claimed_email}, which belongs to another contact)"
        if contact.claimed_email
        else ""
    )
    channels = ", ".join(contact.channels)
    return f"{contact.id}  {contact.name}  <{contact.email or '-'}>{claimed}  {where}  [{state}]  {channels}"


def _container(ctx: click.Context) -> AbstractContextManager[Container]:
    return open_container(ctx)
