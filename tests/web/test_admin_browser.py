"""Setting up the desk in headless Chromium: an admin imports a CSV (the preview shows the bad row, confirming
imports the rest) and creates a 24×7 plan, and a company on it gets 24×7 deadlines."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select

from intake.db.models import Company, Contact
from tests.support.browser import LiveServer, screenshot
from tests.support.clock import FakeClock
from tests.web.conftest import PASSWORD, Console

ADMIN = "admin@latamadvisory.example"
CSV = (
    "company,tax_id,plan,contact_name,email,phone,whatsapp,telegram\n"
    "Minera Norte Ltda.,96.555.444-3,Plan Incidentes,Lucía Araya,lucia@mineranorte.cl,,+56 9 4444 5555,\n"
    "Minera Norte Ltda.,96.555.444-3,Plan Oro,Jorge Silva,jorge@mineranorte.cl,,,\n"
    "Transportes del Sur S.A.,77.888.999-K,,Pablo Soto,pablo@tdsur.cl,,,424242\n"
)


def _sign_in_as_admin(desk: Console, live_server: LiveServer, page: Page) -> str:
    desk.agent(ADMIN, "Alicia Admin", role="admin")
    live_server.mount(desk.app)
    base = live_server.url
    page.goto(f"{base}/console/admin/")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in button[type=submit]")
    page.wait_for_url(f"{base}/console/admin/")
    return base


def test_an_admin_imports_a_csv_after_seeing_the_bad_row(
    desk: Console, live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    base = _sign_in_as_admin(desk, live_server, page)
    page.click("text=Importar CSV")
    path = tmp_path / "clientes.csv"
    path.write_text(CSV, encoding="utf-8")
    page.set_input_files("input[name=file]", str(path))
    page.click("#import-upload button[type=submit]")
    bad = page.locator("#import-preview tr.row-error")
    assert bad.count() == 1 and bad.get_attribute("data-row") == "3"
    assert "no hay un plan llamado 'Plan Oro'" in bad.inner_text()
    assert page.locator("#import-preview tr.row-ok").count() == 2
    errors = page.locator("#import-errors").inner_text()
    assert "fila 3, columna plan: no hay un plan llamado 'Plan Oro'" in errors
    screenshot(page, "admin-import-preview")
    with desk.container.session_factory() as session:
        assert session.scalar(select(Company.id).where(Company.name == "Minera Norte Ltda.")) is None
    page.click("#import-confirm button[type=submit]")
    page.wait_for_selector("text=Importación terminada.")
    page.goto(f"{base}/console/admin/companies?q=norte")
    row = page.locator("#companies tbody tr")
    assert row.count() == 1 and "96555444-3" in row.inner_text() and "Plan Incidentes" in row.inner_text()
    page.goto(f"{base}/console/admin/contacts?q=mineranorte")
    assert page.locator("#contacts tbody tr").count() == 1  # Lucía; Jorge's row was skipped
    assert "whatsapp:+56944445555" in page.locator("#contacts").inner_text()


def test_a_24x7_plan_gives_a_company_on_it_24x7_deadlines(
    desk: Console, live_server: LiveServer, page: Page, clock: FakeClock
) -> None:
    base = _sign_in_as_admin(desk, live_server, page)
    page.click("text=Planes de soporte")
    page.click("text=Nuevo plan")
    page.fill("input[name=name]", "Plan 24×7")
    page.select_option("select[name=package]", "24x7")
    page.fill("input[name=country]", "")
    page.fill("input[name=hours_bank]", "40")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("text=Plan guardado.")
    page.goto(f"{base}/console/admin/plans")
    assert "00:00-24:00" in page.locator("#plans").inner_text()
    screenshot(page, "admin-plans")
    page.goto(f"{base}/console/admin/companies?q=andes")
    page.click("#companies >> text=Comercial Andes SpA")
    page.select_option("select[name=plan_id]", label="Plan 24×7")
    page.click("#company-form button[type=submit]")
    page.wait_for_selector("text=Empresa guardada.")

    clock.advance(days=5)  # Saturday 09:00 in Santiago: the standard calendar is closed until Monday
    with desk.container.session_factory() as session:
        maria = session.scalars(select(Contact.id).where(Contact.name == "María González")).one()
    page.goto(f"{base}/console/register")
    page.select_option("select[name=contact_id]", str(maria))
    page.select_option("select[name=impact]", "alto")
    page.select_option("select[name=urgency]", "alta")
    page.fill("textarea[name=description]", "El ERP está caído en todas las sucursales")
    page.click("#register-form button[type=submit]")
    page.wait_for_url(f"{base}/console/tickets/**")
    deadlines = page.locator("#deadlines").inner_text()
    screenshot(page, "admin-24x7-ticket")
    # 30 minutes and 6 hours later on that Saturday (the standard calendar would say Monday 9 March).
    assert "respuesta antes del sábado 7 de marzo 09:30" in deadlines, deadlines
    assert "solución antes del sábado 7 de marzo 15:00" in deadlines, deadlines
