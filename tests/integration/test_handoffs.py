"""Issue 10, item 8 (agents' side): hand-offs are alerted, listed with what the customer wrote,
answered in that chat and handed back to the bot — through the use cases and `intake-bot handoff`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli import cli
from intake.db.models import Conversation
from intake.services.agent_actions import ActionError
from tests.integration.service_harness import texts
from tests.integration.test_sweeper_sla import Desk
from tests.support.clock import FakeClock

ANA = "ana@latamadvisory.example"
SANTIAGO = ZoneInfo("America/Santiago")


def _cli(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, list(args), env=env, obj={}, catch_exceptions=False)
    return result.exit_code, result.output


def _chat_id(desk: Desk) -> int:
    with desk.container.session_factory() as session:
        return session.scalars(select(Conversation.id).where(Conversation.address == "+56911111111")).one()


def test_an_agent_sees_answers_and_ends_a_handoff_from_the_terminal(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    desk = Desk(database_url, tmp_path, clock)
    desk.chat.say("hola")
    desk.chat.say("agente")
    alerts = [m.text for m in desk.agents.take("agents")]
    assert any("asks for a human" in a and "+56911111111" in a for a in alerts), alerts  # agents alerted
    clock.advance(minutes=1)
    desk.chat.say("no puedo emitir facturas desde ayer")
    chat_id = _chat_id(desk)

    code, listed = _cli(database_url, tmp_path, "handoff", "list")
    assert code == 0, listed
    since = (clock.current - timedelta(minutes=1)).astimezone(SANTIAGO).strftime("%Y-%m-%d %H:%M")
    assert f"#{chat_id}  María González (Comercial Andes SpA) · chat +56911111111 · since {since}" in listed
    assert "no puedo emitir facturas desde ayer" in listed

    code, out = _cli(database_url, tmp_path, "handoff", "reply", str(chat_id), "Hola María, lo reviso",
                     "--agent", ANA)
    assert code == 0 and f"#{chat_id}: reply sent" in out
    clock.current = datetime.now(UTC) + timedelta(seconds=1)  # the CLI ran on the real clock
    assert texts(desk.chat.flush()) == "Ana Soporte (soporte): Hola María, lo reviso"

    code, out = _cli(database_url, tmp_path, "handoff", "end", str(chat_id), "--agent", ANA)
    assert code == 0, out
    clock.current = datetime.now(UTC) + timedelta(seconds=1)
    assert "La conversación con el especialista terminó" in texts(desk.chat.flush())
    with desk.container.session_factory() as session:
        assert not session.get(Conversation, chat_id).handoff_requested  # type: ignore[union-attr]
    assert _cli(database_url, tmp_path, "handoff", "list")[1].strip() == "no open hand-offs"
    # the bot has the chat again
    assert "María" in texts(desk.chat.say("hola"))

    code, out = _cli(database_url, tmp_path, "handoff", "reply", str(chat_id), "hola", "--agent", ANA)
    assert code == 1 and "is not waiting for a person" in out
    desk.container.close()


def test_handoff_use_cases_refuse_unknown_agents_and_empty_replies(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    desk.chat.say("humano")
    chat_id = _chat_id(desk)
    handoffs = desk.container.handoffs
    [open_one] = handoffs.open()
    assert open_one.conversation_id == chat_id and open_one.since == clock.current
    with pytest.raises(ActionError, match="no active agent"):
        handoffs.reply(chat_id, "nadie@example.com", "hola")
    with pytest.raises(ActionError, match="needs a text"):
        handoffs.reply(chat_id, ANA, "  ")
    assert desk.chat.flush() == []
    desk.container.close()
