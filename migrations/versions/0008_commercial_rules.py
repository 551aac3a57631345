"""commercial rules: how a plan serves requests, time logged on tickets, hours-bank credits, billable incidents

Existing plans keep their behaviour: a plan that included requests gets rule "included", one with an
hours bank "hours_bank", any other "quote". Existing tickets take their company's current plan.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:06:12.180562
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import intake.db.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "hours_bank_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("credited_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_hours_bank_credits_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_hours_bank_credits_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_bank_credits")),
    )
    with op.batch_alter_table("hours_bank_credits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hours_bank_credits_company_id"), ["company_id"], unique=False)

    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("charged_to_bank", sa.Boolean(), nullable=False),
        sa.Column("worked_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", intake.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_time_entries_agent_id_agents")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_time_entries_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_time_entries_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index("ix_time_entries_company_worked", ["company_id", "worked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_time_entries_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("receives_reports", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )

    with op.batch_alter_table("support_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("request_rule", sa.String(length=20), server_default=sa.text("'quote'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("low_balance_minutes", sa.Integer(), server_default=sa.text("120"), nullable=False)
        )

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("billable_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_plan_id_support_plans"), "support_plans", ["plan_id"], ["id"]
        )

    op.execute(
        "UPDATE support_plans SET request_rule = CASE WHEN includes_requests THEN 'included' "
        "WHEN hours_bank_minutes > 0 THEN 'hours_bank' ELSE 'quote' END"
    )
    op.execute(
        "UPDATE tickets SET plan_id = (SELECT companies.plan_id FROM companies WHERE companies.id = tickets.company_id)"
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_plan_id_support_plans"), type_="foreignkey")
        batch_op.drop_column("plan_id")
        batch_op.drop_column("billable_reason")

    with op.batch_alter_table("support_plans", schema=None) as batch_op:
        batch_op.drop_column("low_balance_minutes")
        batch_op.drop_column("request_rule")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("receives_reports")

    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_entries_ticket_id"))
        batch_op.drop_index("ix_time_entries_company_worked")

    op.drop_table("time_entries")
    with op.batch_alter_table("hours_bank_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hours_bank_credits_company_id"))

    op.drop_table("hours_bank_credits")
