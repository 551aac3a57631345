"""The monthly report in the console: the page (test client and real browser), the PDF and CSV downloads,
on the seeded November of tests/support/report_month.py (its figures: tests/integration/test_report.py)."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page

from tests.support.browser import LiveServer, screenshot
from tests.support.report_month import seed_month
from tests.web.conftest import PASSWORD, Console, signed_in


def seeded(console: Console) -> int:
    with console.container.transaction() as session:
        acme = seed_month(session).acme
    console.agent("ana@desk.example", "Ana Soporte")
    console.agent("admin@desk.example", "Root", role="admin", language="en")
    return acme


def test_the_report_page_pdf_and_csv(console: Console) -> None:
    acme = seeded(console)
    assert console.app.test_client().get("/console/reports").status_code == 302  # signed out: sign in first
    client = signed_in(console, "ana@desk.example")
    page = client.get(f"/console/reports?month=2026-11&company={acme}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="report-company">Acme Industrial<' in html and "noviembre 2026" in html
    assert "60.0 %" in html and "(3/5)" in html  # answered within the target, by hand: 3 of 5
    assert html.count("data:image/svg+xml;base64,") == 3  # three server-side charts
    desk = client.get("/console/reports?month=2026-11").get_data(as_text=True)
    assert "Toda la mesa de ayuda" in desk and "71.4 %" in desk  # 5/7

    pdf = client.get(f"/console/reports/report.pdf?month=2026-11&company={acme}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert 'filename="informe-2026-11-acme-industrial.pdf"' in pdf.headers["Content-Disposition"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/console/reports/report.csv?month=2026-11&company={acme}").get_data(as_text=True)
            )
        )
    )
    assert [r["priority"] for r in rows] == ["P1", "P2", "P3", "P4", "P5", "total"]
    assert (rows[-1]["opened"], rows[-1]["resolution_met_pct"], rows[-1]["bank_balance_hours"]) == (
        "8",
        "75.00",
        "10.75",
    )

    bad = client.get("/console/reports?month=2026-13")
    assert bad.status_code == 400 and "YYYY-MM" in bad.get_data(as_text=True)
    assert client.get("/console/reports/report.pdf?month=2026-11&company=999").status_code == 400
    admin = signed_in(console, "admin@desk.example")
    english = admin.get(f"/console/reports?month=2026-11&company={acme}").get_data(as_text=True)
    assert "Monthly service report" in english and "November 2026" in english


def test_the_report_page_in_the_browser(console: Console, live_server: LiveServer, page: Page) -> None:
    acme = seeded(console)
    live_server.mount(console.app)
    page.goto(f"{live_server.url}/console/sign-in")
    page.fill("input[name=email]", "ana@desk.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in button[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/")
    page.click("#nav-reports")
    page.fill("#report-picker input[name=month]", "2026-11")
    page.select_option("#report-picker select[name=company]", str(acme))
    page.click("#report-picker button[type=submit]")
    page.wait_for_selector("#report-summary")
    assert page.locator("#report-company").inner_text() == "Acme Industrial"
    total = page.locator("#report-summary tr[data-priority=total] td")
    assert total.nth(0).inner_text() == "8" and total.nth(1).inner_text() == "5"  # opened, closed
    assert total.nth(3).inner_text() == "60.0 % (3/5)"
    assert total.nth(4).inner_text() == "75.0 % (3/4)"
    assert page.locator("#report-breaches tbody tr").count() == 5
    images = page.locator(".report-charts img")
    assert images.count() == 3
    for index in range(3):  # the SVG charts were decoded and drawn
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "console-monthly-report")
