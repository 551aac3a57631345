"""The contract's impact × urgency matrix and per-priority targets."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Impact(StrEnum):
    """How much of the customer's operation is affected (matrix columns)."""

    HIGH = "alto"
    MEDIUM = "medio"
    LOW = "bajo"


class Urgency(StrEnum):
    """How soon the customer needs the solution (matrix rows)."""

    HIGH = "alta"
    MEDIUM = "media"
    LOW = "baja"


class Priority(StrEnum):
    """Ticket priority, P1 most urgent."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"


_MATRIX: dict[Urgency, dict[Impact, Priority]] = {
    Urgency.HIGH: {Impact.HIGH: Priority.P1, Impact.MEDIUM: Priority.P2, Impact.LOW: Priority.P3},
    Urgency.MEDIUM: {Impact.HIGH: Priority.P2, Impact.MEDIUM: Priority.P3, Impact.LOW: Priority.P4},
    Urgency.LOW: {Impact.HIGH: Priority.P3, Impact.MEDIUM: Priority.P4, Impact.LOW: Priority.P5},
}


def priority_for(impact: Impact, urgency: Urgency) -> Priority:
    """Derive the priority from the contract's matrix (urgency rows × impact columns)."""
    return _MATRIX[urgency][impact]


@dataclass(frozen=True, slots=True)
class Budget:
    """A time budget: business minutes, or whole business days (same clock time N open days later)."""

    minutes: int = 0
    business_days: int = 0

    def __post_init__(self) -> None:
        if (self.minutes > 0) == (self.business_days > 0) or self.minutes < 0 or self.business_days < 0:
            raise ValueError("a budget is either a positive number of minutes or of business days")


@dataclass(frozen=True, slots=True)
class Target:
    """Response and resolution budgets for one priority."""

    response: Budget
    resolution: Budget


DEFAULT_TARGETS: dict[Priority, Target] = {
    Priority.P1: Target(Budget(minutes=30), Budget(minutes=6 * 60)),
    Priority.P2: Target(Budget(minutes=45), Budget(minutes=8 * 60)),
    Priority.P3: Target(Budget(minutes=60), Budget(minutes=24 * 60)),
    Priority.P4: Target(Budget(minutes=4 * 60), Budget(business_days=3)),
    Priority.P5: Target(Budget(minutes=8 * 60), Budget(business_days=5)),
}
