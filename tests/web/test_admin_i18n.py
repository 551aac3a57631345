"""The desk set-up's errors in the agent's language: every problem code has Spanish and English text with the
same placeholders, every code the services raise is in the catalogue with the params it names, and the
console shows a Spanish agent Spanish errors and an English agent English ones."""

from __future__ import annotations

import ast
import io
import re
import string
from collections.abc import Mapping
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from intake.services import customer_import, desk_contacts, desk_setup, setup_rules
from intake.services.accounts import AccountError
from intake.services.setup_messages import NAMED, SETUP_MESSAGES, message
from intake.services.setup_rules import Problem, SetupError, clean_email
from tests.web.conftest import Console, csrf_token, signed_in
from web.console import admin, admin_contacts
from web.i18n import plural, problem_text, translate

SOURCES = [Path(m.__file__ or "") for m in (setup_rules, desk_setup, desk_contacts, customer_import)]
SOURCES += [Path(m.__file__ or "") for m in (admin, admin_contacts)]
MAKERS = {"refuse": 1, "Invalid": 0, "Problem": 0, "row_error": 2}  # call -> position of the code


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _raised_codes() -> list[tuple[str, set[str] | None]]:
    """Every (code, param names) the services and views build; f-string codes expand over NAMED."""
    found: list[tuple[str, set[str] | None]] = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in MAKERS or len(node.args) <= MAKERS[name]:
                continue
            code = node.args[MAKERS[name]]
            params: set[str] | None = {k.arg for k in node.keywords if k.arg}
            if any(k.arg is None for k in node.keywords):
                params = None  # **params: not checked statically
            if name == "Problem":
                extra = node.args[1] if len(node.args) > 1 else None
                params = (
                    {str(k.value) for k in extra.keys if isinstance(k, ast.Constant)}
                    if isinstance(extra, ast.Dict)
                    else (set() if extra is None else None)
                )
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                found.append((code.value, params))
            elif isinstance(code, ast.JoinedStr):
                suffix = "".join(str(v.value) for v in code.values if isinstance(v, ast.Constant))
                found += [(what + suffix, params) for what in NAMED]
    return found


def test_every_problem_code_has_spanish_and_english_text_with_the_same_placeholders() -> None:
    for code, texts in SETUP_MESSAGES.items():
        assert set(texts) == {"es", "en"}, code
        assert _placeholders(texts["es"]) == _placeholders(texts["en"]), code
        params = {name: f"<{name}>" for name in _placeholders(texts["en"])}
        for language in ("es", "en"):
            rendered = message(code, params, language)
            assert "{" not in rendered and all(value in rendered for value in params.values()), code
        assert message(code, params, "es") != message(code, params, "en"), code


def test_every_code_the_services_raise_is_in_the_catalogue_with_its_params() -> None:
    raised = _raised_codes()
    assert len(raised) > 40  # the scan sees the services' calls
    for code, params in raised:
        assert code in SETUP_MESSAGES, code
        if params is not None:
            assert params == _placeholders(SETUP_MESSAGES[code]["en"]), (code, params)
    named = {f"{what}.{kind}" for what in NAMED for kind in ("name_missing", "name_too_long", "not_found")}
    assert named <= set(SETUP_MESSAGES)
    assert set(SETUP_MESSAGES) == {code for code, _ in raised}  # no message without a use


def test_a_problem_reads_in_english_for_logs_and_the_command_line() -> None:
    with pytest.raises(ValueError) as refused:
        clean_email("pedro@")
    assert str(refused.value) == "'pedro@' is not an e-mail address (name@example.com)"
    error = SetupError(
        {"email": Problem("email.invalid", {"value": "pedro@"}), "name": Problem("contact.name_missing")}
    )
    assert (
        str(error)
        == "email: 'pedro@' is not an e-mail address (name@example.com); name: a contact needs a name"
    )
    assert error.messages["name"] == "a contact needs a name"
    assert problem_text(error.errors["name"], "es") == "el contacto necesita un nombre"


def test_the_import_summary_agrees_in_number() -> None:
    assert plural(1, "{} good row", "{} good rows", "es") == "1 fila correcta"
    assert plural(2, "{} good row", "{} good rows", "es") == "2 filas correctas"
    assert plural(1, "{} row skipped", "{} rows skipped", "es") == "1 fila omitida"
    assert plural(0, "{} row skipped", "{} rows skipped", "en") == "0 rows skipped"


