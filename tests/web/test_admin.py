"""Desk set-up pages (Flask test client): admins only, CSRF on every form, forms say what is wrong, every
change audited, the CSV import previews before it writes."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.db.models import Agent, AuditEntry, ChannelIdentity, Company, Contact, SupportPlan
from tests.web.conftest import PASSWORD, Console, csrf_token, sign_in, signed_in

ADMIN = "admin@latamadvisory.example"
PAGES = [
    "/console/admin/",
    "/console/admin/companies",
    "/console/admin/companies/new",
    "/console/admin/companies/1",
    "/console/admin/contacts",
    "/console/admin/contacts/new",
    "/console/admin/contacts/1",
    "/console/admin/plans",
    "/console/admin/plans/new",
    "/console/admin/plans/1",
    "/console/admin/agents",
    "/console/admin/agents/1",
    "/console/admin/import",
    "/console/admin/audit",
]
POSTS = [
    "/console/admin/companies/new",
    "/console/admin/companies/1",
    "/console/admin/companies/1/deactivate",
    "/console/admin/contacts/new",
    "/console/admin/contacts/1",
    "/console/admin/contacts/1/verify",
    "/console/admin/contacts/1/merge",
    "/console/admin/plans/new",
    "/console/admin/plans/1",
    "/console/admin/agents",
    "/console/admin/agents/1",
    "/console/admin/agents/1/password",
    "/console/admin/import",
]


@pytest.fixture
def admin(desk: Console) -> FlaskClient:
    desk.agent(ADMIN, "Alicia Admin", role="admin")
    return signed_in(desk, ADMIN)


def _post(client: FlaskClient, path: str, data: dict[str, object], **kwargs: object) -> tuple[int, str]:
    form = {**data, "csrf_token": csrf_token(client, "/console/admin/")}
    response = client.post(path, data=form, **kwargs)  # type: ignore[arg-type]
    return response.status_code, response.get_data(as_text=True)


def _errors(page: str) -> dict[str, str]:
    found = re.findall(r'<span class="field-error" role="alert" data-field="([^"]+)">([^<]+)</span>', page)
    return {field: message.replace("&#39;", "'") for field, message in found}


def _audit(desk: Console) -> list[str]:
    with desk.container.session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.actor == ADMIN, AuditEntry.action != "agent.sign_in")
                .order_by(AuditEntry.id)
            )
        )


def test_anonymous_visitors_go_to_sign_in_and_agents_get_403(desk: Console, admin: FlaskClient) -> None:
    anonymous = desk.app.test_client()
    for path in PAGES:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/console/sign-in" in response.headers["Location"], path
    for email in ("ana@latamadvisory.example", "carlos@latamadvisory.example"):  # agent, supervisor
        client = signed_in(desk, email)
        token = csrf_token(client, "/console/")
        assert "nav-admin" not in client.get("/console/").get_data(as_text=True)
        for path in PAGES:
            assert client.get(path).status_code == 403, path
        for path in POSTS:
            assert client.post(path, data={"csrf_token": token, "name": "X"}).status_code == 403, path
    assert 'id="nav-admin"' in admin.get("/console/").get_data(as_text=True)
    for path in PAGES:
        assert admin.get(path).status_code == 200, path


def test_every_admin_form_without_its_csrf_token_is_refused(desk: Console, admin: FlaskClient) -> None:
    with desk.container.session_factory() as session:
        companies = session.scalar(select(func.count(Company.id)))
    for path in POSTS:
        assert admin.post(path, data={"name": "Sin token SpA"}).status_code == 400, path
    with desk.container.session_factory() as session:
        assert session.scalar(select(func.count(Company.id))) == companies
    assert _audit(desk) == []


def test_a_company_is_created_with_its_tax_id_and_plan_searched_and_deactivated(
    desk: Console, admin: FlaskClient
) -> None:
    with desk.container.session_factory() as session:
        plan_id = session.scalars(select(SupportPlan.id).where(SupportPlan.name == "Plan Incidentes")).one()
    status, page = _post(admin, "/console/admin/companies/new", {"name": "Minera", "tax_id": "96.555.444-3!"})
    assert status == 400 and "no es un ID tributario" in _errors(page)["tax_id"] and 'value="Minera"' in page
    form = {"name": "Minera Norte", "tax_id": "96.555.444-3", "plan_id": str(plan_id), "active": "1"}
    response = admin.post(
        "/console/admin/companies/new", data={**form, "csrf_token": csrf_token(admin, "/console/")}
    )
    assert response.status_code == 302
    listed = admin.get("/console/admin/companies?q=96555").get_data(as_text=True)
    assert "Minera Norte" in listed and "96555444-3" in listed and "Plan Incidentes" in listed
    assert "Comercial Andes" not in listed
    status, page = _post(admin, "/console/admin/companies/new", {"name": "minera norte"})
    assert status == 400 and "ya existe una empresa" in _errors(page)["name"]
    company_id = int(response.headers["Location"].rsplit("/", 1)[1])
    status, _ = _post(admin, f"/console/admin/companies/{company_id}/deactivate", {})
    assert status == 302
    assert "inactiva" in admin.get("/console/admin/companies?q=minera").get_data(as_text=True)
    assert _audit(desk)[-2:] == ["company.create", "company.deactivate"]


def test_plan_form_says_what_is_wrong_and_keeps_what_was_typed(desk: Console, admin: FlaskClient) -> None:
    form = {
        "name": "Plan Raro",
        "package": "custom",
        "hours_mon": "18:00-09:00",
        "hours_tue": "08:30-17:30",
        "timezone": "America/Atlantis",
        "country": "ZZ",
        "extra_closed": "24/12/2026",
        "hours_bank": "diez",
    }
    status, page = _post(admin, "/console/admin/plans/new", form)
    errors = _errors(page)
    assert status == 400
    assert "debe abrir antes de cerrar" in errors["hours_mon"]
    assert "zona horaria desconocida 'America/Atlantis'" in errors["timezone"]
    assert "'ZZ' no tiene feriados" in errors["country"]
    assert "AAAA-MM-DD" in errors["extra_closed"] and "número entero" in errors["hours_bank"]
    assert 'value="18:00-09:00"' in page and 'value="America/Atlantis"' in page
    with desk.container.session_factory() as session:
        assert session.scalar(select(func.count(SupportPlan.id))) == 2


def test_a_24x7_plan_is_created_from_its_package(desk: Console, admin: FlaskClient) -> None:
    form = {
        "name": "Plan 24×7",
        "package": "24x7",
        "timezone": "America/Santiago",
        "country": "",
        "hours_bank": "0",
    }
    status, _ = _post(admin, "/console/admin/plans/new", form)
    assert status == 302
    with desk.container.session_factory() as session:
        plan = session.scalars(select(SupportPlan).where(SupportPlan.name == "Plan 24×7")).one()
    assert plan.calendar_config and plan.calendar_config["hours"]["sun"] == "00:00-24:00"
    assert plan.calendar_config["country"] is None
    page = admin.get("/console/admin/plans").get_data(as_text=True)
    assert "Plan 24×7" in page and "00:00-24:00" in page
    assert _audit(desk) == ["plan.create"]


def test_a_contact_is_added_with_its_channels_and_a_stranger_verified(
    desk: Console, admin: FlaskClient
) -> None:
    with desk.container.session_factory() as session:
        andes = session.scalars(select(Company.id).where(Company.name == "Comercial Andes SpA")).one()
    form = {"name": "Pedro Rojas", "company_id": str(andes), "email": "pedro@", "whatsapp": "+56 9 8765 4321"}
    status, page = _post(admin, "/console/admin/contacts/new", form)
    assert status == 400 and "no es una dirección de correo" in _errors(page)["email"]
    status, _ = _post(
        admin, "/console/admin/contacts/new", {**form, "email": "pedro@comercialandes.cl", "verified": "1"}
    )
    assert status == 302
    with desk.container.session_factory() as session:
        pedro = session.scalars(select(Contact).where(Contact.name == "Pedro Rojas")).one()
        addresses = session.scalars(
            select(ChannelIdentity.address).where(ChannelIdentity.contact_id == pedro.id)
        )
        assert list(addresses) == ["+56987654321"]
        session.add(Contact(name="Rosa Pérez", claimed_company="Andes", self_identified=True, verified=False))
        session.commit()
        rosa = session.scalars(select(Contact.id).where(Contact.name == "Rosa Pérez")).one()
    assert "Rosa Pérez" in admin.get("/console/admin/").get_data(as_text=True)
    assert "Rosa Pérez" in admin.get("/console/admin/contacts?to_verify=1").get_data(as_text=True)
    status, page = _post(admin, f"/console/admin/contacts/{rosa}/verify", {"company_id": ""})
    assert status == 400 and "elija primero la empresa" in _errors(page)["company_id"]
    status, _ = _post(admin, f"/console/admin/contacts/{rosa}/verify", {"company_id": str(andes)})
    assert status == 302
    assert "Rosa Pérez" not in admin.get("/console/admin/contacts?to_verify=1").get_data(as_text=True)
    assert _audit(desk) == ["contact.create", "contact.verify"]


def test_a_stranger_is_merged_into_an_existing_contact(desk: Console, admin: FlaskClient) -> None:
    with desk.container.transaction() as session:
        rosa = Contact(name="Rosa", claimed_company="Andes", self_identified=True, verified=False)
        session.add(rosa)
        session.flush()
        session.add(ChannelIdentity(contact_id=rosa.id, channel="whatsapp", address="+56977777777"))
        rosa_id = rosa.id
    with desk.container.session_factory() as session:
        maria = session.scalars(select(Contact.id).where(Contact.name == "María González")).one()
    status, page = _post(admin, f"/console/admin/contacts/{rosa_id}/merge", {"target_id": ""})
    assert status == 400 and "elija el contacto" in _errors(page)["target_id"]
    status, _ = _post(admin, f"/console/admin/contacts/{rosa_id}/merge", {"target_id": str(maria)})
    assert status == 302
    assert "whatsapp:+56977777777" in admin.get(f"/console/admin/contacts/{maria}").get_data(as_text=True)
    assert admin.get(f"/console/admin/contacts/{rosa_id}").status_code == 404
    assert _audit(desk) == ["contact.merge"]


def test_agents_are_added_edited_disabled_and_their_password_reset(desk: Console, admin: FlaskClient) -> None:
    form = {"name": "Beatriz", "email": "bea@latamadvisory.example", "password": "short", "role": "agent"}
    status, page = _post(admin, "/console/admin/agents", {**form, "language": "en"})
    assert status == 400 and "la contraseña necesita al menos 10 caracteres" in page
    status, _ = _post(admin, "/console/admin/agents", {**form, "password": PASSWORD, "language": "en"})
    assert status == 302
    bea_client = signed_in(desk, "bea@latamadvisory.example")
    with desk.container.session_factory() as session:
        bea = session.scalars(select(Agent).where(Agent.email == "bea@latamadvisory.example")).one()
    profile = {
        "name": "Beatriz Soto",
        "role": "supervisor",
        "language": "en",
        "telegram_user_id": "@bea",
        "active": "1",
    }
    status, page = _post(admin, f"/console/admin/agents/{bea.id}", profile)
    assert status == 400 and "solo dígitos" in _errors(page)["telegram_user_id"]
    status, _ = _post(admin, f"/console/admin/agents/{bea.id}", {**profile, "telegram_user_id": "987654"})
    assert status == 302
    status, _ = _post(
        admin, f"/console/admin/agents/{bea.id}/password", {"password": "another long password"}
    )
    assert status == 302
    assert bea_client.get("/console/").status_code == 302  # her session ended
    assert sign_in(desk.app.test_client(), "bea@latamadvisory.example", "another long password") == 302
    status, _ = _post(
        admin, f"/console/admin/agents/{bea.id}", {**profile, "telegram_user_id": "987654", "active": ""}
    )
    assert status == 302
    assert sign_in(desk.app.test_client(), "bea@latamadvisory.example", "another long password") == 401
    with desk.container.session_factory() as session:
        me = session.scalars(select(Agent.id).where(Agent.email == ADMIN)).one()
    status, page = _post(
        admin, f"/console/admin/agents/{me}", {"name": "Alicia", "role": "agent", "language": "es"}
    )
    assert status == 400 and "último administrador activo" in _errors(page)["role"]
    assert _audit(desk)[-4:] == ["agent.add", "agent.update", "agent.reset_password", "agent.update"]
    assert "agent.update" in admin.get("/console/admin/audit").get_data(as_text=True)


CSV = (
    "company,tax_id,plan,contact_name,email,phone,whatsapp,telegram\n"
    "Minera Norte Ltda.,96.555.444-3,Plan Incidentes,Lucía Araya,lucia@mineranorte.cl,,+56 9 4444 5555,\n"
    "Minera Norte Ltda.,96.555.444-3,Plan Oro,Jorge Silva,jorge@mineranorte.cl,,,\n"
    "Transportes del Sur S.A.,77.888.999-K,,,,,,\n"
)


def test_the_csv_import_previews_each_bad_row_then_imports_the_good_ones(
    desk: Console, admin: FlaskClient
) -> None:
    status, _ = _post(admin, "/console/admin/import", {})
    assert status == 400
    upload = {"file": (io.BytesIO(CSV.encode()), "customers.csv")}
    status, page = _post(admin, "/console/admin/import", upload, content_type="multipart/form-data")
    assert status == 200
    assert "fila 3, columna <code>plan</code>: no hay un plan llamado &#39;Plan Oro&#39;" in page
    assert page.count('class="row-ok"') == 2 and page.count('class="row-error"') == 1
    with desk.container.session_factory() as session:
        assert session.scalar(select(Company.id).where(Company.name == "Minera Norte Ltda.")) is None
    csv_text = re.search(r'<textarea name="csv_text" hidden>(.*?)</textarea>', page, re.S)
    assert csv_text is not None
    status, page = _post(admin, "/console/admin/import", {"confirm": "1", "csv_text": CSV})
    assert status == 200 and 'id="import-confirm"' not in page
    with desk.container.session_factory() as session:
        names = set(session.scalars(select(Company.name)))
        assert {"Minera Norte Ltda.", "Transportes del Sur S.A."} <= names
        assert session.scalar(select(Contact.id).where(Contact.email == "jorge@mineranorte.cl")) is None
    assert _audit(desk) == ["customers.import"]
    bad = {"file": (io.BytesIO(b"name,email\nX,x@y.cl\n"), "bad.csv")}
    status, page = _post(admin, "/console/admin/import", bad, content_type="multipart/form-data")
    assert status == 400 and "columna desconocida" in page and 'id="import-confirm"' not in page
