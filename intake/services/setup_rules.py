"""What desk set-up input must look like (shared by the admin forms and the CSV import), and the audit log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.db.models import Agent, AuditEntry
from intake.services.setup_messages import message

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_TAX_ID = re.compile(r"^[0-9A-Z][0-9A-Z.\-/ ]{1,38}[0-9A-Z]$")
_PHONE_NOISE = str.maketrans("", "", " -().")


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one field or cell: a stable code and the values its message names."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        """The message in a language (see setup_messages.SETUP_MESSAGES); English by default."""
        return message(self.code, self.params, language)

    def __str__(self) -> str:
        return self.text()


class Invalid(ValueError):
    """A value was refused; `problem` says why (str() is the English message)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.problem = Problem(code, params)
        super().__init__(self.problem.text())


class SetupError(ValueError):
    """A desk set-up change was refused; nothing was written. `errors`: form field -> what is wrong."""

    def __init__(self, errors: Mapping[str, Problem]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in self.errors.items()))

    @property
    def messages(self) -> dict[str, str]:
        """Each field's message in English (logs, the command line)."""
        return {name: problem.text() for name, problem in self.errors.items()}


def refuse(field_name: str, code: str, **params: Any) -> SetupError:
    """A SetupError about one field."""
    return SetupError({field_name: Problem(code, params)})


def clean_email(raw: str | None) -> str | None:
    """A lower-cased e-mail address, None when empty; Invalid when it is not one."""
    text = (raw or "").strip().lower()
    if not text:
        return None
    if not _EMAIL.match(text) or len(text) > 254:
        raise Invalid("email.invalid", value=raw)
    return text


def clean_phone(raw: str | None) -> str | None:
    """An E.164 number (spaces, dashes, dots and brackets dropped), None when empty; Invalid otherwise."""
    text = (raw or "").strip().translate(_PHONE_NOISE)
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    if not text:
        return None
    if not _PHONE.match(text):
        raise Invalid("phone.invalid", value=raw)
    return text


def clean_telegram(raw: str | None) -> str | None:
    """A Telegram user id (digits), None when empty; Invalid otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 20:
        raise Invalid("telegram.invalid", value=raw)
    return text


def clean_tax_id(raw: str | None) -> str | None:
    """A tax id (RUT, RFC, NIT…) upper-cased without dots or spaces, None when empty; Invalid otherwise."""
    text = (raw or "").strip().upper()
    if not text:
        return None
    if not _TAX_ID.match(text):
        raise Invalid("tax_id.invalid", value=raw)
    return text.replace(".", "").replace(" ", "")


def clean_name(raw: str | None, what: str, limit: int = 200) -> str:
    """A required name, stripped; Invalid when empty or too long (`what`: one of setup_messages.NAMED)."""
    text = " ".join((raw or "").split())
    if not text:
        raise Invalid(f"{what}.name_missing")
    if len(text) > limit:
        raise Invalid(f"{what}.name_too_long", limit=limit)
    return text


def audit(
    session: Session, now: datetime, actor: str, action: str, target: str, data: dict[str, Any] | None = None
) -> None:
    """Record a desk set-up change (who, what, on what) in the audit log, in the caller's transaction."""
    agent_id = agent_id_for(session, actor)
    session.add(
        AuditEntry(
            agent_id=agent_id, actor=actor, action=action, target=target[:254], data=data, created_at=now
        )
    )


def agent_id_for(session: Session, email: str) -> int | None:
    """The id of the agent with this e-mail (case-insensitive), if any."""
    return session.scalar(select(Agent.id).where(func.lower(Agent.email) == email.strip().lower()))
