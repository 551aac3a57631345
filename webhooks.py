"""Flask app factory and the HTTP edge: webhooks, health check and API views (thin)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from flask import Flask, Response, abort, jsonify, request
from sqlalchemy import func, select, text
from werkzeug.middleware.proxy_fix import ProxyFix

from channels.base import InboundChannel
from intake.bootstrap import Container
from intake.db.models import Attachment, OutboxMessage
from web import register_console

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


PROVIDER_PREFIX = "/webhooks/"


def create_app(container: Container) -> Flask:
    """Build the Flask app around an already-wired container.

    The providers' webhooks are served by a second, bare Flask app (`provider_app`) that the returned
    app hands every /webhooks/ request to: they carry no cookie, session or form token, so the
    console's per-request hooks (session, sign-in, CSRF, rate limiter) would only cost them time —
    a third of a webhook's CPU, the path that must answer in milliseconds under load (issue 16).
    """
    app = Flask(__name__)
    app.config["SECRET_KEY"] = container.settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.extensions["intake"] = container
    providers = provider_app(container)
    app.extensions["intake.providers"] = providers
    app.wsgi_app = _ProviderDispatch(app.wsgi_app, providers.wsgi_app)  # type: ignore[method-assign]
    hops = container.settings.trust_proxy_hops
    if hops:  # outside the dispatch: both apps see the client's scheme, host and address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    @app.get("/healthz")
    def healthz() -> Any:
        return _health(container)

    @app.get("/media/<token>")
    def media(token: str) -> Any:
        return _media(container, token)

    register_console(app, container)
    return app


def provider_app(container: Container) -> Flask:
    """The providers' webhooks alone: signature-checked, no session, no console hooks."""
    app = Flask(__name__ + ".providers")
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.extensions["intake"] = container

    @app.post("/webhooks/whatsapp")
    def whatsapp_inbound() -> Any:
        return _whatsapp_inbound(container)

    @app.post("/webhooks/whatsapp/status")
    def whatsapp_status() -> Any:
        return _whatsapp_status(container)

    @app.post("/webhooks/telegram")
    def telegram_update() -> Any:
        return _telegram_update(container)

    return app


class _ProviderDispatch:
    """WSGI: /webhooks/… to the providers' app, everything else to the console's."""

    def __init__(self, main: Any, providers: Any) -> None:
        self.main = main
        self.providers = providers

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Route one request by its path."""
        path = environ.get("PATH_INFO", "")
        target = self.providers if path.startswith(PROVIDER_PREFIX) else self.main
        return target(environ, start_response)


def public_url(container: Container) -> str:
    """The URL the provider called: the configured public base URL + path + query, else what Flask saw."""
    base = container.settings.public_base_url
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


@runtime_checkable
class _StatusCallbacks(InboundChannel, Protocol):
    """An inbound channel whose provider also posts delivery-status callbacks (WhatsApp)."""

    def parse_status(self, form: Mapping[str, str]) -> Any:
        """Read a verified status callback; ValueError when the form is not one."""
        ...


def _inbound(container: Container, channel: str) -> InboundChannel:
    """The configured adapter that takes this channel's webhooks, else 404."""
    adapter = container.adapters.get(channel)
    if not isinstance(adapter, InboundChannel):
        abort(404, description=f"{channel} channel is not configured")
    return adapter


def _status_callbacks(container: Container, channel: str) -> _StatusCallbacks:
    """The configured adapter that takes this channel's status callbacks, else 404."""
    adapter = container.adapters.get(channel)
    if not isinstance(adapter, _StatusCallbacks):
        abort(404, description=f"{channel} channel is not configured")
    return adapter


def _whatsapp_inbound(container: Container) -> Any:
    adapter = _inbound(container, "whatsapp")
    form, body = request.form, request.get_data(cache=True)
    if not adapter.verify(public_url(container), request.headers, form, body):
        abort(403, description="invalid Twilio signature")
    try:
        messages = adapter.parse(request.headers, form, body)
    except ValueError as exc:  # signed but out of bounds: a 500 would only make Twilio retry it
        abort(400, description=str(exc))
    try:
        container.accept_inbound(messages)
    except ValueError as exc:  # a key out of the inbox's bounds
        abort(400, description=str(exc))
    return Response(EMPTY_TWIML, mimetype="application/xml")


def _whatsapp_status(container: Container) -> Any:
    adapter = _status_callbacks(container, "whatsapp")
    form = request.form
    if not adapter.verify(public_url(container), request.headers, form, request.get_data(cache=True)):
        abort(403, description="invalid Twilio signature")
    try:
        update = adapter.parse_status(form)
    except ValueError as exc:  # signed, but not a status callback: a 500 would only make Twilio retry
        abort(400, description=str(exc))
    container.delivery_status(update)
    return Response(EMPTY_TWIML, mimetype="application/xml")


def _telegram_update(container: Container) -> Any:
    from channels.telegram.adapter import MAX_UPDATE_BYTES, MalformedUpdateError

    adapter = _inbound(container, "telegram")
    if (request.content_length or 0) > MAX_UPDATE_BYTES:
        abort(413, description="update too large")
    body = request.get_data(cache=True)
    if len(body) > MAX_UPDATE_BYTES:  # a chunked body has no Content-Length to check before reading
        abort(413, description="update too large")
    if not adapter.verify(request.url, request.headers, {}, body):
        abort(403, description="missing or wrong secret token")
    try:
        messages = adapter.parse(request.headers, {}, body)
    except MalformedUpdateError as exc:
        return jsonify(error="malformed update", detail=str(exc)), 400
    try:
        container.accept_inbound(messages)
    except ValueError as exc:  # a key out of the inbox's bounds
        return jsonify(error="malformed update", detail=str(exc)), 400
    return jsonify(ok=True)


def _media(container: Container, token: str) -> Any:
    """Serve an agent's file to the provider that fetches it, behind a signed, expiring token."""
    attachment_id = container.media_links.attachment_id(token)
    if attachment_id is None:
        abort(404)
    with container.session_factory() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or attachment.origin != "agent" or not attachment.storage_path:
            abort(404)
        content = container.store.open(attachment.storage_path)
        name, mime = attachment.filename or "file", attachment.mime_type or "application/octet-stream"
    response = Response(content, mimetype=mime)
    response.headers["Content-Disposition"] = _attachment_header(name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _attachment_header(filename: str) -> str:
    """A Content-Disposition header that survives quotes, newlines and non-ASCII names (RFC 6266)."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _health(container: Container) -> Any:
    try:
        with container.session_factory() as session:
            session.execute(text("SELECT 1"))
            counts = dict(
                session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.status.in_(("pending", "dead", "held")))
                    .group_by(OutboxMessage.status)
                ).all()
            )
        inbox = container.inbox.counts() if container.inbox is not None else {}
    except Exception as exc:
        return jsonify(status="error", database="unreachable", error=type(exc).__name__), 503
    return jsonify(
        status="ok",
        database="ok",
        outbox_backlog=counts.get("pending", 0),
        outbox_dead=counts.get("dead", 0),
        outbox_held=counts.get("held", 0),
        inbox_backlog=inbox.get("pending", 0) + inbox.get("working", 0),
        inbox_failed=inbox.get("failed", 0),
    )


def app_from_env() -> Flask:
    """WSGI entry point for production servers: `gunicorn 'webhooks:app_from_env()'` (no worker inside)."""
    from intake.config import load_settings
    from intake.wiring import container_from_settings

    return create_app(container_from_settings(load_settings()))
