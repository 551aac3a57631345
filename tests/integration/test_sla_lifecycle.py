"""Issue 10, SLA and lifecycle: the first response, contingency windows, changes told to the customer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from intake.db.models import Company, Ticket, TicketEvent
from intake.services.contingency import ContingencyService
from tests.integration.service_harness import open_ticket_through_chat
from tests.integration.test_sweeper_sla import Desk, local, sla_lines
from tests.support.clock import FakeClock


def _kinds(desk: Desk, number: str) -> list[str]:
    with desk.container.session_factory() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        return list(session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)))


def _agent_email(desk: Desk) -> str:
    from intake.db.models import Agent

    with desk.container.session_factory() as session:
        return session.scalars(select(Agent.email).where(Agent.active).order_by(Agent.id)).first() or ""


# --- 1: taking a ticket is a first response --------------------------------------------------------


def test_taking_a_ticket_stops_the_response_clock(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "El sistema de facturación no abre para nadie", "1", "1")
    desk.agents.take()
    clock.current = local(2026, 3, 2, 9, 10)
    told = [m.text for m in desk.chat.agent("take", number)]
    assert any("tomó su ticket" in t for t in told)  # the notice names the agent
    assert desk.ticket(number).first_response_at == local(2026, 3, 2, 9, 10)
    agents_seen: list[str] = []
    customer_seen: list[str] = []
    for minute in range(11, 46):
        agents, _, customer = desk.sweep_at(local(2026, 3, 2, 9, 0) + timedelta(minutes=minute))
        agents_seen += agents
        customer_seen += customer
    assert [line for line in sla_lines(agents_seen) if "response" in line] == []
    assert desk.alerts(number) == []
    assert desk.ticket(number).escalation_level == 0
    assert not any("escalado" in t for t in customer_seen)
    assert "escalated" not in _kinds(desk, number)
    # the resolution clock is still watched: 75 % of 6 business hours at 13:30
    assert desk.ticket(number).sla_next_check_at == local(2026, 3, 2, 13, 30)
    desk.container.close()


def test_an_internal_note_is_not_a_first_response(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "No se puede confirmar ningún pedido de venta", "1", "1")
    clock.current = local(2026, 3, 2, 9, 5)
    desk.container.agent_actions.note(number, _agent_email(desk), "revisar el log del servidor")
    assert desk.ticket(number).first_response_at is None
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 9, 30))
    assert any(line.startswith(f"SLA BREACHED {number} (P1): response") for line in agents)
    desk.container.close()


def test_an_information_request_is_a_first_response(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "No se puede confirmar ningún pedido de venta", "1", "1")
    clock.current = local(2026, 3, 2, 9, 20)
    desk.chat.agent("info", number, "¿Desde qué usuario?")
    assert desk.ticket(number).first_response_at == local(2026, 3, 2, 9, 20)
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 9, 31))
    assert sla_lines(agents) == []
    desk.container.close()


# --- 2: a contingency exempts only its window ------------------------------------------------------


def _andes(desk: Desk) -> int:
    with desk.container.session_factory() as session:
        return session.scalars(select(Company.id).where(Company.name.like("Comercial Andes%"))).one()


def test_after_a_contingency_clocks_resume_and_an_earlier_breach_stands(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "El POS de todas las tiendas no imprime", "1", "1")
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 9, 30))
    assert any(line.startswith(f"SLA BREACHED {number} (P1): response") for line in agents)
    service = ContingencyService(desk.container.tickets)
    clock.current = local(2026, 3, 2, 10, 0)
    with desk.container.transaction() as session:
        contingency_id = service.declare(session, "caída del proveedor", [_andes(desk)], "Carlos", clock()).id
    assert desk.ticket(number).sla_exempt
    for hour in (11, 12):  # silent inside the window
        agents, _, _ = desk.sweep_at(local(2026, 3, 2, hour, 0))
        assert sla_lines(agents) == []
    clock.current = local(2026, 3, 2, 12, 0)
    with desk.container.transaction() as session:
        service.end(session, contingency_id, clock())
    ticket = desk.ticket(number)
    assert not ticket.sla_exempt
    # 60 business minutes used before the window; 75 % of 360 is 270: 210 more from 12:00 → 15:30
    assert ticket.resolution_due == local(2026, 3, 2, 17, 0)
    assert ticket.sla_next_check_at == local(2026, 3, 2, 15, 30)
    assert ("response", 100) in desk.alerts(number)  # the breach before the window stands
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 15, 30))
    assert sla_lines(agents) == [
        f"SLA warning {number} (P1): resolution clock at 75%, due Monday 2 March 17:00 (America/Santiago)"
    ]
    agents, _, customer = desk.sweep_at(local(2026, 3, 2, 17, 0))
    assert any(line.startswith(f"SLA BREACHED {number} (P1): resolution") for line in agents)
    assert any("fue escalado" in t for t in customer)
    desk.container.close()


def test_a_breach_crossed_before_the_window_but_not_swept_yet_is_raised_after_it(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "El POS de todas las tiendas no imprime", "1", "1")
    service = ContingencyService(desk.container.tickets)
    clock.current = local(2026, 3, 2, 9, 40)  # the sweeper never ran: the 09:30 breach is not raised yet
    with desk.container.transaction() as session:
        contingency_id = service.declare(session, "caída del proveedor", [_andes(desk)], "Carlos", clock()).id
    clock.current = local(2026, 3, 2, 10, 0)
    with desk.container.transaction() as session:
        service.end(session, contingency_id, clock())
    assert desk.ticket(number).response_due == local(2026, 3, 2, 9, 30)  # not moved by a later window
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 10, 0))
    assert any(line.startswith(f"SLA BREACHED {number} (P1): response") for line in agents)
    assert desk.ticket(number).escalation_level == 1
    desk.container.close()


# --- 3: every change reaches the customer ----------------------------------------------------------


def test_a_priority_change_tells_the_customer_the_reason_and_the_new_deadlines(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "Consulta sobre cómo exportar el libro de ventas", "3", "2")
    clock.current = local(2026, 3, 2, 9, 20)
    actions = desk.container.agent_actions
    actions.change_priority(number, _agent_email(desk), "P1", "bloquea el cierre mensual")
    told = [m.text for m in desk.chat.flush()]
    assert len(told) == 1, told
    assert told[0].startswith(
        f"Cambiamos la prioridad de su ticket {number} de P4 a P1.\nMotivo: bloquea el cierre mensual\n"
        "Nuevos plazos: respuesta antes del lunes 2 de marzo 09:30 y "
        "solución antes del lunes 2 de marzo 15:00"
    ), told[0]
    desk.container.close()


def test_a_priority_change_is_told_in_the_customers_language(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "Consulta sobre cómo exportar el libro de ventas", "3", "2")
    with desk.container.transaction() as session:
        session.scalars(select(Ticket).where(Ticket.number == number)).one().language = "en"
    clock.current = local(2026, 3, 2, 9, 20)
    desk.chat.agent("take", number)  # answered: only the resolution deadline still runs
    desk.container.agent_actions.change_priority(number, _agent_email(desk), "P2", "month-end closing")
    told = [m.text for m in desk.chat.flush()]
    assert told[-1].startswith(
        f"We changed the priority of your ticket {number} from P4 to P2.\nReason: month-end closing\n"
        "New deadlines: resolution by Monday 2 March 17:00"
    ), told
    desk.container.close()


def test_a_cancellation_tells_the_customer_why(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "No llegan los correos de facturas", "2", "2")
    desk.container.agent_actions.cancel(number, _agent_email(desk), "duplicado de LA-000001")
    told = [m.text for m in desk.chat.flush()]
    assert told == [
        f"Cancelamos su ticket {number}.\nMotivo: duplicado de LA-000001\n"
        "Si necesita algo más, escríbanos por este chat."
    ]
    assert desk.ticket(number).status == "cancelled"
    desk.container.close()
