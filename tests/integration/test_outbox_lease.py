"""Leases: renewed while a worker lives, released on stop, taken over once expired."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import OutboxMessage
from intake.delivery.outbox import OutboxWorker
from tests.integration.test_outbox import RecordingSender
from tests.integration.test_outbox_order import _put, _telegram
from tests.support.clock import FakeClock


def _worker(factory: sessionmaker[Session], clock: FakeClock, sender: RecordingSender) -> OutboxWorker:
    return OutboxWorker(factory, {"telegram": sender}, clock=clock, lease_seconds=15)  # type: ignore[dict-item]


def test_a_renewed_lease_is_not_taken_over(session_factory: sessionmaker[Session], clock: FakeClock) -> None:
    _put(session_factory, clock(), _telegram("1", "a1"))
    owner, other = (
        _worker(session_factory, clock, RecordingSender()),
        _worker(session_factory, clock, RecordingSender()),
    )
    claim = owner.claim()
    for _ in range(4):  # a minute of sending, renewed every 10 s
        clock.advance(seconds=10)
        assert owner.renew({claim.token}) == 1
        assert other.claim().row_ids == []
    clock.advance(seconds=16)  # the owner died: no renewal, the lease runs out
    assert other.claim().row_ids == claim.row_ids


def test_released_claims_are_due_at_once_for_any_worker_and_cost_no_attempt(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    ids = _put(session_factory, clock(), _telegram("1", "a1"), _telegram("2", "b1"))
    stopping = _worker(session_factory, clock, RecordingSender())
    claim = stopping.claim()
    assert sorted(claim.row_ids) == ids
    assert stopping.release({claim.token}) == 2
    with session_factory() as session:
        rows = [session.get(OutboxMessage, row_id) for row_id in ids]
        assert all(
            r is not None and (r.status, r.claim_token, r.attempts) == ("pending", None, 0) for r in rows
        )
    sender = RecordingSender()
    assert _worker(session_factory, clock, sender).run_once() == 2  # no waiting for a lease
    assert sorted(m.text for m in sender.sent) == ["a1", "b1"]


def test_release_leaves_rows_that_another_worker_owns_alone(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    _put(session_factory, clock(), _telegram("1", "a1"))
    stale = _worker(session_factory, clock, RecordingSender())
    token = stale.claim().token
    clock.advance(seconds=16)
    new_owner = _worker(session_factory, clock, RecordingSender())
    assert new_owner.claim().row_ids != []
    assert stale.release({token}) == 0 and stale.renew({token}) == 0
