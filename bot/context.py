"""What the service tells the dialog about the sender, their company and its tickets (pure data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.priority import Priority

CompanyId = int | str


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A known customer company, for fuzzy-matching what an unknown contact types."""

    id: CompanyId
    name: str


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact the service already knows (matched by channel identity or e-mail)."""

    name: str
    company_name: str | None = None
    company_id: CompanyId | None = None
    email: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class TicketView:
    """One ticket of the contact's company, with texts already formatted for the customer.

    `status` is a lifecycle code ('waiting_customer'...) shown through the `status.<code>` text
    when one exists, else shown as is. Due and update texts come from the service, localized.
    """

    number: str
    title: str
    status: str
    priority: str
    response_due: str = ""
    resolution_due: str = ""
    last_update: str = ""
    waiting_on_customer: bool = False
    awaiting_validation: bool = False
    open: bool = True
    description: str = ""
    created_at: datetime | None = None
    # "" while the clock runs towards the date above; else shown through the `clock.<state>` text:
    # answered, overdue, paused_customer, paused_validation, paused_contingency
    response_state: str = ""
    resolution_state: str = ""


@dataclass(frozen=True, slots=True)
class DeadlineQuote:
    """Both deadlines of a would-be ticket, as sentences ready to show in one language."""

    response: str
    resolution: str


QuoteFn = Callable[[Priority, str], DeadlineQuote]


@dataclass(frozen=True, slots=True, kw_only=True)
class DialogContext:
    """Everything the pure dialog needs to know about the world for one message."""

    quote: QuoteFn
    contact: ContactView | None = None
    companies: Sequence[CompanyRef] = ()
    plan_includes_requests: bool = True
    tickets: Sequence[TicketView] = ()
    idle_timeout: timedelta = timedelta(hours=2)
    duplicate_window: timedelta = timedelta(days=7)

    @property
    def open_tickets(self) -> list[TicketView]:
        """The company's tickets that are still open."""
        return [t for t in self.tickets if t.open]

    @property
    def waiting_tickets(self) -> list[TicketView]:
        """Open tickets whose ball is in the customer's court (information requested)."""
        return [t for t in self.tickets if t.open and t.waiting_on_customer]
