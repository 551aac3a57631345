"""`intake-bot ticket`: agents act on tickets from a terminal (the same use cases the chat and API use)."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from intake.bootstrap import Container
from intake.cli.common import open_container
from intake.cli.terminal import terminal_safe
from intake.services.agent_actions import ActionError, ActionResult, AgentActions, Registration
from intake.services.billing import billing_lines
from intake.services.hours_bank import format_minutes
from intake.services.ticket_views import (
    TicketDetails,
    human_size,
    local_time,
    ticket_details,
    ticket_summaries,
)
from intake.services.tracking import TrackingPages
from sla.priority import Priority

UTC_ZONE = ZoneInfo("UTC")
AGENT_OPTION = click.option("--agent", "agent_email", required=True, help="E-mail of the agent acting.")


@click.group("ticket")
def ticket_group() -> None:
    """Agents' actions on tickets: list, show, take, reply, note, ask, progress, escalate, solve, priority,
    cancel, send-file, register, billable, not-billable, log-time."""


@ticket_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include closed and cancelled tickets.")
@click.pass_context
def list_tickets(ctx: click.Context, show_all: bool) -> None:
    """List tickets, most urgent deadline first: company, contact, channel, assignee, resolution clock."""
    with _container(ctx) as container, container.session_factory() as session:
        for t in ticket_summaries(session, container.sla, container.clock(), everything=show_all):
            line = (
                f"{t.number}  {t.priority}  {t.status:<17} {t.resolution}  {t.title}\n"
                f"    {t.company} · {t.contact} · {t.channel} · module {t.module} · {t.assignee}"
            )
            click.echo(terminal_safe(line))


@ticket_group.command("show")
@click.argument("number")
@click.pass_context
def show(ctx: click.Context, number: str) -> None:
    """Show a ticket: who and where, deadlines as they stand, files, survey and audit trail."""
    with _container(ctx) as container, container.session_factory() as session:
        found = ticket_details(session, container.sla, number, container.clock())
        if found is None:
            raise click.ClickException(f"no ticket {number.strip().upper()}")
        tz = ZoneInfo(container.sla.calendar_for(session, None).timezone)
        for line in details_lines(found, tz):
            click.echo(terminal_safe(line))


def details_lines(d: TicketDetails, tz: ZoneInfo = UTC_ZONE) -> list[str]:
    """The lines of `ticket show` (time entries in `tz`)."""
    t = d.summary
    lines = [
        f"{t.number} · {t.title}",
        f"status {t.status} · {t.priority} ({d.impact}/{d.urgency}) · {d.ticket_type}",
        f"company {t.company} · contact {t.contact} · channel {t.channel} · module {t.module}",
        f"assignee {t.assignee}",
        f"response {t.response} · resolution {t.resolution}",
        d.description,
    ]
    if d.billing is not None:
        lines += billing_lines(d.billing)
        lines += [
            f"  {local_time(e.worked_at, tz)}  {e.agent} · {e.minutes} min"
            + (" · bank" if e.charged_to_bank else "")
            + f" · {e.note}"
            for e in d.billing.entries
        ]
    lines.append(f"attachments ({len(d.attachments)}):" if d.attachments else "attachments: none")
    lines += [
        f"  {a.filename} · {human_size(a.size)} · {a.status} · from {a.origin}"
        + (f" · stored at {a.stored_at}" if a.stored_at else "")
        for a in d.attachments
    ]
    if d.survey_rating is not None or d.survey_comment:
        rating = f"{d.survey_rating}/5" if d.survey_rating is not None else "no rating"
        lines.append(f"survey {rating}" + (f" · comment: {d.survey_comment}" if d.survey_comment else ""))
    else:
        lines.append("survey: no answer")
    lines += [f"  {when}  {kind:<18} {body}" for when, kind, body in d.events]
    return lines


@ticket_group.command("take")
@click.argument("number")
@AGENT_OPTION
@click.pass_context
def take(ctx: click.Context, number: str, agent_email: str) -> None:
    """Take the ticket and start the analysis (the customer is told who took it)."""
    _run(ctx, "taken", lambda actions: actions.take(number, agent_email))


@ticket_group.command("reply")
@click.argument("number")
@click.argument("message")
@AGENT_OPTION
@click.pass_context
def reply(ctx: click.Context, number: str, message: str, agent_email: str) -> None:
    """Reply publicly in the customer's chat."""
    _run(ctx, "reply sent", lambda actions: actions.reply(number, agent_email, message))


