"""The audit log of admin actions and sign-ins (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required

from web.auth import admin_required
from web.services import services


def register(bp: Blueprint) -> None:
    """Attach the audit log view."""
    bp.add_url_rule("/audit", "audit", login_required(admin_required(audit)))


def audit() -> Any:
    """The newest audit entries."""
    return render_template("console/audit.html", entries=services().accounts.audit_log())
