"""API tokens in the console: each agent creates (shown once), lists and revokes their own tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from intake.services.api_tokens import ApiTokens, TokenError
from web.auth import current_agent
from web.services import services


def register(bp: Blueprint) -> None:
    """Attach the token views."""
    bp.add_url_rule("/tokens", "tokens", login_required(tokens_page), methods=["GET", "POST"])
    bp.add_url_rule("/tokens/<int:token_id>/revoke", "revoke_token", login_required(revoke), methods=["POST"])


def tokens_page() -> Any:
    """The agent's tokens; a POST creates one and shows it once (never stored, never shown again)."""
    created = None
    if request.method == "POST":
        try:
            agent = current_agent()
            created = _tokens().create(agent.id, request.form.get("name", ""), actor=agent.email)
        except TokenError as exc:
            flash(str(exc), "error")
        else:
            flash("Token created: copy it now, it will not be shown again.", "success")
    listed = _tokens().list(current_agent().id)
    response = current_app.make_response(
        render_template("console/tokens.html", tokens=listed, created=created)
    )
    response.headers["Cache-Control"] = "no-store"  # the page may carry a new token
    return response


def revoke(token_id: int) -> Any:
    """Revoke one of the agent's own tokens."""
    try:
        _tokens().revoke(token_id, agent=current_agent().id, actor=current_agent().email)
    except TokenError:
        flash("No such token.", "error")
    else:
        flash("Token revoked.", "success")
    return redirect(url_for("console.tokens"))


def _tokens() -> ApiTokens:
    container = services().container
    return ApiTokens(container.session_factory, container.clock)
