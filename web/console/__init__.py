"""The agents' console blueprint (url prefix /console)."""

from __future__ import annotations

from flask import Blueprint

from web.auth import protect_forms


def console_blueprint() -> Blueprint:
    """A fresh blueprint with the console's views (one per app, so apps never share state)."""
    from web.console import handoff, queue, ticket, tokens, views

    blueprint = Blueprint(
        "console",
        __name__,
        url_prefix="/console",
        template_folder="../templates",
        static_folder="../static",
        static_url_path="/static",
    )
    blueprint.before_request(protect_forms)
    views.register(blueprint)
    queue.register(blueprint)
    ticket.register(blueprint)
    handoff.register(blueprint)
    tokens.register(blueprint)
    return blueprint
