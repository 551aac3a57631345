"""Console fixtures: a wired app on the test database, agents with passwords, a signed-in test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Container, build_container
from intake.cli.simulator import ChatSession
from intake.config import load_settings
from intake.db.models import Contact
from intake.services.accounts import Accounts, AgentAccount
from intake.services.agent_actions import Registration
from intake.services.demo import DEMO_WHATSAPP, load_demo
from tests.integration.service_harness import open_ticket_through_chat
from tests.support.browser import browser, live_server, page, playwright_driver
from tests.support.clock import FakeClock
from web.services import PASSWORD_HASHER
from webhooks import create_app

__all__ = ["browser", "live_server", "page", "playwright_driver"]

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Console:
    """The app, its container and helpers to make agents."""

    app: Flask
    container: Container

    @property
    def accounts(self) -> Accounts:
        """The accounts service on the test database."""
        return Accounts(self.container.session_factory, PASSWORD_HASHER, self.container.clock)

    def agent(self, email: str, name: str, role: str = "agent", language: str = "es") -> AgentAccount:
        """An agent who can sign in with PASSWORD."""
        return self.accounts.add(email, name, PASSWORD, role=role, language=language)


def console_settings(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The settings of a console test (no channel configured unless `extra` adds one)."""
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "console-test-secret-key-0123456789",
        **extra,
    }


@pytest.fixture
def console(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Console]:
    """The real app (webhooks + console) on the test database with a fake clock."""
    settings = load_settings(console_settings(database_url, tmp_path), env_file=None)
    container = build_container(settings, clock=clock)
    app = create_app(container)
    yield Console(app, container)
    container.close()


@pytest.fixture
def desk(console: Console) -> Console:
    """The console with the demo customer (Comercial Andes, María González) and agents who can sign in."""
    with console.container.transaction() as session:
        load_demo(session)
    console.agent("ana@latamadvisory.example", "Ana Soporte")
    console.agent("carlos@latamadvisory.example", "Carlos Supervisor", role="supervisor")
    return console


def chat(console: Console, address: str = DEMO_WHATSAPP) -> ChatSession:
    """A simulated customer chat (the demo contact's number by default)."""
    return ChatSession(console.container, address)


def open_ticket(console: Console, description: str, impact: str = "1", urgency: str = "1") -> str:
    """A ticket opened through the bot by the demo contact; its number."""
    return open_ticket_through_chat(chat(console), description, impact, urgency)


def register_ticket(console: Console, description: str, impact: str = "alto", urgency: str = "alta") -> str:
    """A ticket an agent registered on the demo contact's behalf (a phone call); its number."""
    with console.container.session_factory() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.name == "María González")).one()
    data = Registration(contact_id, "incident", description, impact, urgency)
    return console.container.agent_actions.register("ana@latamadvisory.example", data).number


def signed_in(console: Console, email: str = "ana@latamadvisory.example") -> FlaskClient:
    """A test client signed in as this agent."""
    client = console.app.test_client()
    assert sign_in(client, email) == 302
    return client


def post_form(client: FlaskClient, path: str, data: dict[str, str], page: str = "/console/") -> int:
    """POST a console form with its CSRF token; the HTTP status."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)}).status_code


def csrf_token(client: FlaskClient, path: str = "/console/sign-in") -> str:
    """The CSRF token of a page's form (the session cookie that goes with it stays in the client)."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    """Sign in through the form; the HTTP status of the POST."""
    token = csrf_token(client)
    form = {"email": email, "password": password, "csrf_token": token}
    return client.post("/console/sign-in", data=form).status_code
