"""Companies and contacts for integrations (the JSON API): list, read, create, update (own transactions).

A minimal set of use cases until the console's desk set-up service (desk_setup.py) lands; every refusal is
one typed `DirectoryError` raised before the commit, so nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db import unit_of_work
from intake.db.models import ChannelIdentity, Company, Contact, SupportPlan, Ticket
from intake.domain.lifecycle import OPEN_STATUSES

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
LANGUAGES = ("es", "en", "pt")


class DirectoryErrorCode(StrEnum):
    """Why a directory change was refused."""

    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # a name or address another row already has
    BAD_INPUT = "bad_input"


class DirectoryError(ValueError):
    """A directory change was refused; nothing was written. The message is fit to show."""

    def __init__(self, code: DirectoryErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """A customer company as integrations see it."""

    id: int
    name: str
    plan: str | None
    active: bool
    open_tickets: int


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A contact as integrations see it: channels are "channel:address" strings."""

    id: int
    name: str
    email: str | None
    company_id: int | None
    company: str | None
    language: str | None
    verified: bool
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompanyChange:
    """Fields to set on a company (None = leave as is)."""

    name: str | None = None
    plan: str | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class ContactChange:
    """Fields to set on a contact (None = leave as is); `whatsapp` adds a WhatsApp number (E.164)."""

    name: str | None = None
    email: str | None = None
    company_id: int | None = None
    language: str | None = None
    whatsapp: str | None = None


