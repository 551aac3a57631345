"""Billable incidents, time logged on tickets and the hours bank, through the use cases on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import RequestTerms
from intake.bootstrap import Container
from intake.cli.simulator import ChatSession
from intake.db.models import (
    AuditEntry,
    Company,
    Contact,
    Conversation,
    OutboxMessage,
    SupportPlan,
    Ticket,
    TicketEvent,
    TimeEntry,
)
from intake.services.agent_actions import ActionError, ActionErrorCode, Registration
from intake.services.conversations import request_terms
from intake.services.demo import DEMO_COMPANY, DEMO_EMAIL
from intake.services.hours_bank import BankError, balance_minutes, crossed_level
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock

ANA = "ana@latamadvisory.example"


@dataclass
class Desk:
    """The demo company on a plan with an hours bank (requests charged, warning at 2 h), one incident open."""

    container: Container
    chat: ChatSession
    incident: str
    clock: FakeClock
    contact_id: int
    company_id: int

    def ticket(self, number: str) -> Ticket:
        with self.container.session_factory() as session:
            return session.scalars(select(Ticket).where(Ticket.number == number)).one()

    def events(self, number: str, kind: str) -> list[TicketEvent]:
        with self.container.session_factory() as session:
            ticket_id = session.scalars(select(Ticket.id).where(Ticket.number == number)).one()
            query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
            return list(session.scalars(query.order_by(TicketEvent.id)))

    def entries(self, number: str) -> list[TimeEntry]:
        ticket = self.ticket(number)
        with self.container.session_factory() as session:
            query = select(TimeEntry).where(TimeEntry.ticket_id == ticket.id).order_by(TimeEntry.id)
            return list(session.scalars(query))

    def balance(self) -> int:
        return self.container.hours_bank.balance(self.company_id)

    def report_mail(self) -> list[str]:
        with self.container.session_factory() as session:
            query = select(OutboxMessage.payload).where(
                OutboxMessage.channel == "email", OutboxMessage.kind == "hours_bank"
            )
            rows = session.scalars(query.order_by(OutboxMessage.id))
            return [p["text"] for p in rows if p["recipient"] == DEMO_EMAIL]

    def bank_alerts(self) -> list[str]:
        with self.container.session_factory() as session:
            query = select(TicketEvent.body).where(TicketEvent.kind == "agent_alert")
            return [b for b in session.scalars(query.order_by(TicketEvent.id)) if b.startswith("Hours bank")]

    def request(self, description: str = "Configurar una nueva lista de precios") -> str:
        data = Registration(self.contact_id, "request", description, "bajo", "baja")
        return self.container.agent_actions.register(ANA, data).number


@pytest.fixture
def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    container = make_container(database_url, tmp_path, clock)
    with container.transaction() as session:
        plan = SupportPlan(
            name="Bolsa de horas", calendar_name="default", request_rule="hours_bank", low_balance_minutes=120
        )
        session.add(plan)
        company = session.scalars(select(Company).where(Company.name == DEMO_COMPANY)).one()
        company.plan = plan
        contact = session.scalars(select(Contact).where(Contact.email == DEMO_EMAIL)).one()
        contact.receives_reports = True
        session.flush()
        contact_id, company_id = contact.id, company.id
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes")
    chat.flush()
    yield Desk(container, chat, number, clock, contact_id, company_id)
    container.close()


# --- billable incidents ----------------------------------------------------------------------------


def test_an_agent_marks_an_incident_billable_and_the_customer_is_told(desk: Desk) -> None:
    actions = desk.container.agent_actions
    actions.mark_billable(desk.incident, ANA, "El usuario borró el diario contable por error")
    ticket = desk.ticket(desk.incident)
    assert ticket.billable and ticket.billable_reason == "El usuario borró el diario contable por error"
    told = texts(desk.chat.flush())
    assert "errores provocados por los usuarios son atendidos, pero con cargo al cliente" in told
    assert "Motivo: El usuario borró el diario contable por error" in told
    (event,) = desk.events(desk.incident, "billable_marked")
    assert not event.visible_to_customer and event.agent_id is not None  # the customer got the notice
    assert event.data == {"reason": "El usuario borró el diario contable por error"}

    desk.clock.advance(minutes=1)
    actions.unmark_billable(desk.incident, ANA, "Era un error de la plataforma")
    ticket = desk.ticket(desk.incident)
    assert not ticket.billable and ticket.billable_reason is None
    assert "no tendrá cargo" in texts(desk.chat.flush())
    (undo,) = desk.events(desk.incident, "billable_unmarked")
    assert "Era un error de la plataforma" in undo.body


def test_billable_is_refused_on_requests_closed_tickets_and_without_a_reason(desk: Desk) -> None:
    actions = desk.container.agent_actions
    with pytest.raises(ActionError) as empty:
        actions.mark_billable(desk.incident, ANA, "   ")
    assert empty.value.code is ActionErrorCode.BAD_INPUT and "reason" in empty.value.message
    with pytest.raises(ActionError) as undo_first:
        actions.unmark_billable(desk.incident, ANA, "no era")
    assert undo_first.value.code is ActionErrorCode.BAD_INPUT

    request = desk.request()
    with pytest.raises(ActionError) as on_request:
        actions.mark_billable(request, ANA, "error de usuario")
    assert on_request.value.code is ActionErrorCode.BAD_INPUT
    assert "request" in on_request.value.message

    actions.cancel(desk.incident, ANA, "duplicado")
    with pytest.raises(ActionError) as closed:
        actions.mark_billable(desk.incident, ANA, "error de usuario")
    assert closed.value.code is ActionErrorCode.ILLEGAL_TRANSITION
    assert not desk.ticket(desk.incident).billable
    assert desk.ticket(request).billable_reason is None  # a request's charge is its plan's rule
    for number in (desk.incident, request):
        assert desk.events(number, "billable_marked") == []


# --- time logging ----------------------------------------------------------------------------------


def test_time_on_an_incident_is_logged_but_not_charged_until_it_is_billable(desk: Desk) -> None:
    actions = desk.container.agent_actions
    desk.container.hours_bank.credit(ANA, DEMO_COMPANY, 10 * 60, "Paquete de 10 horas")
    first = actions.log_time(desk.incident, ANA, 45, "Revisión del asiento de nómina")
    assert (first.minutes, first.charged_to_bank, first.ticket_minutes) == (45, False, 45)
    assert first.balance_minutes == 600
    desk.clock.advance(minutes=50)
    actions.log_time(desk.incident, ANA, 30, "Prueba en copia de la base")
    assert desk.ticket(desk.incident).minutes_logged == 75
    assert [e.minutes for e in desk.entries(desk.incident)] == [45, 30]
    assert desk.balance() == 600

    actions.mark_billable(desk.incident, ANA, "El usuario cambió la configuración de nómina")
    assert all(e.charged_to_bank for e in desk.entries(desk.incident))
    assert desk.balance() == 600 - 75
    logged = desk.events(desk.incident, "time_logged")
    assert [e.data for e in logged] == [
        {"minutes": 45, "charged_to_bank": False},
        {"minutes": 30, "charged_to_bank": False},
    ]

    actions.unmark_billable(desk.incident, ANA, "Revisado: era un error del módulo")
    assert not any(e.charged_to_bank for e in desk.entries(desk.incident))
    assert desk.balance() == 600


def test_time_on_a_request_of_an_hours_bank_plan_is_charged(desk: Desk) -> None:
    desk.container.hours_bank.credit(ANA, DEMO_COMPANY, 10 * 60, "Paquete de 10 horas")
    request = desk.request()
    logged = desk.container.agent_actions.log_time(request, ANA, 90, "Lista de precios creada")
    assert logged.charged_to_bank and logged.balance_minutes == 510
    assert desk.balance() == 510


@pytest.mark.parametrize(
    ("minutes", "note", "fragment"),
    [
        (0, "nota", "1 to 1440 minutes"),
        (-5, "nota", "1 to 1440 minutes"),
        (24 * 60 + 1, "nota", "1 to 1440 minutes"),
        (30, "  ", "note is required"),
        (30, "x" * 1001, "at most 1000"),
    ],
)
def test_bad_time_entries_are_refused_and_nothing_is_kept(
    desk: Desk, minutes: int, note: str, fragment: str
) -> None:
    with pytest.raises(ActionError) as refused:
        desk.container.agent_actions.log_time(desk.incident, ANA, minutes, note)
    assert refused.value.code is ActionErrorCode.BAD_INPUT and fragment in refused.value.message
    assert desk.entries(desk.incident) == []
    assert desk.ticket(desk.incident).minutes_logged == 0


def test_time_on_an_unknown_ticket_or_by_an_unknown_agent_is_refused(desk: Desk) -> None:
    with pytest.raises(ActionError) as unknown:
        desk.container.agent_actions.log_time("LA-999999", ANA, 30, "nota")
    assert unknown.value.code is ActionErrorCode.UNKNOWN_TICKET
    with pytest.raises(ActionError) as nobody:
        desk.container.agent_actions.log_time(desk.incident, "nadie@example.com", 30, "nota")
    assert nobody.value.code is ActionErrorCode.UNKNOWN_AGENT
    assert desk.entries(desk.incident) == []


# --- the hours bank and its warnings ----------------------------------------------------------------


def test_low_and_empty_warnings_once_per_crossing(desk: Desk) -> None:
    bank, actions = desk.container.hours_bank, desk.container.agent_actions
    bank.credit(ANA, DEMO_COMPANY, 10 * 60, "Paquete de 10 horas")
    request = desk.request()
    actions.log_time(request, ANA, 8 * 60, "Taller de configuración")  # 120 → at the warning level
    assert desk.balance() == 120
    assert desk.bank_alerts() == [
        f"Hours bank of {DEMO_COMPANY} running low: balance 2 h 00 min (warning level 2 h 00 min)"
    ]
    (mail,) = desk.report_mail()
    assert "está por agotarse" in mail and "2 h 00 min" in mail

    actions.log_time(request, ANA, 60, "Ajustes")  # 60: still low, no new warning
    assert len(desk.bank_alerts()) == 1 and len(desk.report_mail()) == 1

    low = actions.log_time(request, ANA, 60, "Ajustes finales")  # 0: used up
    assert low.warning == "empty" and low.balance_minutes == 0
    assert desk.bank_alerts()[-1].startswith(f"Hours bank of {DEMO_COMPANY} used up: balance 0 min")
    assert "se agotó" in desk.report_mail()[-1]

    actions.log_time(request, ANA, 15, "Una consulta más")  # -15: no third warning
    assert desk.balance() == -15
    assert len(desk.bank_alerts()) == 2 and len(desk.report_mail()) == 2

    status = bank.credit(ANA, DEMO_COMPANY, 5 * 60, "Recarga")  # 285: re-armed
    assert status.balance_minutes == 285 and not status.low
    again = actions.log_time(request, ANA, 3 * 60, "Otro taller")  # 105: low again
    assert again.warning == "low"
    assert len(desk.bank_alerts()) == 3 and len(desk.report_mail()) == 3


def test_one_charge_crossing_both_levels_warns_once_as_used_up() -> None:
    assert crossed_level(500, -10, 120) == "empty"
    assert crossed_level(500, 120, 120) == "low"
    assert crossed_level(120, 60, 120) is None
    assert crossed_level(0, -30, 120) is None


def test_the_balance_at_an_instant_counts_only_what_happened_by_then(desk: Desk) -> None:
    bank = desk.container.hours_bank
    start = desk.clock()
    bank.credit(ANA, DEMO_COMPANY, 600, "Paquete")
    request = desk.request()
    desk.clock.advance(hours=1)
    desk.container.agent_actions.log_time(request, ANA, 100, "Trabajo")
    desk.clock.advance(hours=1)
    bank.credit(ANA, DEMO_COMPANY, 60, "Recarga")
    assert bank.balance(desk.company_id, at=start - timedelta(seconds=1)) == 0
    assert bank.balance(desk.company_id, at=start + timedelta(minutes=30)) == 600
    assert bank.balance(desk.company_id, at=start + timedelta(minutes=90)) == 500
    assert bank.balance(desk.company_id) == 560
    with desk.container.session_factory() as session:
        assert balance_minutes(session, desk.company_id) == 560


def test_credits_are_audited_and_bad_ones_refused(desk: Desk) -> None:
    bank = desk.container.hours_bank
    status = bank.credit(ANA, DEMO_COMPANY.upper(), 150, "  Paquete   inicial ")
    assert (status.credited_minutes, status.balance_minutes, status.company) == (150, 150, DEMO_COMPANY)
    with desk.container.session_factory() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "hours_bank.credit"))
        assert entry.target == DEMO_COMPANY and entry.data == {"minutes": 150, "note": "Paquete inicial"}
        assert entry.agent_id is not None
    for company, minutes, note, fragment in (
        ("No Existe SpA", 60, "", "no company"),
        (DEMO_COMPANY, 0, "", "between 1 minute"),
        (DEMO_COMPANY, 10_000 * 60 + 1, "", "between 1 minute"),
        (DEMO_COMPANY, 60, "x" * 501, "at most 500"),
    ):
        with pytest.raises(BankError, match=fragment):
            bank.credit(ANA, company, minutes, note)
    assert bank.balance(desk.company_id) == 150


def test_the_dialog_s_terms_say_the_balance_only_to_a_trusted_contact_in_private(desk: Desk) -> None:
    desk.container.hours_bank.credit(ANA, DEMO_COMPANY, 90, "Paquete")
    now = desk.clock()
    with desk.container.session_factory() as session:
        contact = session.get(Contact, desk.contact_id)
        private = request_terms(session, contact, now)
        assert (private.rule, private.balance()) == ("hours_bank", 90)
        in_group = request_terms(session, contact, now, in_group=True)
        assert (in_group.rule, in_group.balance()) == ("hours_bank", None)
        assert request_terms(session, None, now) == RequestTerms("unknown")
        assert contact is not None
        contact.self_identified = True  # typed their company in a chat: not vouched for yet
        assert request_terms(session, contact, now) == RequestTerms("unknown")
        session.rollback()


def test_a_warning_to_a_report_contact_without_e_mail_never_goes_to_a_group_chat(desk: Desk) -> None:
    """The balance is company data: written to the contact's private chat, never to a group they use."""
    now = desk.clock()
    with desk.container.transaction() as session:
        rosa = Contact(name="Rosa Díaz", company_id=desk.company_id, receives_reports=True)
        session.add(rosa)
        session.flush()
        group = Conversation(
            channel="telegram",
            address="7001",
            chat_id="-1001234567890",
            contact_id=rosa.id,
            created_at=now,
            updated_at=now + timedelta(minutes=5),  # the most recent one
        )
        private = Conversation(
            channel="telegram",
            address="7001b",
            chat_id="7001",
            contact_id=rosa.id,
            created_at=now,
            updated_at=now,
        )
        session.add_all([group, private])
    desk.container.hours_bank.credit(ANA, DEMO_COMPANY, 3 * 60, "Paquete")
    desk.container.agent_actions.log_time(desk.request(), ANA, 90, "Taller")  # 90 min left: low
    with desk.container.session_factory() as session:
        query = select(OutboxMessage.recipient).where(
            OutboxMessage.kind == "hours_bank", OutboxMessage.channel == "telegram"
        )
        recipients = list(session.scalars(query))
    assert recipients == ["7001"]  # the private chat, not "-1001234567890"
