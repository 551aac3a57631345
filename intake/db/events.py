"""One way to append to a ticket's audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from intake.db.models import TicketEvent
from intake.domain.events import Actor, EventKind


def record_event(
    session: Session,
    ticket_id: int,
    kind: EventKind,
    actor: Actor,
    body: str,
    *,
    now: datetime,
    agent_id: int | None = None,
    visible: bool = False,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Add one event to a ticket's audit trail, in the caller's transaction."""
    event = TicketEvent(
        ticket_id=ticket_id,
        kind=str(kind),
        actor=str(actor),
        body=body,
        data=data,
        agent_id=agent_id,
        visible_to_customer=visible,
        created_at=now,
    )
    session.add(event)
    return event
