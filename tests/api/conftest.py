"""API fixtures: the console's wired app and demo desk, agents with tokens, a bearer-token client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from intake.services.api_tokens import ApiTokens
from tests.web.conftest import Console, console, desk, open_ticket, register_ticket

__all__ = ["Console", "console", "desk", "open_ticket", "register_ticket"]

ANA = "ana@latamadvisory.example"
CARLOS = "carlos@latamadvisory.example"
ADMIN = "alba@latamadvisory.example"


@dataclass
class Api:
    """A test client that sends one agent's bearer token."""

    client: FlaskClient
    token: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The Authorization header (and any extra)."""
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET with the token."""
        return self.client.get(path, headers=self.headers(), **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        """POST with the token."""
        return self.client.post(path, headers=self.headers(), **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        """PATCH with the token."""
        return self.client.patch(path, headers=self.headers(), **kwargs)


def tokens(console: Console) -> ApiTokens:
    """The token service on the test database."""
    return ApiTokens(console.container.session_factory, console.container.clock)


def api_as(console: Console, email: str) -> Api:
    """A client with a fresh token of this agent."""
    return Api(console.app.test_client(), tokens(console).create(email, "tests").secret)


@pytest.fixture
def api_desk(desk: Console) -> Console:
    """The demo desk plus an admin (Ana is an agent, Carlos a supervisor)."""
    desk.agent(ADMIN, "Alba Admin", role="admin")
    return desk


@pytest.fixture
def ana(api_desk: Console) -> Api:
    """Ana (role agent) with a token."""
    return api_as(api_desk, ANA)


@pytest.fixture
def admin(api_desk: Console) -> Api:
    """Alba (role admin) with a token."""
    return api_as(api_desk, ADMIN)
