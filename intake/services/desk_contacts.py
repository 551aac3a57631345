"""Contacts as admins set them up: name, e-mail, phone, WhatsApp and Telegram identities, company, verified;
the contacts the bot created from chats are verified or merged into an existing contact.

Each change is one transaction with its audit entry; a refused change raises SetupError and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from intake.db import unit_of_work
from intake.db.models import ChannelIdentity, Company, Contact, Conversation, Ticket
from intake.services.setup_rules import (
    Invalid,
    Problem,
    SetupError,
    audit,
    clean_email,
    clean_name,
    clean_phone,
    clean_telegram,
    refuse,
)
from intake.services.sla import settle_open_tickets

CHANNEL_LABELS = {"whatsapp": "WhatsApp", "telegram": "Telegram"}


@dataclass(frozen=True, slots=True)
class ContactInput:
    """A contact as the admin form sends it (strings as typed)."""

    name: str
    company_id: int | None = None
    email: str = ""
    phone: str = ""
    whatsapp: str = ""
    telegram: str = ""
    verified: bool = True


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact as the admin pages show it."""

    id: int
    name: str
    company_id: int | None
    company: str | None
    claimed_company: str | None
    email: str | None
    claimed_email: str | None
    phone: str | None
    whatsapp: str | None
    telegram: str | None
    verified: bool
    self_identified: bool
    identities: tuple[str, ...]
    tickets: int
    receives_reports: bool = False  # issue 15: the monthly report and hours-bank warnings


class DeskContacts:
    """The admin use cases for contacts, on one database and clock."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.session_factory = session_factory
        self.clock = clock

    def contacts(self, search: str = "", *, to_verify: bool = False) -> list[ContactView]:
        """Contacts by name (those the bot created and nobody verified, with `to_verify`)."""
        with self.session_factory() as session:
            query = select(Contact).order_by(Contact.name, Contact.id)
            text = search.strip().lower()
            if text:
                pattern = f"%{text}%"
                query = query.where(
                    or_(
                        func.lower(Contact.name).like(pattern),
                        func.lower(Contact.email).like(pattern),
                        Contact.phone.like(pattern),
                    )
                )
            if to_verify:
                query = query.where(or_(Contact.self_identified.is_(True), Contact.verified.is_(False)))
            return [contact_view(session, contact) for contact in session.scalars(query)]

    def contact(self, contact_id: int) -> ContactView | None:
        """One contact, or None."""
        with self.session_factory() as session:
            contact = session.get(Contact, contact_id)
            return contact_view(session, contact) if contact is not None else None

    def save_contact(self, actor: str, data: ContactInput, contact_id: int | None = None) -> ContactView:
        """Create a contact (no id) or change one, with its WhatsApp and Telegram identities."""
        values = validate_contact(data)
        with unit_of_work(self.session_factory) as session:
            contact = _contact(session, contact_id) if contact_id is not None else None
            if data.company_id is not None and session.get(Company, data.company_id) is None:
                raise refuse("company_id", "company.not_found", id=data.company_id)
            check_clashes(session, contact_id, values)
            if contact is None:
                contact = Contact(created_at=self.clock())
                session.add(contact)
            apply_contact(session, contact, values, data.company_id, verified=data.verified)
            session.flush()
            action = "contact.create" if contact_id is None else "contact.update"
            audit(session, self.clock(), actor, action, f"#{contact.id} {contact.name}", _facts(values))
            return contact_view(session, contact)

    def verify(self, actor: str, contact_id: int, company_id: int | None) -> ContactView:
        """Vouch for a self-identified contact (naming its company): it then sees its company's tickets."""
        with unit_of_work(self.session_factory) as session:
            contact = _contact(session, contact_id)
            if company_id is not None:
                if session.get(Company, company_id) is None:
                    raise refuse("company_id", "company.not_found", id=company_id)
                contact.company_id = company_id
            if contact.company_id is None:
                raise refuse("company_id", "contact.company_required")
            contact.self_identified, contact.verified = False, True
            _settle_open_tickets(session, contact)
            audit(
                session,
                self.clock(),
                actor,
                "contact.verify",
                f"#{contact.id} {contact.name}",
                {"company_id": contact.company_id},
            )
            return contact_view(session, contact)

    def set_receives_reports(self, actor: str, contact_id: int, receives: bool) -> ContactView:
        """Whether the contact gets its company's monthly report and hours-bank warnings (audited).

        Only a verified contact of a company may: reports carry the company's figures.
        """
        with unit_of_work(self.session_factory) as session:
            contact = _contact(session, contact_id)
            if receives and (contact.company_id is None or contact.self_identified or not contact.verified):
                raise refuse("receives_reports", "contact.reports_need_company")
            contact.receives_reports = receives
            audit(
                session,
                self.clock(),
                actor,
                "contact.reports",
                f"#{contact.id} {contact.name}",
                {"receives_reports": receives},
            )
            return contact_view(session, contact)

    def merge(self, actor: str, source_id: int, target_id: int) -> ContactView:
        """Merge a contact into another: identities, conversations and tickets move; the source is deleted."""
        if source_id == target_id:
            raise refuse("target_id", "contact.merge_into_itself")
        with unit_of_work(self.session_factory) as session:
            source, target = _contact(session, source_id), _contact(session, target_id, field="target_id")
            moved = {
                "identities": _move(session, ChannelIdentity, source.id, target.id),
                "conversations": _move(session, Conversation, source.id, target.id),
                "tickets": _move(session, Ticket, source.id, target.id),
            }
            target.email = target.email or _free_email(session, source)
            target.phone = target.phone or source.phone
            if target.verified and target.company_id is not None:
                _settle_open_tickets(session, target)
            data: dict[str, Any] = {"source": source.id, "source_name": source.name, "moved": moved}
            session.delete(source)
            session.flush()
            audit(
                session,
                self.clock(),
                actor,
                "contact.merge",
                f"#{source_id} into #{target.id} {target.name}",
                data,
            )
            return contact_view(session, target)


