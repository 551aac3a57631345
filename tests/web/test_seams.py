"""Regression tests for faults found at the seams between the use cases after the merges of this milestone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.messages import Channel, InboundMessage
from intake.config import SettingsError, load_settings
from intake.db.models import OutboxMessage, Ticket
from intake.delivery.tracking_links import current_token, ticket_for_token
from intake.services.agent_chat import AgentChat
from tests.web.conftest import Console, open_ticket


def test_locking_a_ticket_reads_its_row_again(desk: Console) -> None:
    """A ticket already in the session (the tracking page's token lookup) is refreshed by the lock."""
    number = open_ticket(desk, "La impresora fiscal no responde")
    c = desk.container
    with c.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        token = current_token(session, ticket, c.settings.secret_key, now=c.clock())
    with c.transaction() as session:
        looked_up = ticket_for_token(session, number, token)
        assert looked_up is not None and looked_up.status == "new"
        # what another transaction committed before our FOR UPDATE returned
        session.execute(
            update(Ticket)
            .where(Ticket.id == looked_up.id)
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        locked = c.tickets.lock(session, number)
        assert locked is not None and locked.status == "cancelled"
        session.rollback()


def test_an_agent_command_that_fails_once_acts_on_telegrams_retry(
    desk: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = desk.container
    c.agent_chat.link("ana@latamadvisory.example", "7001")
    calls: list[str] = []
    real = AgentChat._dispatch

    def flaky(self: AgentChat, inbound: InboundMessage, agent: Any) -> Any:
        calls.append(inbound.provider_message_id)
        if len(calls) == 1:
            raise RuntimeError("database went away")  # a 500: Telegram sends the update again
        return real(self, inbound, agent)

    monkeypatch.setattr(AgentChat, "_dispatch", flaky)
    chat = {"id": 7001, "type": "private"}
    raw = {"update_id": 55, "message": {"message_id": 1, "from": {"id": 7001}, "chat": chat, "text": "/cola"}}
    update_ = InboundMessage(Channel.TELEGRAM, "7001", "55", c.clock(), text="/cola", chat_id="7001", raw=raw)
    with pytest.raises(RuntimeError):
        c.inbound.handle_inbound(update_)
    retried = c.inbound.handle_inbound(update_)
    assert calls == ["55", "55"] and not retried.duplicate
    assert c.inbound.handle_inbound(update_).duplicate and len(calls) == 2  # a third copy acts no more


def test_status_asked_in_a_group_counts_against_the_sender_limit(desk: Console) -> None:
    c = desk.container
    now = c.clock()
    for i in range(40):
        raw = {"message": {"from": {"id": 8001}, "chat": {"id": -100123, "type": "group"}, "text": "/estado"}}
        message = InboundMessage(
            Channel.TELEGRAM, "8001@-100123", f"g{i}", now + timedelta(milliseconds=i),
            text="/estado", chat_id="-100123", raw=raw,
        )
        c.inbound.handle_inbound(message, now=now)
    with c.session_factory() as session:
        replies = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == "-100123")
        )
    assert replies is not None and replies <= c.inbound.limit.max_messages + 1


def test_the_agents_group_must_be_a_numeric_chat_id(tmp_path: Path) -> None:
    base = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="AGENT_TELEGRAM_CHAT_ID"):
        load_settings({**base, "AGENT_TELEGRAM_CHAT_ID": "@mesa_agentes"}, env_file=None)
    settings = load_settings({**base, "AGENT_TELEGRAM_CHAT_ID": "-1001555666777"}, env_file=None)
    assert settings.agent_telegram_chat_id == "-1001555666777"
