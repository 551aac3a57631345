"""What the service tells the dialog about the sender, their company and its tickets (pure data)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, overload

from sla.priority import Priority

CompanyId = int | str
T = TypeVar("T")


class LazySequence(Sequence[T]):
    """A sequence read on first use: the service's lookups that most dialog steps never need."""

    __slots__ = ("_items", "_load")

    def __init__(self, load: Callable[[], Sequence[T]]) -> None:
        self._load = load
        self._items: Sequence[T] | None = None

    def _loaded(self) -> Sequence[T]:
        if self._items is None:
            self._items = tuple(self._load())
        return self._items

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        """The item (or slice), loading the sequence first if needed."""
        return self._loaded()[index]

    def __len__(self) -> int:
        """How many items, loading the sequence first if needed."""
        return len(self._loaded())

    def __iter__(self) -> Iterator[T]:
        """The items, loading the sequence first if needed."""
        return iter(self._loaded())


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A known customer company, for fuzzy-matching what an unknown contact types."""

    id: CompanyId
    name: str
    tax_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact the service already knows (matched by channel identity or e-mail)."""

    name: str
    company_name: str | None = None
    company_id: CompanyId | None = None
    email: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class RequestTerms:
    """How the customer's plan serves requests, told before they confirm one (issue 15).

    `rule`: "included" (in the plan), "hours_bank" (charged to the company's bank; `balance_minutes` is
    its balance now, None in a group chat where company figures are not said), "quote" (quoted before
    work starts), or "unknown" (no known company or plan: the desk reviews it and confirms the
    conditions). Replaces the former `plan_includes_requests` flag.
    """

    rule: str = "included"
    balance_minutes: int | None = None
    # Reads the balance only when a text says it (the service's query): turns that never show the terms
    # never pay for it. Neither set: the balance is not to be said here (a group chat).
    balance_lookup: Callable[[], int] | None = field(default=None, compare=False, repr=False)

    def balance(self) -> int | None:
        """The bank's balance to tell the customer, if any."""
        if self.balance_minutes is not None:
            return self.balance_minutes
        return self.balance_lookup() if self.balance_lookup is not None else None

    @property
    def may_cost(self) -> bool:
        """Whether a request costs the customer something: they confirm it before describing it."""
        return self.rule in ("hours_bank", "quote")


def hours_and_minutes(minutes: int) -> str:
    """Minutes as hours and minutes: "12 h 30 min", "-1 h 05 min", "45 min"."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours == 0:
        return f"{sign}{rest} min"
    return f"{sign}{hours} h {rest:02d} min"


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
WhenFn = Callable[[datetime, str], str]


def iso_when(instant: datetime, _lang: str) -> str:
    """A fallback formatter for instants: 'YYYY-MM-DD HH:MM' in the instant's own offset."""
    return instant.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True, kw_only=True)
class DialogContext:
    """Everything the pure dialog needs to know about the world for one message."""

    quote: QuoteFn
    contact: ContactView | None = None
    companies: Sequence[CompanyRef] = ()
    request_terms: RequestTerms = RequestTerms()
    tickets: Sequence[TicketView] = ()
    idle_timeout: timedelta = timedelta(hours=2)
    duplicate_window: timedelta = timedelta(days=7)
    open_now: bool = True  # the support team works now (the customer's business calendar)
    next_opening: datetime | None = None  # when it is back, while closed
    when: WhenFn = iso_when  # an instant in words, in the customer's time zone and a language
    handoff_wait: timedelta = timedelta(minutes=30)  # usual wait for an agent in business hours
    recent_ticket: str | None = None  # the ticket this chat discussed in the last few minutes
    # The service's lookup of recent_ticket, asked only when a step needs it (a file after a chat).
    recent_ticket_lookup: Callable[[], str | None] | None = None

    def ticket_just_discussed(self) -> str | None:
        """The open ticket this chat discussed in the last few minutes, if any."""
        if self.recent_ticket_lookup is not None:
            return self.recent_ticket_lookup()
        return self.recent_ticket

    def back_at(self, lang: str) -> str | None:
        """When the team is back, in words ('lunes 7 de diciembre 08:30'); None while open."""
        if self.open_now or self.next_opening is None:
            return None
        return self.when(self.next_opening, lang)

    @property
    def open_tickets(self) -> list[TicketView]:
        """The company's tickets that are still open."""
        return [t for t in self.tickets if t.open]

    @property
    def waiting_tickets(self) -> list[TicketView]:
        """Open tickets whose ball is in the customer's court (information requested)."""
        return [t for t in self.tickets if t.open and t.waiting_on_customer]
