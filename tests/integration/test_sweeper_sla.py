"""The sweeper's SLA alerts through the real service and database: 75/90/100 %, business hours, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.messages import Channel
from channels.local import LocalChatAdapter
from intake.bootstrap import Container
from intake.cli.simulator import ChatSession
from intake.db.models import Agent, SlaAlert, Ticket, TicketEvent
from intake.jobs.sweeper import Sweeper
from sla.priority import Priority
from tests.integration.service_harness import make_container, open_ticket_through_chat
from tests.support.clock import FakeClock

DEMO = "+56911111111"
SANTIAGO = ZoneInfo("America/Santiago")


def local(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Santiago wall-clock instant as aware UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SANTIAGO).astimezone(UTC)


class Desk:
    """A container with the demo customer's chat and the agents' Telegram chats captured."""

    def __init__(self, database_url: str, tmp_path: Path, clock: FakeClock, **env: str) -> None:
        self.clock = clock
        self.container: Container = make_container(database_url, tmp_path, clock, **env)
        self.agents = LocalChatAdapter(Channel.TELEGRAM)
        self.container.adapters["telegram"] = self.agents
        with self.container.transaction() as session:
            for agent in session.scalars(select(Agent)):
                agent.telegram_chat_id = "supervisors" if agent.is_supervisor else "agents"
        self.chat = ChatSession(self.container, DEMO)
        self.sweeper: Sweeper = self.container.make_sweeper()

    def sweep_at(self, instant: datetime) -> tuple[list[str], list[str], list[str]]:
        """Sweep at an instant; return what agents, supervisors and the customer received."""
        self.clock.current = instant
        self.sweeper.run_once(instant)
        customer = [m.text for m in self.chat.flush()]
        return (
            [m.text for m in self.agents.take("agents")],
            [m.text for m in self.agents.take("supervisors")],
            customer,
        )

    def ticket(self, number: str) -> Ticket:
        with self.container.session_factory() as session:
            return session.scalars(select(Ticket).where(Ticket.number == number)).one()

    def alerts(self, number: str) -> list[tuple[str, int]]:
        with self.container.session_factory() as session:
            rows = session.execute(
                select(SlaAlert.clock, SlaAlert.level)
                .join(Ticket, Ticket.id == SlaAlert.ticket_id)
                .where(Ticket.number == number)
                .order_by(SlaAlert.id)
            )
            return [(clock, level) for clock, level in rows]


def sla_lines(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith("SLA")]


def test_75_90_100_fire_once_each_and_the_breach_escalates(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "El sistema de facturación no abre para nadie", "1", "1")
    desk.agents.take()
    assert desk.ticket(number).priority == Priority.P1
    # P1 response: 30 business minutes from Monday 09:00 → 75 % 09:22:30, 90 % 09:27, 100 % 09:30.
    assert desk.ticket(number).sla_next_check_at == local(2026, 3, 2, 9, 22, 30)
    fired_at: dict[int, list[str]] = {}
    customer_seen: list[str] = []
    supervisors_seen: list[str] = []
    for minute in range(41):
        agents, supervisors, customer = desk.sweep_at(local(2026, 3, 2, 9, 0) + timedelta(minutes=minute))
        if sla_lines(agents):
            fired_at[minute] = sla_lines(agents)
        customer_seen += customer
        supervisors_seen += supervisors
    assert sorted(fired_at) == [23, 27, 30]
    assert fired_at[23] == [
        f"SLA warning {number} (P1): response clock at 75%, due Monday 2 March 09:30 (America/Santiago)"
    ]
    assert "response clock at 90%" in fired_at[27][0]
    assert fired_at[30][0].startswith(f"SLA BREACHED {number} (P1): response clock at 100%")
    assert desk.alerts(number) == [("response", 75), ("response", 90), ("response", 100)]
    ticket = desk.ticket(number)
    assert ticket.escalation_level == 1
    # next: the resolution clock's 75 % (4.5 of 6 business hours) at 13:30
    assert ticket.sla_next_check_at == local(2026, 3, 2, 13, 30)
    escalated = [t for t in customer_seen if "fue escalado" in t]
    assert escalated == [
        f"Su ticket {number} fue escalado para darle más prioridad. Le mantendremos informado."
    ]
    assert any("BREACHED" in t for t in supervisors_seen)
    assert any(t.startswith(f"ESCALATED {number} (level 1)") for t in supervisors_seen)
    # sweeping again at the same instant changes nothing
    assert desk.sweep_at(local(2026, 3, 2, 9, 40)) == ([], [], [])
    desk.container.close()


def test_a_p3_opened_friday_afternoon_warns_on_monday_not_at_night_or_on_the_weekend(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = local(2026, 3, 6, 17, 0)  # Friday
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "No se pueden emitir notas de crédito", "2", "2")
    desk.agents.take()
    assert desk.ticket(number).priority == Priority.P3
    # 60 business minutes: 30 on Friday, then Monday 08:30 → 75 % at 08:45.
    assert desk.ticket(number).sla_next_check_at == local(2026, 3, 9, 8, 45)
    instant = local(2026, 3, 6, 17, 0)
    while instant < local(2026, 3, 9, 8, 45):
        agents, _, _ = desk.sweep_at(instant)
        assert sla_lines(agents) == [], instant
        instant += timedelta(minutes=30)
    assert desk.alerts(number) == []
    agents, _, _ = desk.sweep_at(local(2026, 3, 9, 8, 45))
    assert sla_lines(agents) == [
        f"SLA warning {number} (P3): response clock at 75%, due Monday 9 March 09:00 (America/Santiago)"
    ]
    desk.container.close()


def test_a_paused_ticket_does_not_warn_and_the_resume_recomputes_the_next_check(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "Las remuneraciones no calculan las horas extra", "1", "1")
    clock.current = local(2026, 3, 2, 9, 10)
    desk.chat.agent("info", number, "¿Qué trabajador y qué mes?")  # first response; resolution pauses
    ticket = desk.ticket(number)
    assert ticket.status == "waiting_customer"
    # The hint may still be the (stopped) response clock's 75 %: an early wake-up only recomputes.
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 9, 23))
    assert sla_lines(agents) == []
    assert desk.ticket(number).sla_next_check_at is None  # response met, resolution paused
    # Unpaused, the resolution clock would reach 75 % at 13:30 and breach at 15:00.
    for hour in (13, 14, 15, 16):
        agents, _, _ = desk.sweep_at(local(2026, 3, 2, hour, 30))
        assert sla_lines(agents) == []
    clock.current = local(2026, 3, 2, 15, 0)
    desk.chat.say("Es Juan Pérez, febrero")
    ticket = desk.ticket(number)
    assert ticket.status == "in_progress"
    # 10 minutes used before the pause; 270 − 10 = 260 more from 15:00: 150 on Monday, 110 on Tuesday.
    assert ticket.sla_next_check_at == local(2026, 3, 3, 10, 20)
    assert ticket.resolution_due == local(2026, 3, 3, 11, 50)
    agents, _, _ = desk.sweep_at(local(2026, 3, 3, 10, 19))
    assert sla_lines(agents) == []
    agents, _, _ = desk.sweep_at(local(2026, 3, 3, 10, 20))
    assert sla_lines(agents) == [
        f"SLA warning {number} (P1): resolution clock at 75%, due Tuesday 3 March 11:50 (America/Santiago)"
    ]
    desk.container.close()


def test_a_priority_change_recomputes_the_next_check(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "Consulta sobre cómo exportar el libro de ventas", "3", "2")
    desk.agents.take()
    assert desk.ticket(number).priority == Priority.P4
    assert desk.ticket(number).sla_next_check_at == local(2026, 3, 2, 12, 0)  # 75 % of 4 h
    clock.current = local(2026, 3, 2, 9, 20)
    c = desk.container
    with c.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        c.tickets.change_priority(session, ticket, Priority.P1, "bloquea el cierre mensual", now=clock())
    # P1 from the ORIGINAL opening: 75 % of 30 minutes at 09:22:30
    assert desk.ticket(number).sla_next_check_at == local(2026, 3, 2, 9, 22, 30)
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 9, 23))
    assert [line.split(",")[0] for line in sla_lines(agents)] == [
        f"SLA warning {number} (P1): response clock at 75%"
    ]
    desk.container.close()


def test_levels_crossed_together_send_only_the_highest_and_are_never_repeated(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "El módulo de inventario no carga los productos", "1", "1")
    desk.agents.take()
    agents, _, customer = desk.sweep_at(local(2026, 3, 2, 9, 28))  # the sweeper was down since 09:00
    assert [line.split(":")[0] for line in sla_lines(agents)] == [f"SLA warning {number} (P1)"]
    assert "90%" in sla_lines(agents)[0]
    assert desk.alerts(number) == [("response", 75), ("response", 90)]
    assert customer == []
    desk.container.close()


def test_an_answered_ticket_stops_the_response_clock(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "No puedo validar el folio de la boleta", "1", "1")
    clock.current = local(2026, 3, 2, 9, 10)
    desk.chat.agent("take", number)
    desk.chat.agent("progress", number, "Estamos revisando el folio")
    agents, _, _ = desk.sweep_at(local(2026, 3, 2, 9, 31))
    assert sla_lines(agents) == []  # woken by the old response crossing, finds it stopped
    assert desk.ticket(number).sla_next_check_at == local(2026, 3, 2, 13, 30)
    assert desk.ticket(number).escalation_level == 0
    with desk.container.session_factory() as session:
        kinds = set(session.scalars(select(TicketEvent.kind)))
    assert "escalated" not in kinds
    desk.container.close()
