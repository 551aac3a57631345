"""Flask app factory and the HTTP edge: webhooks, health check and API views (thin)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from sqlalchemy import func, select, text
from werkzeug.middleware.proxy_fix import ProxyFix

from intake.bootstrap import Container
from intake.models import OutboxMessage


def create_app(container: Container) -> Flask:
    """Build the Flask app around an already-wired container."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = container.settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.extensions["intake"] = container
    hops = container.settings.trust_proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    @app.get("/healthz")
    def healthz() -> Any:
        return _health(container)

    return app


def _health(container: Container) -> Any:
    try:
        with container.session_factory() as session:
            session.execute(text("SELECT 1"))
            backlog = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
            )
            dead = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "dead")
            )
    except Exception as exc:
        return jsonify(status="error", database="unreachable", error=type(exc).__name__), 503
    return jsonify(status="ok", database="ok", outbox_backlog=backlog, outbox_dead=dead)