class Directory:
    """Companies and contacts on one database."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def companies(self, search: str = "") -> list[CompanyRecord]:
        """Every company by name (optionally whose name contains `search`)."""
        with self.session_factory() as session:
            query = select(Company).order_by(Company.name, Company.id)
            if search.strip():
                query = query.where(
                    func.lower(Company.name).contains(search.strip().lower(), autoescape=True)
                )
            return [_company(session, c) for c in session.scalars(query)]

    def company(self, company_id: int) -> CompanyRecord:
        """One company, or a NOT_FOUND refusal."""
        with self.session_factory() as session:
            return _company(session, _get_company(session, company_id))

    def create_company(self, change: CompanyChange) -> CompanyRecord:
        """A new company (a unique name, optionally a support plan by name)."""
        if not (change.name or "").strip():
            raise DirectoryError(DirectoryErrorCode.BAD_INPUT, "a company needs a name")
        with unit_of_work(self.session_factory) as session:
            company = Company(active=True if change.active is None else change.active)
            _apply_company(session, company, change)
            session.add(company)
            session.flush()
            return _company(session, company)

    def update_company(self, company_id: int, change: CompanyChange) -> CompanyRecord:
        """Rename a company, change its plan or (de)activate it."""
        with unit_of_work(self.session_factory) as session:
            company = _get_company(session, company_id)
            _apply_company(session, company, change)
            if change.active is not None:
                company.active = change.active
            session.flush()
            return _company(session, company)

    def contacts(self, company_id: int | None = None, search: str = "") -> list[ContactRecord]:
        """Every contact by id (optionally one company's, or matching a name or e-mail)."""
        with self.session_factory() as session:
            query = select(Contact).order_by(Contact.id)
            if company_id is not None:
                query = query.where(Contact.company_id == company_id)
            text = search.strip().lower()
            if text:
                query = query.where(
                    or_(
                        func.lower(Contact.name).contains(text, autoescape=True),
                        func.lower(Contact.email).contains(text, autoescape=True),
                    )
                )
            return [_contact(session, c) for c in session.scalars(query)]

    def contact(self, contact_id: int) -> ContactRecord:
        """One contact, or a NOT_FOUND refusal."""
        with self.session_factory() as session:
            return _contact(session, _get_contact(session, contact_id))

    def create_contact(self, change: ContactChange) -> ContactRecord:
        """A new, verified contact of a company (agents vouch for who integrations create)."""
        if not (change.name or "").strip():
            raise DirectoryError(DirectoryErrorCode.BAD_INPUT, "a contact needs a name")
        with unit_of_work(self.session_factory) as session:
            contact = Contact(verified=True, self_identified=False)
            session.add(contact)
            _apply_contact(session, contact, change)
            session.flush()
            _add_whatsapp(session, contact, change.whatsapp)
            return _contact(session, contact)

    def update_contact(self, contact_id: int, change: ContactChange) -> ContactRecord:
        """Change a contact's name, e-mail, company or language, or add a WhatsApp number."""
        with unit_of_work(self.session_factory) as session:
            contact = _get_contact(session, contact_id)
            _apply_contact(session, contact, change)
            session.flush()
            _add_whatsapp(session, contact, change.whatsapp)
            return _contact(session, contact)


def _get_company(session: Session, company_id: int) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise DirectoryError(DirectoryErrorCode.NOT_FOUND, f"no company {company_id}")
    return company


def _get_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise DirectoryError(DirectoryErrorCode.NOT_FOUND, f"no contact {contact_id}")
    return contact


def _apply_company(session: Session, company: Company, change: CompanyChange) -> None:
    if change.name is not None:
        name = change.name.strip()
        if not name:
            raise DirectoryError(DirectoryErrorCode.BAD_INPUT, "a company needs a name")
        clash = session.scalar(
            select(Company.id).where(func.lower(Company.name) == name.lower(), Company.id != company.id)
        )
        if clash is not None:
            raise DirectoryError(DirectoryErrorCode.CONFLICT, f"company {clash} is already named {name!r}")
        company.name = name
    if change.plan is not None:
        plan = session.scalar(select(SupportPlan).where(SupportPlan.name == change.plan.strip()))
        if plan is None:
            raise DirectoryError(DirectoryErrorCode.BAD_INPUT, f"no support plan named {change.plan!r}")
        company.plan_id = plan.id


def _apply_contact(session: Session, contact: Contact, change: ContactChange) -> None:
    if change.name is not None:
        if not change.name.strip():
            raise DirectoryError(DirectoryErrorCode.BAD_INPUT, "a contact needs a name")
        contact.name = change.name.strip()
    if change.email is not None:
        email = change.email.strip().lower()
        if email and ("@" not in email or any(c.isspace() for c in email)):
            raise DirectoryError(DirectoryErrorCode.BAD_INPUT, f"not an e-mail address: {change.email!r}")
        contact.email = email or None
    if change.company_id is not None:
        if session.get(Company, change.company_id) is None:
            raise DirectoryError(DirectoryErrorCode.BAD_INPUT, f"no company {change.company_id}")
        contact.company_id = change.company_id
    if change.language is not None:
        if change.language not in LANGUAGES:
            raise DirectoryError(
                DirectoryErrorCode.BAD_INPUT, f"language must be one of {', '.join(LANGUAGES)}"
            )
        contact.language = change.language


def _add_whatsapp(session: Session, contact: Contact, number: str | None) -> None:
    if number is None:
        return
    number = number.strip()
    if not E164.match(number):
        raise DirectoryError(DirectoryErrorCode.BAD_INPUT, f"not an E.164 phone number: {number!r}")
    owner = session.scalar(
        select(ChannelIdentity.contact_id).where(
            ChannelIdentity.channel == "whatsapp", ChannelIdentity.address == number
        )
    )
    if owner == contact.id:
        return
    if owner is not None:
        raise DirectoryError(DirectoryErrorCode.CONFLICT, f"{number} already belongs to contact {owner}")
    session.add(ChannelIdentity(contact_id=contact.id, channel="whatsapp", address=number))
    session.flush()


def _company(session: Session, company: Company) -> CompanyRecord:
    open_count = session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.company_id == company.id, Ticket.status.in_([s.value for s in OPEN_STATUSES])
        )
    )
    plan = session.get(SupportPlan, company.plan_id) if company.plan_id else None
    return CompanyRecord(
        company.id, company.name, plan.name if plan else None, company.active, open_count or 0
    )


def _contact(session: Session, contact: Contact) -> ContactRecord:
    company = session.get(Company, contact.company_id) if contact.company_id else None
    identities = session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.contact_id == contact.id).order_by(ChannelIdentity.id)
    )
    return ContactRecord(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        company_id=contact.company_id,
        company=company.name if company else None,
        language=contact.language,
        verified=not contact.self_identified,
        channels=tuple(f"{i.channel}:{i.address}" for i in identities),
    )
