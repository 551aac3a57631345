"""Request and response schemas (marshmallow via apiflask): the OpenAPI document comes from these."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, File, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError

from intake.domain.lifecycle import TicketStatus
from intake.services.ticket_search import MAX_PER_PAGE, TicketListView
from sla.priority import Priority

MAX_ID = 2**31 - 1
MAX_TEXT = 4000
PRIORITIES = [p.value for p in Priority]


def storable(value: str) -> None:
    """Refuse text a database cannot store: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("must be valid Unicode text") from None


def text_field(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs: Any) -> String:
    """A string field the database can store, with a length limit."""
    return String(
        required=required,
        validate=[Length(min=min_length, max=max_length), storable],
        **kwargs,
    )


def an_id(**kwargs: Any) -> Integer:
    """A positive database id."""
    return Integer(validate=Range(min=1, max=MAX_ID), strict=False, **kwargs)


class TextIn(Schema):
    """What the customer (or, for notes, the other agents) reads."""

    text = text_field(
        MAX_TEXT, required=True, min_length=1, metadata={"description": "The message, note or reason."}
    )


class PriorityIn(Schema):
    """A new priority and the reason, which is kept."""

    priority = String(required=True, validate=OneOf(PRIORITIES))
    reason = text_field(MAX_TEXT, required=True, min_length=1)


class ReasonIn(Schema):
    """Why (kept on the ticket's trail; for "billable", also told to the customer)."""

    reason = text_field(500, required=True, min_length=1)


class TimeIn(Schema):
    """Time an agent spent on the ticket: 1 to 1440 minutes and what was done."""

    minutes = Integer(required=True, validate=Range(min=1, max=24 * 60))
    note = text_field(1000, required=True, min_length=1)


class TimeLoggedOut(Schema):
    """The entry just logged: whether the hours bank paid, the ticket's total, the company's balance."""

    number = String(required=True)
    minutes = Integer(required=True)
    charged_to_bank = Boolean(required=True)
    ticket_minutes = Integer(required=True)
    balance_minutes = Integer(required=True, allow_none=True)
    warning = String(required=True, allow_none=True, metadata={"description": "low | empty, when crossed"})
    url = String(required=True)


class FileIn(Schema):
    """A file for the customer's chat (at most 16 MB) and an optional caption."""

    file = File(required=True)  # type: ignore[no-untyped-call]
    caption = text_field(1000, load_default="")


class RegistrationIn(Schema):
    """A ticket registered on a customer's behalf (what the intake dialog would collect)."""

    contact_id = an_id(required=True)
    ticket_type = String(required=True, validate=OneOf(["incident", "request"]))
    description = text_field(MAX_TEXT, required=True, min_length=1)
    impact = String(required=True, validate=OneOf(["alto", "medio", "bajo"]))
    urgency = String(required=True, validate=OneOf(["alta", "media", "baja"]))
    module = text_field(80, load_default=None, allow_none=True)


class TicketListQuery(Schema):
    """Filters, a view, a text search and the page."""

    status = String(validate=OneOf([s.value for s in TicketStatus]))
    priority = String(validate=OneOf(PRIORITIES))
    company = an_id(metadata={"description": "A company id."})
    assignee = an_id(metadata={"description": "An agent id."})
    view = String(
        validate=OneOf([v.value for v in TicketListView]),
        metadata={"description": "mine, unassigned, open, waiting (on the customer), at_risk (>= 75 %)."},
    )
    q = text_field(200, metadata={"description": "Text in the number, title, description, company, contact."})
    page = Integer(load_default=1, validate=Range(min=1, max=1_000_000))
    per_page = Integer(load_default=25, validate=Range(min=1, max=MAX_PER_PAGE))


class PageLinks(Schema):
    """Links to this page and its neighbours (null when there is none)."""

    self = String(required=True)
    first = String(required=True)
    last = String(required=True)
    next = String(required=True, allow_none=True)
    prev = String(required=True, allow_none=True)


class ClockOut(Schema):
    """One SLA clock now."""

    clock = String(required=True)
    state = String(required=True)
    fraction_used = Float(required=True)
    remaining_minutes = Float(required=True, metadata={"description": "Business minutes; < 0 = overdue."})
    due = DateTime(required=True, allow_none=True)


class SlaOut(Schema):
    """The SLA badge: tone (ok, amber, red, grey, none), both clocks."""

    tone = String(required=True)
    at_risk = Boolean(required=True)
    exempt = Boolean(required=True)
    response = Nested(ClockOut, required=True, allow_none=True)
    resolution = Nested(ClockOut, required=True, allow_none=True)


class TicketOut(Schema):
    """A ticket as listed."""

    number = String(required=True)
    title = String(required=True)
    status = String(required=True)
    priority = String(required=True)
    ticket_type = String(required=True)
    channel = String(required=True)
    company_id = Integer(required=True, allow_none=True)
    company = String(required=True, allow_none=True)
    contact_id = Integer(required=True, allow_none=True)
    contact = String(required=True, allow_none=True)
    assignee_id = Integer(required=True, allow_none=True)
    assignee = String(required=True, allow_none=True)
    opened_at = DateTime(required=True)
    closed_at = DateTime(required=True, allow_none=True)
    first_response_at = DateTime(required=True, allow_none=True)
    response_due = DateTime(required=True)
    resolution_due = DateTime(required=True)
    sla = Nested(SlaOut, required=True)
    url = String(required=True)


class TicketListOut(Schema):
    """One page of tickets."""

    items = List(Nested(TicketOut), required=True)
    page = Integer(required=True)
    per_page = Integer(required=True)
    total = Integer(required=True)
    pages = Integer(required=True)
    links = Nested(PageLinks, required=True)


