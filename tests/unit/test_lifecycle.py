"""The ticket lifecycle table: every allowed transition works, forbidden ones raise a clear error."""

from __future__ import annotations

import itertools

import pytest

from intake.domain.lifecycle import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    IllegalTransitionError,
    TicketStatus,
    can_transition,
    transition,
)

S = TicketStatus
ALLOWED = [(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in sorted(targets)]
FORBIDDEN = [
    (a, b) for a, b in itertools.product(TicketStatus, TicketStatus) if b not in ALLOWED_TRANSITIONS[a]
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_allowed_transition(current: TicketStatus, target: TicketStatus) -> None:
    assert can_transition(current, target)
    assert transition(current, target) is target


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_every_forbidden_transition_raises(current: TicketStatus, target: TicketStatus) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransitionError) as info:
        transition(current, target)
    assert str(current) in str(info.value) and str(target) in str(info.value)


def test_the_contract_path_is_allowed_end_to_end() -> None:
    path = [
        S.NEW,
        S.IN_ANALYSIS,
        S.WAITING_CUSTOMER,
        S.IN_PROGRESS,
        S.WAITING_CUSTOMER,
        S.IN_PROGRESS,
        S.SOLUTION_PROPOSED,
        S.REOPENED,
        S.IN_PROGRESS,
        S.SOLUTION_PROPOSED,
        S.CLOSED,
    ]
    status = path[0]
    for nxt in path[1:]:
        status = transition(status, nxt)
    assert status is S.CLOSED


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NEW, S.CLOSED),
        (S.CLOSED, S.REOPENED),
        (S.CANCELLED, S.NEW),
        (S.IN_PROGRESS, S.CLOSED),
        (S.SOLUTION_PROPOSED, S.IN_PROGRESS),
        (S.NEW, S.SOLUTION_PROPOSED),
    ],
)
def test_sample_of_forbidden_transitions(current: TicketStatus, target: TicketStatus) -> None:
    with pytest.raises(IllegalTransitionError, match="cannot move a ticket"):
        transition(current, target)


def test_final_statuses_lead_nowhere_and_are_not_open() -> None:
    for final in (S.CLOSED, S.CANCELLED):
        assert ALLOWED_TRANSITIONS[final] == frozenset()
        assert final not in OPEN_STATUSES
        with pytest.raises(IllegalTransitionError, match="final status"):
            transition(final, S.IN_PROGRESS)


def test_every_open_status_can_still_reach_closed() -> None:
    for start in OPEN_STATUSES:
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in ALLOWED_TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert S.CLOSED in seen, start


# --- the stored vocabularies next to the lifecycle -------------------------------------------------


def test_stored_vocabularies_keep_their_strings_and_fit_their_columns() -> None:
    from intake.db.models import Message, OutboxMessage, TicketEvent
    from intake.domain.events import Actor, EventKind, OutboxStatus

    assert [s.value for s in OutboxStatus] == ["pending", "sending", "sent", "held", "dead"]
    assert {a.value for a in Actor} == {"customer", "agent", "system", "bot"}
    assert EventKind.SOLUTION_PROPOSED.value == "solution_proposed"
    assert EventKind.AGENT_ALERT.value == "agent_alert"

    def width(model: type, column: str) -> int:
        return int(model.__table__.c[column].type.length)  # type: ignore[attr-defined]

    widths = {
        OutboxStatus: width(OutboxMessage, "status"),
        EventKind: width(TicketEvent, "kind"),
        Actor: min(width(TicketEvent, "actor"), width(Message, "author")),
    }
    for enum, limit in widths.items():
        assert all(len(member.value) <= limit for member in enum), enum
