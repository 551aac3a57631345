"""desk setup: companies' tax id, contacts' phone, agents' Telegram user id

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_id", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_companies_tax_id"), ["tax_id"])
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_contacts_phone"), ["phone"], unique=False)
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_user_id", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_agents_telegram_user_id"), ["telegram_user_id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_agents_telegram_user_id"), type_="unique")
        batch_op.drop_column("telegram_user_id")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_phone"))
        batch_op.drop_column("phone")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_companies_tax_id"), type_="unique")
        batch_op.drop_column("tax_id")
