"""`intake-bot mail`: e-mail in, from an MTA pipe (`ingest`) or an IMAP mailbox (`poll`)."""

from __future__ import annotations

import signal
import sys
import threading

import click

from channels.email_imap import ImapLoginError, RetryLater
from channels.email_in import MAX_MAIL_BYTES
from intake.cli.common import configure_logging, open_container, settings_of


@click.group("mail")
def mail_group() -> None:
    """Inbound e-mail: every message opens a ticket or adds to the one it answers."""


@mail_group.command("ingest")
@click.pass_context
def ingest(ctx: click.Context) -> None:
    """Read one e-mail from stdin and open its ticket; automatic mail and duplicates are reported, exit 0."""
    raw = sys.stdin.buffer.read(MAX_MAIL_BYTES + 1)
    if not raw.strip():
        raise click.ClickException("no message on stdin")
    if len(raw) > MAX_MAIL_BYTES:  # exit 1: the MTA bounces it to the sender, nothing half-stored
        raise click.ClickException(f"message over the {MAX_MAIL_BYTES}-byte limit: refused")
    with open_container(ctx) as container:
        outcome = container.make_mail_intake().ingest(raw)
    detail = outcome.number or outcome.reason or ""
    click.echo(f"{outcome.result}: {detail}".rstrip(": "))
    for name, code in outcome.refused:
        click.echo(f"refused attachment {name}: {code}")


@mail_group.command("poll")
@click.option("--once", is_flag=True, help="One pass over the unseen messages, then exit (for cron).")
@click.pass_context
def poll(ctx: click.Context, once: bool) -> None:
    """Fetch unseen messages from the IMAP folder (IMAP_*) into tickets; then IDLE until SIGTERM."""
    settings = settings_of(ctx)
    configure_logging(settings.log_level)
    with open_container(ctx) as container:
        poller = container.make_mail_poller()
        if poller is None:
            raise click.ClickException("IMAP is not configured: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD")
        if not once:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            where = f"{settings.imap_folder} at {settings.imap_host}"
            click.echo(f"polling {where}; Ctrl-C or SIGTERM to stop", err=True)
            try:
                poller.run(stop)
            except KeyboardInterrupt:
                stop.set()
            click.echo("mail poller stopped", err=True)
            return
        try:
            mailbox = poller.connect()
        except ImapLoginError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"cannot reach the IMAP server: {type(exc).__name__}: {exc}") from None
        try:
            result = poller.poll_once(mailbox)
        except RetryLater as exc:
            raise click.ClickException(f"{exc}; the messages stay unseen for the next run") from None
        finally:
            mailbox.logout()
    click.echo(f"handled: {result.handled}, failed: {result.failed}, parked: {result.parked}")
