"""the inbox: webhooks accept verified messages with one INSERT; the worker runs their dialog turns

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 16:08:45.066976
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import intake.db.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("provider_message_id", sa.String(length=100), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", intake.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("accepted_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", intake.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint(
            "channel", "provider_message_id", name=op.f("uq_inbox_channel_provider_message_id")
        ),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_inbox_sender", ["channel", "sender", "status", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_sender")
        batch_op.drop_index("ix_inbox_due")

    op.drop_table("inbox")
