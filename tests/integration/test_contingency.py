"""Contingencies through the real service and database: pauses, exemption, customers told, deadlines moved."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.db.models import Company, Contact, Conversation, Ticket, TicketPause
from intake.services.contingency import ContingencyError, ContingencyService
from intake.services.tickets import NewTicket
from sla.priority import Impact, Urgency
from tests.integration.test_sweeper_sla import Desk, local, sla_lines
from tests.support.clock import FakeClock

DEMO = "+56911111111"
OTHER = "+15550002222"


def open_ticket(desk: Desk, address: str, description: str, now: datetime) -> str:
    """A P5 ticket (8 h response, 5 business days resolution) in the conversation of `address`."""
    desk.clock.current = now
    c = desk.container
    with c.transaction() as session:
        conversation = session.scalars(select(Conversation).where(Conversation.address == address)).one()
        contact = session.get(Contact, conversation.contact_id)
        data = NewTicket("incident", description, Impact.LOW, Urgency.LOW)
        ticket = c.tickets.open_ticket(session, conversation, contact, data, now=now)
        return ticket.number or ""


def two_customers(desk: Desk) -> tuple[int, int]:
    """The demo contact (Spanish, Comercial Andes) and an English contact at another company; company ids."""
    with desk.container.transaction() as session:
        andes = session.scalars(select(Company).where(Company.name.like("Comercial Andes%"))).one()
        other = session.scalars(select(Company).where(Company.name.like("Distribuidora%"))).one()
        maria = session.scalars(select(Contact).where(Contact.company_id == andes.id)).one()
        john = Contact(name="John Smith", email="john@pacifico.example", company_id=other.id, language="en")
        session.add(john)
        session.flush()
        for contact, address, lang in ((maria, DEMO, "es"), (john, OTHER, "en")):
            session.add(
                Conversation(
                    channel="chat",
                    address=address,
                    contact_id=contact.id,
                    language=lang,
                    state={},
                    created_at=desk.clock(),
                    updated_at=desk.clock(),
                )
            )
        return andes.id, other.id


def received(desk: Desk, address: str) -> list[str]:
    """Deliver the outbox and return what reached one chat."""
    while desk.container.run_jobs_once():
        pass
    return [m.text for m in desk.chat.adapter.take(address)]


def test_declare_pauses_exempts_and_tells_each_customer_once_then_end_moves_deadlines(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    andes, _ = two_customers(desk)
    first = open_ticket(desk, DEMO, "El POS no imprime boletas", local(2026, 3, 2, 9, 0))
    second = open_ticket(desk, DEMO, "No llegan los correos de facturas", local(2026, 3, 2, 9, 0))
    theirs = open_ticket(desk, OTHER, "Cannot post journal entries", local(2026, 3, 2, 9, 0))
    received(desk, DEMO), received(desk, OTHER)
    before = {n: (desk.ticket(n).response_due, desk.ticket(n).resolution_due) for n in (first, second)}
    assert before[first] == (local(2026, 3, 2, 17, 0), local(2026, 3, 9, 9, 0))
    service = ContingencyService(desk.container.tickets)

    clock.current = local(2026, 3, 2, 10)

    with desk.container.transaction() as session:
        declared = service.declare(
            session, "caída del proveedor de hosting", [andes], "Carlos", local(2026, 3, 2, 10)
        )
        contingency_id = declared.id
    told = received(desk, DEMO)
    assert told == [
        "Aviso importante: hay una falla externa mayor (caída del proveedor de hosting). Activamos nuestro "
        "protocolo de contingencia y le mantendremos informado en todo momento. Mientras dure, no podemos "
        f"asegurar el cumplimiento de los plazos (SLA) de su ticket {first}, {second}."
    ]
    assert received(desk, OTHER) == []  # not in scope
    for number in (first, second):
        ticket = desk.ticket(number)
        assert ticket.sla_exempt and ticket.sla_next_check_at is None
    assert not desk.ticket(theirs).sla_exempt
    assert desk.ticket(theirs).sla_next_check_at is not None
    mine = sorted(desk.ticket(n).id for n in (first, second))
    with desk.container.session_factory() as session:
        pauses = session.scalars(select(TicketPause).where(TicketPause.reason == "contingency")).all()
        assert sorted(p.ticket_id for p in pauses) == mine
        assert {(p.contingency_id, p.started_at, p.ended_at) for p in pauses} == {
            (contingency_id, local(2026, 3, 2, 10), None)
        }

    during = open_ticket(desk, DEMO, "Tampoco abre el portal de clientes", local(2026, 3, 2, 11, 0))
    assert desk.ticket(during).sla_exempt  # opened inside the window
    received(desk, DEMO)

    clock.current = local(2026, 3, 2, 12, 0)

    with desk.container.transaction() as session:
        service.end(session, contingency_id, local(2026, 3, 2, 12, 0))
    ended = received(desk, DEMO)
    assert ended == [
        "La contingencia (caída del proveedor de hosting) terminó y retomamos la atención normal de su "
        f"ticket {first}, {second}, {during}. Le mantendremos informado en todo momento."
    ]
    # two paused business hours move both clocks: 17:00 → Tuesday 10:00, Monday 9 March 09:00 → 11:00
    for number in (first, second):
        assert (desk.ticket(number).response_due, desk.ticket(number).resolution_due) == (
            local(2026, 3, 3, 10, 0),
            local(2026, 3, 9, 11, 0),
        )
    # the ticket opened at 11:00 gets the hour it spent inside the window
    assert desk.ticket(during).response_due == local(2026, 3, 3, 11, 0)
    with desk.container.session_factory() as session:
        pauses = session.scalars(select(TicketPause).where(TicketPause.reason == "contingency")).all()
        assert len(pauses) == 3 and all(p.ended_at == local(2026, 3, 2, 12, 0) for p in pauses)
    # the exemption covered the window only: every ticket is watched again (issue 10, item 2)
    assert not any(desk.ticket(n).sla_exempt for n in (first, second, during))
    agents, _, _ = desk.sweep_at(local(2026, 3, 3, 11, 0))
    assert sorted(line.split(" ")[2] for line in sla_lines(agents)) == sorted([first, second, during, theirs])
    desk.container.close()


def test_declaring_twice_or_ending_twice_is_a_clear_error(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    andes, other = two_customers(desk)
    open_ticket(desk, OTHER, "Cannot print invoices", local(2026, 3, 2, 9, 0))
    received(desk, OTHER)
    service = ContingencyService(desk.container.tickets)
    clock.current = local(2026, 3, 2, 9, 30)
    with desk.container.transaction() as session:
        everyone = service.declare(session, "ataque global", None, "Carlos", local(2026, 3, 2, 9, 30))
    assert received(desk, OTHER) == [
        "Important notice: there is a major external failure (ataque global). We activated our contingency "
        "protocol and will keep you informed at all times. While it lasts we cannot guarantee the deadlines "
        "(SLA) of your ticket LA-000001."
    ]
    clock.current = local(2026, 3, 2, 9, 40)
    with (
        desk.container.transaction() as session,
        pytest.raises(ContingencyError, match=r"#1 .*already active"),
    ):
        service.declare(session, "otra", [andes], "Ana", local(2026, 3, 2, 9, 40))
    clock.current = local(2026, 3, 2, 10, 0)
    with desk.container.transaction() as session:
        service.end(session, everyone.id, local(2026, 3, 2, 10, 0))
    clock.current = local(2026, 3, 2, 10, 5)
    with desk.container.transaction() as session, pytest.raises(ContingencyError, match="already ended"):
        service.end(session, everyone.id, local(2026, 3, 2, 10, 5))
    with desk.container.transaction() as session, pytest.raises(ContingencyError, match="no contingency #99"):
        service.end(session, 99, local(2026, 3, 2, 10, 5))
    with desk.container.transaction() as session, pytest.raises(ContingencyError, match="unknown company"):
        service.declare(session, "x", [other, 999], "Ana", local(2026, 3, 2, 10, 5))
    clock.current = local(2026, 3, 2, 11, 0)
    with desk.container.transaction() as session:  # after the end, a new one may be declared
        again = service.declare(session, "corte eléctrico", [other], "Ana", local(2026, 3, 2, 11, 0))
        assert again.id == 2 and not again.all_companies and again.company_ids == [other]
    desk.container.close()


def test_a_ticket_closed_during_the_contingency_is_not_told_it_resumed(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    two_customers(desk)
    number = open_ticket(desk, DEMO, "El inventario no cuadra", local(2026, 3, 2, 9, 0))
    service = ContingencyService(desk.container.tickets)
    clock.current = local(2026, 3, 2, 9, 30)
    with desk.container.transaction() as session:
        contingency = service.declare(
            session, "falla del datacenter", None, "Carlos", local(2026, 3, 2, 9, 30)
        )
    with desk.container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        desk.container.tickets.cancel(session, ticket, "duplicado", now=local(2026, 3, 2, 9, 45))
    received(desk, DEMO)
    clock.current = local(2026, 3, 2, 10, 0)
    with desk.container.transaction() as session:
        service.end(session, contingency.id, local(2026, 3, 2, 10, 0))
    assert received(desk, DEMO) == []
    desk.container.close()
