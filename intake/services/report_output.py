"""The monthly report's outputs: charts (matplotlib, Agg, SVG), an HTML section (the console page and the
PDF share it), the PDF (weasyprint) and the CSV. Texts come from bot/texts.py ("report.*"), es/en/pt."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jinja2 import Environment, select_autoescape

from bot.texts import DEFAULT_LANG, supported_lang, text
from intake.domain.report import (
    BACKLOG_BUCKETS,
    PRIORITIES,
    TOTAL,
    HistoryNote,
    MonthlyReport,
    PriorityFigures,
)

# Column names of the CSV (English, snake_case, whatever the reader's language: a stable interface).
CSV_COLUMNS: tuple[str, ...] = (
    "month",
    "company_id",
    "company",
    "priority",
    "opened",
    "closed",
    "sla_exempt",
    "response_measured",
    "response_met",
    "response_met_pct",
    "resolution_measured",
    "resolution_met",
    "resolution_met_pct",
    "response_median_business_hours",
    "response_p90_business_hours",
    "resolution_median_business_hours",
    "resolution_p90_business_hours",
    "backlog_0_2_days",
    "backlog_3_7_days",
    "backlog_8_30_days",
    "backlog_over_30_days",
    "solutions_proposed",
    "reopened",
    "reopen_pct",
    "surveys_sent",
    "surveys_answered",
    "survey_response_pct",
    "survey_average",
    "hours_used",
    "hours_charged_to_bank",
    "bank_credited_hours_to_month_end",
    "bank_charged_hours_to_month_end",
    "bank_balance_hours",
)


def language(code: str | None) -> str:
    """A supported report language (es, en, pt), Spanish when unknown."""
    return supported_lang(code) or DEFAULT_LANG


def month_title(report: MonthlyReport, lang: str) -> str:
    """``noviembre 2026``."""
    names = text("report.months", lang).split(",")
    return f"{names[report.month.month - 1]} {report.month.year}"


def scope_title(report: MonthlyReport, lang: str) -> str:
    """The company's name, or "whole desk" in the language."""
    return report.company if report.company_id is not None else text("report.desk", lang)


def history_line(note: HistoryNote, lang: str, report: MonthlyReport) -> str:
    """A note of a breached ticket's history, in the language, at desk time."""
    at = f"{note.at.astimezone(report.month.tz):%Y-%m-%d %H:%M}"
    if note.kind == "sla_alert":
        return text("report.history.sla_alert", lang, at=at, clock=text(f"report.clock.{note.detail}", lang))
    if note.kind == "priority_changed":
        return text("report.history.priority_changed", lang, at=at, detail=note.detail)
    line = text(f"report.history.{note.kind}", lang, at=at)
    return f"{line}: {note.detail}" if note.detail else line


# --- CSV ---------------------------------------------------------------------------------------------


def report_csv(reports: Iterable[MonthlyReport]) -> str:
    """One row per company × priority (P1…P5 and total), with a header row; hours as decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        for row in report.rows:
            writer.writerow(_csv_row(report, row))
    return out.getvalue()


def _csv_row(report: MonthlyReport, row: PriorityFigures) -> list[str]:
    bank = report.bank if row.priority == TOTAL else None
    values: list[object] = [
        report.month.label,
        "" if report.company_id is None else report.company_id,
        report.company,
        row.priority,
        row.opened,
        row.closed,
        row.exempt,
        row.response_measured,
        row.response_met,
        _num(row.response_pct),
        row.resolution_measured,
        row.resolution_met,
        _num(row.resolution_pct),
        _num(row.response_median_hours),
        _num(row.response_p90_hours),
        _num(row.resolution_median_hours),
        _num(row.resolution_p90_hours),
        *row.backlog,
        row.solutions,
        row.reopened,
        _num(row.reopen_pct),
        row.surveys_sent,
        row.surveys_answered,
        _num(row.survey_response_pct),
        _num(row.survey_average),
        _num(row.minutes_used / 60),
        _num(row.minutes_charged / 60),
        _num(bank.credited / 60) if bank else "",
        _num(bank.charged / 60) if bank else "",
        _num(bank.balance / 60) if bank else "",
    ]
    return [str(v) for v in values]


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


# --- charts ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart: its title and its SVG as a data URI (an <img> in the console and the PDF)."""

    title: str
    src: str


