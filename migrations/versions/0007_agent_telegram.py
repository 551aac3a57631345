"""agents in Telegram: which alert is about which ticket or chat; files agents send from Telegram

The agent's Telegram user id itself came with 0004.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import intake.db.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "agent_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), server_default=sa.text("'reply'"), nullable=False),
        sa.Column("created_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_agent_alerts_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_agent_alerts_outbox_id_outbox")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_agent_alerts_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_alerts")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_agent_alerts_outbox_id")),
    )
    op.create_table(
        "agent_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("created_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_agent_uploads_agent_id_agents")),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachments.id"], name=op.f("fk_agent_uploads_attachment_id_attachments")
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_agent_uploads_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_uploads")),
        sa.UniqueConstraint("attachment_id", name=op.f("uq_agent_uploads_attachment_id")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("agent_uploads")
    op.drop_table("agent_alerts")
