"""What the admin views share: the admin-only guard, the set-up use cases, the acting admin, form fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import login_required

from intake.services.desk_contacts import DeskContacts
from intake.services.desk_setup import DeskSetup
from web.auth import admin_required, current_agent
from web.services import services

Route = tuple[str, str, Callable[..., Any], list[str]]


def admin_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view only signed-in admins reach (anonymous: the sign-in page; other agents: 403)."""
    guarded: Callable[..., Any] = login_required(admin_required(view))
    return guarded


def desk() -> DeskSetup:
    """The desk set-up use cases on the app's database and clock."""
    container = services().container
    return DeskSetup(container.session_factory, container.clock)


def desk_contacts() -> DeskContacts:
    """The contacts' set-up use cases on the app's database and clock."""
    container = services().container
    return DeskContacts(container.session_factory, container.clock)


def actor() -> str:
    """Who is making the change (recorded in the audit log)."""
    return current_agent().email


def text(name: str) -> str:
    """A form field's text, stripped."""
    return request.form.get(name, "").strip()


def checked(name: str) -> bool:
    """Whether a form checkbox is ticked."""
    return request.form.get(name) in ("1", "on", "true", "yes")


def optional_id(name: str) -> int | None:
    """A form select's id, None when empty."""
    value = text(name)
    return int(value) if value.isdigit() else None
