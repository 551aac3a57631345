"""The agents' console blueprint (url prefix /console)."""

from __future__ import annotations

from flask import Blueprint


def console_blueprint() -> Blueprint:
    """A fresh blueprint with the console's views (one per app, so apps never share state)."""
    from web.console import admin, handoff, queue, reports, ticket, tokens, views

    blueprint = Blueprint(
        "console",
        __name__,
        url_prefix="/console",
        template_folder="../templates",
        static_folder="../static",
        static_url_path="/static",
    )
    views.register(blueprint)
    queue.register(blueprint)
    ticket.register(blueprint)
    handoff.register(blueprint)
    admin.register(blueprint)
    tokens.register(blueprint)
    reports.register(blueprint)
    return blueprint