@ticket_group.command("note")
@click.argument("number")
@click.argument("note")
@AGENT_OPTION
@click.pass_context
def note(ctx: click.Context, number: str, note: str, agent_email: str) -> None:
    """Add an internal note (never sent to the customer)."""
    _run(ctx, "note added", lambda actions: actions.note(number, agent_email, note))


@ticket_group.command("ask")
@click.argument("number")
@click.argument("question")
@AGENT_OPTION
@click.pass_context
def ask(ctx: click.Context, number: str, question: str, agent_email: str) -> None:
    """Ask the customer for information (the resolution clock pauses until they answer)."""
    _run(ctx, "question sent", lambda actions: actions.ask(number, agent_email, question))


@ticket_group.command("progress")
@click.argument("number")
@click.argument("note")
@AGENT_OPTION
@click.pass_context
def progress(ctx: click.Context, number: str, note: str, agent_email: str) -> None:
    """Tell the customer how the work is going."""
    _run(ctx, "progress sent", lambda actions: actions.progress(number, agent_email, note))


@ticket_group.command("escalate")
@click.argument("number")
@click.argument("reason")
@AGENT_OPTION
@click.pass_context
def escalate(ctx: click.Context, number: str, reason: str, agent_email: str) -> None:
    """Escalate: supervisors are alerted and the customer is told."""
    _run(ctx, "escalated", lambda actions: actions.escalate(number, agent_email, reason))


@ticket_group.command("solve")
@click.argument("number")
@click.argument("summary")
@AGENT_OPTION
@click.pass_context
def solve(ctx: click.Context, number: str, summary: str, agent_email: str) -> None:
    """Propose a solution; the customer is asked to validate it in their chat."""
    _run(ctx, "solution proposed", lambda actions: actions.solve(number, agent_email, summary))


@ticket_group.command("send-file")
@click.argument("number")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--caption", default="", help="Text sent with the file.")
@AGENT_OPTION
@click.pass_context
def send_file(ctx: click.Context, number: str, path: Path, caption: str, agent_email: str) -> None:
    """Send a file (a manual, a corrected report) to the customer's chat; it is kept on the ticket."""
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    content = path.read_bytes()
    _run(
        ctx,
        f"{path.name} queued for the customer",
        lambda actions: actions.send_file(
            number, agent_email, content, path.name, content_type=content_type, caption=caption
        ),
    )


@ticket_group.command("cancel")
@click.argument("number")
@click.argument("reason")
@AGENT_OPTION
@click.pass_context
def cancel(ctx: click.Context, number: str, reason: str, agent_email: str) -> None:
    """Cancel the ticket (duplicate, withdrawn), with a reason."""
    _run(ctx, "cancelled", lambda actions: actions.cancel(number, agent_email, reason))


@ticket_group.command("priority")
@click.argument("number")
@click.argument("priority", type=click.Choice([p.value for p in Priority], case_sensitive=False))
@click.option("--reason", required=True, help="Why the priority changes (kept in the history).")
@AGENT_OPTION
@click.pass_context
def change_priority(ctx: click.Context, number: str, priority: str, reason: str, agent_email: str) -> None:
    """Change the priority; deadlines are recomputed from the opening time."""
    new = Priority(priority.upper())
    _run(ctx, f"priority {new}", lambda actions: actions.change_priority(number, agent_email, new, reason))


