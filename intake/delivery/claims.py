"""One statement that leases the due head of each chat: the outbox's sends and the inbox's turns.

The delivery loops claim on every wake-up (a commit, a finished send), so the claim is the hottest
statement a worker runs, most of the time finding nothing. It is therefore written once, as SQL
text, and executed as one `UPDATE … RETURNING` (one round trip; no ORM objects, no statement
building or cache-key traversal per call: that was ~40 % of a busy worker's CPU, issue 16).

A row is due when it is pending and its next attempt is due, or when it is leased and the lease
has expired (its worker died). Only the oldest unfinished row of a chat is claimable: a row waiting
for a retry, or in flight elsewhere, holds the rows behind it in that chat and no other. On
PostgreSQL the candidates are locked `FOR UPDATE … SKIP LOCKED`, so concurrent workers never claim
the same row and never wait for each other; SQLite has a single writer and needs no row locks.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Table, bindparam, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TextualSelect

from intake.db.models import Base, UTCDateTime

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _literal_names(values: Collection[str]) -> str:
    """A SQL list of fixed internal names (channels, statuses); refuses anything but identifiers."""
    for value in values:
        if not _NAME.match(value):
            raise ValueError(f"not an internal name: {value!r}")
    return ", ".join(f"'{value}'" for value in sorted(values))


@dataclass(frozen=True)
class HeadClaim:
    """The claim statement of one queue table, for both dialects."""

    model: type[Base]
    chat_columns: tuple[str, str]  # what makes a chat: (channel, recipient) or (channel, sender)
    pending: str
    working: str
    order_by: str  # columns of the candidate `h`, e.g. "h.id"
    returning: Sequence[str] = ("id",)
    channels: Collection[str] | None = None  # only rows of these channels (None: any)
    conversation_ids: Collection[int] | None = None  # only these conversations, and rows of none

    @property
    def table(self) -> Table:
        """The model's table."""
        return self.model.metadata.tables[self.model.__tablename__]

    def __post_init__(self) -> None:
        """Every name put into the SQL is an internal identifier (checked, never user input)."""
        order = [part.strip().removeprefix("h.") for part in self.order_by.split(",")]
        names = [self.table.name, *self.chat_columns, self.pending, self.working, *self.returning, *order]
        _literal_names(names)

    def statement(self, dialect: str) -> TextualSelect:
        """The `UPDATE … RETURNING` for `dialect` (postgresql locks the candidates, skipping locked ones)."""
        name = self.table.name
        first, second = self.chat_columns
        unfinished = _literal_names([self.pending, self.working])
        filters = [
            f"((h.status = '{self.pending}' AND h.next_attempt_at <= :now)"
            f" OR (h.status = '{self.working}' AND h.locked_until <= :now))",
            f"NOT EXISTS (SELECT 1 FROM {name} o WHERE o.{first} = h.{first}"  # noqa: S608 (checked names)
            f" AND o.{second} = h.{second} AND o.status IN ({unfinished}) AND o.id < h.id)",
        ]
        if self.channels is not None:
            filters.append(f"h.channel IN ({_literal_names(self.channels)})")
        if self.conversation_ids is not None:
            ids = ", ".join(str(int(i)) for i in sorted(self.conversation_ids)) or "NULL"
            filters.append(f"(h.conversation_id IS NULL OR h.conversation_id IN ({ids}))")
        lock = " FOR UPDATE OF h SKIP LOCKED" if dialect == "postgresql" else ""
        # Only checked internal names are interpolated (__post_init__); every value is bound.
        sql = (
            f"UPDATE {name} SET status = '{self.working}', claim_token = :token, locked_until = :until"  # noqa: S608
            f" WHERE id IN (SELECT h.id FROM {name} h WHERE {' AND '.join(filters)}"
            f" ORDER BY {self.order_by} LIMIT :limit{lock})"
            f" RETURNING {', '.join(self.returning)}"
        )
        columns = self.table.c
        return (
            text(sql)
            .bindparams(
                bindparam("now", type_=UTCDateTime()),
                bindparam("until", type_=UTCDateTime()),
                bindparam("token", type_=String()),
                bindparam("limit", type_=Integer()),
            )
            .columns(*(columns[c] for c in self.returning))
        )


class ClaimRunner:
    """Runs a `HeadClaim` in a session, its statement built once per dialect."""

    def __init__(self, claim: HeadClaim) -> None:
        self.claim = claim
        self._statements: dict[str, TextualSelect] = {}

    def run(self, session: Session, *, now: datetime, until: datetime, token: str, limit: int) -> list[Any]:
        """Lease up to `limit` chat heads to `token` until `until`; the returned rows, sorted by id."""
        dialect = session.get_bind().dialect.name
        statement = self._statements.get(dialect)
        if statement is None:
            statement = self._statements[dialect] = self.claim.statement(dialect)
        params: Mapping[str, Any] = {"now": now, "until": until, "token": token, "limit": limit}
        return sorted(session.execute(statement, params).all(), key=lambda row: int(row[0]))
