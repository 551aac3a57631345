"""What every `intake-bot` command shares: settings, a wired container, logging."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from intake.bootstrap import Container
from intake.config import Settings, SettingsError, load_settings


def settings_of(ctx: click.Context) -> Settings:
    return settings_from(ctx.ensure_object(dict))


def settings_from(obj: dict[str, object]) -> Settings:
    """Load settings once per invocation, turning a bad value into a clean CLI error."""
    settings = obj.get("settings")
    if not isinstance(settings, Settings):
        try:
            settings = load_settings()
        except SettingsError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None
        obj["settings"] = settings
    return settings


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def safe_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def container_or_fail(
    settings: Settings, *, migrated: bool = False, clock: Callable[[], datetime] | None = None
) -> Container:
    """Wire the application, turning a configuration problem (or, with `migrated`, a database that is
    not at the newest migration) into a clean CLI error."""
    from intake.db import check_schema
    from intake.wiring import container_from_settings

    try:
        container = container_from_settings(settings, clock)
    except SettingsError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    if migrated:
        try:
            check_schema(container.engine)
        except RuntimeError as exc:
            container.close()
            raise click.ClickException(str(exc)) from None
    return container


@contextmanager
def open_container(ctx: click.Context) -> Iterator[Container]:
    """A wired container for one CLI command, closed when the command ends."""
    container = container_or_fail(settings_of(ctx))
    try:
        yield container
    finally:
        container.close()