@ticket_group.command("register")
@click.option("--contact", "contact_id", type=click.IntRange(min=1), required=True, help="The customer's id.")
@click.option("--type", "ticket_type", type=click.Choice(["incident", "request"]), required=True)
@click.option("--description", required=True, help="The problem, in the customer's words.")
@click.option("--impact", type=click.Choice(["alto", "medio", "bajo"]), required=True)
@click.option("--urgency", type=click.Choice(["alta", "media", "baja"]), required=True)
@click.option("--module", default=None, help="The Odoo module concerned, if known.")
@AGENT_OPTION
@click.pass_context
def register(
    ctx: click.Context,
    contact_id: int,
    ticket_type: str,
    description: str,
    impact: str,
    urgency: str,
    module: str | None,
    agent_email: str,
) -> None:
    """Register a ticket on behalf of a customer (told in their chat, like a ticket opened by chat)."""
    data = Registration(contact_id, ticket_type, description, impact, urgency, module)
    _run(ctx, "registered", lambda actions: actions.register(agent_email, data))


@ticket_group.command("billable")
@click.argument("number")
@click.option("--reason", required=True, help="Why it is a user error (told to the customer).")
@AGENT_OPTION
@click.pass_context
def billable(ctx: click.Context, number: str, reason: str, agent_email: str) -> None:
    """Mark an incident "error de usuario — facturable"; the customer is told, with the reason."""
    _run(ctx, "billable (user error)", lambda actions: actions.mark_billable(number, agent_email, reason))


@ticket_group.command("not-billable")
@click.argument("number")
@click.option("--reason", required=True, help="Why it is not a user error after all (kept on the trail).")
@AGENT_OPTION
@click.pass_context
def not_billable(ctx: click.Context, number: str, reason: str, agent_email: str) -> None:
    """Undo "facturable": the customer is told there is no charge."""
    _run(ctx, "not billable", lambda actions: actions.unmark_billable(number, agent_email, reason))


@ticket_group.command("log-time")
@click.argument("number")
@click.argument("minutes", type=int)
@click.argument("note")
@AGENT_OPTION
@click.pass_context
def log_time(ctx: click.Context, number: str, minutes: int, note: str, agent_email: str) -> None:
    """Log MINUTES (1..1440) and a NOTE on a ticket; charged to the hours bank when the plan says so."""
    with _container(ctx) as container:
        try:
            logged = container.agent_actions.log_time(number, agent_email, minutes, note)
        except ActionError as exc:
            raise click.ClickException(exc.message) from None
    line = f"{number.strip().upper()}: {logged.minutes} min logged (total {logged.ticket_minutes} min)"
    if logged.charged_to_bank:
        line += f", charged to the hours bank (balance {format_minutes(logged.balance_minutes or 0)})"
    if logged.warning:
        line += (
            f"; bank {'used up' if logged.warning == 'empty' else 'running low'}: customer and agents warned"
        )
    click.echo(line)


@ticket_group.command("revoke-link")
@click.argument("number")
@click.pass_context
def revoke_link(ctx: click.Context, number: str) -> None:
    """Revoke the ticket's tracking links (the next notification carries a new one)."""
    with _container(ctx) as container:
        pages = TrackingPages(
            container.session_factory,
            container.tickets,
            container.conversations,
            container.sla,
            container.store,
            container.clock,
        )
        revoked = pages.revoke(number)
    if revoked is None:
        raise click.ClickException(f"no ticket {number}")
    click.echo(f"{number}: {revoked} tracking link(s) revoked")


def _run(ctx: click.Context, done: str, action: Callable[[AgentActions], ActionResult]) -> None:
    """Run one agent use case (it owns its transaction); a refusal becomes a clean CLI error."""
    with _container(ctx) as container:
        try:
            result = action(container.agent_actions)
        except ActionError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"{result.number}: {done}")


def _container(ctx: click.Context) -> AbstractContextManager[Container]:

    return open_container(ctx)
