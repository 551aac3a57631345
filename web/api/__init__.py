"""The JSON API under /api/v1: token-authenticated, documented by the OpenAPI document built from the code.

apiflask's APIBlueprint carries the views (input validation, output serialisation, auth) on the plain
Flask app; a private APIFlask app, on which the same blueprint is registered and which never serves a
request, generates the OpenAPI document from it. Views call intake's use cases and read models only.
"""

from __future__ import annotations

from typing import Any

import apiflask.settings
from apiflask import APIBlueprint, APIFlask
from apiflask.exceptions import HTTPError
from flask import Flask, request
from werkzeug.exceptions import HTTPException

from intake.bootstrap import Container
from intake.services.agent_actions import ActionError
from intake.services.api_tokens import ApiTokens
from intake.services.directory import Directory, DirectoryError
from intake.services.ticket_page import TicketPages
from intake.services.ticket_search import TicketSearch
from web.api import directory, docs, tickets
from web.api.auth import build_auth
from web.api.problems import (
    ApiProblem,
    from_action_error,
    from_api_problem,
    from_directory_error,
    from_http_error,
    from_http_exception,
)
from web.api.schemas import ProblemOut
from web.api.services import ApiServices
from web.auth import exempt_from_csrf

PREFIX = "/api/v1"
# apiflask reads these from the serving app's config; the plain Flask app gets apiflask's defaults.
APIFLASK_CONFIG = (
    "VALIDATION_ERROR_STATUS_CODE",
    "VALIDATION_ERROR_DESCRIPTION",
    "BASE_RESPONSE_SCHEMA",
    "BASE_RESPONSE_DATA_KEY",
)
TAGS = [
    {"name": "Tickets", "description": "List, read and act on tickets; register one for a customer."},
    {"name": "Directory", "description": "Customer companies and their contacts, for integrations."},
    {"name": "Documents", "description": "This document and its readable page."},
]
DESCRIPTION = (
    "intake-bot's JSON API. Authenticate every call with `Authorization: Bearer <token>` (a per-agent "
    "token: `intake-bot token create --agent EMAIL`, or the console's API tokens page); actions are "
    "done as that agent. Errors are `application/problem+json` (RFC 9457)."
)


def register_api(app: Flask, container: Container) -> None:
    """Mount /api/v1 on the app: the blueprint, its problem+json errors and the OpenAPI document."""
    for key in APIFLASK_CONFIG:
        app.config.setdefault(key, getattr(apiflask.settings, key))
    blueprint = api_blueprint()
    exempt_from_csrf(blueprint)  # token-authenticated, never by cookie: no CSRF to protect against
    app.register_blueprint(blueprint)
    app.register_error_handler(404, _routing_error)
    app.register_error_handler(405, _routing_error)
    app.extensions["api"] = ApiServices(
        container=container,
        tokens=ApiTokens(container.session_factory, container.clock),
        search=TicketSearch(container.session_factory, container.sla, container.clock),
        pages=TicketPages(container.session_factory, container.sla, container.clock),
        directory=Directory(container.session_factory),
        spec_app=spec_app(blueprint),
    )


def api_blueprint() -> APIBlueprint:
    """A fresh blueprint with every API view (one per app, so apps never share state)."""
    blueprint = APIBlueprint("api", __name__, url_prefix=PREFIX, tag="Tickets")
    auth = build_auth()
    tickets.register(blueprint, auth)
    directory.register(blueprint, auth)
    docs.register(blueprint)
    blueprint.register_error_handler(ActionError, from_action_error)
    blueprint.register_error_handler(DirectoryError, from_directory_error)
    blueprint.register_error_handler(ApiProblem, from_api_problem)
    blueprint.register_error_handler(HTTPError, from_http_error)
    blueprint.register_error_handler(HTTPException, from_http_exception)
    return blueprint


def spec_app(blueprint: APIBlueprint) -> APIFlask:
    """The APIFlask app that only generates the OpenAPI document of `blueprint` (it serves nothing)."""
    spec = APIFlask(
        "intake_bot_api",
        title="intake-bot API",
        version="1.0",
        spec_path=None,
        docs_path=None,
        docs_oauth2_redirect_path=None,
    )
    spec.description = DESCRIPTION
    spec.tags = TAGS
    spec.config.update(
        HTTP_ERROR_SCHEMA=ProblemOut,
        VALIDATION_ERROR_SCHEMA=ProblemOut,
        AUTO_404_RESPONSE=True,
        AUTO_VALIDATION_ERROR_RESPONSE=True,
        AUTO_AUTH_ERROR_RESPONSE=True,
        AUTO_SERVERS=False,  # the paths are absolute (/api/v1/...): no host baked into the cached document
        AUTO_OPERATION_ID=True,  # e.g. post_api_reply_ticket, for client generators
    )
    spec.spec_processor(docs.as_problem_json)
    spec.register_blueprint(blueprint)
    return spec


def _routing_error(error: HTTPException) -> Any:
    """No route (404) or method (405) under /api/: a problem; elsewhere Flask's usual page."""
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        return from_http_exception(error)
    return error
