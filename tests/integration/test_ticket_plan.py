"""A ticket keeps the plan it was opened under; special packages with their own calendar per priority."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.bootstrap import Container
from intake.cli.simulator import ChatSession
from intake.db.models import Company, Contact, SupportPlan, Ticket
from intake.services.agent_actions import Registration
from intake.services.demo import DEMO_COMPANY, DEMO_EMAIL
from intake.services.desk_setup import CompanyInput, DeskSetup, PlanInput
from intake.services.setup_rules import SetupError
from intake.services.sla import clock_crossings, next_sla_check
from tests.integration.service_harness import make_container, open_ticket_through_chat
from tests.support.clock import FakeClock

ANA = "ana@latamadvisory.example"


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    built = make_container(database_url, tmp_path, clock)
    yield built
    built.close()


def _ticket(container: Container, number: str) -> Ticket:
    with container.session_factory() as session:
        return session.scalars(select(Ticket).where(Ticket.number == number)).one()


def _move_company_to_premium(container: Container) -> int:
    """A 24×7-for-P1 package with a 15-minute P1 response; the demo company moves to it."""
    with container.transaction() as session:
        plan = SupportPlan(
            name="Premium P1 24x7",
            calendar_name="default",
            request_rule="included",
            target_overrides={"P1": {"response_minutes": 15, "calendar": "cl-24x7"}},
        )
        session.add(plan)
        session.flush()
        company = session.scalars(select(Company).where(Company.name == DEMO_COMPANY)).one()
        company.plan_id = plan.id
        return plan.id


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_ticket_keeps_its_plan_when_the_company_changes_plan(
    container: Container, clock: FakeClock
) -> None:
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes")  # P1, Monday 09:00
    old = _ticket(container, number)
    standard_plan = old.plan_id
    assert standard_plan is not None
    # Monday 2 March 2026, 09:00 in Santiago: P1 is 30 minutes / 6 business hours on the standard plan
    assert (old.response_due, old.resolution_due) == (_utc(2026, 3, 2, 12, 30), _utc(2026, 3, 2, 18, 0))

    premium = _move_company_to_premium(container)
    clock.advance(minutes=5)
    container.agent_actions.change_priority(number, ANA, "P2", "varias áreas, no todas")
    container.agent_actions.change_priority(number, ANA, "P1", "vuelve a ser crítico")
    after = _ticket(container, number)
    assert after.plan_id == standard_plan
    # recomputed on the plan it was opened under: not 15 minutes, not 24×7
    assert (after.response_due, after.resolution_due) == (_utc(2026, 3, 2, 12, 30), _utc(2026, 3, 2, 18, 0))

    clock.current = _utc(2026, 3, 2, 22, 0)  # 19:00 in Santiago: closed on the standard calendar
    with container.session_factory() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.email == DEMO_EMAIL)).first()
    assert contact_id is not None
    new_number = container.agent_actions.register(
        ANA, Registration(contact_id, "incident", "Se cayó la facturación electrónica", "alto", "alta")
    ).number
    new = _ticket(container, new_number)
    assert new.plan_id == premium
    # P1 on the premium package runs 24×7 with its own 15-minute response target
    assert (new.response_due, new.resolution_due) == (_utc(2026, 3, 2, 22, 15), _utc(2026, 3, 3, 4, 0))


def test_other_priorities_of_a_special_package_keep_the_plan_calendar(
    container: Container, clock: FakeClock
) -> None:
    _move_company_to_premium(container)
    clock.current = _utc(2026, 3, 2, 22, 0)  # Monday 19:00 in Santiago
    with container.session_factory() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.email == DEMO_EMAIL)).first()
    assert contact_id is not None
    number = container.agent_actions.register(
        ANA, Registration(contact_id, "incident", "Un informe sale desordenado", "bajo", "media")
    ).number
    ticket = _ticket(container, number)
    assert ticket.priority == "P4"
    # P4 has no calendar of its own: 4 business hours from Tuesday 08:30 → 12:30 in Santiago
    assert ticket.response_due == _utc(2026, 3, 3, 15, 30)


# --- special packages set up by an admin ------------------------------------------------------------

ADMIN = "ana@latamadvisory.example"


def test_an_admin_sets_up_extended_hours_with_p1_around_the_clock(
    container: Container, clock: FakeClock
) -> None:
    desk = DeskSetup(container.session_factory, container.clock)
    data = PlanInput(
        name="Extendido P1 24×7",
        package="extended",
        timezone="America/Bogota",
        country="",
        request_rule="hours_bank",
        low_balance="3",
        p1_24x7=True,
    )
    plan = desk.save_plan(ADMIN, data)
    assert (plan.request_rule, plan.low_balance, plan.p1_24x7, plan.includes_requests) == (
        "hours_bank",
        3,
        True,
        False,
    )
    with container.session_factory() as session:
        stored = session.get(SupportPlan, plan.id)
        assert stored is not None and stored.low_balance_minutes == 180
        p1 = container.sla.plan_calendar(stored, "P1")
        p3 = container.sla.plan_calendar(stored, "P3")
    assert p1.timezone == "America/Bogota" and p1.hours != p3.hours
    assert p3.timezone == "America/Bogota"

    andes = desk.companies("andes")[0]
    desk.save_company(ADMIN, CompanyInput(name=andes.name, tax_id=andes.tax_id, plan_id=plan.id), andes.id)
    clock.current = _utc(2026, 3, 8, 3, 0)  # Saturday 22:00 in Bogotá: closed for extended hours
    with container.session_factory() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.email == DEMO_EMAIL)).one()
    urgent = container.agent_actions.register(
        ADMIN, Registration(contact_id, "incident", "Caída total del ERP", "alto", "alta")
    )
    minor = container.agent_actions.register(
        ADMIN, Registration(contact_id, "incident", "Un informe sale desordenado", "alto", "media")
    )
    p1_ticket, p2_ticket = _ticket(container, urgent.number), _ticket(container, minor.number)
    assert p1_ticket.response_due == clock() + timedelta(minutes=30)  # around the clock
    # P2 waits for Monday 08:00 in Bogotá (13:00 UTC): 45 minutes later
    assert p2_ticket.response_due == _utc(2026, 3, 9, 13, 45)

    unticked = desk.save_plan(ADMIN, replace(data, p1_24x7=False), plan.id)
    assert not unticked.p1_24x7 and unticked.request_rule == "hours_bank"


def test_a_plan_without_a_rule_keeps_the_old_meaning_and_bad_rules_are_refused(container: Container) -> None:
    desk = DeskSetup(container.session_factory, container.clock)
    assert desk.save_plan(
        ADMIN, PlanInput(name="A", package="standard", includes_requests=True)
    ).request_rule == ("included")
    assert desk.save_plan(ADMIN, PlanInput(name="B", package="standard", hours_bank="10")).request_rule == (
        "hours_bank"
    )
    assert desk.save_plan(ADMIN, PlanInput(name="C", package="standard")).request_rule == "quote"
    with pytest.raises(SetupError) as refused:
        desk.save_plan(
            ADMIN, PlanInput(name="D", package="standard", request_rule="gratis", low_balance="dos")
        )
    assert set(refused.value.errors) == {"request_rule", "low_balance"}
    assert "one of included, hours_bank, quote" in refused.value.messages["request_rule"]
    assert [p.name for p in desk.plans() if p.name == "D"] == []


def test_the_sweeper_watches_an_old_ticket_on_its_own_plan(container: Container) -> None:
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes")  # P1, Monday 09:00
    _move_company_to_premium(container)  # 15-minute P1 response, 24×7, for new tickets only
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        first = next_sla_check(session, container.sla, ticket)
        crossings = {(c.clock, c.level): c.at for c in clock_crossings(session, container.sla, ticket)}
    # 75 % of the standard plan's 30 minutes, not of the premium 15
    assert first == _utc(2026, 3, 2, 12, 22, 30)
    assert crossings[("response", 100)] == _utc(2026, 3, 2, 12, 30)
    assert crossings[("resolution", 100)] == _utc(2026, 3, 2, 18, 0)


def test_a_strangers_ticket_takes_the_companys_plan_when_the_contact_is_verified(
    container: Container, clock: FakeClock
) -> None:
    """Opened before the desk knew the company (no plan), it gets the company's plan on verification;
    a ticket that already has a plan keeps it."""
    now = clock()
    with container.transaction() as session:
        stranger = Contact(name="Pedro Soto", self_identified=True, verified=False)
        session.add(stranger)
        session.flush()
        common = {
            "contact_id": stranger.id,
            "channel": "whatsapp",
            "ticket_type": "request",
            "impact": "medio",
            "urgency": "media",
            "priority": "P3",
            "status": "new",
            "needs_verification": True,
            "opened_at": now,
            "response_due": now + timedelta(hours=1),
            "resolution_due": now + timedelta(days=1),
        }
        premium = SupportPlan(name="Otro plan", calendar_name="default")
        session.add(premium)
        session.flush()
        session.add_all(
            [
                Ticket(number="LA-900001", tracking_token="t" * 40, title="Sin plan", **common),
                Ticket(
                    number="LA-900002",
                    tracking_token="u" * 40,
                    title="Con plan",
                    plan_id=premium.id,
                    **common,
                ),
            ]
        )
        stranger_id, premium_id = stranger.id, premium.id
        company_plan = session.scalars(select(Company.plan_id).where(Company.name == DEMO_COMPANY)).one()
    container.contacts.verify(stranger_id, DEMO_COMPANY)
    without, with_plan = _ticket(container, "LA-900001"), _ticket(container, "LA-900002")
    assert company_plan is not None and without.plan_id == company_plan
    assert without.company_id is not None and not without.needs_verification
    assert with_plan.plan_id == premium_id
