"""Customer companies as agents name them: by id or by name (case-insensitive, unambiguous), and listed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.db.models import Company, SupportPlan, Ticket
from intake.domain.lifecycle import OPEN_STATUSES

CompanyRef = int | str  # an id, or a name (or an unambiguous part of one)


class CompanyLookupError(ValueError):
    """No company, or more than one, answers to a name; the message says which."""


@dataclass(frozen=True, slots=True)
class CompanyLine:
    """A company as `intake-bot company list` shows it."""

    id: int
    name: str
    plan: str
    active: bool
    open_tickets: int


def company_id_of(session: Session, ref: CompanyRef) -> int:
    """The id of a company named by id (returned as is: unknown ids are the caller's to refuse) or by
    name: an exact case-insensitive match, else the only company whose name contains it."""
    if isinstance(ref, int):
        return ref
    text = ref.strip()
    if text.isdigit():
        return int(text)
    if not text:
        raise CompanyLookupError("an empty company name")
    exact = list(session.scalars(select(Company.id).where(func.lower(Company.name) == text.lower())))
    if len(exact) == 1:
        return exact[0]
    pattern = f"%{_escape(text.lower())}%"
    rows = session.execute(
        select(Company.id, Company.name)
        .where(func.lower(Company.name).like(pattern, escape="\\"))
        .order_by(Company.name)
    ).all()
    if not rows:
        raise CompanyLookupError(f"no company is named {text!r} (see `intake-bot company list`)")
    if len(rows) > 1:
        names = "; ".join(f"{name} (#{company_id})" for company_id, name in rows)
        raise CompanyLookupError(f"{text!r} names several companies: {names}; use the id or the full name")
    return int(rows[0][0])


def company_lines(session: Session) -> list[CompanyLine]:
    """Every company by name, with its plan and how many open tickets it has."""
    open_counts = dict(
        session.execute(
            select(Ticket.company_id, func.count(Ticket.id))
            .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
            .group_by(Ticket.company_id)
        ).all()
    )
    rows = session.execute(
        select(Company.id, Company.name, Company.active, SupportPlan.name)
        .outerjoin(SupportPlan, SupportPlan.id == Company.plan_id)
        .order_by(Company.name)
    ).all()
    return [
        CompanyLine(int(cid), name, plan or "-", bool(active), int(open_counts.get(cid, 0)))
        for cid, name, active, plan in rows
    ]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
