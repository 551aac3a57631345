"""`intake-bot contact`: agents review contacts the bot created from chats and vouch for them."""

from __future__ import annotations

from contextlib import AbstractContextManager

import click
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.bootstrap import Container
from intake.cli.common import open_container
from intake.db.models import ChannelIdentity, Company, Contact, Ticket
from intake.domain.lifecycle import OPEN_STATUSES


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
    with _container(ctx) as container, container.session_factory() as session:
        query = select(Contact).order_by(Contact.id)
        if unverified:
            query = query.where(Contact.self_identified.is_(True))
        for contact in session.scalars(query):
            click.echo(_describe(session, contact))


@contact_group.command("verify")
@click.argument("contact_id", type=int)
@click.option("--company", "company_name", help="The company the contact belongs to (exact name).")
@click.pass_context
def verify(ctx: click.Context, contact_id: int, company_name: str | None) -> None:
    """Vouch for a contact: it then sees its company's tickets, and its tickets stop asking for a check."""
    with _container(ctx) as container, container.transaction() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise click.ClickException(f"no contact {contact_id}")
        if company_name is not None:
            company = session.scalar(select(Company).where(Company.name == company_name))
            if company is None:
                raise click.ClickException(f"no company named {company_name!r}")
            contact.company_id = company.id
        if contact.company_id is None:
            raise click.ClickException("the contact has no company: pass --company with its exact name")
        contact.self_identified, contact.verified = False, True
        session.execute(
            update(Ticket)
            .where(Ticket.contact_id == contact.id, Ticket.status.in_([s.value for s in OPEN_STATUSES]))
            .values(needs_verification=False, company_id=contact.company_id)
        )
        click.echo(f"verified: {_describe(session, contact)}")


def _describe(session: Session, contact: Contact) -> str:
    company = session.get(Company, contact.company_id) if contact.company_id else None
    where = company.name if company else f"claims {contact.claimed_company!r}"
    state = "to verify" if contact.self_identified else "verified"
    channels = ", ".join(
        f"{i.channel}:{i.address}"
        for i in session.scalars(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact.id))
    )
    claimed = (
        f" (typed e-mail {contact.claimed_email}, which belongs to another contact)"
        if contact.claimed_email
        else ""
    )
    return f"{contact.id}  {contact.name}  <{contact.email or '-'}>{claimed}  {where}  [{state}]  {channels}"


def _container(ctx: click.Context) -> AbstractContextManager[Container]:

    return open_container(ctx)
