"""What a dialog turn asks the service to do (pure data; the service executes them in order)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.context import CompanyId
from bot.messages import InboundMedia
from sla.priority import Impact, Priority, Urgency


class TicketType(StrEnum):
    """Incident (something stopped working) or request/question (no failure)."""

    INCIDENT = "incident"
    REQUEST = "request"


@dataclass(frozen=True, slots=True)
class IntakeData:
    """A completed intake: everything needed to open a ticket.

    `module` is one of the ids in `bot.flow.MODULES` (None when the customer did not know).
    `possible_duplicate_of` names an open ticket the description resembled but the customer said
    was a different problem, so agents can double-check.
    """

    ticket_type: TicketType
    title: str
    description: str
    module: str | None
    impact: Impact
    urgency: Urgency
    priority: Priority
    billable_confirmed: bool
    media: tuple[InboundMedia, ...]
    possible_duplicate_of: str | None
    language: str


@dataclass(frozen=True, slots=True)
class IdentifyContact:
    """Create or update the sender's contact; `verified` false means agents must check the company."""

    name: str
    company_name: str
    company_id: CompanyId | None
    email: str
    verified: bool


@dataclass(frozen=True, slots=True)
class CreateTicket:
    """Open a ticket from a confirmed intake, then send `ticket_registered` with its number."""

    data: IntakeData


@dataclass(frozen=True, slots=True)
class AddToTicket:
    """Add the customer's text and files to an existing ticket of their company.

    If the ticket waits on the customer, the service resumes its resolution clock.
    """

    ticket_number: str
    text: str
    media: tuple[InboundMedia, ...] = ()


@dataclass(frozen=True, slots=True)
class HandOff:
    """Flag the conversation for a human and alert agents; `details` is what was collected so far."""

    reason: str
    step: str | None = None
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ForwardToAgent:
    """While handed off: relay the customer's message to the agents (no bot reply)."""

    text: str
    media: tuple[InboundMedia, ...] = ()


@dataclass(frozen=True, slots=True)
class LeaveHandOff:
    """The customer went back to the bot: clear the conversation's hand-off flag."""


@dataclass(frozen=True, slots=True)
class ValidationAnswer:
    """The customer's answer to a proposed solution: accepted closes, rejected reopens."""

    ticket_number: str
    accepted: bool
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class SurveyAnswered:
    """A satisfaction rating (1-5) and optional comment; upsert by ticket (it may come twice)."""

    ticket_number: str
    rating: int | None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """Remember the customer's language choice on their contact/conversation."""

    lang: str


Effect = (
    IdentifyContact
    | CreateTicket
    | AddToTicket
    | HandOff
    | ForwardToAgent
    | LeaveHandOff
    | ValidationAnswer
    | SurveyAnswered
    | SetLanguage
)
