"""The ticket lifecycle as a pure state machine (ITIL-like), with a table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    """Where a ticket is in its life."""

    NEW = "new"
    IN_ANALYSIS = "in_analysis"
    WAITING_CUSTOMER = "waiting_customer"
    IN_PROGRESS = "in_progress"
    SOLUTION_PROPOSED = "solution_proposed"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = TicketStatus

ALLOWED_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.IN_ANALYSIS, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.CANCELLED}),
    S.IN_ANALYSIS: frozenset({S.IN_PROGRESS, S.WAITING_CUSTOMER, S.SOLUTION_PROPOSED, S.CANCELLED}),
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.IN_ANALYSIS, S.SOLUTION_PROPOSED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.WAITING_CUSTOMER, S.SOLUTION_PROPOSED, S.CANCELLED}),
    S.SOLUTION_PROPOSED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.WAITING_CUSTOMER, S.SOLUTION_PROPOSED, S.CANCELLED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

OPEN_STATUSES = frozenset(s for s in TicketStatus if s not in {S.CLOSED, S.CANCELLED})
# The resolution clock does not run while the ball is in the customer's court.
PAUSED_STATUSES = frozenset({S.WAITING_CUSTOMER, S.SOLUTION_PROPOSED})


class IllegalTransitionError(ValueError):
    """A ticket was asked to move to a status its current status does not lead to."""

    def __init__(self, current: TicketStatus, target: TicketStatus) -> None:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none (final status)"
        super().__init__(f"cannot move a ticket from {current} to {target}; allowed: {allowed}")
        self.current = current
        self.target = target


def can_transition(current: TicketStatus, target: TicketStatus) -> bool:
    """Tell whether the lifecycle allows current → target."""
    return target in ALLOWED_TRANSITIONS[current]


def transition(current: TicketStatus, target: TicketStatus) -> TicketStatus:
    """Return the target status, or raise IllegalTransitionError."""
    if not can_transition(current, target):
        raise IllegalTransitionError(current, target)
    return target