def charts(report: MonthlyReport, lang: str) -> list[Chart]:
    """SLA compliance, volume and backlog charts, drawn with matplotlib's Agg backend as SVG."""
    rows = [report.row(p) for p in PRIORITIES]
    sla = _bars(
        list(PRIORITIES),
        {
            text("report.clock.response", lang): [r.response_pct or 0.0 for r in rows],
            text("report.clock.resolution", lang): [r.resolution_pct or 0.0 for r in rows],
        },
        ylim=100,
    )
    volume = _bars(
        list(PRIORITIES),
        {
            text("report.col.opened", lang): [float(r.opened) for r in rows],
            text("report.col.closed", lang): [float(r.closed) for r in rows],
        },
    )
    backlog = _bars(list(BACKLOG_BUCKETS), {TOTAL: [float(n) for n in report.total.backlog]}, legend=False)
    return [
        Chart(text("report.chart.sla", lang), sla),
        Chart(text("report.chart.volume", lang), volume),
        Chart(text("report.chart.backlog", lang), backlog),
    ]


def _bars(
    labels: Sequence[str], series: dict[str, list[float]], ylim: float | None = None, legend: bool = True
) -> str:
    """Grouped bars as an SVG data URI (a Figure of its own: no pyplot state, safe in threads)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.2, 2.6), dpi=100)
    axes = figure.add_subplot()
    width = 0.8 / max(len(series), 1)
    colours = ("#2f6db5", "#e08a1e", "#4a9d5b")
    for index, (name, values) in enumerate(series.items()):
        xs = [i + (index - (len(series) - 1) / 2) * width for i in range(len(labels))]
        axes.bar(xs, values, width=width, label=name, color=colours[index % len(colours)])
    axes.set_xticks(range(len(labels)), labels)
    if ylim is not None:
        axes.set_ylim(0, ylim)
    axes.spines[["top", "right"]].set_visible(False)
    if legend:
        axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    encoded = base64.b64encode(buffer.getvalue().encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"


# --- HTML and PDF ------------------------------------------------------------------------------------

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

_SECTION = _ENV.from_string(
    """<section class="monthly-report" lang="{{ lang }}">
