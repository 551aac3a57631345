"""``intake-bot report``: the monthly service report, shown, written as PDF or CSV, or e-mailed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from intake.cli.common import open_container
from intake.cli.terminal import terminal_safe

if TYPE_CHECKING:  # imported when a command runs, so `intake-bot --help` stays light
    from intake.bootstrap import Container
    from intake.domain.report import MonthlyReport

T = TypeVar("T")
MONTH = click.option("--month", help="The month, YYYY-MM (desk time zone); default: the previous month.")
COMPANY = click.option("--company", help="A company, by id or name; default: the whole desk.")
LANG = click.option(
    "--lang", type=click.Choice(["es", "en", "pt"]), default="es", show_default=True, help="Report language."
)


@click.group(name="report")
def report_group() -> None:
    """The monthly service report: SLA per priority, breaches, backlog, surveys, hours."""


@report_group.command("show")
@MONTH
@COMPANY
@click.pass_context
def show(ctx: click.Context, month: str | None, company: str | None) -> None:
    """Print the month's figures for a company or the whole desk."""
    report = _run(ctx, lambda c: c.reports.report(c.reports.month(month), company))
    click.echo(terminal_safe(render_text(report)))  # titles and notes are customers' and agents' text


@report_group.command("pdf")
@MONTH
@COMPANY
@LANG
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def pdf(ctx: click.Context, month: str | None, company: str | None, lang: str, output: Path) -> None:
    """Write the report as a PDF."""
    from intake.services.report_output import report_pdf

    report = _run(ctx, lambda c: c.reports.report(c.reports.month(month), company))
    _write(output, report_pdf(report, lang))
    click.echo(f"wrote {output}")


@report_group.command("csv")
@MONTH
@COMPANY
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def csv_command(ctx: click.Context, month: str | None, company: str | None, output: Path) -> None:
    """Write the report as CSV: one row per company × priority (without --company: every company, then
    the whole desk)."""
    from intake.services.report_output import report_csv

    def reports(c: Container) -> list[MonthlyReport]:
        chosen = c.reports.month(month)
        if company:
            return [c.reports.report(chosen, company)]
        desk, per_company = c.reports.all_reports(chosen)
        return [*per_company, desk]

    _write(output, report_csv(_run(ctx, reports)).encode())
    click.echo(f"wrote {output}")


@report_group.command("send")
@MONTH
@COMPANY
@click.option("--force", is_flag=True, help="Send again to contacts who already got this month's report.")
@click.pass_context
def send(ctx: click.Context, month: str | None, company: str | None, force: bool) -> None:
    """E-mail each company's PDF to its report contacts (queued; the worker delivers them)."""
    summary = _run(ctx, lambda c: c.report_mailer.send(c.reports.month(month), company=company, force=force))
    for name, address in summary.queued:
        click.echo(f"queued {summary.month} report of {name} to {address}")
    for name, address in summary.already_sent:
        click.echo(f"already sent {summary.month} report of {name} to {address} (use --force to resend)")
    for name in summary.without_contacts:
        click.echo(f"no report contact with an e-mail: {name}")
    click.echo(
        f"{len(summary.queued)} e-mail(s) queued, {len(summary.already_sent)} already sent, "
        f"{len(summary.without_contacts)} compan(y/ies) without report contacts"
    )


def render_text(report: MonthlyReport) -> str:
    """The figures as a plain-text table (English; the CLI is the operator's)."""
    from intake.services.report_output import history_line

    title = report.company if report.company_id is not None else "whole desk"
    lines = [f"Monthly service report {report.month.label} — {title} ({report.month.tz.key})", ""]
    lines.append(
        f"{'':6}{'open':>5}{'clos':>5}{'exm':>4}{'resp%':>14}{'resol%':>14}{'r.med':>7}{'r.p90':>7}"
        f"{'s.med':>7}{'s.p90':>7}  {'backlog':<12}{'reopen':>13}{'survey':>13}{'hours':>14}"
    )
    for row in report.rows:
        survey = f"{_h(row.survey_average)} ({row.surveys_answered}/{row.surveys_sent})"
        hours = f"{_h(row.minutes_used / 60)} ({_h(row.minutes_charged / 60)})"
        lines.append(
            f"{row.priority:6}{row.opened:>5}{row.closed:>5}{row.exempt:>4}"
            f"{_pct(row.response_pct, row.response_met, row.response_measured):>14}"
            f"{_pct(row.resolution_pct, row.resolution_met, row.resolution_measured):>14}"
            f"{_h(row.response_median_hours):>7}{_h(row.response_p90_hours):>7}"
            f"{_h(row.resolution_median_hours):>7}{_h(row.resolution_p90_hours):>7}  "
            f"{'/'.join(str(n) for n in row.backlog):<12}"
            f"{_pct(row.reopen_pct, row.reopened, row.solutions):>13}{survey:>13}{hours:>14}"
        )
    lines += ["", "backlog = open at month end, 0-2/3-7/8-30/>30 days; hours: used (charged to the bank)", ""]
    lines.append(f"Breaches ({len(report.breaches)}):")
    for b in report.breaches:
        state = ", still open" if b.still_open else ""
        lines.append(
            f"  {b.number} {b.priority} {b.clock}: {b.elapsed_hours:.2f} h of {b.target_hours:.2f} h{state}"
            f" — {b.company} — {b.title}"
        )
        lines += [f"      {history_line(note, 'en', report)}" for note in b.reasons]
    bank = report.bank
    lines += [
        "",
        f"Hours bank at month end: credited {bank.credited / 60:.2f} h, charged {bank.charged / 60:.2f} h, "
        f"balance {bank.balance / 60:.2f} h",
    ]
    return "\n".join(lines)


def _pct(value: float | None, part: int, whole: int) -> str:
    return f"{'-' if value is None else f'{value:.1f}%'} ({part}/{whole})"


def _h(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None


def _run(ctx: click.Context, action: Callable[[Container], T]) -> T:
    """Run one report use case; a refusal (bad month, unknown company, no SMTP) is a clean CLI error."""
    from intake.domain.report import ReportError

    with open_container(ctx) as container:
        try:
            return action(container)
        except ReportError as exc:
            raise click.ClickException(str(exc)) from None
