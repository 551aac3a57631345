"""The stored vocabularies of the audit trail and the outbox, as enums (values are the stored strings)."""

from __future__ import annotations

from enum import StrEnum


class OutboxStatus(StrEnum):
    """Where an outbox row is in its delivery."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    HELD = "held"  # WhatsApp: waits for the customer's 24-hour window to reopen
    DEAD = "dead"


class Actor(StrEnum):
    """Who did something to a ticket (ticket events) or wrote a message (transcript authors)."""

    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"
    BOT = "bot"


class EventKind(StrEnum):
    """What happened to a ticket (one row of its audit trail)."""

    CREATED = "created"
    STATUS = "status"
    TAKEN = "taken"
    AGENT_REPLY = "agent_reply"
    NOTE = "note"
    INFO_REQUESTED = "info_requested"
    PROGRESS = "progress"
    ESCALATED = "escalated"
    SOLUTION_PROPOSED = "solution_proposed"
    AGENT_FILE = "agent_file"
    PRIORITY_CHANGED = "priority_changed"
    CANCELLED = "cancelled"
    CUSTOMER_REPLY = "customer_reply"
    CUSTOMER_EDIT = "customer_edit"
    VALIDATED = "validated"
    AUTO_CLOSED = "auto_closed"
    REOPENED = "reopened"
    SURVEY_ANSWERED = "survey_answered"
    AGENT_ALERT = "agent_alert"
    CONTINGENCY_STARTED = "contingency_started"
    CONTINGENCY_ENDED = "contingency_ended"
    ATTACHMENT_STORED = "attachment_stored"
    ATTACHMENT_REFUSED = "attachment_refused"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERY_REROUTED = "delivery_rerouted"
    CUSTOMER_UNREACHABLE = "customer_unreachable"
    # issue 15: commercial rules
    BILLABLE_MARKED = "billable_marked"
    BILLABLE_UNMARKED = "billable_unmarked"
    TIME_LOGGED = "time_logged"
