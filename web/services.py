"""The console's services, built once per app from the container (what views reach through `services()`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from intake.bootstrap import Container
from intake.services.accounts import Accounts, PasswordHasher
from intake.services.queue import QueueService
from intake.services.ticket_page import TicketPages

PASSWORD_HASHER = PasswordHasher(
    hash=lambda password: generate_password_hash(password, method="scrypt"),
    check=check_password_hash,
)


@dataclass(frozen=True)
class ConsoleServices:
    """The container plus the console's own use cases."""

    container: Container
    accounts: Accounts
    queue: QueueService
    tickets: TicketPages


def build_services(container: Container) -> ConsoleServices:
    """The console's services on this container's database and clock."""
    accounts = Accounts(container.session_factory, PASSWORD_HASHER, container.clock)
    queue = QueueService(container.session_factory, container.sla, container.clock, container.handoffs)
    tickets = TicketPages(container.session_factory, container.sla, container.clock)
    return ConsoleServices(container=container, accounts=accounts, queue=queue, tickets=tickets)


def services() -> ConsoleServices:
    """The current app's console services."""
    found: ConsoleServices = current_app.extensions["console"]
    return found