class AttachmentOut(Schema):
    """A file of evidence or an agent's file; download_url (same token) when it is stored."""

    id = Integer(required=True)
    filename = String(required=True)
    mime_type = String(required=True)
    size = Integer(required=True, allow_none=True)
    status = String(required=True)
    origin = String(required=True)
    download_url = String(required=True, allow_none=True)


class TimelineEntryOut(Schema):
    """One line of the timeline; visibility says whether the customer saw it (public) or not (internal)."""

    at = DateTime(required=True)
    kind = String(required=True, metadata={"description": "customer, bot, agent, note or event."})
    visibility = String(required=True, validate=OneOf(["public", "internal"]))
    author = String(required=True)
    text = String(required=True)
    event = String(required=True, allow_none=True)
    delivery_status = String(required=True, allow_none=True)
    attachment_ids = List(Integer(), required=True)


class PauseOut(Schema):
    """A pause of the resolution clock."""

    reason = String(required=True)
    started_at = DateTime(required=True)
    ended_at = DateTime(required=True, allow_none=True)


class TimeEntryOut(Schema):
    """Time logged on the ticket."""

    worked_at = DateTime(required=True)
    agent = String(required=True)
    minutes = Integer(required=True)
    note = String(required=True)
    charged_to_bank = Boolean(required=True)


class BillingOut(Schema):
    """The ticket's commercial facts (issue 15)."""

    plan = String(required=True, allow_none=True, metadata={"description": "The plan it was opened under."})
    request_rule = String(
        required=True,
        allow_none=True,
        metadata={"description": "Requests only: included | hours_bank | quote | unknown."},
    )
    user_error = Boolean(required=True, metadata={"description": 'Marked "error de usuario — facturable".'})
    billable_reason = String(required=True, allow_none=True)
    minutes_logged = Integer(required=True)
    charged_minutes = Integer(required=True)
    balance_minutes = Integer(required=True, allow_none=True)
    time_entries = List(Nested(TimeEntryOut), required=True)


class TicketDetailOut(TicketOut):
    """One ticket with its timeline and attachments."""

    description = String(required=True)
    impact = String(required=True)
    urgency = String(required=True)
    module = String(required=True, allow_none=True)
    escalation_level = Integer(required=True)
    billable = Boolean(required=True)
    billing = Nested(BillingOut, required=True, allow_none=True)
    needs_verification = Boolean(required=True)
    sla_exempt = Boolean(required=True)
    pauses = List(Nested(PauseOut), required=True)
    timeline = List(Nested(TimelineEntryOut), required=True)
    attachments = List(Nested(AttachmentOut), required=True)
    survey_rating = Integer(required=True, allow_none=True)
    survey_comment = String(required=True, allow_none=True)


class ActionResultOut(Schema):
    """The ticket after the action."""

    number = String(required=True)
    status = String(required=True)
    url = String(required=True)


class CompanyOut(Schema):
    """A customer company."""

    id = Integer(required=True)
    name = String(required=True)
    plan = String(required=True, allow_none=True)
    active = Boolean(required=True)
    open_tickets = Integer(required=True)


class CompanyIn(Schema):
    """A new company: a unique name, optionally a support plan (by name)."""

    name = text_field(200, required=True, min_length=1)
    plan = text_field(120, load_default=None, allow_none=True)
    active = Boolean(load_default=True)


class CompanyPatch(Schema):
    """Fields to change on a company (absent = unchanged)."""

    name = text_field(200, min_length=1)
    plan = text_field(120)
    active = Boolean()


class SearchQuery(Schema):
    """A text search."""

    q = text_field(200, load_default="")


class ContactQuery(SearchQuery):
    """A text search (name or e-mail) and a company."""

    company = an_id()


class ContactOut(Schema):
    """A contact; channels are "channel:address"."""

    id = Integer(required=True)
    name = String(required=True)
    email = String(required=True, allow_none=True)
    company_id = Integer(required=True, allow_none=True)
    company = String(required=True, allow_none=True)
    language = String(required=True, allow_none=True)
    verified = Boolean(required=True)
    channels = List(String(), required=True)


class ContactIn(Schema):
    """A new contact of a company; `whatsapp` (E.164, e.g. +56911111111) lets tickets be told in that chat."""

    name = text_field(200, required=True, min_length=1)
    email = text_field(254, load_default=None, allow_none=True)
    company_id = an_id(load_default=None, allow_none=True)
    language = String(load_default=None, allow_none=True, validate=OneOf(["es", "en", "pt"]))
    whatsapp = text_field(20, load_default=None, allow_none=True)


class ContactPatch(Schema):
    """Fields to change on a contact (absent = unchanged); `whatsapp` adds a number."""

    name = text_field(200, min_length=1)
    email = text_field(254)
    company_id = an_id()
    language = String(validate=OneOf(["es", "en", "pt"]))
    whatsapp = text_field(20)


class ProblemFieldError(Schema):
    """One invalid input."""

    location = String(required=True, metadata={"description": "json, query, path, form or files."})
    field = String(required=True)
    pointer = String(metadata={"description": "A JSON pointer into the request body (json only)."})
    detail = String(required=True)


class ProblemOut(Schema):
    """An error, as RFC 9457 application/problem+json."""

    type = String(required=True)
    title = String(required=True)
    status = Integer(required=True)
    detail = String(required=True)
    code = String(metadata={"description": "A stable code for programs (e.g. illegal_transition)."})
    errors = List(Nested(ProblemFieldError), metadata={"description": "Per-field errors (422 only)."})
