"""Per-agent API tokens: create (shown once), list, revoke, and resolve a bearer token to its agent.

A token is "ib_" followed by 43 URL-safe characters of `secrets.token_urlsafe(32)` (256 random bits).
Only its SHA-256 is stored, so a stolen database gives no usable token; a plain hash is enough because the
token is random and long (no password to brute-force). Disabled agents' tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db import unit_of_work
from intake.db.models import Agent, ApiToken, AuditEntry
from intake.services.setup_rules import agent_id_for

TOKEN_PREFIX = "ib_"  # noqa: S105 (a marker, not a secret)
SHOWN_PREFIX = len(TOKEN_PREFIX) + 6
# The last-used time is written at most this often per token, so reads do not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NAME = 120


class TokenError(ValueError):
    """A token change was refused (unknown agent or token); nothing was written."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: never the token itself."""

    id: int
    agent_id: int
    agent_email: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: `secret` is the only time the token is known."""

    info: TokenInfo
    secret: str


@dataclass(frozen=True, slots=True)
class TokenAgent:
    """The agent a valid token belongs to."""

    token_id: int
    agent_id: int
    email: str
    name: str
    role: str


def hash_token(secret: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiTokens:
    """The API token use cases on one database and clock."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.session_factory = session_factory
        self.clock = clock

    def create(self, agent: str | int, name: str = "", *, actor: str = "cli") -> NewToken:
        """A new token for this active agent (by e-mail or id); the secret is returned once (audited)."""
        name = name.strip()[:MAX_NAME]
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with unit_of_work(self.session_factory) as session:
            owner = _agent(session, agent)
            token = ApiToken(
                agent_id=owner.id,
                name=name,
                prefix=secret[:SHOWN_PREFIX],
                token_hash=hash_token(secret),
                created_at=self.clock(),
            )
            session.add(token)
            session.flush()
            self._audit(session, actor, "token.create", token, owner)
            return NewToken(_info(token, owner), secret)

    def list(self, agent: str | int | None = None) -> list[TokenInfo]:
        """Every token (or one agent's), newest first."""
        with self.session_factory() as session:
            query = select(ApiToken, Agent).join(Agent, Agent.id == ApiToken.agent_id)
            if agent is not None:
                query = query.where(ApiToken.agent_id == _agent(session, agent, active=False).id)
            query = query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
            return [_info(token, owner) for token, owner in session.execute(query)]

    def revoke(self, token_id: int, *, agent: int | None = None, actor: str = "cli") -> TokenInfo:
        """Revoke a token (only this agent's when `agent` is given); revoking twice keeps the first time."""
        with unit_of_work(self.session_factory) as session:
            token = session.get(ApiToken, token_id)
            if token is None or (agent is not None and token.agent_id != agent):
                raise TokenError(f"no token {token_id}")
            if token.revoked_at is None:
                token.revoked_at = self.clock()
                self._audit(session, actor, "token.revoke", token, token.agent)
            return _info(token, token.agent)

    def authenticate(self, secret: str) -> TokenAgent | None:
        """The active agent behind a bearer token that is valid and not revoked (its use is recorded)."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        with unit_of_work(self.session_factory) as session:
            found = session.execute(
                select(ApiToken, Agent)
                .join(Agent, Agent.id == ApiToken.agent_id)
                .where(ApiToken.token_hash == hash_token(secret))
            ).first()
            if found is None:
                return None
            token, owner = found[0], found[1]
            if token.revoked_at is not None or not owner.active:
                return None
            now = self.clock()
            if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
                token.last_used_at = now
            return TokenAgent(token.id, owner.id, owner.email, owner.name, owner.role)

    def _audit(self, session: Session, actor: str, action: str, token: ApiToken, owner: Agent) -> None:
        """Record who created or revoked which token (never the token) in the audit log."""
        actor_id = agent_id_for(session, actor)
        session.add(
            AuditEntry(
                agent_id=actor_id,
                actor=actor,
                action=action,
                target=owner.email,
                data={"token_id": token.id, "prefix": token.prefix, "name": token.name},
                created_at=self.clock(),
            )
        )


def _agent(session: Session, ref: str | int, *, active: bool = True) -> Agent:
    if isinstance(ref, int):
        agent = session.get(Agent, ref)
    else:
        agent = session.scalar(select(Agent).where(func.lower(Agent.email) == ref.strip().lower()))
    if agent is None or (active and not agent.active):
        raise TokenError(f"no {'active ' if active else ''}agent {ref}")
    return agent


def _info(token: ApiToken, owner: Agent) -> TokenInfo:
    return TokenInfo(
        id=token.id,
        agent_id=owner.id,
        agent_email=owner.email,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )
