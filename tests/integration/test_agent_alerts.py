"""Agents are alerted where they work (Telegram, e-mail with SMTP); breaches also reach supervisors."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from intake.cli.simulator import ChatSession
from intake.db.models import OutboxMessage, Ticket
from tests.integration.service_harness import make_container, open_ticket_through_chat
from tests.support.clock import FakeClock

ENV = {
    "SMTP_HOST": "127.0.0.1",
    "SUPERVISOR_EMAIL": "jefe@latamadvisory.example",
    "AGENT_TELEGRAM_CHAT_ID": "-100123",
}


def _alerts(container: object, since: int = 0) -> list[tuple[str, str, str]]:
    with container.session_factory() as session:  # type: ignore[attr-defined]
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "agent_alert", OutboxMessage.id > since)
        ).all()
        return sorted((r.channel, r.recipient, r.payload["text"]) for r in rows)


def test_new_tickets_reach_every_agent_and_breaches_reach_supervisors(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock, **ENV)
    number = open_ticket_through_chat(
        ChatSession(container, "+56911111111"), "No se puede facturar desde el POS"
    )
    opened = _alerts(container)
    assert {(c, r) for c, r, _ in opened} == {
        ("email", "ana@latamadvisory.example"),
        ("email", "carlos@latamadvisory.example"),
        ("telegram", "-100123"),
    }
    assert all(number in text and "P1" in text for _, _, text in opened)
    with container.session_factory() as session:
        last = max(session.scalars(select(OutboxMessage.id)))
    with container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        container.tickets.escalate(session, ticket, "response target breached", now=clock())
    escalated = _alerts(container, since=last)
    assert {(c, r) for c, r, _ in escalated} == {
        ("email", "carlos@latamadvisory.example"),  # the supervisor agent
        ("email", "jefe@latamadvisory.example"),  # SUPERVISOR_EMAIL
    }
    assert all("ESCALATED" in text for _, _, text in escalated)
    container.close()


def test_without_smtp_no_email_alert_is_queued(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    container = make_container(database_url, tmp_path, clock)
    open_ticket_through_chat(ChatSession(container, "+56911111111"), "No se puede facturar desde el POS")
    assert [
        c for c, _, _ in _alerts(container)
    ] == []  # no agent chat configured either: the event trail only
    container.close()


def test_customer_messages_carry_the_conversation_language(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, "+15550003333", language="pt")
    (first, *_) = chat.say("olá")
    assert first.language == "pt"
    container.close()
