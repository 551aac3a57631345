"""CSV import of companies and contacts (admins): upload → preview with an error per bad row → confirm.

The preview page carries the file's text in a hidden field; confirming imports it again from that text (the
good rows, in one transaction), so what is imported is exactly what was previewed, re-checked at that moment.
"""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request

from intake.services.customer_import import COLUMNS, MAX_BYTES, CustomerImport, read_csv
from web.console.admin_common import Route, actor
from web.services import services


def importer() -> CustomerImport:
    """The CSV import use case on the app's database and clock."""
    container = services().container
    return CustomerImport(container.session_factory, container.clock)


def upload() -> Any:
    """The upload form (GET); a file (POST) gives the preview, nothing written."""
    if request.method == "GET":
        return render_template("console/admin/import.html", columns=COLUMNS, report=None)
    if "confirm" in request.form:
        return confirm()
    sent = request.files.get("file")
    data = sent.read(MAX_BYTES + 1) if sent is not None else b""
    if not data:
        flash("Choose a CSV file first.", "error")
        return render_template("console/admin/import.html", columns=COLUMNS, report=None), 400
    report = importer().preview(data)
    csv_text = data.decode("utf-8-sig", errors="replace") if not report.file_errors else ""
    status = 400 if report.file_errors else 200
    return render_template(
        "console/admin/import.html", columns=COLUMNS, report=report, csv_text=csv_text
    ), status


def confirm() -> Any:
    """Import the previewed file's good rows (audited); the result page lists what was skipped."""
    csv_text = request.form.get("csv_text", "")
    rows, file_errors = read_csv(csv_text)
    if file_errors or not rows:
        flash("Nothing to import: upload the file again.", "error")
        return render_template("console/admin/import.html", columns=COLUMNS, report=None), 400
    report = importer().run(csv_text, actor())
    flash("Import done.", "success")
    return render_template("console/admin/import.html", columns=COLUMNS, report=report, csv_text="")


ROUTES: list[Route] = [("/admin/import", "admin_import", upload, ["GET", "POST"])]
