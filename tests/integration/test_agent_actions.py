"""Agents' use cases called directly (no CLI): what reaches the customer, what is kept, what is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.bootstrap import Container
from intake.cli.simulator import ChatSession
from intake.db.models import (
    Agent,
    Attachment,
    Contact,
    Message,
    OutboxMessage,
    PriorityChange,
    Ticket,
    TicketEvent,
)
from intake.services.agent_actions import ActionError, ActionErrorCode, AgentActions, Registration
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock

ANA = "ana@latamadvisory.example"


@dataclass
class Desk:
    """A container with the demo customer chatting and one ticket they opened (impact and urgency 1)."""

    container: Container
    chat: ChatSession
    number: str
    clock: FakeClock

    @property
    def actions(self) -> AgentActions:
        return self.container.agent_actions

    def ticket(self) -> Ticket:
        with self.container.session_factory() as session:
            return session.scalars(select(Ticket).where(Ticket.number == self.number)).one()

    def events(self, kind: str) -> list[TicketEvent]:
        with self.container.session_factory() as session:
            return list(session.scalars(select(TicketEvent).where(TicketEvent.kind == kind)))

    def tick(self) -> None:
        self.clock.advance(minutes=1)


@pytest.fixture
def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes")
    chat.flush()
    yield Desk(container, chat, number, clock)
    container.close()


def test_an_agent_works_a_ticket_through_the_use_cases(desk: Desk) -> None:
    taken = desk.actions.take(desk.number, ANA)
    assert (taken.number, taken.status) == (desk.number, "in_analysis")
    assert "Ana Soporte" in texts(desk.chat.flush())
    assert desk.ticket().assigned_agent_id is not None

    desk.tick()
    desk.actions.reply(desk.number, ANA, "Estamos mirando la regla de la nómina")
    (reply,) = desk.chat.flush()
    assert reply.text == "Ana Soporte (soporte): Estamos mirando la regla de la nómina"
    (event,) = desk.events("agent_reply")
    assert event.visible_to_customer and event.agent_id is not None and event.actor == "agent"

    desk.tick()
    desk.actions.note(desk.number, ANA, "Sospecho del tope imponible")
    assert desk.chat.flush() == []  # a note never reaches the customer
    (note,) = desk.events("note")
    assert not note.visible_to_customer and note.body == "Sospecho del tope imponible"

    desk.tick()
    asked = desk.actions.ask(desk.number, ANA, "¿Qué empleado falla?")
    assert asked.status == "waiting_customer"
    assert "¿Qué empleado falla?" in texts(desk.chat.flush())

    desk.tick()
    # Progress while waiting on the customer keeps waiting (the resolution clock stays paused).
    assert desk.actions.progress(desk.number, ANA, "Revisando la regla").status == "waiting_customer"
    assert "Revisando la regla" in texts(desk.chat.flush())

    desk.tick()
    desk.actions.escalate(desk.number, ANA, "afecta a toda la planta")
    assert desk.chat.flush()  # the customer is told it was escalated
    assert desk.ticket().escalation_level == 1

    desk.tick()
    before = desk.ticket()
    assert (
        desk.actions.change_priority(desk.number, ANA, "p3", "solo una sucursal").status == "waiting_customer"
    )
    after = desk.ticket()
    assert after.priority == "P3" and after.resolution_due > before.resolution_due
    assert "de P1 a P3" in texts(desk.chat.flush())  # the customer is told (issue 10, item 3)
    with desk.container.session_factory() as session:
        change = session.scalars(select(PriorityChange).where(PriorityChange.old_priority == "P1")).one()
        assert change.new_priority == "P3" and change.reason == "solo una sucursal"
        assert change.agent_id is not None

    desk.tick()
    sent = desk.actions.send_file(
        desk.number, ANA, b"%PDF-1.4 regla", "regla.pdf", content_type="application/pdf", caption="La regla"
    )
    assert sent.number == desk.number
    (file_message,) = desk.chat.flush()
    assert file_message.text == "La regla" and file_message.media_filename == "regla.pdf"
    assert Path(file_message.media_path or "").read_bytes() == b"%PDF-1.4 regla"

    desk.tick()
    solved = desk.actions.solve(desk.number, ANA, "Corregimos la regla salarial")
    assert solved.status == "solution_proposed"
    assert "¿Se resolvió su problema?" in texts(desk.chat.flush())


def test_an_agent_may_be_named_by_id_and_cancels_with_a_reason(desk: Desk) -> None:
    with desk.container.session_factory() as session:
        ana_id = session.scalars(select(Agent.id).where(Agent.email == ANA)).one()
    assert desk.actions.take(desk.number, ana_id).status == "in_analysis"
    assert desk.ticket().assigned_agent_id == ana_id
    cancelled = desk.actions.cancel(desk.number, ana_id, "duplicado de otro ticket")
    assert cancelled.status == "cancelled" and desk.ticket().closed_at is not None
    (event,) = desk.events("cancelled")
    assert event.actor == "agent" and event.body == "duplicado de otro ticket"


def test_a_public_reply_is_the_first_response(desk: Desk) -> None:
    assert desk.ticket().first_response_at is None
    desk.actions.reply(desk.number, ANA, "Hola María, lo revisamos ahora")
    ticket = desk.ticket()
    assert ticket.first_response_at == desk.clock() and ticket.status == "new"
    with desk.container.session_factory() as session:
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1)).one()
        assert row.ticket_id == ticket.id and row.kind == "progress"
        assert row.payload["text"] == "Ana Soporte (soporte): Hola María, lo revisamos ahora"
        transcript = session.scalars(select(Message).where(Message.outbox_id == row.id)).one()
        assert transcript.author == "agent" and transcript.agent_id is not None


def test_a_ticket_registered_on_behalf_of_a_customer_matches_the_dialog(desk: Desk) -> None:
    # At the instant the dialog opened the desk's ticket (alto/alta), the agent registers the same for María.
    by_chat = desk.number
    with desk.container.session_factory() as session:
        maria = session.scalars(select(Contact).where(Contact.name == "María González")).one()
    data = Registration(maria.id, "incident", "El POS no imprime boletas hoy", "alto", "alta", "POS")
    done = desk.actions.register(ANA, data)
    assert done.status == "new" and done.number != by_chat
    told = texts(desk.chat.flush())
    assert "Registramos su ticket" in told and done.number in told
    with desk.container.session_factory() as session:
        mine = session.scalars(select(Ticket).where(Ticket.number == done.number)).one()
        theirs = session.scalars(select(Ticket).where(Ticket.number == by_chat)).one()
        assert (mine.priority, mine.module, mine.contact_id) == ("P1", "POS", maria.id)
        assert mine.opened_at == theirs.opened_at
        assert (mine.response_due, mine.resolution_due) == (theirs.response_due, theirs.resolution_due)
        created = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == mine.id, TicketEvent.kind == "created")
        ).one()
        assert created.actor == "agent" and "Ana Soporte" in created.body


def test_a_billable_request_on_a_plan_without_requests(desk: Desk) -> None:
    with desk.container.transaction() as session:
        maria = session.scalars(select(Contact).where(Contact.name == "María González")).one()
        maria.company.plan.request_rule = "quote"
        maria_id = maria.id
    data = Registration(maria_id, "request", "Necesitamos un informe nuevo", "bajo", "baja")
    done = desk.actions.register(ANA, data)
    with desk.container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == done.number)).one()
        assert ticket.billable and ticket.priority == "P5" and ticket.ticket_type == "request"


Refused = Callable[[AgentActions, str], object]

REFUSALS: list[tuple[str, Refused, ActionErrorCode]] = [
    ("unknown ticket", lambda a, n: a.take("LA-999999", ANA), ActionErrorCode.UNKNOWN_TICKET),
    ("unknown agent", lambda a, n: a.take(n, "nadie@example.com"), ActionErrorCode.UNKNOWN_AGENT),
    ("unknown agent id", lambda a, n: a.reply(n, 999, "hola"), ActionErrorCode.UNKNOWN_AGENT),
    ("disabled agent", lambda a, n: a.take(n, "carlos@latamadvisory.example"), ActionErrorCode.UNKNOWN_AGENT),
    ("illegal transition", lambda a, n: a.solve(n, ANA, "Listo"), ActionErrorCode.ILLEGAL_TRANSITION),
    ("empty reply", lambda a, n: a.reply(n, ANA, "  "), ActionErrorCode.BAD_INPUT),
    ("empty note", lambda a, n: a.note(n, ANA, ""), ActionErrorCode.BAD_INPUT),
    ("empty question", lambda a, n: a.ask(n, ANA, " "), ActionErrorCode.BAD_INPUT),
    ("empty reason", lambda a, n: a.change_priority(n, ANA, "P2", " "), ActionErrorCode.BAD_INPUT),
    ("same priority", lambda a, n: a.change_priority(n, ANA, "P1", "x"), ActionErrorCode.BAD_INPUT),
    ("unknown priority", lambda a, n: a.change_priority(n, ANA, "P9", "x"), ActionErrorCode.BAD_INPUT),
    (
        "unknown contact",
        lambda a, n: a.register(ANA, Registration(999, "incident", "x", "alto", "alta")),
        ActionErrorCode.UNKNOWN_CONTACT,
    ),
    (
        "bad impact",
        lambda a, n: a.register(ANA, Registration(1, "incident", "x", "enorme", "alta")),
        ActionErrorCode.BAD_INPUT,
    ),
    (
        "empty description",
        lambda a, n: a.register(ANA, Registration(1, "incident", " ", "alto", "alta")),
        ActionErrorCode.BAD_INPUT,
    ),
    (
        "registered by an unknown agent",
        lambda a, n: a.register("nadie@example.com", Registration(1, "incident", "x", "alto", "alta")),
        ActionErrorCode.UNKNOWN_AGENT,
    ),
]


@pytest.mark.parametrize(("case", "act", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_action_is_one_typed_error_and_writes_nothing(
    desk: Desk, case: str, act: Refused, code: ActionErrorCode
) -> None:
    with desk.container.transaction() as session:  # Carlos leaves: a disabled agent cannot act
        carlos = session.scalars(select(Agent).where(Agent.email == "carlos@latamadvisory.example")).one()
        carlos.active = False
    before = _written(desk)
    with pytest.raises(ActionError) as refused:
        act(desk.actions, desk.number)
    assert refused.value.code == code, (case, refused.value.message)
    assert refused.value.message
    assert _written(desk) == before
    assert desk.chat.flush() == []


def test_cancelling_twice_is_an_illegal_transition(desk: Desk) -> None:
    desk.actions.cancel(desk.number, ANA, "retirado por el cliente")
    before = _written(desk)
    with pytest.raises(ActionError) as refused:
        desk.actions.cancel(desk.number, ANA, "otra vez")
    assert refused.value.code == ActionErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(ActionError) as replied:
        desk.actions.reply(desk.number, ANA, "hola")
    assert replied.value.code == ActionErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(ActionError) as taken:  # a cancelled ticket is not taken, and nobody is told it was
        desk.actions.take(desk.number, ANA)
    assert taken.value.code == ActionErrorCode.ILLEGAL_TRANSITION
    assert _written(desk) == before


def _written(desk: Desk) -> tuple[object, ...]:
    """Everything an action could write: row counts and the ticket's own state."""
    with desk.container.session_factory() as session:
        counts = tuple(
            _count(session, model)
            for model in (TicketEvent, OutboxMessage, Message, PriorityChange, Attachment, Ticket, Contact)
        )
        t = session.scalars(select(Ticket).where(Ticket.number == desk.number)).one()
        state = (t.status, t.priority, t.assigned_agent_id, t.first_response_at, t.escalation_level)
        return counts + state


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0
