"""The console's session views: sign-in, sign-out, language (thin: they call the services and render)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from intake.services.accounts import LANGUAGES, AccountError
from web.auth import ConsoleUser, current_agent
from web.services import services


def register(bp: Blueprint) -> None:
    """Attach the views to the console blueprint."""
    bp.add_url_rule("/sign-in", "sign_in", sign_in, methods=["GET", "POST"])
    bp.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
    bp.add_url_rule("/language", "language", login_required(set_language), methods=["POST"])
    bp.register_error_handler(429, too_many_attempts)


def sign_in() -> Any:
    """The sign-in form; a good e-mail + password starts a session."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("console.queue"))
        return render_template("console/sign_in.html")
    email = request.form.get("email", "")
    account = services().accounts.authenticate(email, request.form.get("password", ""))
    if account is None:
        flash("Wrong e-mail or password.", "error")
        return render_template("console/sign_in.html", email=email), 401
    login_user(ConsoleUser(account))
    return redirect(_safe_next(request.args.get("next")))


def sign_out() -> Any:
    """End the session."""
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("console.sign_in"))


def set_language() -> Any:
    """Switch the console's language for the signed-in agent."""
    language = request.form.get("language", "")
    if language in LANGUAGES:
        try:
            services().accounts.set_language(current_agent().id, language)
        except AccountError as exc:
            flash(str(exc), "error")
    return redirect(_safe_next(request.form.get("next")))


def too_many_attempts(_error: Exception) -> Any:
    """Sign-in throttled: the form again, with the reason, and 429."""
    flash("Too many sign-in attempts; wait a minute and try again.", "error")
    return render_template("console/sign_in.html"), 429


def _safe_next(target: str | None) -> str:
    """Only a local path is followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("console.queue")