def validate_contact(data: ContactInput) -> dict[str, Any]:
    """The contact's cleaned values, or SetupError naming every field that is wrong."""
    errors: dict[str, Problem] = {}
    values: dict[str, Any] = {}
    checks: dict[str, Callable[[], Any]] = {
        "name": lambda: clean_name(data.name, "contact"),
        "email": lambda: clean_email(data.email),
        "phone": lambda: clean_phone(data.phone),
        "whatsapp": lambda: clean_phone(data.whatsapp),
        "telegram": lambda: clean_telegram(data.telegram),
    }
    for name, check in checks.items():
        try:
            values[name] = check()
        except Invalid as exc:
            errors[name] = exc.problem
    if errors:
        raise SetupError(errors)
    return values


def check_clashes(session: Session, contact_id: int | None, values: dict[str, Any]) -> None:
    """Refuse an e-mail or a chat identity that belongs to another contact (merge them instead)."""
    if values.get("email"):
        other = session.scalar(
            select(Contact).where(
                func.lower(Contact.email) == values["email"], Contact.id != (contact_id or -1)
            )
        )
        if other is not None:
            raise refuse(
                "email", "contact.email_taken", email=values["email"], owner=other.name, owner_id=other.id
            )
    for channel, label in CHANNEL_LABELS.items():
        address = values.get(channel)
        if not address:
            continue
        owner = session.scalar(
            select(Contact)
            .join(ChannelIdentity, ChannelIdentity.contact_id == Contact.id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.address == address)
        )
        if owner is not None and owner.id != contact_id:
            raise refuse(
                channel,
                "contact.identity_taken",
                channel=label,
                address=address,
                owner=owner.name,
                owner_id=owner.id,
            )


def apply_contact(
    session: Session, contact: Contact, values: dict[str, Any], company_id: int | None, *, verified: bool
) -> None:
    """Write validated values onto a contact and add its WhatsApp and Telegram identities; the open tickets
    of a verified contact stop asking for a check and belong to its company."""
    contact.name, contact.email, contact.phone = values["name"], values["email"], values["phone"]
    contact.company_id = company_id
    contact.verified, contact.self_identified = verified, contact.self_identified and not verified
    session.flush()
    for channel in CHANNEL_LABELS:
        set_identity(session, contact, channel, values.get(channel))
    if verified and company_id is not None:
        _settle_open_tickets(session, contact)


def set_identity(session: Session, contact: Contact, channel: str, address: str | None) -> None:
    """Give the contact this identity on a channel (None leaves the channel's identities as they are)."""
    if not address:
        return
    existing = session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.address == address)
    )
    if existing is not None:
        return
    chat_id = address if channel == "telegram" else None
    session.add(ChannelIdentity(contact_id=contact.id, channel=channel, address=address, chat_id=chat_id))


def contact_view(session: Session, contact: Contact) -> ContactView:
    """A contact's view: company, identities and how many tickets it has."""
    company = session.get(Company, contact.company_id) if contact.company_id else None
    identities = list(
        session.scalars(
            select(ChannelIdentity)
            .where(ChannelIdentity.contact_id == contact.id)
            .order_by(ChannelIdentity.id)
        )
    )
    first = {i.channel: i.address for i in reversed(identities)}
    tickets = session.scalar(select(func.count(Ticket.id)).where(Ticket.contact_id == contact.id)) or 0
    return ContactView(
        id=contact.id,
        name=contact.name,
        company_id=contact.company_id,
        company=company.name if company else None,
        claimed_company=contact.claimed_company,
        email=contact.email,
        claimed_email=contact.claimed_email,
        phone=contact.phone,
        whatsapp=first.get("whatsapp"),
        telegram=first.get("telegram"),
        verified=contact.verified and not contact.self_identified,
        self_identified=contact.self_identified,
        identities=tuple(f"{i.channel}:{i.address}" for i in identities),
        tickets=int(tickets),
        receives_reports=contact.receives_reports,
    )


def _contact(session: Session, contact_id: int, field: str = "id") -> Contact:
    contact = session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise refuse(field, "contact.not_found", id=contact_id)
    return contact


def _move(session: Session, model: Any, source_id: int, target_id: int) -> int:
    result = session.execute(update(model).where(model.contact_id == source_id).values(contact_id=target_id))
    return int(getattr(result, "rowcount", 0) or 0)


def _free_email(session: Session, source: Contact) -> str | None:
    email = source.email
    source.email = None
    session.flush()
    return email


def _settle_open_tickets(session: Session, contact: Contact) -> None:
    settle_open_tickets(session, contact.id, contact.company_id)


def _facts(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}
