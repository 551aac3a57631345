"""Alembic migrations for intake-bot."""
