"""The agents' web console (and, on top, the desk set-up pages): server-rendered Flask blueprints.

`register_console(app, container)` is the only entry point; webhooks.create_app calls it. Views call the
intake use cases and read models through the container; they never write ORM rows themselves.
"""

from __future__ import annotations

from flask import Flask

from intake.bootstrap import Container
from web.api import register_api
from web.auth import init_auth, throttle_sign_in
from web.console import console_blueprint
from web.format import init_format
from web.i18n import init_i18n
from web.public import register_public


def register_console(app: Flask, container: Container) -> None:
    """Mount the console at /console: sessions, CSRF, sign-in throttling, templates and static files."""
    init_auth(app, container)
    init_i18n(app)
    init_format(app, container.sla.default_calendar.tz)
    app.register_blueprint(console_blueprint())
    throttle_sign_in(app, "console.sign_in")
    register_api(app, container)
    register_public(app, container)  # the customer's pages: /soporte and /t/<number> (issue 13)
