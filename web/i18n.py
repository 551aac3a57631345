"""The console speaks Spanish by default and English per agent: English source strings, Spanish catalogue."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from intake.services.setup_rules import Problem

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
    "{} left": "quedan {}",
    "breached {} ago": "vencido hace {}",
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
    "Actions": "Acciones",
    "Audit log": "Registro de auditoría",
    "When": "Cuándo",
    "Who": "Quién",
    "Action": "Acción",
    "Target": "Sobre",
    "Add note": "Agregar nota",
    "Ask for information": "Pedir información",
    "Cancel": "Cancelar",
    "Caption": "Texto que acompaña al archivo",
    "Change priority": "Cambiar prioridad",
    "Choose a file first.": "Elija un archivo primero.",
    "Choose the contact.": "Elija el contacto.",
    "Deadlines": "Plazos",
    "Description": "Descripción",
    "Escalate": "Escalar",
    "Evidence": "Evidencia",
    "For phone calls and meetings: priority from the matrix, deadlines from the customer's calendar; "
    "the customer is told in their chat.": (
        "Para llamadas y reuniones: prioridad según la matriz, plazos según el calendario del cliente; "
        "se le avisa al cliente en su chat."
    ),
    "Hand-off": "Derivación a una persona",
    "Internal note (never sent)": "Nota interna (nunca se envía)",
    "Internal note added.": "Nota interna agregada.",
    "Last message": "Último mensaje",
    "last message": "último mensaje",
    "Module": "Módulo",
    "More actions": "Más acciones",
    "Pauses": "Pausas",
    "Post progress": "Informar avance",
    "Priority changed.": "Prioridad cambiada.",
    "Progress sent to the customer.": "Avance enviado al cliente.",
    "Propose solution": "Proponer solución",
    "Question sent; the clock is paused.": "Pregunta enviada; el plazo queda en pausa.",
    "Reason": "Motivo",
    "Register": "Registrar",
    "Register a ticket": "Registrar un ticket",
    "Register a ticket on a customer's behalf": "Registrar un ticket en nombre de un cliente",
    "Reply queued to the customer's chat.": "Respuesta en cola hacia el chat del cliente.",
    "Reply to the customer": "Responder al cliente",
    "Send a file": "Enviar un archivo",
    "Send file": "Enviar archivo",
    "Send reply": "Enviar respuesta",
    "Solution proposed; the customer is asked to validate it.": (
        "Solución propuesta; se le pide al cliente que la valide."
    ),
    "Survey": "Encuesta",
    "Take": "Tomar",
    "The customer is asked to validate it in their chat.": "Se le pide al cliente que la valide en su chat.",
    "The file is larger than 16 MB.": "El archivo pesa más de 16 MB.",
    "The resolution clock pauses until the customer answers.": (
        "El plazo de resolución se detiene hasta que el cliente responda."
    ),
    "Ticket": "Ticket",
    "Ticket cancelled.": "Ticket cancelado.",
    "Ticket escalated.": "Ticket escalado.",
    "Ticket registered; the customer was told in their chat.": (
        "Ticket registrado; se avisó al cliente en su chat."
    ),
    "Ticket taken; the customer was told.": "Ticket tomado; se avisó al cliente.",
    "Timeline": "Historial",
    "WhatsApp window open until": "Ventana de WhatsApp abierta hasta",
    "WhatsApp's 24-hour window is closed": "La ventana de 24 horas de WhatsApp está cerrada",
    "Write a text first.": "Escriba un texto primero.",
    "the reply goes out as typed.": "la respuesta sale tal como la escribe.",
    "the reply goes out as the approved progress template, quoting your text.": (
        "la respuesta sale como la plantilla aprobada de avance, citando su texto."
    ),
    "the reply is held until the customer writes again (no template configured); "
    "an e-mail copy goes out when the contact has an address.": (
        "la respuesta se retiene hasta que el cliente vuelva a escribir (no hay plantilla configurada); "
        "si el contacto tiene correo, se le envía una copia."
    ),
    "asked for a person": "pidió hablar con una persona",
    "End the hand-off (back to the bot)": "Terminar la derivación (vuelve al bot)",
    "Hand-off ended; the customer is back with the bot.": (
        "Derivación terminada; el cliente vuelve con el bot."
    ),
    "waiting for a person": "esperando a una persona",
    "with the bot": "con el bot",
    "billable": "facturable",
    "contact to verify": "contacto por verificar",
    "internal note": "nota interna",
    "impact": "impacto",
    "urgency": "urgencia",
    "nobody": "nadie",
    "still paused": "todavía en pausa",
    "bot": "bot",
    "customer": "cliente",
    "agent": "agente",
    "system": "sistema",
    # stored values: ticket statuses, types, pause reasons, event kinds, delivery and file states
    "new": "nuevo",
    "in_analysis": "en análisis",
    "waiting_customer": "esperando al cliente",
    "in_progress": "en curso",
    "solution_proposed": "solución propuesta",
    "reopened": "reabierto",
    "closed": "cerrado",
    "cancelled": "cancelado",
    "incident": "incidente",
    "request": "requerimiento",
    "validation": "validación",
    "contingency": "contingencia",
    "created": "creado",
    "status": "estado",
    "taken": "tomado",
    "agent_reply": "respuesta",
    "info_requested": "información solicitada",
    "progress": "avance",
    "escalated": "escalado",
    "agent_file": "archivo enviado",
    "priority_changed": "prioridad cambiada",
    "customer_reply": "respuesta del cliente",
    "customer_edit": "edición del cliente",
    "validated": "validado",
    "auto_closed": "cerrado sin validación",
    "survey_answered": "encuesta respondida",
    "agent_alert": "alerta a agentes",
    "contingency_started": "contingencia iniciada",
    "contingency_ended": "contingencia terminada",
    "attachment_stored": "archivo guardado",
    "attachment_refused": "archivo rechazado",
    "delivery_failed": "entrega fallida",
    "delivery_rerouted": "entrega desviada",
    "customer_unreachable": "cliente inalcanzable",
    "billable_marked": "marcado facturable",
    "billable_unmarked": "facturable deshecho",
    "time_logged": "tiempo registrado",
    "queued": "en cola",
    "sent": "enviado",
    "delivered": "entregado",
    "read": "leído",
    "failed": "falló",
    "undelivered": "no entregado",
    "pending": "pendiente",
    "stored": "guardado",
    "refused": "rechazado",
    "alto": "alto",
    "medio": "medio",
    "bajo": "bajo",
    "alta": "alta",
    "media": "media",
    "baja": "baja",
    "Page not found.": "Página no encontrada.",
    "You may not open this page.": "No tiene permiso para abrir esta página.",
    # API tokens (web/console/tokens.py)
    "API tokens": "Tokens de API",
    "A token lets a program use the JSON API as you: send it as Authorization: Bearer <token>.": (
        "Un token permite a un programa usar la API JSON en su nombre: envíelo como "
        "Authorization: Bearer <token>."
    ),
    "API reference": "Referencia de la API",
    "Your new token": "Su nuevo token",
    "What it is for": "Para qué es",
    "Create a token": "Crear un token",
    "Token": "Token",
    "Name": "Nombre",
    "Created": "Creado",
    "Last used": "Último uso",
    "never": "nunca",
    "Revoke": "Revocar",
    "revoked": "revocado",
    "No tokens yet.": "Aún no hay tokens.",
    "Token created: copy it now, it will not be shown again.": (
        "Token creado: cópielo ahora, no se volverá a mostrar."
    ),
    "No such token.": "No existe ese token.",
    "Token revoked.": "Token revocado.",
}

# Setting up the desk (the admin pages).
DESK_SETUP_SPANISH: dict[str, str] = {
    "Desk set-up": "Configuración de la mesa",
    "Overview": "Resumen",
    "Companies": "Empresas",
    "Contacts": "Contactos",
    "Support plans": "Planes de soporte",
    "Support plan": "Plan de soporte",
    "Agents": "Agentes",
    "CSV import": "Importar CSV",
    "Audit log": "Registro de auditoría",
    "Action": "Acción",
    "Active": "Activa",
    "Active (unticked: disabled, signed out everywhere)": (
        "Activo (sin marcar: deshabilitado, se cierran sus sesiones)"
    ),
    "Add": "Agregar",
    "Add an agent": "Agregar un agente",
    "Agent added.": "Agente agregado.",
    "Agent saved.": "Agente guardado.",
    "CSV file": "Archivo CSV",
    "Channels": "Canales",
    "Choose a CSV file first.": "Elija primero un archivo CSV.",
    "Claimed company": "Empresa que declaró",
    "Company deactivated.": "Empresa desactivada.",
    "Company saved.": "Empresa guardada.",
    "Confirming imports the good rows in one transaction and skips the rows with errors.": (
        "Al confirmar se importan las filas correctas en una sola transacción"
        " y se omiten las filas con errores."
    ),
    "Contact saved.": "Contacto guardado.",
    "Contact verified.": "Contacto verificado.",
    "Contacts merged.": "Contactos fusionados.",
    "Contacts to verify": "Contactos por verificar",
    "Deactivate the company": "Desactivar la empresa",
    "Details": "Detalles",
    "Extra closed dates (YYYY-MM-DD, separated by commas)": (
        "Días cerrados adicionales (AAAA-MM-DD, separados por comas)"
    ),
    "Holidays": "Feriados",
    "Holidays: country code (empty = no public holidays)": "Feriados: código de país (vacío = sin feriados)",
    "Hours": "Horario",
    "Hours bank": "Bolsa de horas",
    "Hours bank (hours)": "Bolsa de horas (horas)",
    "Import another file": "Importar otro archivo",
    "Import companies and contacts (CSV)": "Importar empresas y contactos (CSV)",
    "Import done.": "Importación terminada.",
    "Import the good rows": "Importar las filas correctas",
    "Imported": "Importado",
    "Merge": "Fusionar",
    "Name": "Nombre",
    "Name or tax id": "Nombre o RUT",
    "Name, e-mail or phone": "Nombre, correo o teléfono",
    "New company": "Nueva empresa",
    "New contact": "Nuevo contacto",
    "New password (at least 10 characters)": "Nueva contraseña (al menos 10 caracteres)",
    "New plan": "Nuevo plan",
    "No companies found.": "No se encontraron empresas.",
    "No contacts found.": "No se encontraron contactos.",
    "Nobody is waiting to be verified.": "No hay nadie esperando verificación.",
    "Nothing to import: upload the file again.": "Nada que importar: vuelva a subir el archivo.",
    "On": "Sobre",
    "One row per contact, UTF-8, comma or semicolon separated, with a header row naming the columns:": (
        "Una fila por contacto, UTF-8, separado por comas o punto y coma,"
        " con una fila de encabezado que nombre las columnas:"
    ),
    "Only those to verify": "Solo los por verificar",
    "Only “company” is required; a row without contact columns sets up the company alone.": (
        "Solo “company” es obligatoria; una fila sin columnas de contacto registra solo la empresa."
    ),
    "Or merge into an existing contact (chats, identities and tickets move there)": (
        "O fusionar con un contacto existente (los chats, identidades y tickets pasan a él)"
    ),
    "Package": "Paquete",
    "Password (at least 10 characters)": "Contraseña (al menos 10 caracteres)",
    "Password reset; the agent's sessions ended.": (
        "Contraseña restablecida; se cerraron las sesiones del agente."
    ),
    "Phone": "Teléfono",
    "Plan": "Plan",
    "Plan saved.": "Plan guardado.",
    "Preview": "Vista previa",
    "Preview: nothing is written until you confirm": "Vista previa: no se guarda nada hasta que confirme",
    # issue 15: commercial rules
    "Requests": "Requerimientos",
    "Included in the plan": "Incluidos en el plan",
    "Charged to the hours bank": "Con cargo a la bolsa de horas",
    "Quoted before work starts": "Se cotizan antes de comenzar",
    "Warn when the bank falls to (hours)": "Avisar cuando la bolsa baje a (horas)",
    "P1 around the clock (24×7)": "P1 las 24 horas (24×7)",
    "To review: no known plan": "Por revisar: sin plan conocido",
    "user error — billable": "error de usuario — facturable",
    "User error — billable": "Error de usuario — facturable",
    "Billing": "Facturación",
    "Time logged": "Tiempo registrado",
    "charged to the bank": "con cargo a la bolsa",
    "Bank balance": "Saldo de la bolsa",
    "bank": "bolsa",
    "Log time (minutes)": "Registrar tiempo (minutos)",
    "What was done": "Qué se hizo",
    "Log time": "Registrar tiempo",
    "Undo: not a user error": "Deshacer: no es error de usuario",
    "The customer is told: errors caused by their users are served, with charge.": (
        "Se informa al cliente: los errores provocados por sus usuarios se atienden, con cargo."
    ),
    "Undo billable": "Deshacer facturable",
    "Mark billable": "Marcar facturable",
    "Minutes must be a whole number.": "Los minutos deben ser un número entero.",
    "Time logged.": "Tiempo registrado.",
    "Marked user error — billable; the customer was told.": (
        "Marcado error de usuario — facturable; se informó al cliente."
    ),
    "No longer billable; the customer was told.": "Ya no es facturable; se informó al cliente.",
    "Credited": "Cargado",
    "Charged": "Consumido",
    "Balance": "Saldo",
    "low": "bajo",
    "Agents and the company's report contacts are warned when the balance falls to": (
        "Se avisa a los agentes y a los contactos de informes de la empresa cuando el saldo baja a"
    ),
    "and again at zero.": "y otra vez al llegar a cero.",
    "Add hours": "Agregar horas",
    "Note": "Nota",
    "Add to the bank": "Agregar a la bolsa",
    "Hours added to the bank.": "Horas agregadas a la bolsa.",
    "Receives reports and hours-bank warnings": "Recibe informes y avisos de la bolsa de horas",
    "Reports setting saved.": "Preferencia de informes guardada.",
    "Reset the password": "Restablecer la contraseña",
    "Result": "Resultado",
    "Role": "Rol",
    "Row": "Fila",
    "Rows with errors (not imported)": "Filas con errores (no se importan)",
    "Save": "Guardar",
    "Subdivision (region or state code, optional)": "Subdivisión (código de región o estado, opcional)",
    "Tax id": "RUT / ID tributario",
    "Tax id (RUT, RFC, NIT…)": "ID tributario (RUT, RFC, NIT…)",
    "Telegram user id": "ID de usuario de Telegram",
    "This contact identified itself in a chat": "Este contacto se identificó en un chat",
    "Tickets": "Tickets",
    "Time zone": "Zona horaria",
    "Verified (sees its company's tickets)": "Verificado (ve los tickets de su empresa)",
    "Verify": "Verificar",
    "Weekly hours (used with the package “custom”; empty = closed; e.g. 08:30-13:00, 14:00-17:30)": (
        "Horario semanal (se usa con el paquete “personalizado”; vacío = cerrado;"
        " p. ej. 08:30-13:00, 14:00-17:30)"
    ),
    "When": "Cuándo",
    "Who": "Quién",
    "active": "activa",
    "claims": "declara",
    "column": "columna",
    "(empty)": "(vacía)",
    "company": "empresa",
    "contact": "contacto",
    "disabled": "deshabilitado",
    "inactive": "inactiva",
    "no": "no",
    "yes": "sí",
    "no password": "sin contraseña",
    "none (the default calendar)": "ninguno (el calendario por defecto)",
    "row": "fila",
    "to verify": "por verificar",
    "typed e-mail": "correo escrito",
    "verified": "verificado",
    "updated": "actualizado",
    "unchanged": "sin cambios",
    # the CSV import's result per row and summary (agreeing in gender and number)
    "company created": "empresa creada",
    "company updated": "empresa actualizada",
    "company unchanged": "empresa sin cambios",
    "contact created": "contacto creado",
    "contact updated": "contacto actualizado",
    "contact unchanged": "contacto sin cambios",
    "{} good row": "{} fila correcta",
    "{} good rows": "{} filas correctas",
    "{} row skipped": "{} fila omitida",
    "{} rows skipped": "{} filas omitidas",
    "standard": "estándar",
    "extended": "extendido",
    "24x7": "24×7",
    "custom": "personalizado",
    "admin": "administrador",
    "supervisor": "supervisor",
    "Monday": "Lunes",
    "Tuesday": "Martes",
    "Wednesday": "Miércoles",
    "Thursday": "Jueves",
    "Friday": "Viernes",
    "Saturday": "Sábado",
    "Sunday": "Domingo",
    # the fixed messages of an agent account refused (intake/services/accounts.py AccountError, flashed)
    "an agent needs a name": "el agente necesita un nombre",
    "a password needs at least 10 characters": "la contraseña necesita al menos 10 caracteres",
    "language must be one of es, en": "el idioma debe ser uno de es, en",
    "role must be one of agent, supervisor, admin": "el rol debe ser uno de agent, supervisor, admin",
}
SPANISH.update({key: value for key, value in DESK_SETUP_SPANISH.items() if key not in SPANISH})
# --- issue 15: monthly report (web/console/reports.py; the report itself speaks bot/texts.py "report.*") ---
SPANISH.update(
    {
        "Reports": "Informes",
        "Monthly report": "Informe mensual",
        "Month": "Mes",
        "Whole desk": "Toda la mesa de ayuda",
        "Show": "Mostrar",
        "Download PDF": "Descargar PDF",
        "Download CSV": "Descargar CSV",
    }
)

# English is the source, except for stored values (statuses, event kinds), which read better in words.
ENGLISH: dict[str, str] = {key: key.replace("_", " ") for key in SPANISH if "_" in key and " " not in key} | {
    "alto": "high",
    "medio": "medium",
    "bajo": "low",
    "alta": "high",
    "media": "medium",
    "baja": "low",
    "auto_closed": "closed without validation",
    "agent_reply": "reply",
}

CATALOGUES = {"es": SPANISH, "en": ENGLISH}


def translate(text: str, language: str) -> str:
    """The text in the language (English is the source; an unknown string stays in English)."""
    return CATALOGUES.get(language, {}).get(text, text)


def plural(count: int, one: str, other: str, language: str) -> str:
    """`one` or `other` (English source strings holding `{}` for the count), translated, with the count."""
    return translate(one if count == 1 else other, language).format(count)


def problem_text(problem: Problem | str, language: str) -> str:
    """A set-up problem (a field's or a CSV cell's) in the language; plain text is translated as a string."""
    if isinstance(problem, Problem):
        return problem.text(language)
    return translate(problem, language)


def agent_language() -> str:
    """The signed-in agent's language, else Spanish."""
    account = getattr(current_user, "account", None)
    return account.language if account is not None else "es"


