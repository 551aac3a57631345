"""Sign-in for agents: Flask-Login sessions, CSRF on every console form, throttled sign-in, role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, abort, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from intake.bootstrap import Container
from intake.services.accounts import AgentAccount
from web.services import build_services, services

F = TypeVar("F", bound=Callable[..., Any])
csrf = CSRFProtect()


class ConsoleUser:
    """A signed-in agent as Flask-Login sees them; the id carries the session epoch (reset = signed out)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, account: AgentAccount) -> None:
        self.account = account

    @property
    def is_active(self) -> bool:
        """Disabled agents cannot sign in."""
        return self.account.active

    def get_id(self) -> str:
        """The id stored in the session cookie: agent id and session epoch."""
        return f"{self.account.id}:{self.account.session_epoch}"


def init_auth(app: Flask, container: Container) -> None:
    """Session cookie flags, Flask-Login, CSRF (every blueprint's forms) and the sign-in rate limiter."""
    settings = container.settings
    app.extensions["console"] = build_services(container)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_base_url and settings.public_base_url.startswith("https")),
        SESSION_COOKIE_NAME="intake_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # Webhooks are signed by their provider, not by a form: blueprint views check it (protect_forms).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    app.before_request(allow_uploads)  # before protect_forms, whose CSRF check reads (parses) the form
    app.before_request(protect_forms)
    manager = LoginManager(app)
    manager.login_view = "console.sign_in"
    manager.login_message = ""
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.ratelimit_storage_uri,
        default_limits=[],
        headers_enabled=False,
    )
    app.extensions["console_limiter"] = limiter


def _load_user(user_id: str) -> ConsoleUser | None:
    """The agent behind a session cookie, if still active and the session is of their current epoch."""
    agent_id, _, epoch = user_id.partition(":")
    if not agent_id.isdigit() or not epoch.isdigit():
        return None
    account = services().accounts.get(int(agent_id))
    if account is None or not account.active or account.session_epoch != int(epoch):
        return None
    return ConsoleUser(account)


def current_agent() -> AgentAccount:
    """The signed-in agent (views behind login_required only)."""
    return cast(ConsoleUser, current_user).account


_TOKEN_AUTHENTICATED: set[str] = set()


def exempt_from_csrf(blueprint: Blueprint) -> None:
    """A blueprint authenticated by a bearer token, never by the session cookie (the JSON API)."""
    _TOKEN_AUTHENTICATED.add(blueprint.name)
    csrf.exempt(blueprint)


# Pages that take files (16 MB each, as WhatsApp's outbound media limit; several per form) get more room
# than the app's 2 MB cap, which stays for the provider webhooks (app-level views, no blueprint).
PAGE_UPLOAD_MAX_BYTES = 3 * 16 * 1024 * 1024 + 256 * 1024


def allow_uploads() -> None:
    """Raise the body limit for blueprint pages (console, customer pages, API), never for webhooks."""
    if request.blueprint is not None:
        request.max_content_length = PAGE_UPLOAD_MAX_BYTES


def protect_forms() -> None:
    """Check the CSRF token of every state-changing request to a blueprint (the console, the admin pages,
    any page added later); the provider webhooks are app-level views, signed by their provider instead,
    and token-authenticated blueprints (the API) carry no cookie to forge."""
    if request.blueprint is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.blueprint.split(".")[0] not in _TOKEN_AUTHENTICATED:
        csrf.protect()


def admin_required(view: F) -> F:
    """Only admins (403 for other signed-in agents); put it under login_required."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_agent().is_admin:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def throttle_sign_in(app: Flask, endpoint: str) -> None:
    """Throttle a sign-in view's POSTs per client IP and, separately, per e-mail typed."""
    limiter: Limiter = app.extensions["console_limiter"]
    rate = app.extensions["console"].container.settings.sign_in_rate_limit
    per_ip = limiter.limit(rate, methods=["POST"], key_func=get_remote_address, scope="sign-in-ip")
    per_email = limiter.limit(rate, methods=["POST"], key_func=_typed_email, scope="sign-in-email")
    view: Callable[..., Any] = app.view_functions[endpoint]
    app.view_functions[endpoint] = per_ip(per_email(view))


def _typed_email() -> str:
    return "email:" + (request.form.get("email") or "").strip().lower()