<h1>{{ t("report.title") }}</h1>
<p class="report-scope"><strong id="report-company">{{ scope }}</strong> · {{ month }}</p>
<p class="report-note">{{ t("report.scope", timezone=report.month.tz.key) }}</p>
<h2>{{ t("report.section.summary") }}</h2>
<table class="report-table" id="report-summary">
<thead><tr>
<th>{{ t("report.col.priority") }}</th><th>{{ t("report.col.opened") }}</th>
<th>{{ t("report.col.closed") }}</th>
<th>{{ t("report.col.exempt") }}</th><th>{{ t("report.col.response_pct") }}</th>
<th>{{ t("report.col.resolution_pct") }}</th><th>{{ t("report.col.response_median") }}</th>
<th>{{ t("report.col.response_p90") }}</th><th>{{ t("report.col.resolution_median") }}</th>
<th>{{ t("report.col.resolution_p90") }}</th><th>{{ t("report.col.backlog") }}</th>
<th>{{ t("report.col.reopen") }}</th><th>{{ t("report.col.survey") }}</th><th>{{ t("report.col.hours") }}</th>
</tr></thead>
<tbody>
{% for row in report.rows %}
<tr class="{{ 'total' if row.priority == 'total' else '' }}" data-priority="{{ row.priority }}">
<th>{{ t("report.total") if row.priority == "total" else row.priority }}</th>
<td>{{ row.opened }}</td><td>{{ row.closed }}</td><td>{{ row.exempt }}</td>
<td>{{ pct(row.response_pct) }} <small>({{ row.response_met }}/{{ row.response_measured }})</small></td>
<td>{{ pct(row.resolution_pct) }} <small>({{ row.resolution_met }}/{{ row.resolution_measured }})</small></td>
<td>{{ hours(row.response_median_hours) }}</td><td>{{ hours(row.response_p90_hours) }}</td>
<td>{{ hours(row.resolution_median_hours) }}</td><td>{{ hours(row.resolution_p90_hours) }}</td>
<td>{{ row.backlog | join(" / ") }}</td>
<td>{{ pct(row.reopen_pct) }} <small>({{ row.reopened }}/{{ row.solutions }})</small></td>
<td>{{ avg(row.survey_average) }} <small>({{ row.surveys_answered }}/{{ row.surveys_sent }})</small></td>
<td>{{ hours(row.minutes_used / 60) }} <small>({{ hours(row.minutes_charged / 60) }})</small></td>
</tr>
{% endfor %}
</tbody>
</table>
<h2>{{ t("report.section.charts") }}</h2>
<div class="report-charts">
{% for chart in charts %}<figure><img src="{{ chart.src }}" alt="{{ chart.title }}">
<figcaption>{{ chart.title }}</figcaption></figure>{% endfor %}
</div>
<h2>{{ t("report.section.breaches") }}</h2>
{% if report.breaches %}
<table class="report-table" id="report-breaches">
<thead><tr><th>{{ t("report.col.ticket") }}</th><th>{{ t("report.col.priority") }}</th>
<th>{{ t("report.col.clock") }}</th><th>{{ t("report.col.elapsed") }}</th>
<th>{{ t("report.col.reasons") }}</th>
</tr></thead>
<tbody>
{% for b in report.breaches %}
<tr><td>{{ b.number }}{% if report.company_id is none %} · {{ b.company }}{% endif %}
<br><small>{{ b.title }}</small></td>
<td>{{ b.priority }}</td>
<td>{{ t("report.clock." + b.clock) }}{% if b.still_open %} ({{ t("report.still_open") }}){% endif %}</td>
<td>{{ hours(b.elapsed_hours) }} / {{ hours(b.target_hours) }}</td>
<td>{% for note in b.reasons %}{{ history(note) }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p>{{ t("report.no_breaches") }}</p>{% endif %}
<h2>{{ t("report.section.hours") }}</h2>
<table class="report-table" id="report-hours">
<tr><th>{{ t("report.hours.used") }}</th><td>{{ hours(report.total.minutes_used / 60) }}</td></tr>
<tr><th>{{ t("report.hours.charged") }}</th><td>{{ hours(report.total.minutes_charged / 60) }}</td></tr>
<tr><th>{{ t("report.hours.credited") }}</th><td>{{ hours(report.bank.credited / 60) }}</td></tr>
<tr><th>{{ t("report.hours.charged_total") }}</th><td>{{ hours(report.bank.charged / 60) }}</td></tr>
<tr><th>{{ t("report.hours.balance") }}</th><td>{{ hours(report.bank.balance / 60) }}</td></tr>
</table>
</section>"""
)

_DOCUMENT = _ENV.from_string(
    """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #222; }
h1 { font-size: 16pt; margin: 0 0 2mm; color: #1d4f91; }
h2 { font-size: 11pt; margin: 5mm 0 2mm; color: #1d4f91; border-bottom: 1px solid #c8d3e4; }
.report-scope { font-size: 11pt; margin: 0; }
.report-note { color: #555; }
.report-table { border-collapse: collapse; width: 100%; table-layout: fixed; }
#report-summary th, #report-summary td { font-size: 7pt; overflow-wrap: break-word; }
#report-summary thead th:nth-child(-n+3) { width: 6%; }
#report-hours { width: 60%; }
#report-breaches th:nth-child(5) { width: 45%; }
#report-breaches th:nth-child(2) { width: 8%; }
.report-table th, .report-table td { border: 1px solid #c8d3e4; padding: 1mm 1.5mm; text-align: left; }
.report-table thead th { background: #e8eef7; }
.report-table tr.total { font-weight: bold; background: #f4f6fa; }
.report-charts { display: flex; gap: 4mm; }
.report-charts figure { margin: 0; width: 32%; }
.report-charts img { width: 100%; }
figcaption { text-align: center; color: #555; }
</style></head>
<body>{{ section }}</body></html>"""
)


def report_section(report: MonthlyReport, lang: str) -> str:
    """The report as an HTML section (escaped; charts as inline SVG images)."""
    lang = language(lang)

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    return _SECTION.render(
        lang=lang,
        t=t,
        report=report,
        scope=scope_title(report, lang),
        month=month_title(report, lang),
        charts=charts(report, lang),
        pct=lambda v: "–" if v is None else f"{v:.1f} %",
        hours=lambda v: "–" if v is None else f"{v:.2f}",
        avg=lambda v: "–" if v is None else f"{v:.2f}",
        history=lambda note: history_line(note, lang, report),
    )


def report_html(report: MonthlyReport, lang: str) -> str:
    """A whole HTML document for the PDF."""
    from markupsafe import Markup

    lang = language(lang)
    title = f"{text('report.title', lang)} — {scope_title(report, lang)} — {month_title(report, lang)}"
    return _DOCUMENT.render(lang=lang, title=title, section=Markup(report_section(report, lang)))  # noqa: S704


def report_pdf(report: MonthlyReport, lang: str) -> bytes:
    """The report as a PDF (weasyprint; only the inline data: images are loaded, nothing from the net)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=report_html(report, lang), url_fetcher=_data_only).write_pdf()
    return pdf


def _data_only(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    """weasyprint's fetcher, refusing anything but the report's own data: URIs."""
    if not url.startswith("data:"):
        raise ValueError(f"the report loads no external resource ({url[:40]!r})")
    from weasyprint.urls import default_url_fetcher

    fetched: dict[str, object] = default_url_fetcher(url, timeout=timeout)
    return fetched


def pdf_filename(report: MonthlyReport, lang: str) -> str:
    """``informe-2026-11-acme-industrial.pdf`` style names (ASCII, safe as an attachment name)."""
    slug = "".join(c if c.isalnum() else "-" for c in scope_title(report, lang).lower())
    slug = "-".join(part for part in slug.encode("ascii", "ignore").decode().split("-") if part) or "desk"
    prefix = {"es": "informe", "pt": "relatorio"}.get(lang, "report")
    return f"{prefix}-{report.month.label}-{slug}.pdf"
