"""Agents' console accounts: add, disable, reset a password, sign in; the audit log of admin actions.

Password hashing is injected (`PasswordHasher`): the edges pass werkzeug.security's scrypt functions, so
this layer never sees the web framework and never holds a password longer than one call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db import unit_of_work
from intake.db.models import Agent, AuditEntry
from intake.services.setup_rules import agent_id_for

MIN_PASSWORD_LENGTH = 10
LANGUAGES = ("es", "en")


class Role(StrEnum):
    """What an agent may do in the console (stored strings)."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AccountError(ValueError):
    """An account change was refused; nothing was written. The message is fit to show."""


@dataclass(frozen=True, slots=True)
class PasswordHasher:
    """How passwords are hashed and checked (werkzeug.security's scrypt at the edges)."""

    hash: Callable[[str], str]
    check: Callable[[str, str], bool]  # (stored hash, password) -> matches


@dataclass(frozen=True, slots=True)
class AgentAccount:
    """What the console needs to know about a signed-in agent."""

    id: int
    name: str
    email: str
    role: str
    language: str
    active: bool
    session_epoch: int

    @property
    def is_admin(self) -> bool:
        """Whether the agent may set up the desk and manage agents."""
        return self.role == Role.ADMIN

    @property
    def is_supervisor(self) -> bool:
        """Whether the agent supervises (admins do too)."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


class Accounts:
    """Agents' console accounts on one database and clock."""

    def __init__(
        self, session_factory: sessionmaker[Session], hasher: PasswordHasher, clock: Callable[[], datetime]
    ) -> None:
        self.session_factory = session_factory
        self.hasher = hasher
        self.clock = clock
        # Checked against when the e-mail is unknown, so a wrong e-mail costs as much as a wrong password.
        self._decoy = hasher.hash("decoy password that never matches")

    def add(
        self,
        email: str,
        name: str,
        password: str,
        *,
        role: Role | str = Role.AGENT,
        language: str = "es",
        actor: str = "cli",
    ) -> AgentAccount:
        """Create an agent who can sign in (or give an existing agent without a password one)."""
        email, name = _email(email), name.strip()
        chosen = _role(role)
        _check_password(password)
        if language not in LANGUAGES:
            raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
        with unit_of_work(self.session_factory) as session:
            agent = session.scalar(select(Agent).where(func.lower(Agent.email) == email))
            if agent is not None and agent.password_hash:
                raise AccountError(f"an agent with e-mail {email} already exists")
            if agent is None:
                if not name:
                    raise AccountError("an agent needs a name")
                agent = Agent(name=name, email=email)
                session.add(agent)
            agent.name = name or agent.name
            agent.role = chosen
            agent.is_supervisor = chosen != Role.AGENT
            agent.language = language
            agent.active = True
            agent.password_hash = self.hasher.hash(password)
            session.flush()
            self._audit(session, actor, "agent.add", email, {"role": str(chosen)})
            return _account(agent)

    def disable(self, email: str, *, actor: str = "cli") -> AgentAccount:
        """Disable an agent: they can no longer sign in and their open sessions end."""
        with unit_of_work(self.session_factory) as session:
            agent = self._find(session, email)
            agent.active = False
            agent.session_epoch += 1
            self._audit(session, actor, "agent.disable", agent.email)
            return _account(agent)

    def reset_password(self, email: str, password: str, *, actor: str = "cli") -> AgentAccount:
        """Set a new password (re-enabling nothing); every session of that agent ends."""
        _check_password(password)
        with unit_of_work(self.session_factory) as session:
            agent = self._find(session, email)
            agent.password_hash = self.hasher.hash(password)
            agent.session_epoch += 1
            self._audit(session, actor, "agent.reset_password", agent.email)
            return _account(agent)

    def authenticate(self, email: str, password: str) -> AgentAccount | None:
        """The active agent with this e-mail and password (the sign-in is recorded), else None."""
        email = email.strip().lower()
        with unit_of_work(self.session_factory) as session:
            agent = session.scalar(select(Agent).where(func.lower(Agent.email) == email))
            stored = agent.password_hash if agent is not None and agent.active else None
            matches = self.hasher.check(stored or self._decoy, password)
            if agent is None or stored is None or not matches:
                return None
            agent.last_sign_in_at = self.clock()
            self._audit(session, agent.email, "agent.sign_in", agent.email, agent_id=agent.id)
            return _account(agent)

    def get(self, agent_id: int) -> AgentAccount | None:
        """The agent with this id (active or not), or None."""
        with self.session_factory() as session:
            agent = session.get(Agent, agent_id)
            return _account(agent) if agent is not None else None

    def set_language(self, agent_id: int, language: str) -> None:
        """The console's language for this agent (es or en)."""
        if language not in LANGUAGES:
            raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
        with unit_of_work(self.session_factory) as session:
            agent = session.get(Agent, agent_id)
            if agent is None:
                raise AccountError(f"no agent {agent_id}")
            agent.language = language

    def record(self, actor: str, action: str, target: str = "", data: dict[str, Any] | None = None) -> None:
        """Record an admin action in the audit log (its own transaction)."""
        with unit_of_work(self.session_factory) as session:
            self._audit(session, actor, action, target, data)

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        """The newest audit entries first."""
        with self.session_factory() as session:
            query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            return list(session.scalars(query.limit(limit)))

    def _find(self, session: Session, email: str) -> Agent:
        agent = session.scalar(select(Agent).where(func.lower(Agent.email) == _email(email)))
        if agent is None:
            raise AccountError(f"no agent with e-mail {email.strip()}")
        return agent

    def _audit(
        self,
        session: Session,
        actor: str,
        action: str,
        target: str = "",
        data: dict[str, Any] | None = None,
        *,
        agent_id: int | None = None,
    ) -> None:
        if agent_id is None and actor != "cli":
            agent_id = agent_id_for(session, actor)
        session.add(
            AuditEntry(
                agent_id=agent_id,
                actor=actor,
                action=action,
                target=target,
                data=data,
                created_at=self.clock(),
            )
        )


def _account(agent: Agent) -> AgentAccount:
    return AgentAccount(
        id=agent.id,
        name=agent.name,
        email=agent.email,
        role=agent.role,
        language=agent.language,
        active=agent.active,
        session_epoch=agent.session_epoch,
    )


def _email(raw: str) -> str:
    email = raw.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or any(c.isspace() for c in email):
        raise AccountError(f"not an e-mail address: {raw.strip()!r}")
    return email


def _role(raw: Role | str) -> Role:
    try:
        return Role(str(raw).strip().lower())
    except ValueError:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
