"""Desk set-up use cases (companies, plans, contacts, agents' profiles) on both backends: each change is
audited, every refusal says which field is wrong and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake.bootstrap import Container
from intake.cli.simulator import ChatSession
from intake.db.models import (
    Agent,
    AuditEntry,
    ChannelIdentity,
    Company,
    Contact,
    Conversation,
    SupportPlan,
    Ticket,
)
from intake.services.agent_actions import Registration
from intake.services.desk_contacts import ContactInput, DeskContacts
from intake.services.desk_setup import AgentInput, CompanyInput, DeskSetup, PlanInput
from intake.services.setup_rules import SetupError
from tests.integration.service_harness import make_container, open_ticket_through_chat
from tests.support.clock import FakeClock

ADMIN = "admin@soporte.example"


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    built = make_container(database_url, tmp_path, clock)
    with built.transaction() as session:
        session.add(Agent(name="Admin", email=ADMIN, role="admin", is_supervisor=True))
    yield built
    built.close()


@pytest.fixture
def desk(container: Container) -> DeskSetup:
    return DeskSetup(container.session_factory, container.clock)


@pytest.fixture
def contacts(container: Container) -> DeskContacts:
    return DeskContacts(container.session_factory, container.clock)


def _snapshot(container: Container) -> tuple[object, ...]:
    """Everything a refused change must leave as it was."""
    with container.session_factory() as session:
        return (
            session.execute(select(SupportPlan.id, SupportPlan.name, SupportPlan.calendar_config)).all(),
            session.execute(
                select(Company.id, Company.name, Company.tax_id, Company.plan_id, Company.active)
            ).all(),
            session.execute(select(Contact.id, Contact.name, Contact.email, Contact.company_id)).all(),
            session.execute(select(ChannelIdentity.contact_id, ChannelIdentity.address)).all(),
            session.execute(select(Agent.id, Agent.role, Agent.active, Agent.telegram_user_id)).all(),
            session.scalar(select(func.count(AuditEntry.id))),
        )


def _refused(container: Container, change: Callable[[], object]) -> dict[str, str]:
    before = _snapshot(container)
    with pytest.raises(SetupError) as refused:
        change()
    assert _snapshot(container) == before
    return refused.value.messages


def _audit_actions(container: Container) -> list[str]:
    with container.session_factory() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_24x7_plan_gives_its_companies_24x7_deadlines(
    container: Container, desk: DeskSetup, clock: FakeClock
) -> None:
    plan = desk.save_plan(ADMIN, PlanInput(name="Plan 24×7", package="24x7", country="", hours_bank="40"))
    assert plan.package == "24x7" and plan.hours_bank == 40
    assert plan.calendar["hours"]["sun"] == "00:00-24:00" and plan.calendar["country"] is None
    andes = desk.companies("andes")[0]
    desk.save_company(ADMIN, CompanyInput(name=andes.name, tax_id="76.123.456-7", plan_id=plan.id), andes.id)
    clock.advance(days=5)  # Saturday 09:00 in Santiago: closed on the standard calendar
    with container.session_factory() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.name == "María González")).one()
    registered = container.agent_actions.register(
        "ana@latamadvisory.example",
        Registration(contact_id, "incident", "Caída total del ERP", "alto", "alta"),
    )
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == registered.number)).one()
    assert ticket.priority == "P1"
    assert ticket.response_due == clock() + timedelta(minutes=30)
    assert ticket.resolution_due == clock() + timedelta(hours=6)
    assert _audit_actions(container) == ["plan.create", "company.update"]


def test_a_plan_with_its_own_hours_holidays_and_closed_dates_round_trips(desk: DeskSetup) -> None:
    hours = {"mon": "08:00-13:00, 14:00-19:00", "sat": "09:00-13:00"}
    data = PlanInput(
        name="Plan Bogotá",
        hours=hours,
        timezone="America/Bogota",
        country="co",
        extra_closed="2026-12-24, 2026-12-31",
        includes_requests=True,
    )
    plan = desk.save_plan(ADMIN, data)
    assert plan.calendar["timezone"] == "America/Bogota" and plan.calendar["country"] == "CO"
    assert plan.calendar["hours"]["mon"] == "08:00-13:00, 14:00-19:00" and plan.calendar["hours"]["tue"] == ""
    assert plan.calendar["extra_closed"] == ["2026-12-24", "2026-12-31"]
    assert plan.package == "custom" and plan.includes_requests
    changed = desk.save_plan(ADMIN, PlanInput(name="Plan Bogotá", package="extended", country="CO"), plan.id)
    assert changed.id == plan.id and changed.package == "extended" and changed.calendar["hours"]["sat"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (PlanInput(name="X", hours={"mon": "18:00-09:00"}), "hours_mon", "must open before it closes"),
        (PlanInput(name="X", hours={"tue": "8-17"}), "hours_tue", "expected HH:MM-HH:MM"),
        (PlanInput(name="X", hours={"wed": "08:00-12:00, 11:00-15:00"}), "hours_wed", "must not overlap"),
        (PlanInput(name="X", hours={}), "hours_mon", "open at some time of the week"),
        (
            PlanInput(name="X", package="standard", timezone="America/Atlantis"),
            "timezone",
            "unknown time zone",
        ),
        (PlanInput(name="X", package="standard", country="XX"), "country", "has no public holidays"),
        (PlanInput(name="X", package="standard", subdivision="ZZ"), "country", "unknown subdivision"),
        (PlanInput(name="X", package="standard", extra_closed="2026-13-01"), "extra_closed", "YYYY-MM-DD"),
        (PlanInput(name="X", package="standard", hours_bank="diez"), "hours_bank", "whole number"),
        (PlanInput(name="X", package="weekends"), "package", "unknown package"),
        (PlanInput(name="  ", package="standard"), "name", "needs a name"),
        (PlanInput(name="plan estándar", package="standard"), "name", "already exists"),
    ],
)
def test_a_wrong_plan_says_what_is_wrong_and_writes_nothing(
    container: Container, desk: DeskSetup, data: PlanInput, field: str, words: str
) -> None:
    errors = _refused(container, lambda: desk.save_plan(ADMIN, data))
    assert words in errors[field], errors


def test_companies_are_created_searched_edited_and_deactivated(container: Container, desk: DeskSetup) -> None:
    (plan,) = [p for p in desk.plans() if p.name == "Plan Incidentes"]
    created = desk.save_company(
        ADMIN, CompanyInput(name=" Minera  Norte ", tax_id="96.555.444-3", plan_id=plan.id)
    )
    assert (created.name, created.tax_id, created.plan) == ("Minera Norte", "96555444-3", "Plan Incidentes")
    assert [c.name for c in desk.companies("96.555")] == ["Minera Norte"]
    assert [c.name for c in desk.companies("NORTE")] == ["Minera Norte"]
    renamed = desk.save_company(ADMIN, CompanyInput(name="Minera del Norte", tax_id="96555444-3"), created.id)
    assert renamed.name == "Minera del Norte" and renamed.plan is None
    assert not desk.deactivate_company(ADMIN, created.id).active
    assert "Minera del Norte" not in [c.name for c in desk.companies(include_inactive=False)]
    assert _audit_actions(container) == ["company.create", "company.update", "company.deactivate"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (CompanyInput(name=""), "name", "needs a name"),
        (CompanyInput(name="comercial andes spa"), "name", "already exists"),
        (CompanyInput(name="Nueva", tax_id="76-123-456-7!"), "tax_id", "not a tax id"),
        (CompanyInput(name="Nueva", plan_id=999), "plan_id", "no plan 999"),
    ],
)
def test_a_wrong_company_says_what_is_wrong_and_writes_nothing(
    container: Container, desk: DeskSetup, data: CompanyInput, field: str, words: str
) -> None:
    errors = _refused(container, lambda: desk.save_company(ADMIN, data))
    assert words in errors[field], errors


def test_a_tax_id_belongs_to_one_company(container: Container, desk: DeskSetup) -> None:
    desk.save_company(ADMIN, CompanyInput(name="Uno", tax_id="76.111.111-1"))
    errors = _refused(
        container, lambda: desk.save_company(ADMIN, CompanyInput(name="Dos", tax_id="76111111-1"))
    )
    assert "already belongs to Uno" in errors["tax_id"]


def test_contacts_get_whatsapp_and_telegram_identities(
    container: Container, desk: DeskSetup, contacts: DeskContacts
) -> None:
    andes = desk.companies("andes")[0]
    data = ContactInput(
        name="Pedro Rojas",
        company_id=andes.id,
        email="Pedro.Rojas@ComercialAndes.cl",
        phone="+56 2 2345 6789",
        whatsapp="+56 9 8765 4321",
        telegram="424242",
    )
    created = contacts.save_contact(ADMIN, data)
    assert created.email == "pedro.rojas@comercialandes.cl" and created.phone == "+56223456789"
    assert set(created.identities) == {"whatsapp:+56987654321", "telegram:424242"} and created.verified
    assert [c.name for c in contacts.contacts("pedro")] == ["Pedro Rojas"]
    again = contacts.save_contact(ADMIN, data, created.id)
    assert again.identities == created.identities
    assert _audit_actions(container) == ["contact.create", "contact.update"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (ContactInput(name=""), "name", "needs a name"),
        (ContactInput(name="X", email="not-an-email"), "email", "not an e-mail address"),
        (ContactInput(name="X", phone="12345"), "phone", "international form"),
        (ContactInput(name="X", whatsapp="+56 9 abc"), "whatsapp", "international form"),
        (ContactInput(name="X", telegram="@pedro"), "telegram", "digits only"),
        (ContactInput(name="X", email="maria.gonzalez@comercialandes.cl"), "email", "already the e-mail"),
        (ContactInput(name="X", whatsapp="+56911111111"), "whatsapp", "merge the two contacts"),
        (ContactInput(name="X", telegram="111111111"), "telegram", "already belongs to María González"),
        (ContactInput(name="X", company_id=999), "company_id", "no company 999"),
    ],
)
def test_a_wrong_contact_says_what_is_wrong_and_writes_nothing(
    container: Container, contacts: DeskContacts, data: ContactInput, field: str, words: str
) -> None:
    errors = _refused(container, lambda: contacts.save_contact(ADMIN, data))
    assert words in errors[field], errors


def _stranger_ticket(container: Container) -> tuple[int, str]:
    """A ticket opened over WhatsApp by a number nobody registered: a self-identified contact."""
    chat = ChatSession(container, "+56977777777")
    chat.say("hola")
    chat.say("Rosa Pérez")
    chat.say("Empresa Nueva")
    chat.say("rosa@gmail.example")
    with container.session_factory() as session:
        contact = session.scalars(select(Contact).where(Contact.self_identified.is_(True))).one()
    return contact.id, open_ticket_through_chat(chat, "No puedo emitir facturas desde el módulo de ventas")


def test_a_self_identified_contact_is_listed_and_verified(
    container: Container, desk: DeskSetup, contacts: DeskContacts
) -> None:
    contact_id, number = _stranger_ticket(container)
    (listed,) = contacts.contacts(to_verify=True)
    assert listed.id == contact_id and not listed.verified and listed.identities == ("chat:+56977777777",)
    andes = desk.companies("andes")[0]
    verified = contacts.verify(ADMIN, contact_id, andes.id)
    assert verified.verified and verified.company == andes.name and contacts.contacts(to_verify=True) == []
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert not ticket.needs_verification and ticket.company_id == andes.id
    assert _audit_actions(container)[-1] == "contact.verify"


def test_ticking_verified_on_a_stranger_s_form_settles_its_open_tickets(
    container: Container, desk: DeskSetup, contacts: DeskContacts
) -> None:
    contact_id, number = _stranger_ticket(container)
    andes = desk.companies("andes")[0]
    unticked = ContactInput(name="Rosa Pérez", company_id=andes.id, verified=False)
    assert not contacts.save_contact(ADMIN, unticked, contact_id).verified
    with container.session_factory() as session:
        assert session.scalars(select(Ticket.needs_verification).where(Ticket.number == number)).one()
    ticked = ContactInput(name="Rosa Pérez", company_id=andes.id, email="rosa@andes.example", verified=True)
    assert contacts.save_contact(ADMIN, ticked, contact_id).verified
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert not ticket.needs_verification and ticket.company_id == andes.id


def test_a_self_identified_contact_is_merged_into_the_real_one(
    container: Container, contacts: DeskContacts
) -> None:
    contact_id, number = _stranger_ticket(container)
    with container.session_factory() as session:
        maria = session.scalars(select(Contact).where(Contact.name == "María González")).one()
    merged = contacts.merge(ADMIN, contact_id, maria.id)
    assert "chat:+56977777777" in merged.identities and merged.tickets == 1
    with container.session_factory() as session:
        assert session.get(Contact, contact_id) is None
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        conversation = session.scalars(
            select(Conversation).where(Conversation.address == "+56977777777")
        ).one()
    assert ticket.contact_id == maria.id and conversation.contact_id == maria.id
    assert not ticket.needs_verification and ticket.company_id == maria.company_id
    with container.session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.merge")).one()
    assert entry.actor == ADMIN and entry.data and entry.data["moved"]["tickets"] == 1


def test_refused_merges_and_verifications_write_nothing(container: Container, contacts: DeskContacts) -> None:
    contact_id, _ = _stranger_ticket(container)
    assert (
        "into itself"
        in _refused(container, lambda: contacts.merge(ADMIN, contact_id, contact_id))["target_id"]
    )
    assert (
        "no contact 999" in _refused(container, lambda: contacts.merge(ADMIN, contact_id, 999))["target_id"]
    )
    assert (
        "no company 999" in _refused(container, lambda: contacts.verify(ADMIN, contact_id, 999))["company_id"]
    )
    assert (
        "company first" in _refused(container, lambda: contacts.verify(ADMIN, contact_id, None))["company_id"]
    )


def test_agents_profiles_change_and_the_last_admin_stays(container: Container, desk: DeskSetup) -> None:
    agents = {a.email: a for a in desk.agents()}
    ana, admin = agents["ana@latamadvisory.example"], agents[ADMIN]
    changed = desk.save_agent(
        ADMIN, ana.id, AgentInput(name="Ana S.", role="supervisor", language="en", telegram_user_id="5551234")
    )
    assert (changed.role, changed.language, changed.telegram_user_id) == ("supervisor", "en", "5551234")
    with container.session_factory() as session:
        stored = session.get(Agent, ana.id)
        assert stored is not None and stored.telegram_chat_id == "5551234" and stored.is_supervisor
    disabled = desk.save_agent(
        ADMIN, ana.id, AgentInput(name="Ana S.", role="supervisor", telegram_user_id="5551234", active=False)
    )
    assert not disabled.active
    demote = AgentInput(name="Admin", role="agent")
    assert (
        "last active admin" in _refused(container, lambda: desk.save_agent(ADMIN, admin.id, demote))["role"]
    )
    clash = AgentInput(name="Admin", role="admin", telegram_user_id="5551234")
    errors = _refused(container, lambda: desk.save_agent(ADMIN, admin.id, clash))
    assert "already ana@latamadvisory.example" in errors["telegram_user_id"]
    bad = AgentInput(name="", role="boss", language="fr", telegram_user_id="x")
    assert set(_refused(container, lambda: desk.save_agent(ADMIN, ana.id, bad))) == {
        "name",
        "role",
        "language",
        "telegram_user_id",
    }
    assert _audit_actions(container) == ["agent.update", "agent.update"]
