"""The `intake-bot` command line: a thin shell over the same services the web app uses."""

from __future__ import annotations

import logging
import threading

import click

from intake.config import Settings, SettingsError, load_settings


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.obj.get("settings") if ctx.obj else None
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None
        ctx.ensure_object(dict)["settings"] = settings
    return settings


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """intake-bot: chat-first support desk."""
    ctx.ensure_object(dict)


@cli.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply migrations to the configured database."""
    from intake.db import upgrade

    settings = _settings(ctx)
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {_safe_url(settings.database_url)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not run the outbox worker and SLA sweeper here.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, no_worker: bool) -> None:
    """Serve the webhooks and API (development/embedded server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from intake.bootstrap import run_background_loops
    from intake.wiring import container_from_settings
    from webhooks import create_app

    settings = _settings(ctx)
    _configure_logging(settings.log_level)
    container = container_from_settings(settings)
    stop = threading.Event()
    if not no_worker:
        run_background_loops(container, stop)
    click.echo(f"intake-bot listening on http://{host}:{port}  (health: http://{host}:{port}/healthz)")
    click.echo("talk to the bot, in another terminal:  .venv/bin/intake-bot chat")
    try:
        run_simple(host, port, create_app(container), threaded=True, use_reloader=False)
    finally:
        stop.set()
        container.close()


@cli.command()
@click.option("--once", is_flag=True, help="Deliver one batch and exit.")
@click.pass_context
def worker(ctx: click.Context, once: bool) -> None:
    """Run the outbox worker and the SLA sweeper (several may run at once on PostgreSQL)."""
    from intake.bootstrap import run_background_loops
    from intake.wiring import container_from_settings

    settings = _settings(ctx)
    _configure_logging(settings.log_level)
    container = container_from_settings(settings)
    try:
        if once:
            click.echo(f"delivered {container.make_worker().run_once()} message(s)")
            return
        stop = threading.Event()
        threads = run_background_loops(container, stop)
        click.echo("worker running; Ctrl-C to stop")
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:
            stop.set()
    finally:
        container.close()


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _safe_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _register_optional_groups() -> None:
    from intake.demo import demo_group

    cli.add_command(demo_group)
    for module_name, attr in (("intake.sla_cli", "sla_group"), ("intake.telegram_cli", "telegram_group")):
        try:
            module = __import__(module_name, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        cli.add_command(getattr(module, attr))


_register_optional_groups()


def main() -> None:
    """Console-script entry point."""
    cli(obj={})
