"""Contingency and contact-verification use cases called directly (no CLI): each owns its transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.bootstrap import Container
from intake.cli.simulator import ChatSession
from intake.db.models import (
    ChannelIdentity,
    Contact,
    Contingency,
    OutboxMessage,
    Ticket,
    TicketEvent,
    TicketPause,
)
from intake.services.contacts import ContactError
from intake.services.contingency import ContingencyError
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    built = make_container(database_url, tmp_path, clock)
    yield built
    built.close()


def test_declare_and_end_tell_the_customer_and_list_the_history(
    container: Container, clock: FakeClock
) -> None:
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "El POS no imprime boletas desde la mañana")
    chat.flush()
    declared = container.contingencies.declare("Caída del proveedor de nube", None, "Carlos")
    assert (declared.tickets, declared.conversations, declared.scope) == (1, 1, "all companies")
    assert "Caída del proveedor de nube" in texts(chat.flush())
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.sla_exempt
        pause = session.scalars(select(TicketPause).where(TicketPause.reason == "contingency")).one()
        assert pause.ended_at is None
    clock.advance(hours=2)
    ended = container.contingencies.end(declared.contingency.id)
    assert ended.contingency.ended_at == clock() and ended.tickets == 1
    assert number in texts(chat.flush())
    (listed,) = container.contingencies.history()
    assert listed.contingency.id == declared.contingency.id and listed.contingency.ended_at == clock()


def test_refused_contingencies_write_nothing(container: Container) -> None:
    before = _counts(container)
    refusals: list[Callable[[], object]] = [
        lambda: container.contingencies.declare("  ", None, "Carlos"),
        lambda: container.contingencies.declare("Caída", [999], "Carlos"),
        lambda: container.contingencies.end(42),
    ]
    for declare in refusals:
        with pytest.raises(ContingencyError):
            declare()
        assert _counts(container) == before
    container.contingencies.declare("Caída", None, "Carlos")
    after_first = _counts(container)
    with pytest.raises(ContingencyError, match="already active"):
        container.contingencies.declare("Otra caída", None, "Carlos")
    assert _counts(container) == after_first


def test_verify_a_self_identified_contact_with_its_company(container: Container) -> None:
    juan = ChatSession(container, "+15550001111")
    for line in ("hola", "Juan Pérez", "una empresa nueva", "juan@nueva.example"):
        juan.say(line)
    (pending,) = container.contacts.list(unverified=True)
    assert pending.name == "Juan Pérez" and not pending.verified and pending.company is None
    assert pending.channels == ("chat:+15550001111",)
    before = _counts(container)
    with pytest.raises(ContactError, match="no contact"):
        container.contacts.verify(999)
    with pytest.raises(ContactError, match="no company named"):
        container.contacts.verify(pending.id, "Nope SpA")
    with pytest.raises(ContactError, match="has no company"):
        container.contacts.verify(pending.id)
    assert _counts(container) == before
    with container.session_factory() as session:
        assert session.get(Contact, pending.id).self_identified  # type: ignore[union-attr]
    done = container.contacts.verify(pending.id, "Comercial Andes SpA")
    assert done.verified and done.company == "Comercial Andes SpA"
    assert container.contacts.list(unverified=True) == []


def _counts(container: Container) -> tuple[object, ...]:
    with container.session_factory() as session:
        counts = tuple(
            _count(session, m)
            for m in (Contingency, TicketPause, TicketEvent, OutboxMessage, ChannelIdentity)
        )
        flags = tuple(session.execute(select(Contact.id, Contact.company_id, Contact.verified)).all())
        return counts + flags


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0
