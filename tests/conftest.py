"""Shared fixtures: no network beyond loopback, a migrated database per backend (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from intake.db import make_engine, make_session_factory, upgrade
from intake.db.models import Base
from tests.support import network_guard
from tests.support.clock import FakeClock
from tests.support.postgres import scratch_postgres_database

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", autouse=True)
def _network_guard() -> Iterator[None]:
    """Refuse, for the whole session, any socket that is not loopback or Unix and any non-local lookup.

    Session-wide so module fixtures and background threads are covered too. Subprocesses (e.g. the
    `intake-bot serve` e2e test) and C libraries opening their own sockets (libpq) are out of its
    reach: see tests/support/network_guard.py.
    """
    network_guard.install()
    yield
    network_guard.uninstall()


@pytest.fixture(autouse=True)
def _no_swallowed_network_refusal(_network_guard: None) -> Iterator[None]:
    """Fail the test during which a refusal happened, even if the code under test caught the error."""
    yield
    refused = network_guard.take_refusals()
    if refused:
        pytest.fail("\n".join(refused), pytrace=False)


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting Monday 2026-03-02 12:00 UTC (09:00 in Santiago)."""
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL database for this test session, migrated to head, dropped at the end."""
    with scratch_postgres_database(os.environ["TEST_DATABASE_URL"], "intake_test") as url:
        upgrade(url)
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "intake.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _truncate(url)


@pytest.fixture
def clean_postgres_url(postgres_url: str) -> Iterator[str]:
    """The PostgreSQL test database alone (for races only PostgreSQL has), emptied afterwards."""
    yield postgres_url
    _truncate(postgres_url)


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory on the test database."""
    return make_session_factory(engine)
