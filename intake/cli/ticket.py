"""`intake-bot ticket`: agents act on tickets from a terminal (the same use cases the chat and API use)."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.bootstrap import Container
from intake.cli.common import open_container
from intake.db.models import Agent, Ticket, TicketEvent
from intake.domain.lifecycle import OPEN_STATUSES, IllegalTransitionError
from intake.services.tickets import TicketError
from sla.priority import Priority

Action = Callable[[Container, Session, Ticket, Agent, datetime], None]
AGENT_OPTION = click.option("--agent", "agent_email", required=True, help="E-mail of the agent acting.")


@click.group("ticket")
def ticket_group() -> None:
    """Agents' actions on tickets: list, show, take, ask, progress, escalate, solve, priority, cancel."""


@ticket_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include closed and cancelled tickets.")
@click.pass_context
def list_tickets(ctx: click.Context, show_all: bool) -> None:
    """List tickets, most urgent deadline first."""
    with _container(ctx) as container, container.session_factory() as session:
        query = select(Ticket).order_by(Ticket.resolution_due)
        if not show_all:
            query = query.where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        for t in session.scalars(query):
            due = _local(container, session, t, t.resolution_due)
            click.echo(f"{t.number}  {t.priority}  {t.status:<17} due {due}  {t.title}")


@ticket_group.command("show")
@click.argument("number")
@click.pass_context
def show(ctx: click.Context, number: str) -> None:
    """Show a ticket with its deadlines and audit trail."""
    with _container(ctx) as container, container.session_factory() as session:
        t = _find(session, number)
        click.echo(f"{t.number} · {t.title}")
        click.echo(f"status {t.status} · {t.priority} ({t.impact}/{t.urgency}) · {t.ticket_type}")
        click.echo(
            f"response due {_local(container, session, t, t.response_due)} · "
            f"resolution due {_local(container, session, t, t.resolution_due)}"
            + (" · SLA exempt" if t.sla_exempt else "")
        )
        click.echo(t.description)
        for event in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)
        ):
            click.echo(f"  {_local(container, session, t, event.created_at)}  {event.kind:<18} {event.body}")


@ticket_group.command("take")
@click.argument("number")
@AGENT_OPTION
@click.pass_context
def take(ctx: click.Context, number: str, agent_email: str) -> None:
    """Take the ticket and start the analysis (the customer is told who took it)."""
    _run(ctx, number, agent_email, "taken", lambda c, s, t, a, now: c.tickets.take(s, t, a, now=now))


@ticket_group.command("ask")
@click.argument("number")
@click.argument("question")
@AGENT_OPTION
@click.pass_context
def ask(ctx: click.Context, number: str, question: str, agent_email: str) -> None:
    """Ask the customer for information (the resolution clock pauses until they answer)."""
    _run(
        ctx,
        number,
        agent_email,
        "question sent",
        lambda c, s, t, a, now: c.tickets.request_info(s, t, a, question, now=now),
    )


@ticket_group.command("progress")
@click.argument("number")
@click.argument("note")
@AGENT_OPTION
@click.pass_context
def progress(ctx: click.Context, number: str, note: str, agent_email: str) -> None:
    """Tell the customer how the work is going."""
    _run(
        ctx,
        number,
        agent_email,
        "progress sent",
        lambda c, s, t, a, now: c.tickets.post_progress(s, t, a, note, now=now),
    )


@ticket_group.command("escalate")
@click.argument("number")
@click.argument("reason")
@AGENT_OPTION
@click.pass_context
def escalate(ctx: click.Context, number: str, reason: str, agent_email: str) -> None:
    """Escalate: supervisors are alerted and the customer is told."""
    _run(
        ctx,
        number,
        agent_email,
        "escalated",
        lambda c, s, t, a, now: c.tickets.escalate(s, t, reason, now=now, agent=a),
    )


@ticket_group.command("solve")
@click.argument("number")
@click.argument("summary")
@AGENT_OPTION
@click.pass_context
def solve(ctx: click.Context, number: str, summary: str, agent_email: str) -> None:
    """Propose a solution; the customer is asked to validate it in their chat."""
    _run(
        ctx,
        number,
        agent_email,
        "solution proposed",
        lambda c, s, t, a, now: c.conversations.propose_solution(s, t, a, summary, now=now),
    )


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

    def action(c: Container, s: Session, t: Ticket, a: Agent, now: datetime) -> None:
        stored = c.store.put(content, content_type, path.name)
        c.tickets.send_file(
            s,
            t,
            a,
            stored,
            c.store.relative(stored),
            filename=path.name,
            content_type=content_type,
            caption=caption,
            now=now,
        )

    _run(ctx, number, agent_email, f"{path.name} queued for the customer", action)


@ticket_group.command("cancel")
@click.argument("number")
@click.argument("reason")
@AGENT_OPTION
@click.pass_context
def cancel(ctx: click.Context, number: str, reason: str, agent_email: str) -> None:
    """Cancel the ticket (duplicate, withdrawn), with a reason."""
    _run(
        ctx,
        number,
        agent_email,
        "cancelled",
        lambda c, s, t, a, now: c.tickets.cancel(s, t, reason, now=now, agent=a),
    )


@ticket_group.command("priority")
@click.argument("number")
@click.argument("priority", type=click.Choice([p.value for p in Priority], case_sensitive=False))
@click.option("--reason", required=True, help="Why the priority changes (kept in the history).")
@AGENT_OPTION
@click.pass_context
def change_priority(ctx: click.Context, number: str, priority: str, reason: str, agent_email: str) -> None:
    """Change the priority; deadlines are recomputed from the opening time."""

    new = Priority(priority.upper())
    _run(
        ctx,
        number,
        agent_email,
        f"priority {new}",
        lambda c, s, t, a, now: c.tickets.change_priority(s, t, new, reason, now=now, agent=a),
    )


def _run(ctx: click.Context, number: str, agent_email: str, done: str, action: Action) -> None:
    """Run one agent action in one transaction, locking the ticket like every other writer."""
    with _container(ctx) as container:
        try:
            with container.transaction() as session:
                ticket = container.tickets.lock(session, number.upper())
                if ticket is None:
                    raise click.ClickException(f"no ticket {number.upper()}")
                agent = session.scalar(select(Agent).where(Agent.email == agent_email.lower(), Agent.active))
                if agent is None:
                    raise click.ClickException(f"no active agent with e-mail {agent_email}")
                action(container, session, ticket, agent, container.clock())
        except (TicketError, IllegalTransitionError) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{number.upper()}: {done}")


def _container(ctx: click.Context) -> AbstractContextManager[Container]:

    return open_container(ctx)


def _find(session: Session, number: str) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.number == number.upper()))
    if ticket is None:
        raise click.ClickException(f"no ticket {number.upper()}")
    return ticket


def _local(container: Container, session: Session, ticket: Ticket, instant: datetime) -> str:
    tz = ZoneInfo(container.sla.calendar_for(session, ticket.company_id).timezone)
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")
