"""The desk set-up's error messages: one template per problem code, in English and Spanish.

Services report a `Problem(code, params)`; the console renders it in the agent's language (web/i18n.py),
logs and the command line in English. Templates use `str.format` with the problem's params.
"""

from __future__ import annotations

from collections.abc import Mapping

NAMED = ("company", "contact", "plan", "agent")
"""What clean_name names: each has the codes `<what>.name_missing`, `.name_too_long`, `.not_found`."""

SETUP_MESSAGES: Mapping[str, Mapping[str, str]] = {
    # cells and fields
    "email.invalid": {
        "en": "'{value}' is not an e-mail address (name@example.com)",
        "es": "'{value}' no es una dirección de correo (nombre@ejemplo.cl)",
    },
    "phone.invalid": {
        "en": "'{value}' is not a phone number in international form (+56 9 1234 5678)",
        "es": "'{value}' no es un teléfono en formato internacional (+56 9 1234 5678)",
    },
    "telegram.invalid": {
        "en": "'{value}' is not a Telegram user id (digits only, e.g. 123456789)",
        "es": "'{value}' no es un ID de usuario de Telegram (solo dígitos, p. ej. 123456789)",
    },
    "tax_id.invalid": {
        "en": "'{value}' is not a tax id (letters, digits, dots and dashes, e.g. 76.123.456-7)",
        "es": "'{value}' no es un ID tributario (letras, dígitos, puntos y guiones, p. ej. 76.123.456-7)",
    },
    "company.name_missing": {"en": "a company needs a name", "es": "la empresa necesita un nombre"},
    "contact.name_missing": {"en": "a contact needs a name", "es": "el contacto necesita un nombre"},
    "plan.name_missing": {"en": "a plan needs a name", "es": "el plan necesita un nombre"},
    "agent.name_missing": {"en": "an agent needs a name", "es": "el agente necesita un nombre"},
    "company.name_too_long": {
        "en": "a company name has at most {limit} characters",
        "es": "el nombre de una empresa tiene como máximo {limit} caracteres",
    },
    "contact.name_too_long": {
        "en": "a contact name has at most {limit} characters",
        "es": "el nombre de un contacto tiene como máximo {limit} caracteres",
    },
    "plan.name_too_long": {
        "en": "a plan name has at most {limit} characters",
        "es": "el nombre de un plan tiene como máximo {limit} caracteres",
    },
    "agent.name_too_long": {
        "en": "an agent name has at most {limit} characters",
        "es": "el nombre de un agente tiene como máximo {limit} caracteres",
    },
    # records that are not there
    "company.not_found": {"en": "no company {id}", "es": "no existe la empresa {id}"},
    "contact.not_found": {"en": "no contact {id}", "es": "no existe el contacto {id}"},
    "plan.not_found": {"en": "no plan {id}", "es": "no existe el plan {id}"},
    "agent.not_found": {"en": "no agent {id}", "es": "no existe el agente {id}"},
    # plans
    "plan.name_taken": {
        "en": "a plan named '{name}' already exists",
        "es": "ya existe un plan llamado '{name}'",
    },
    "plan.package_unknown": {
        "en": "unknown package '{package}'; choose {choices}",
        "es": "paquete desconocido '{package}'; elija {choices}",
    },
    "plan.hours_format": {
        "en": "bad opening interval '{value}'; expected HH:MM-HH:MM",
        "es": "intervalo de atención incorrecto '{value}'; se espera HH:MM-HH:MM",
    },
    "plan.hours_time": {
        "en": "bad time in opening interval '{value}'",
        "es": "hora incorrecta en el intervalo de atención '{value}'",
    },
    "plan.hours_order": {
        "en": "opening interval {value} must open before it closes, within 00:00-24:00",
        "es": "el intervalo de atención {value} debe abrir antes de cerrar, entre 00:00 y 24:00",
    },
    "plan.hours_overlap": {
        "en": "opening intervals of a day must be sorted and must not overlap",
        "es": "los intervalos de atención de un día deben ir en orden y sin superponerse",
    },
    "plan.hours_invalid": {
        "en": "'{value}' are not opening hours (e.g. 08:30-13:00, 14:00-17:30)",
        "es": "'{value}' no es un horario de atención (p. ej. 08:30-13:00, 14:00-17:30)",
    },
    "plan.closed_all_week": {
        "en": "the plan must be open at some time of the week",
        "es": "el plan debe atender en algún momento de la semana",
    },
    "plan.timezone_unknown": {
        "en": "unknown time zone '{value}'",
        "es": "zona horaria desconocida '{value}'",
    },
    "plan.country_unknown": {
        "en": "country '{value}' has no public holidays in the holidays package",
        "es": "el país '{value}' no tiene feriados en el paquete holidays",
    },
    "plan.subdivision_needs_country": {
        "en": "a subdivision needs a country",
        "es": "una subdivisión necesita un país",
    },
    "plan.subdivision_unknown": {
        "en": "unknown subdivision '{value}' for {country}",
        "es": "subdivisión desconocida '{value}' para {country}",
    },
    "plan.date_invalid": {
        "en": "'{value}' is not a date; write dates as YYYY-MM-DD",
        "es": "'{value}' no es una fecha; escriba las fechas como AAAA-MM-DD (YYYY-MM-DD)",
    },
    "plan.hours_bank_invalid": {
        "en": "'{value}' is not a whole number of hours",
        "es": "'{value}' no es un número entero de horas",
    },
    # issue 15: commercial rules
    "contact.reports_need_company": {
        "en": "only a verified contact of a company can receive its reports",
        "es": "solo un contacto verificado de una empresa puede recibir sus informes",
    },
    "plan.request_rule_unknown": {
        "en": "unknown request rule '{rule}'; one of {choices}",
        "es": "regla de requerimientos desconocida '{rule}'; una de {choices}",
    },
    "plan.low_balance_invalid": {
        "en": "'{value}' is not a whole number of hours (0 to 10000)",
        "es": "'{value}' no es un número entero de horas (0 a 10000)",
    },
    # companies
    "company.name_taken": {
        "en": "a company named '{name}' already exists",
        "es": "ya existe una empresa llamada '{name}'",
    },
    "company.tax_id_taken": {
        "en": "tax id {tax_id} already belongs to {owner}",
        "es": "el ID tributario {tax_id} ya pertenece a {owner}",
    },
    # agents
    "agent.role_invalid": {"en": "role must be one of {choices}", "es": "el rol debe ser uno de {choices}"},
    "agent.language_invalid": {
        "en": "language must be one of {choices}",
        "es": "el idioma debe ser uno de {choices}",
    },
    "agent.last_admin": {
        "en": "this is the last active admin: make another agent admin first",
        "es": "es el último administrador activo: primero haga administrador a otro agente",
    },
    "agent.telegram_taken": {
        "en": "Telegram user {telegram} is already {owner}",
        "es": "el usuario de Telegram {telegram} ya es {owner}",
    },
    # contacts
    "contact.company_required": {
        "en": "choose the contact's company first",
        "es": "elija primero la empresa del contacto",
    },
    "contact.merge_into_itself": {
        "en": "a contact cannot be merged into itself",
        "es": "un contacto no se puede fusionar consigo mismo",
    },
    "contact.merge_target_missing": {
        "en": "choose the contact to merge into",
        "es": "elija el contacto con el que fusionar",
    },
    "contact.email_taken": {
        "en": "{email} is already the e-mail of {owner} (#{owner_id})",
        "es": "{email} ya es el correo de {owner} (#{owner_id})",
    },
    "contact.identity_taken": {
        "en": "{channel} {address} already belongs to {owner} (#{owner_id}); merge the two contacts instead",
        "es": "{channel} {address} ya pertenece a {owner} (#{owner_id}); mejor fusione los dos contactos",
    },
    # the CSV import
    "import.too_large": {
        "en": "the file is larger than {kb} kB; split it",
        "es": "el archivo pesa más de {kb} kB; divídalo",
    },
    "import.not_utf8": {
        "en": "the file is not UTF-8 text (save it as CSV UTF-8)",
        "es": "el archivo no es texto UTF-8 (guárdelo como CSV UTF-8)",
    },
    "import.too_many_rows": {
        "en": "more than {limit} rows; split the file",
        "es": "más de {limit} filas; divida el archivo",
    },
    "import.extra_cells": {
        "en": "{cells} cells but the header names {columns}",
        "es": "{cells} celdas, pero el encabezado nombra {columns}",
    },
    "import.empty": {
        "en": "the file is empty; the first row must name the columns",
        "es": "el archivo está vacío; la primera fila debe nombrar las columnas",
    },
    "import.unknown_column": {
        "en": "unknown column; the columns are {columns}",
        "es": "columna desconocida; las columnas son {columns}",
    },
    "import.no_company_column": {
        "en": "the header has no company column",
        "es": "el encabezado no tiene la columna company",
    },
    "import.duplicate_column": {"en": "the column appears twice", "es": "la columna aparece dos veces"},
    "import.contact_name_missing": {
        "en": "a row with contact details needs the contact's name",
        "es": "una fila con datos de contacto necesita el nombre del contacto",
    },
    "import.plan_unknown": {
        "en": "no plan named '{plan}' (plans: {known})",
        "es": "no hay un plan llamado '{plan}' (planes: {known})",
    },
    "import.plan_unknown_none": {
        "en": "no plan named '{plan}' (plans: none yet)",
        "es": "no hay un plan llamado '{plan}' (todavía no hay planes)",
    },
    "import.tax_id_elsewhere": {
        "en": "tax id {tax_id} belongs to {owner}, not {company}",
        "es": "el ID tributario {tax_id} pertenece a {owner}, no a {company}",
    },
    "import.tax_id_mismatch": {
        "en": "{company} has tax id {tax_id}, not {given}",
        "es": "{company} tiene el ID tributario {tax_id}, no {given}",
    },
    "import.contact_elsewhere": {
        "en": "{value} is already {contact} (#{contact_id}), a contact of {company}",
        "es": "{value} ya es {contact} (#{contact_id}), un contacto de {company}",
    },
}
"""Problem code -> language -> message template."""


def message(code: str, params: Mapping[str, object], language: str = "en") -> str:
    """A problem's message in the language (English when the language or the code's text is missing)."""
    texts = SETUP_MESSAGES.get(code)
    if texts is None:
        return code
    return (texts.get(language) or texts["en"]).format(**params)
