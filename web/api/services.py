"""The API's use cases and read models, built once per app (what views reach through `api_services()`)."""

from __future__ import annotations

from dataclasses import dataclass

from apiflask import APIFlask
from flask import current_app

from intake.bootstrap import Container
from intake.services.api_tokens import ApiTokens
from intake.services.directory import Directory
from intake.services.ticket_page import TicketPages
from intake.services.ticket_search import TicketSearch


@dataclass(frozen=True)
class ApiServices:
    """The container plus the API's own use cases, and the app that generates the OpenAPI document."""

    container: Container
    tokens: ApiTokens
    search: TicketSearch
    pages: TicketPages
    directory: Directory
    spec_app: APIFlask


def api_services() -> ApiServices:
    """The current app's API services."""
    found: ApiServices = current_app.extensions["api"]
    return found
