"""The console's commercial rules (issue 15): billing on the ticket page and queue, time logged, the
company's hours bank, report contacts and a plan's request rule (test client, Spanish console)."""

from __future__ import annotations

from sqlalchemy import select

from intake.db.models import AuditEntry, Contact, TimeEntry
from intake.services.demo import DEMO_COMPANY, DEMO_EMAIL
from tests.web.conftest import Console, csrf_token, open_ticket, signed_in
from tests.web.test_ticket_page import act

ADMIN = "alba@latamadvisory.example"


def _log_time(client: object, number: str, minutes: str, note: str) -> str:
    token = csrf_token(client, f"/console/tickets/{number}")  # type: ignore[arg-type]
    response = client.post(  # type: ignore[attr-defined]
        f"/console/tickets/{number}/time",
        data={"csrf_token": token, "minutes": minutes, "note": note},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html: str = response.get_data(as_text=True)
    return html


def _company_id(desk: Console) -> int:
    with desk.container.session_factory() as session:
        return session.scalars(select(Contact.company_id).where(Contact.email == DEMO_EMAIL)).one() or 0


def test_billing_on_the_ticket_page_and_the_queue(desk: Console) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    desk.container.hours_bank.credit("cli", DEMO_COMPANY, 300, "Paquete")
    client = signed_in(desk)
    page = client.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert 'id="billing"' in page and "Plan Estándar" in page and 'id="billable-form"' in page

    html = _log_time(client, number, "45", "Revisión del servidor")
    assert "Tiempo registrado." in html and "45 min" in html and "Revisión del servidor" in html
    html = act(client, number, "billable", "El usuario apagó el servidor")
    assert "Marcado error de usuario — facturable; se informó al cliente." in html
    assert 'id="user-error-badge"' in html and "El usuario apagó el servidor" in html
    assert 'id="bank-balance">4 h 15 min<' in html  # the 45 minutes are now charged to the bank
    queue = client.get("/console/").get_data(as_text=True)
    assert 'data-billable="1"' in queue and "error de usuario — facturable" in queue

    html = act(client, number, "not_billable", "Era un fallo del hosting")
    assert "Ya no es facturable" in html and 'id="user-error-badge"' not in html
    assert 'id="bank-balance">5 h 00 min<' in html


def test_bad_time_entries_are_flash_errors_and_write_nothing(desk: Console) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    client = signed_in(desk)
    assert "Los minutos deben ser un número entero." in _log_time(client, number, "diez", "nota")
    assert "1 to 1440 minutes" in _log_time(client, number, "2000", "nota")
    assert "note is required" in _log_time(client, number, "30", "  ")
    assert "billable" in act(client, number, "not_billable", "no era")  # not billable yet: refused
    with desk.container.session_factory() as session:
        assert session.scalars(select(TimeEntry)).all() == []


def test_an_admin_credits_the_bank_and_chooses_report_contacts(desk: Console) -> None:
    desk.agent(ADMIN, "Alba Admin", role="admin")
    client = signed_in(desk, ADMIN)
    company_id = _company_id(desk)
    page = f"/console/admin/companies/{company_id}"
    token = csrf_token(client, page)
    done = client.post(
        f"{page}/credit", data={"csrf_token": token, "hours": "2,5", "note": "Paquete"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Horas agregadas a la bolsa." in done and 'id="bank-balance" class="">2 h 30 min<' in done
    refused = client.post(
        f"{page}/credit", data={"csrf_token": token, "hours": "cero"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "between 1 minute" in refused
    assert desk.container.hours_bank.balance(company_id) == 150

    with desk.container.session_factory() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.email == DEMO_EMAIL)).one()
    contact_page = f"/console/admin/contacts/{contact_id}"
    token = csrf_token(client, contact_page)
    client.post(f"{contact_page}/reports", data={"csrf_token": token, "receives_reports": "1"})
    assert 'name="receives_reports" value="1" checked' in client.get(contact_page).get_data(as_text=True)
    client.post(f"{contact_page}/reports", data={"csrf_token": token})
    with desk.container.session_factory() as session:
        assert session.get(Contact, contact_id).receives_reports is False  # type: ignore[union-attr]
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["hours_bank.credit", "contact.reports", "contact.reports"]
    assert signed_in(desk).post(f"{page}/credit", data={"hours": "1"}).status_code in (400, 403)


def test_an_admin_sets_a_plan_s_request_rule(desk: Console) -> None:
    desk.agent(ADMIN, "Alba Admin", role="admin")
    client = signed_in(desk, ADMIN)
    token = csrf_token(client, "/console/admin/plans/new")
    form = {
        "csrf_token": token,
        "name": "Bolsa 24×7 P1",
        "package": "standard",
        "timezone": "America/Santiago",
        "country": "CL",
        "hours_bank": "10",
        "request_rule": "hours_bank",
        "low_balance": "3",
        "p1_24x7": "1",
    }
    saved = client.post("/console/admin/plans/new", data=form, follow_redirects=True).get_data(as_text=True)
    assert 'value="hours_bank" selected' in saved and 'name="p1_24x7" value="1" checked' in saved
    assert 'name="low_balance" value="3"' in saved
    listed = client.get("/console/admin/plans").get_data(as_text=True)
    assert "Con cargo a la bolsa de horas · P1 las 24 horas (24×7)" in listed
    bad = client.post("/console/admin/plans/new", data={**form, "name": "Otro", "request_rule": "gratis"})
    assert bad.status_code == 400 and "regla de requerimientos desconocida" in bad.get_data(as_text=True)