def init_i18n(app: Flask) -> None:
    """Templates get `_()` in the agent's language and `lang` for the <html> tag."""

    @app.context_processor
    def _inject() -> dict[str, object]:
        language = agent_language()
        return {
            "_": lambda text: translate(text, language),
            "lang": language,
            "problem": lambda problem: problem_text(problem, language),
            "plural": lambda count, one, other: plural(count, one, other, language),
        }


# --- the customer's pages (/soporte, /t/<number>): English source, Spanish and Portuguese -----------------
PUBLIC_STRINGS: dict[str, tuple[str, str]] = {  # English: (Spanish, Portuguese)
    "Support": ("Soporte", "Suporte"),
    "Support request": ("Solicitud de soporte", "Solicitação de suporte"),
    "Your answer": ("Su respuesta", "Sua resposta"),
    "Choose one": ("Elija una opción", "Escolha uma opção"),
    "Continue": ("Continuar", "Continuar"),
    "Attach files (screenshots, documents, up to 16 MB each)": (
        "Adjuntar archivos (capturas, documentos, hasta 16 MB cada uno)",
        "Anexar arquivos (capturas, documentos, até 16 MB cada)",
    ),
    "Files not kept": ("Archivos no guardados", "Arquivos não guardados"),
    "type not accepted": ("tipo no aceptado", "tipo não aceito"),
    "too large": ("demasiado grande", "grande demais"),
    "Start a new request": ("Iniciar otra solicitud", "Iniciar outra solicitação"),
    "Your ticket": ("Su ticket", "Seu ticket"),
    "Follow your ticket on its tracking page": (
        "Siga su ticket en su página de seguimiento",
        "Acompanhe seu ticket na página de acompanhamento",
    ),
    "Keep this link: it is your access to the ticket.": (
        "Guarde este enlace: es su acceso al ticket.",
        "Guarde este link: é o seu acesso ao ticket.",
    ),
    "Leave this field empty": ("Deje este campo vacío", "Deixe este campo vazio"),
    "Language": ("Idioma", "Idioma"),
    "Page not found": ("Página no encontrada", "Página não encontrada"),
    "This page does not exist or its link is no longer valid.": (
        "Esta página no existe o su enlace ya no es válido.",
        "Esta página não existe ou o link não é mais válido.",
    ),
    "Ticket": ("Ticket", "Ticket"),
    "Status": ("Estado", "Status"),
    "Priority": ("Prioridad", "Prioridade"),
    "Type": ("Tipo", "Tipo"),
    "Deadlines": ("Plazos", "Prazos"),
    "Response": ("Respuesta", "Resposta"),
    "Resolution": ("Resolución", "Resolução"),
    "History": ("Historial", "Histórico"),
    "Evidence": ("Evidencia", "Evidências"),
    "No files yet.": ("Aún no hay archivos.", "Ainda não há arquivos."),
    "Write to support": ("Escribir a soporte", "Escrever ao suporte"),
    "Message": ("Mensaje", "Mensagem"),
    "Attach files": ("Adjuntar archivos", "Anexar arquivos"),
    "Send": ("Enviar", "Enviar"),
    # --- issue 14: triage of an e-mail ticket on the tracking page ---
    "Help us set the priority of your request:": (
        "Ayúdenos a fijar la prioridad de su caso:",
        "Ajude-nos a definir a prioridade do seu caso:",
    ),
    "How much of your operation is affected?": (
        "¿Cuánto afecta a su operación?",
        "Quanto isso afeta a sua operação?",
    ),
    "High: the service is stopped or essential functions fail": (
        "Alto: el servicio está detenido o fallan funciones esenciales",
        "Alto: o serviço está parado ou funções essenciais falham",
    ),
    "Medium: several areas, the service works partly": (
        "Medio: varias áreas, el servicio funciona parcialmente",
        "Médio: várias áreas, o serviço funciona parcialmente",
    ),
    "Low: daily operation is not affected": (
        "Bajo: no afecta la operación diaria",
        "Baixo: não afeta a operação diária",
    ),
    "How soon do you need the solution?": (
        "¿Qué tan pronto necesita la solución?",
        "Quão cedo precisa da solução?",
    ),
    "Urgently": ("Con urgencia", "Com urgência"),
    "Soon": ("Pronto", "Em breve"),
    "It can wait": ("Puede esperar", "Pode esperar"),
    # --- end issue 14 ---
    "Did the solution work?": ("¿Funcionó la solución?", "A solução funcionou?"),
    "Yes, it works": ("Sí, funciona", "Sim, funciona"),
    "No, it still fails": ("No, sigue fallando", "Não, continua falhando"),
    "Comment (optional)": ("Comentario (opcional)", "Comentário (opcional)"),
    "How satisfied are you with the support?": (
        "¿Qué tan satisfecho está con el soporte?",
        "Quão satisfeito você está com o suporte?",
    ),
    "1 = very unsatisfied, 5 = very satisfied": (
        "1 = muy insatisfecho, 5 = muy satisfecho",
        "1 = muito insatisfeito, 5 = muito satisfeito",
    ),
    "Your rating": ("Su calificación", "Sua avaliação"),
    "Thank you for your rating": ("Gracias por su calificación", "Obrigado pela sua avaliação"),
    "Your message was sent.": ("Su mensaje fue enviado.", "Sua mensagem foi enviada."),
    "Thank you, your answer was recorded.": (
        "Gracias, registramos su respuesta.",
        "Obrigado, registramos sua resposta.",
    ),
    "Write a message or attach a file.": (
        "Escriba un mensaje o adjunte un archivo.",
        "Escreva uma mensagem ou anexe um arquivo.",
    ),
    "That action is not available now.": (
        "Esa acción no está disponible ahora.",
        "Essa ação não está disponível agora.",
    ),
    "Too many requests; wait a minute and try again.": (
        "Demasiadas solicitudes; espere un minuto y vuelva a intentarlo.",
        "Solicitações demais; aguarde um minuto e tente novamente.",
    ),
    "paused while we wait for your answer": (
        "en pausa mientras esperamos su respuesta",
        "em pausa enquanto aguardamos sua resposta",
    ),
    "paused while you validate the solution": (
        "en pausa mientras usted valida la solución",
        "em pausa enquanto você valida a solução",
    ),
    "paused: contingency declared": ("en pausa: contingencia declarada", "em pausa: contingência declarada"),
    "overdue": ("vencido", "vencido"),
    "answered": ("atendido", "atendido"),
    "you": ("usted", "você"),
    "support": ("soporte", "suporte"),
    "system": ("sistema", "sistema"),
    "bot": ("asistente", "assistente"),
    "new": ("nuevo", "novo"),
    "in_analysis": ("en análisis", "em análise"),
    "waiting_customer": ("esperando su respuesta", "aguardando sua resposta"),
    "in_progress": ("en curso", "em andamento"),
    "solution_proposed": ("solución propuesta", "solução proposta"),
    "reopened": ("reabierto", "reaberto"),
    "closed": ("cerrado", "fechado"),
    "cancelled": ("cancelado", "cancelado"),
    "incident": ("incidente", "incidente"),
    "request": ("requerimiento", "solicitação"),
    "created": ("ticket registrado", "ticket registrado"),
    "taken": ("tomado por soporte", "assumido pelo suporte"),
    "agent_reply": ("respuesta de soporte", "resposta do suporte"),
    "info_requested": ("soporte pide información", "o suporte pede informações"),
    "progress": ("avance", "andamento"),
    "escalated": ("escalado", "escalado"),
    "solution_proposed_event": ("solución propuesta", "solução proposta"),
    "agent_file": ("archivo de soporte", "arquivo do suporte"),
    "customer_reply": ("su mensaje", "sua mensagem"),
    "validated": ("solución validada", "solução validada"),
    "auto_closed": ("cerrado sin validación", "fechado sem validação"),
    "survey_answered": ("encuesta respondida", "pesquisa respondida"),
}
PUBLIC_LANGUAGES = ("es", "en", "pt")
_PUBLIC_ENGLISH = {"solution_proposed_event": "solution proposed"} | {
    key: key.replace("_", " ") for key in PUBLIC_STRINGS if "_" in key and " " not in key
}


def public_translate(text: str, language: str) -> str:
    """A customer page's string in es, en or pt (English is the source)."""
    if language == "en":
        return _PUBLIC_ENGLISH.get(text, text)
    pair = PUBLIC_STRINGS.get(text)
    if pair is None:
        return text
    return pair[1] if language == "pt" else pair[0]
