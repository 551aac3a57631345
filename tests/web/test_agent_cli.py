"""`intake-bot agent add|disable|reset-password`: console accounts from the server's shell."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.cli.agent import agent_group
from intake.config import Settings, load_settings
from intake.db import make_engine, make_session_factory
from intake.db.models import Agent, AuditEntry
from tests.web.conftest import Console, sign_in


def invoke(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(agent_group, list(args), obj={"settings": settings}, input=stdin)


def settings_for(database_url: str, tmp_path: Path) -> Settings:
    return load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, env_file=None)


def test_the_first_admin_is_added_from_the_shell_and_signs_in(
    console: Console, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path)
    added = invoke(
        settings,
        "add",
        "Admin@Soporte.example",
        "--name",
        "Alba Admin",
        "--admin",
        "--password-stdin",
        stdin="a long admin password\n",
    )
    assert added.exit_code == 0, added.output
    assert "<admin@soporte.example>  admin  es  [active]" in added.output
    assert sign_in(console.app.test_client(), "admin@soporte.example", "a long admin password") == 302


def test_the_password_is_prompted_twice_and_never_echoed(database_url: str, tmp_path: Path) -> None:
    settings = settings_for(database_url, tmp_path)
    added = invoke(
        settings,
        "add",
        "ana@soporte.example",
        "--name",
        "Ana",
        "--role",
        "supervisor",
        stdin="secret password 1\nsecret password 1\n",
    )
    assert added.exit_code == 0, added.output
    assert "secret password 1" not in added.output and "supervisor" in added.output
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        agent = session.scalars(select(Agent)).one()
        assert agent.is_supervisor and agent.password_hash and agent.password_hash.startswith("scrypt:")
    engine.dispose()


def test_short_passwords_duplicates_and_unknown_agents_are_refused(database_url: str, tmp_path: Path) -> None:
    settings = settings_for(database_url, tmp_path)
    short = invoke(
        settings, "add", "ana@soporte.example", "--name", "Ana", "--password-stdin", stdin="short\n"
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert (
        invoke(
            settings,
            "add",
            "ana@soporte.example",
            "--name",
            "Ana",
            "--password-stdin",
            stdin="long enough pw\n",
        ).exit_code
        == 0
    )
    again = invoke(
        settings, "add", "ana@soporte.example", "--name", "Ana", "--password-stdin", stdin="long enough pw\n"
    )
    assert again.exit_code == 1 and "already exists" in again.output
    unknown = invoke(settings, "disable", "nobody@soporte.example")
    assert unknown.exit_code == 1 and "no agent with e-mail nobody@soporte.example" in unknown.output


def test_disable_and_reset_password_are_audited(console: Console, database_url: str, tmp_path: Path) -> None:
    settings = settings_for(database_url, tmp_path)
    invoke(
        settings, "add", "ana@soporte.example", "--name", "Ana", "--password-stdin", stdin="first password\n"
    )
    reset = invoke(
        settings, "reset-password", "ana@soporte.example", "--password-stdin", stdin="second password\n"
    )
    assert reset.exit_code == 0, reset.output
    client = console.app.test_client()
    assert sign_in(client, "ana@soporte.example", "first password") == 401
    assert sign_in(client, "ana@soporte.example", "second password") == 302
    disabled = invoke(settings, "disable", "ana@soporte.example")
    assert disabled.exit_code == 0 and "[disabled]" in disabled.output
    assert client.get("/console/").status_code == 302
    with console.container.session_factory() as session:
        log = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target).order_by(AuditEntry.id)
        ).all()
    assert [tuple(row) for row in log] == [
        ("cli", "agent.add", "ana@soporte.example"),
        ("cli", "agent.reset_password", "ana@soporte.example"),
        ("ana@soporte.example", "agent.sign_in", "ana@soporte.example"),
        ("cli", "agent.disable", "ana@soporte.example"),
    ]
