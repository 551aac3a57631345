"""Contact verification use cases: list the contacts the bot created from chats, vouch for them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.db import unit_of_work
from intake.db.models import ChannelIdentity, Company, Contact
from intake.services.sla import settle_open_tickets


class ContactError(ValueError):
    """A contact cannot be verified as asked (unknown contact or company); nothing was written."""


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """A contact as agents review it: who, which company (or what they claimed), channels, state."""

    id: int
    name: str
    email: str | None
    claimed_email: str | None
    company: str | None
    claimed_company: str | None
    verified: bool
    channels: tuple[str, ...]


class Contacts:
    """The contact use cases, each in its own transaction."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def list(self, *, unverified: bool = False) -> list[ContactSummary]:
        """Every contact (or only the ones the bot created and nobody verified), by id."""
        with self.session_factory() as session:
            query = select(Contact).order_by(Contact.id)
            if unverified:
                query = query.where(Contact.self_identified.is_(True))
            return [summarize(session, contact) for contact in session.scalars(query)]

    def verify(self, contact_id: int, company_name: str | None = None) -> ContactSummary:
        """Vouch for a contact (optionally naming its company): it then sees its company's tickets."""
        with unit_of_work(self.session_factory) as session:
            contact = session.scalar(select(Contact).where(Contact.id == contact_id).with_for_update())
            if contact is None:
                raise ContactError(f"no contact {contact_id}")
            if company_name is not None:
                company = session.scalar(select(Company).where(Company.name == company_name))
                if company is None:
                    raise ContactError(f"no company named {company_name!r}")
                contact.company_id = company.id
            if contact.company_id is None:
                raise ContactError("the contact has no company: pass --company with its exact name")
            contact.self_identified, contact.verified = False, True
            settle_open_tickets(session, contact.id, contact.company_id)
            return summarize(session, contact)


def summarize(session: Session, contact: Contact) -> ContactSummary:
    """A contact's summary: its company's name and its channel identities."""
    company = session.get(Company, contact.company_id) if contact.company_id else None
    identities = session.scalars(select(ChannelIdentity).where(ChannelIdentity.contact_id == contact.id))
    return ContactSummary(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        claimed_email=contact.claimed_email,
        company=company.name if company else None,
        claimed_company=contact.claimed_company,
        verified=not contact.self_identified,
        channels=tuple(f"{i.channel}:{i.address}" for i in identities),
    )
