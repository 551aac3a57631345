"""tracking links: customers' hashed, revocable tokens for a ticket's tracking page

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import intake.db.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "tracking_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", intake.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_tracking_links_contact_id_contacts")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_tracking_links_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tracking_links_token_hash")),
    )
    with op.batch_alter_table("tracking_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_links_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tracking_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_links_ticket_id"))
    op.drop_table("tracking_links")
