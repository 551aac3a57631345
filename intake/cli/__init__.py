"""The `intake-bot` command line: a thin shell over the same services the web app uses."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import click

from intake.cli.agent import agent_group
from intake.cli.common import configure_logging, container_or_fail, safe_url, settings_from, settings_of
from intake.cli.company import company_group
from intake.cli.contact import contact_group
from intake.cli.contingency import contingency_group
from intake.cli.customers import customers_group
from intake.cli.demo import demo_group
from intake.cli.handoff import handoff_group
from intake.cli.inbox import inbox_group
from intake.cli.mail import mail_group
from intake.cli.report import report_group
from intake.cli.sla import sla_group
from intake.cli.telegram import telegram_group
from intake.cli.ticket import ticket_group
from intake.cli.token import token_group
from intake.config import SettingsError


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

    settings = settings_of(ctx)
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {safe_url(settings.database_url)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--no-worker", is_flag=True, help="Do not run the worker here (dialog turns, outbox, SLA sweeper)."
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, no_worker: bool) -> None:
    """Serve the webhooks and API (development/embedded server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from intake.bootstrap import run_background_loops
    from webhooks import create_app

    settings = settings_of(ctx)
    configure_logging(settings.log_level)
    container = container_or_fail(settings, migrated=True)
    stop = threading.Event()
    threads = [] if no_worker else run_background_loops(container, stop)
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C: the worker releases its claims
    click.echo(f"intake-bot listening on http://{host}:{port}  (health: http://{host}:{port}/healthz)")
    click.echo("talk to the bot, in another terminal:  .venv/bin/intake-bot chat")
    if no_worker and container.inbox is not None:
        click.echo("note: webhooks only accept messages here; run `intake-bot worker` to answer them")
    try:
        run_simple(host, port, create_app(container), threaded=True, use_reloader=False)
    finally:
        stop.set()
        _join(threads, settings.outbox_stop_grace_seconds + 5)
        container.close()


@cli.command()
@click.option("--once", is_flag=True, help="Deliver one batch and exit.")
@click.pass_context
def worker(ctx: click.Context, once: bool) -> None:
    """Run the outbox worker and the SLA sweeper (several may run at once on PostgreSQL)."""
    from intake.bootstrap import run_background_loops

    settings = settings_of(ctx)
    configure_logging(settings.log_level)
    if not once and settings.worker_nice:
        os.nice(settings.worker_nice)  # before any thread starts: every thread inherits it
    container = container_or_fail(settings)
    try:
        if once:
            click.echo(f"ran {container.run_jobs_once()} background job(s): sweeps, downloads, deliveries")
            return
        stop = threading.Event()
        # Both stop the same way, also when SIGINT was inherited ignored (a worker started in the
        # background by a script): Python then never raises KeyboardInterrupt for Ctrl-C.
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, lambda *_: stop.set())
        threads = run_background_loops(container, stop)
        click.echo("worker running; Ctrl-C or SIGTERM to stop", err=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            stop.set()
        _join(threads, settings.outbox_stop_grace_seconds + 5)
        click.echo("worker stopped", err=True)
    finally:
        container.close()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM handler for the embedded server: leave like Ctrl-C does."""
    raise KeyboardInterrupt


def _join(threads: list[threading.Thread], seconds: float) -> None:
    """Wait up to `seconds` in all for the background threads to finish (claims released)."""
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


@cli.command()
@click.option(
    "--as",
    "address",
    default="+56911111111",
    show_default=True,
    help="Who you are: a WhatsApp number or a Telegram user id.",
)
@click.option(
    "--channel",
    type=click.Choice(["whatsapp", "telegram"]),
    default="whatsapp",
    show_default=True,
    help="Which channel identity to use (replies are shown here, never sent to a provider).",
)
@click.option(
    "--lang", type=click.Choice(["es", "en", "pt"]), default=None, help="Language of the customer's app."
)
@click.option(
    "--at",
    default=None,
    help='Start the simulated clock at this time, in the customer\'s zone: "2026-12-04 16:00".',
)
@click.option("--poll-seconds", type=float, default=2.0, hidden=True, help="0 turns polling off.")
@click.pass_context
def chat(
    ctx: click.Context, address: str, channel: str, lang: str | None, at: str | None, poll_seconds: float
) -> None:
    """Talk to the bot as a customer in this terminal (same service and database as `serve`)."""
    from intake.cli.chat import run_chat

    run_chat(settings_of(ctx), address, channel, lang, at=at, poll_seconds=poll_seconds)


def _telegram_config_factory(obj: dict[str, object]) -> Callable[[], object]:
    """Build the Telegram adapter's config from settings when a telegram command needs it."""

    def build() -> object:
        from intake.wiring import telegram_config

        settings = settings_from(obj)
        if not settings.telegram_enabled:
            raise click.ClickException("TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET must be set")
        try:
            return telegram_config(settings)
        except SettingsError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None

    return build


cli.add_command(agent_group)
cli.add_command(company_group)
cli.add_command(contact_group)
cli.add_command(contingency_group)
cli.add_command(customers_group)
cli.add_command(demo_group)
cli.add_command(handoff_group)
cli.add_command(inbox_group)
cli.add_command(mail_group)
cli.add_command(report_group)
cli.add_command(sla_group)
cli.add_command(telegram_group)
cli.add_command(ticket_group)
cli.add_command(token_group)


def main() -> None:
    """Console-script entry point."""
    obj: dict[str, object] = {}
    obj["telegram_config"] = _telegram_config_factory(obj)
    cli(obj=obj)