def _client(desk: Console, language: str) -> FlaskClient:
    email = f"admin-{language}@latamadvisory.example"
    desk.agent(email, f"Admin {language}", role="admin", language=language)
    return signed_in(desk, email)


def _post(client: FlaskClient, path: str, data: Mapping[str, object], **kwargs: object) -> tuple[int, str]:
    form = {**data, "csrf_token": csrf_token(client, "/console/admin/")}
    response = client.post(path, data=form, **kwargs)
    return response.status_code, response.get_data(as_text=True).replace("&#39;", "'")


def _errors(page: str) -> dict[str, str]:
    found = re.findall(r'<span class="field-error" role="alert" data-field="([^"]+)">([^<]+)</span>', page)
    return dict(found)


CSV = (
    "company,tax_id,plan,contact_name,email,phone,whatsapp,telegram\n"
    "Minera Norte Ltda.,96.555.444-3,Plan Incidentes,Lucía Araya,lucia@mineranorte.cl,,,\n"
    "Minera Norte Ltda.,96.555.444-3,Plan Oro,Jorge Silva,jorge@mineranorte.cl,,,\n"
    ",,,Nadie,nadie@x.cl,,,\n"
)
EXPECTED = {
    "es": {
        "plan": ("hours_tue", "intervalo de atención incorrecto '8-17'; se espera HH:MM-HH:MM"),
        "company": ("name", "ya existe una empresa llamada 'comercial andes spa'"),
        "contact": ("phone", "'12345' no es un teléfono en formato internacional (+56 9 1234 5678)"),
        "row": "no hay un plan llamado 'Plan Oro' (planes: Plan Estándar, Plan Incidentes)",
        "empty": "la empresa necesita un nombre",
        "summary": "1 fila correcta, 2 filas omitidas",
        "result": "empresa creada, contacto creado",
    },
    "en": {
        "plan": ("hours_tue", "bad opening interval '8-17'; expected HH:MM-HH:MM"),
        "company": ("name", "a company named 'comercial andes spa' already exists"),
        "contact": ("phone", "'12345' is not a phone number in international form (+56 9 1234 5678)"),
        "row": "no plan named 'Plan Oro' (plans: Plan Estándar, Plan Incidentes)",
        "empty": "a company needs a name",
        "summary": "1 good row, 2 rows skipped",
        "result": "company created, contact created",
    },
}


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_console_shows_set_up_errors_in_the_agents_language(desk: Console, language: str) -> None:
    client, expected = _client(desk, language), EXPECTED[language]
    status, page = _post(client, "/console/admin/plans/new", {"name": "Plan X", "hours_tue": "8-17"})
    field, text = expected["plan"]
    assert status == 400 and _errors(page)[field] == text
    status, page = _post(client, "/console/admin/companies/new", {"name": "comercial andes spa"})
    field, text = expected["company"]
    assert status == 400 and _errors(page)[field] == text
    status, page = _post(client, "/console/admin/contacts/new", {"name": "Pedro", "phone": "12345"})
    field, text = expected["contact"]
    assert status == 400 and _errors(page)[field] == text
    upload = {"file": (io.BytesIO(CSV.encode()), "customers.csv")}
    status, page = _post(client, "/console/admin/import", upload, content_type="multipart/form-data")
    assert status == 200
    assert f'<div class="cell-error" data-column="plan">plan: {expected["row"]}</div>' in page
    assert f'<div class="cell-error" data-column="company">company: {expected["empty"]}</div>' in page
    assert f'<span id="import-summary">{expected["summary"]}</span>' in page
    assert f"<td>{expected['result']}</td>" in page


@pytest.mark.parametrize(
    ("email", "name", "password", "kwargs"),
    [
        ("x@latamadvisory.example", " ", "a long enough password", {}),
        ("x@latamadvisory.example", "X", "short", {}),
        ("x@latamadvisory.example", "X", "a long enough password", {"language": "fr"}),
        ("x@latamadvisory.example", "X", "a long enough password", {"role": "boss"}),
    ],
)
def test_the_fixed_account_refusals_the_agents_page_flashes_read_in_spanish(
    desk: Console, email: str, name: str, password: str, kwargs: dict[str, str]
) -> None:
    with pytest.raises(AccountError) as refused:
        desk.accounts.add(email, name, password, **kwargs)
    assert translate(str(refused.value), "es") != str(refused.value), str(refused.value)
