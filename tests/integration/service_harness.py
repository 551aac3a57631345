"""Builds a container on the test database with a fake clock, the demo customer and a chat session."""

from __future__ import annotations

from pathlib import Path

from intake.bootstrap import Container, build_container
from intake.cli.simulator import ChatSession
from intake.config import load_settings
from intake.services.demo import load_demo
from tests.support.clock import FakeClock


def make_container(database_url: str, tmp_path: Path, clock: FakeClock, **env: str) -> Container:
    """A container on the migrated test database, with the demo customer loaded."""
    settings = load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path), **env}, env_file=None)
    container = build_container(settings, clock=clock)
    with container.transaction() as session:
        load_demo(session)
    return container


def texts(messages: list) -> str:  # type: ignore[type-arg]
    """All the bot's reply texts of one step, joined for `in` assertions."""
    return "\n".join(m.text for m in messages)


def open_ticket_through_chat(
    chat: ChatSession, description: str, impact: str = "1", urgency: str = "1"
) -> str:
    """Run the happy path as the demo contact and return the new ticket number."""
    chat.say("hola")
    chat.say("1")  # incident
    chat.say(description)
    chat.say("omitir")  # module
    chat.say("omitir")  # evidence
    chat.say(impact)
    chat.say(urgency)
    registered = texts(chat.say("confirmar"))
    assert "Registramos su ticket" in registered, registered
    return registered.split("ticket ", 1)[1].split(".", 1)[0].split()[0]
