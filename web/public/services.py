"""The customer pages' use cases, built once per app from the container."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from intake.bootstrap import Container
from intake.services.tracking import TrackingPages
from intake.services.web_intake import WebIntake


@dataclass(frozen=True)
class PublicServices:
    """The web form's and the tracking page's use cases."""

    intake: WebIntake
    tracking: TrackingPages

    @classmethod
    def build(cls, container: Container) -> PublicServices:
        """The use cases on this container's database, store and clock."""
        c = container
        intake = WebIntake(c.session_factory, c.inbound, c.store, c.settings.secret_key, c.clock)
        tracking = TrackingPages(c.session_factory, c.tickets, c.conversations, c.sla, c.store, c.clock)
        return cls(intake=intake, tracking=tracking)


def public_services() -> PublicServices:
    """The current app's customer-page services."""
    found: PublicServices = current_app.extensions["public"]
    return found
