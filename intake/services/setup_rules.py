"""What desk set-up input must look like (shared by the admin forms and the CSV import), and the audit log."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.db.models import Agent, AuditEntry

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_TAX_ID = re.compile(r"^[0-9A-Z][0-9A-Z.\-/ ]{1,38}[0-9A-Z]$")
_PHONE_NOISE = str.maketrans("", "", " -().")


class SetupError(ValueError):
    """A desk set-up change was refused; nothing was written. `errors`: form field -> what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def refuse(field: str, message: str) -> SetupError:
    """A SetupError about one field."""
    return SetupError({field: message})


def clean_email(raw: str | None) -> str | None:
    """A lower-cased e-mail address, None when empty; ValueError when it is not one."""
    text = (raw or "").strip().lower()
    if not text:
        return None
    if not _EMAIL.match(text) or len(text) > 254:
        raise ValueError(f"{raw!r} is not an e-mail address (name@example.com)")
    return text


def clean_phone(raw: str | None) -> str | None:
    """An E.164 number (spaces, dashes, dots and brackets dropped), None when empty; ValueError otherwise."""
    text = (raw or "").strip().translate(_PHONE_NOISE)
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    if not text:
        return None
    if not _PHONE.match(text):
        raise ValueError(f"{raw!r} is not a phone number in international form (+56 9 1234 5678)")
    return text


def clean_telegram(raw: str | None) -> str | None:
    """A Telegram user id (digits), None when empty; ValueError otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 20:
        raise ValueError(f"{raw!r} is not a Telegram user id (digits only, e.g. 123456789)")
    return text


def clean_tax_id(raw: str | None) -> str | None:
    """A tax id (RUT, RFC, NIT…) upper-cased without dots or spaces, None when empty; ValueError otherwise."""
    text = (raw or "").strip().upper()
    if not text:
        return None
    if not _TAX_ID.match(text):
        raise ValueError(f"{raw!r} is not a tax id (letters, digits, dots and dashes, e.g. 76.123.456-7)")
    return text.replace(".", "").replace(" ", "")


def clean_name(raw: str | None, what: str, limit: int = 200) -> str:
    """A required name, stripped; ValueError when empty or too long."""
    text = " ".join((raw or "").split())
    if not text:
        raise ValueError(f"a {what} needs a name")
    if len(text) > limit:
        raise ValueError(f"a {what} name has at most {limit} characters")
    return text


def audit(
    session: Session, now: datetime, actor: str, action: str, target: str, data: dict[str, Any] | None = None
) -> None:
    """Record a desk set-up change (who, what, on what) in the audit log, in the caller's transaction."""
    agent_id = session.scalar(select(Agent.id).where(func.lower(Agent.email) == actor.lower()))
    session.add(
        AuditEntry(
            agent_id=agent_id, actor=actor, action=action, target=target[:254], data=data, created_at=now
        )
    )
