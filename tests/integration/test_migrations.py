"""Migrations: an empty database upgrades to head and matches the models exactly (both backends)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from intake.db import alembic_config
from intake.db.models import Base


def test_head_has_no_autogenerate_diff(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_database_is_at_the_single_head(engine: Engine, database_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    assert len(script.get_heads()) == 1
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == script.get_current_head()


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
