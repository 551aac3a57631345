"""The console speaks Spanish by default and English per agent: English source strings, Spanish catalogue."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

SPANISH: dict[str, str] = {
    "Support console": "Consola de soporte",
    "Sign in": "Iniciar sesión",
    "Sign out": "Cerrar sesión",
    "E-mail": "Correo electrónico",
    "Password": "Contraseña",
    "Wrong e-mail or password.": "Correo o contraseña incorrectos.",
    "Too many sign-in attempts; wait a minute and try again.": (
        "Demasiados intentos de inicio de sesión; espere un minuto y vuelva a intentarlo."
    ),
    "Signed out.": "Sesión cerrada.",
    "Queue": "Cola",
    "Language": "Idioma",
    "Mine": "Míos",
    "Unassigned": "Sin asignar",
    "All open": "Todos abiertos",
    "Waiting on customer": "Esperando al cliente",
    "At risk": "En riesgo",
    "Hand-offs": "Derivaciones",
    "Number": "Número",
    "Company": "Empresa",
    "Contact": "Contacto",
    "Channel": "Canal",
    "Title": "Título",
    "Type": "Tipo",
    "Priority": "Prioridad",
    "Status": "Estado",
    "SLA": "SLA",
    "Waiting since": "Esperando desde",
    "Assignee": "Asignado a",
    "Search by number or text": "Buscar por número o texto",
    "Search": "Buscar",
    "No tickets here.": "No hay tickets aquí.",
    "Response": "Respuesta",
    "Resolution": "Resolución",
    "paused": "en pausa",
    "breached": "vencido",
    "left": "restante",
    "overdue": "de atraso",
    "met": "cumplido",
    "SLA exempt": "exento de SLA",
    "due": "vence",
    "Keyboard shortcuts": "Atajos de teclado",
    "next ticket": "ticket siguiente",
    "previous ticket": "ticket anterior",
    "open the ticket": "abrir el ticket",
    "take": "tomar",
    "reply": "responder",
    "note": "nota",
    "this help": "esta ayuda",
    "Close": "Cerrar",
    "Page not found.": "Página no encontrada.",
    "You may not open this page.": "No tiene permiso para abrir esta página.",
}

CATALOGUES = {"es": SPANISH}


def translate(text: str, language: str) -> str:
    """The text in the language (English is the source; an unknown string stays in English)."""
    return CATALOGUES.get(language, {}).get(text, text)


def agent_language() -> str:
    """The signed-in agent's language, else Spanish."""
    account = getattr(current_user, "account", None)
    return account.language if account is not None else "es"


def init_i18n(app: Flask) -> None:
    """Templates get `_()` in the agent's language and `lang` for the <html> tag."""

    @app.context_processor
    def _inject() -> dict[str, object]:
        language = agent_language()
        return {"_": lambda text: translate(text, language), "lang": language}
