"""console auth: agents' role, password hash, language, session epoch; the audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import intake.db.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), server_default=sa.text("'agent'"), nullable=False))
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=5), server_default=sa.text("'es'"), nullable=False))
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("last_sign_in_at", intake.db.models.UTCDateTime(timezone=True), nullable=True))
    # Supervisors keep their rights under the new role column.
    op.execute("UPDATE agents SET role = 'supervisor' WHERE is_supervisor")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=254), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("created_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_audit_log_agent_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_created_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_agent_id"))
    op.drop_table("audit_log")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("language")
        batch_op.drop_column("password_hash")
        batch_op.drop_column("role")
