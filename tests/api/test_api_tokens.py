"""API tokens: created once, stored hashed, listed without the secret, revoked, disabled agents refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from intake.cli.token import token_group
from intake.config import load_settings
from intake.db.models import ApiToken
from intake.services.api_tokens import TOKEN_PREFIX, TokenError, hash_token
from tests.api.conftest import ANA, CARLOS, Console, tokens
from tests.support.clock import FakeClock


def test_a_token_is_random_prefixed_and_only_its_hash_is_stored(api_desk: Console) -> None:
    first = tokens(api_desk).create(ANA, "Odoo sync")
    second = tokens(api_desk).create(ANA)
    assert first.secret.startswith(TOKEN_PREFIX) and first.secret != second.secret
    assert len(first.secret) >= len(TOKEN_PREFIX) + 43  # 32 random bytes, URL-safe base64
    with api_desk.container.session_factory() as session:
        stored = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    assert [t.token_hash for t in stored] == [hash_token(first.secret), hash_token(second.secret)]
    assert all(first.secret not in (t.token_hash, t.prefix, t.name) for t in stored)
    assert first.info.prefix == first.secret[:9] and first.info.name == "Odoo sync"


def test_authenticate_finds_the_agent_and_records_the_last_use(api_desk: Console, clock: FakeClock) -> None:
    new = tokens(api_desk).create(ANA)
    found = tokens(api_desk).authenticate(new.secret)
    assert found is not None and found.email == ANA and found.role == "agent"
    assert tokens(api_desk).list(ANA)[0].last_used_at == clock()
    clock.advance(seconds=10)
    tokens(api_desk).authenticate(new.secret)
    assert tokens(api_desk).list(ANA)[0].last_used_at == clock() - timedelta(
        seconds=10
    )  # at most once a minute
    clock.advance(minutes=2)
    tokens(api_desk).authenticate(new.secret)
    assert tokens(api_desk).list(ANA)[0].last_used_at == clock()


def test_wrong_revoked_and_disabled_agents_tokens_are_refused(api_desk: Console) -> None:
    service = tokens(api_desk)
    ana, carlos = service.create(ANA), service.create(CARLOS)
    assert service.authenticate(ana.secret + "x") is None
    assert service.authenticate("not-a-token") is None
    service.revoke(ana.info.id)
    assert service.authenticate(ana.secret) is None
    assert not service.list(ANA)[0].active
    api_desk.accounts.disable(CARLOS)
    assert service.authenticate(carlos.secret) is None


def test_an_agent_may_only_revoke_their_own_token(api_desk: Console) -> None:
    service = tokens(api_desk)
    carlos, ana = service.create(CARLOS), service.create(ANA)
    try:
        service.revoke(carlos.info.id, agent=ana.info.agent_id)
    except TokenError as exc:
        assert "no token" in str(exc)
    else:
        raise AssertionError("revoked someone else's token")
    assert service.authenticate(carlos.secret) is not None


def test_unknown_agent_gets_no_token(api_desk: Console) -> None:
    try:
        tokens(api_desk).create("nobody@example.com")
    except TokenError as exc:
        assert "no active agent" in str(exc)
    else:
        raise AssertionError("a token for nobody")


def test_the_cli_creates_lists_and_revokes(api_desk: Console, database_url: str, tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, env_file=None)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(token_group, list(args), obj={"settings": settings})
        assert result.exit_code == 0, result.output
        return result.output

    created = run("create", "--agent", ANA, "--name", "Odoo sync")
    secret = next(line for line in created.splitlines() if line.startswith(TOKEN_PREFIX))
    assert tokens(api_desk).authenticate(secret) is not None
    listed = run("list")
    assert ANA in listed and "'Odoo sync'" in listed and "active" in listed and secret not in listed
    token_id = tokens(api_desk).list(ANA)[0].id
    assert "revoked" in run("revoke", str(token_id))
    assert tokens(api_desk).authenticate(secret) is None
    refused = runner.invoke(
        token_group, ["create", "--agent", "nobody@x.example"], obj={"settings": settings}
    )
    assert refused.exit_code != 0 and "no active agent" in refused.output
