"""The monthly service report in the console: month and company pickers, the figures with their charts
(the same HTML section the PDF is made of), and the PDF and CSV downloads (issue 15)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import login_required
from markupsafe import Markup

from intake.domain.report import Month, MonthlyReport, ReportError
from intake.services.report_output import pdf_filename, report_csv, report_pdf, report_section
from web.i18n import agent_language
from web.services import services


def register(bp: Blueprint) -> None:
    """Attach the report views (every signed-in agent: agents, supervisors, admins)."""
    bp.add_url_rule("/reports", "reports", login_required(reports_page))
    bp.add_url_rule("/reports/report.pdf", "report_pdf", login_required(download_pdf))
    bp.add_url_rule("/reports/report.csv", "report_csv", login_required(download_csv))


def reports_page() -> Any:
    """The report of the chosen month and company (the whole desk by default)."""
    reports = services().container.reports
    companies = reports.companies()
    month_text, company = request.args.get("month", "").strip(), request.args.get("company", "").strip()
    context: dict[str, Any] = {"companies": companies, "company": company, "month": month_text, "error": None}
    try:
        report = _report(month_text, company)
    except ReportError as exc:
        context["error"] = str(exc)
        return render_template("console/reports.html", **context), 400
    context.update(
        month=report.month.label,
        section=Markup(report_section(report, agent_language())),  # noqa: S704 (escaped by its template)
        query={"month": report.month.label, "company": company},
    )
    return render_template("console/reports.html", **context)


def download_pdf() -> Any:
    """The report as a PDF, in the agent's language."""
    report = _report_or_400()
    if isinstance(report, Response):
        return report
    language = agent_language()
    response = Response(report_pdf(report, language), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{pdf_filename(report, language)}"'
    return response


def download_csv() -> Any:
    """The report as CSV (one row per priority of the company or of the whole desk)."""
    report = _report_or_400()
    if isinstance(report, Response):
        return report
    response = Response(report_csv([report]), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="report-{report.month.label}.csv"'
    return response


def _report(month_text: str, company: str) -> MonthlyReport:
    reports = services().container.reports
    month: Month = reports.month(month_text or None)
    return reports.report(month, company or None)


def _report_or_400() -> MonthlyReport | Response:
    try:
        return _report(request.args.get("month", "").strip(), request.args.get("company", "").strip())
    except ReportError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
