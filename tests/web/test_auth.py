"""Who may open what in the console: sign-in, sessions, CSRF, throttling, roles (Flask test client)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from sqlalchemy import select

from intake.bootstrap import build_container
from intake.config import load_settings
from intake.db.models import Agent, AuditEntry
from tests.support.clock import FakeClock
from tests.web.conftest import PASSWORD, Console, console_settings, csrf_token, sign_in
from webhooks import create_app


def test_anonymous_visitors_are_sent_to_the_sign_in_page(console: Console) -> None:
    client = console.app.test_client()
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/sign-in?next=")
    page = client.get("/console/sign-in").get_data(as_text=True)
    assert 'name="password"' in page and "Iniciar sesión" in page


def test_an_agent_signs_in_and_out_and_the_password_is_stored_hashed(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    assert sign_in(client, "ANA@soporte.example ") == 302
    assert "Ana Soporte" in client.get("/console/").get_data(as_text=True)
    assert client.get("/console/sign-in").headers["Location"] == "/console/"  # already signed in
    with console.container.session_factory() as session:
        stored = session.scalars(select(Agent.password_hash)).one()
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert stored and stored.startswith("scrypt:") and PASSWORD not in stored
    assert actions == ["agent.add", "agent.sign_in"]
    token = csrf_token(client, "/console/")
    assert client.post("/console/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/").status_code == 302


def test_a_wrong_password_or_unknown_e_mail_is_refused_alike(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    assert sign_in(client, "ana@soporte.example", "not the password") == 401
    assert sign_in(client, "nobody@soporte.example") == 401
    assert client.get("/console/").status_code == 302


def test_a_form_without_its_csrf_token_is_refused_with_400(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    client.get("/console/sign-in")
    response = client.post("/console/sign-in", data={"email": "ana@soporte.example", "password": PASSWORD})
    assert response.status_code == 400
    assert sign_in(client, "ana@soporte.example") == 302
    assert client.post("/console/sign-out").status_code == 400
    assert client.get("/console/").status_code == 200  # still signed in: the forged sign-out did nothing


def test_webhooks_are_not_subject_to_the_console_csrf_check(console: Console) -> None:
    response = console.app.test_client().post("/webhooks/whatsapp", data={"Body": "hola"})
    assert response.status_code == 404  # WhatsApp not configured here: not a CSRF 400


def test_any_blueprint_s_forms_are_csrf_protected(console: Console) -> None:
    """Pages added later on their own blueprint (the admin pages) get the check without doing anything."""
    extra = Blueprint("extra", __name__, url_prefix="/extra")
    extra.add_url_rule("/do", "do", lambda: "done", methods=["POST"])
    console.app.register_blueprint(extra)
    client = console.app.test_client()
    assert client.post("/extra/do").status_code == 400
    assert client.post("/extra/do", data={"csrf_token": csrf_token(client)}).get_data(as_text=True) == "done"


def test_sign_in_is_throttled_per_e_mail_and_per_ip(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    for _ in range(5):
        assert sign_in(client, "ana@soporte.example", "wrong password!") == 401
    assert sign_in(client, "ana@soporte.example") == 429  # even the right password, for a minute
    other_ip = console.app.test_client()
    token = csrf_token(other_ip)
    form = {"email": "ana@soporte.example", "password": PASSWORD, "csrf_token": token}
    assert (
        other_ip.post("/console/sign-in", data=form, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
        == 429
    )
    for index in range(5):
        form = {"email": f"x{index}@soporte.example", "password": PASSWORD, "csrf_token": token}
        assert (
            other_ip.post("/console/sign-in", data=form, environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code
            == 401
        )
    form = {"email": "bea@soporte.example", "password": PASSWORD, "csrf_token": token}
    assert (
        other_ip.post("/console/sign-in", data=form, environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code
        == 429
    )


def test_the_session_cookie_is_httponly_and_samesite(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    sign_in(client, "ana@soporte.example")
    cookie = client.get_cookie("intake_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax" and not cookie.secure


def test_a_disabled_agent_is_signed_out_and_cannot_sign_in(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    sign_in(client, "ana@soporte.example")
    console.accounts.disable("ana@soporte.example")
    assert client.get("/console/").status_code == 302
    assert sign_in(client, "ana@soporte.example") == 401


def test_a_password_reset_ends_open_sessions(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    sign_in(client, "ana@soporte.example")
    console.accounts.reset_password("ana@soporte.example", "a brand new password")
    assert client.get("/console/").status_code == 302
    assert sign_in(client, "ana@soporte.example", "a brand new password") == 302


def test_sign_in_follows_only_local_next_paths(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    client = console.app.test_client()
    token = csrf_token(client)
    form = {"email": "ana@soporte.example", "password": PASSWORD, "csrf_token": token}
    response = client.post("/console/sign-in?next=//evil.example/x", data=form)
    assert response.headers["Location"] == "/console/"


def test_the_console_speaks_english_to_an_agent_who_asks(console: Console) -> None:
    console.agent("ann@soporte.example", "Ann Support", language="en")
    client = console.app.test_client()
    sign_in(client, "ann@soporte.example")
    page = client.get("/console/").get_data(as_text=True)
    assert "Queue" in page and "Sign out" in page and 'lang="en"' in page
    token = csrf_token(client, "/console/")
    client.post("/console/language", data={"language": "es", "csrf_token": token, "next": "/console/"})
    assert "Cerrar sesión" in client.get("/console/").get_data(as_text=True)


def test_the_session_cookie_is_secure_behind_https(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    extra = {"PUBLIC_BASE_URL": "https://soporte.example"}
    settings = load_settings(console_settings(database_url, tmp_path, **extra), env_file=None)
    container = build_container(settings, clock=clock)
    try:
        app = create_app(container)
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert (
            app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        )
    finally:
        container.close()


def test_admin_pages_are_for_admins_only(console: Console) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    console.agent("sara@soporte.example", "Sara Supervisora", role="supervisor")
    console.agent("alba@soporte.example", "Alba Admin", role="admin")
    assert console.app.test_client().get("/console/admin/audit").status_code == 302  # anonymous: sign in
    for email in ("ana@soporte.example", "sara@soporte.example"):
        client = console.app.test_client()
        sign_in(client, email)
        assert client.get("/console/admin/audit").status_code == 403
        assert 'id="nav-admin"' not in client.get("/console/").get_data(as_text=True)
    admin = console.app.test_client()
    sign_in(admin, "alba@soporte.example")
    assert 'id="nav-admin"' in admin.get("/console/").get_data(as_text=True)
    page = admin.get("/console/admin/audit").get_data(as_text=True)
    assert "agent.add" in page and "sara@soporte.example" in page
