"""The customer's pages: the web form `/soporte` and the tracking page `/t/<number>?k=<token>`.

`register_public(app, container)` mounts them (after `register_console`, whose CSRF and rate limiter they
share). Views are thin: they read the form, call the WebIntake / TrackingPages use cases and render.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from intake.bootstrap import Container
from web.public.services import PublicServices
from web.public.views import register


def register_public(app: Flask, container: Container) -> None:
    """Mount /soporte and /t/…; the container wires the web channel's adapter."""
    app.extensions["public"] = PublicServices.build(container)
    bp = Blueprint(
        "public",
        __name__,
        template_folder="../templates",
        static_folder="static",
        static_url_path="/public-static",
    )
    register(bp, app)
    app.register_blueprint(bp)
