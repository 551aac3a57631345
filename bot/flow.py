"""The dialog as data: every step with its prompt, how its answer is read, its options and exits.

`bot.engine` runs this table; `bot.diagram` draws it. Each step's answer yields an *outcome*
(a choice id, or a label such as "ok" / "matched" computed by the reader for that step, see
`bot.readers`); its `transitions` map outcomes to the next step and name the actions the engine
performs on the way (`bot.actions` turns each action into the effect the service executes).
Targets are step names or an `Exit`: DONE (the dialog finished: back to idle, or to an intake a
service prompt interrupted) and BACK (return to the step the customer came from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.parsing import ChoiceWords
from bot.texts import LANGS, TEXTS


class StepName(StrEnum):
    """Every step of the dialog; the values are stored in the dialog state and must not change."""

    IDLE = "idle"
    START = "start"
    ASK_NAME = "ask_name"
    ASK_COMPANY = "ask_company"
    CONFIRM_COMPANY = "confirm_company"
    ASK_EMAIL = "ask_email"
    ASK_TYPE = "ask_type"
    CONFIRM_BILLABLE = "confirm_billable"
    ASK_DESCRIPTION = "ask_description"
    CONFIRM_DUPLICATE = "confirm_duplicate"
    ASK_MODULE = "ask_module"
    ASK_EVIDENCE = "ask_evidence"
    ASK_IMPACT = "ask_impact"
    ASK_URGENCY = "ask_urgency"
    CONFIRM_SUMMARY = "confirm_summary"
    CHOOSE_EDIT = "choose_edit"
    CHOOSE_TICKET = "choose_ticket"
    TICKET_MESSAGE = "ticket_message"
    CHOOSE_LANGUAGE = "choose_language"
    VALIDATION_ASK = "validation_ask"
    VALIDATION_COMMENT = "validation_comment"
    SURVEY_RATING = "survey_rating"
    SURVEY_COMMENT = "survey_comment"
    HANDOFF = "handoff"


class Exit(StrEnum):
    """Transition targets that are not steps."""

    DONE = "done"  # the dialog finished: idle, or resume an intake a service prompt interrupted
    BACK = "back"  # return to the step the customer came from


DONE: Final = Exit.DONE
BACK: Final = Exit.BACK


class Action(StrEnum):
    """What a transition asks the service to do; `bot.actions` builds the effect of each.

    The value is the label the diagram draws: the effect's class and, where one effect class
    has several sources, which data it carries.
    """

    IDENTIFY_CONTACT = "IdentifyContact"
    CREATE_TICKET = "CreateTicket"
    ADD_MESSAGE = "AddToTicket(message)"  # this message and its files, to the state's ticket
    ADD_PENDING = "AddToTicket(first message)"  # the message that opened the dialog, to the chosen ticket
    ADD_DESCRIPTION = "AddToTicket(description)"  # the intake so far, to the ticket it duplicates
    ACCEPT_SOLUTION = "ValidationAnswer(accepted)"
    REJECT_SOLUTION = "ValidationAnswer(rejected)"
    RATE = "SurveyAnswered(rating)"
    RATE_WITH_COMMENT = "SurveyAnswered(rating, comment)"
    SET_LANGUAGE = "SetLanguage"
    FORWARD_TO_AGENT = "ForwardToAgent"


class Flow(StrEnum):
    """Which part of the conversation a step belongs to (the state's `mode`)."""

    IDLE = "idle"
    IDENTIFY = "identify"
    INTAKE = "intake"
    TICKET = "ticket"
    LANGUAGE = "language"
    VALIDATION = "validation"
    SURVEY = "survey"
    HANDOFF = "handoff"


class Answer(StrEnum):
    """How a step reads the customer's answer."""

    ROUTE = "route"  # no question: decided from the context at once
    CHOICE = "choice"  # one of the step's options
    TICKETS = "tickets"  # one of the company's open tickets, or a new problem
    TEXT = "text"  # free text (with files where it makes sense)
    EMAIL = "email"
    FILES = "files"  # any number of files until done/skip
    RATING = "rating"  # 1-5 by button, number, stars or words
    RELAY = "relay"  # everything goes to a human


@dataclass(frozen=True, slots=True)
class Choice:
    """An option: its id, the text id of its button title, and words that also select it."""

    id: str
    title: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Transition:
    """Where an outcome leads, and the actions the engine performs on the way (in order)."""

    on: str
    to: StepName | Exit
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the dialog."""

    name: StepName
    flow: Flow
    answer: Answer
    prompt: str | None
    transitions: tuple[Transition, ...]
    choices: tuple[Choice, ...] = ()
    field: str | None = None  # the intake field this step fills (editable from the summary)

    def transition(self, outcome: str) -> Transition:
        """The transition an outcome follows; '*' is the catch-all."""
        for transition in self.transitions:
            if transition.on == outcome:
                return transition
        for transition in self.transitions:
            if transition.on == "*":
                return transition
        raise KeyError(f"step {self.name} has no transition for outcome {outcome!r}")


def _t(on: str, to: StepName | Exit, *actions: Action) -> Transition:
    return Transition(on, to, actions)


_YES = ("si", "sí", "s", "yes", "y", "yep", "yeah", "sim", "ok", "okay", "claro", "correcto",
        "correct", "exacto", "dale", "afirmativo", "de acuerdo", "así es", "isso", "isso mesmo",
        "certo", "that's right", "es correcto", "por supuesto", "of course", "sure", "exato",
        "sii", "siii", "sip", "sep", "simm", "yess", "yes please", "si por favor", "sim claro")
_NO = ("no", "n", "nope", "não", "nao", "negativo", "para nada", "incorrecto", "wrong",
       "no es", "de jeito nenhum")
_SKIP = ("omitir", "saltar", "skip", "pular", "no", "não", "nao", "nada", "ninguno", "none",
         "no gracias", "no thanks", "não obrigado", "sin comentarios", "no comments",
         "sem comentários", "nothing", "nenhum", "no tengo")

# "para el viernes" / "by Friday" / "até sexta": a deadline in days, i.e. medium urgency.
_WEEKDAY_DEADLINES = (*(
    f"{lead} {day}"
    for lead, days in (
        ("para el", ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado")),
        ("el", ("lunes", "martes", "miércoles", "jueves", "viernes")),
        ("antes del", ("lunes", "martes", "miércoles", "jueves", "viernes")),
        ("by", ("monday", "tuesday", "wednesday", "thursday", "friday")),
        ("on", ("monday", "tuesday", "wednesday", "thursday", "friday")),
        ("before", ("monday", "tuesday", "wednesday", "thursday", "friday")),
        ("até", ("segunda", "terça", "quarta", "quinta", "sexta")),
        ("na", ("segunda", "terça", "quarta", "quinta", "sexta")),
        ("para", ("segunda", "terça", "quarta", "quinta", "sexta")),
    )
    for day in days
), "lunes", "martes", "miércoles", "jueves", "viernes", "monday", "tuesday", "wednesday",
    "thursday", "friday", "la próxima semana", "next week", "próxima semana",
    "dentro de la semana")

YES_NO = (Choice("yes", "opt.yes", _YES), Choice("no", "opt.no", _NO))

MODULES: dict[str, tuple[str, ...]] = {
    "sales": ("ventas", "venta", "cotización", "cotizaciones", "presupuesto", "pedido de venta",
              "crm", "clientes", "sales", "quotation", "vendas", "orçamento", "punto de venta",
              "pos"),
    "purchase": ("compras", "compra", "proveedor", "proveedores", "orden de compra", "purchase",
                 "purchasing", "vendor", "supplier", "fornecedor", "fornecedores"),
    "inventory": ("inventario", "stock", "bodega", "almacén", "despacho", "recepción",
                  "guía de despacho", "productos", "inventory", "warehouse", "delivery",
                  "estoque", "armazém", "entrega"),
    "accounting": ("contabilidad", "contable", "asientos", "conciliación", "banco", "bancos",
                   "pagos", "cobranza", "impuestos", "finanzas", "accounting", "journal",
                   "bank", "reconciliation", "finance", "contabilidade", "financeiro"),
    "einvoice": ("facturación electrónica", "facturación", "factura", "facturas", "boleta",
                 "boletas", "dte", "sii", "caf", "nota de crédito", "cfdi", "sat", "afip",
                 "dian", "e-invoicing", "einvoice", "invoice", "invoicing",
                 "electronic invoice", "nota fiscal", "nfe", "fatura", "faturamento", "sefaz"),
    "hr": ("rrhh", "rr hh", "recursos humanos", "nómina", "remuneraciones", "sueldos",
           "liquidación de sueldo", "asistencia", "vacaciones", "empleados", "hr", "payroll",
           "human resources", "employees", "rh", "folha de pagamento", "funcionários"),
    "other": ("otro", "otra", "otros", "other", "outro", "sitio web", "website", "ecommerce",
              "manufactura", "fabricación", "mrp", "proyectos"),
    "unknown": ("no sé", "no se", "nose", "no lo sé", "ni idea", "omitir", "saltar", "skip",
                "not sure", "don't know", "dont know", "i don't know", "não sei", "nao sei",
                "pular", "no estoy seguro"),
}

STEPS: tuple[Step, ...] = (
    Step(StepName.IDLE, Flow.IDLE, Answer.ROUTE, None, (
        _t("thanks", DONE),
        _t("recent_file", DONE, Action.ADD_MESSAGE),
        _t("waiting", DONE, Action.ADD_MESSAGE),
        _t("waiting_empty", StepName.TICKET_MESSAGE),
        _t("open_tickets", StepName.CHOOSE_TICKET),
        _t("new", StepName.START),
    )),
    Step(StepName.START, Flow.IDENTIFY, Answer.ROUTE, None, (
        _t("known", StepName.ASK_TYPE),
        _t("unknown", StepName.ASK_NAME),
    )),
    Step(StepName.ASK_NAME, Flow.IDENTIFY, Answer.TEXT, "step.ask_name", (_t("ok", StepName.ASK_COMPANY),)),
    Step(StepName.ASK_COMPANY, Flow.IDENTIFY, Answer.TEXT, "step.ask_company", (
        _t("matched", StepName.CONFIRM_COMPANY),
        _t("unmatched", StepName.ASK_EMAIL),
    )),
    Step(StepName.CONFIRM_COMPANY, Flow.IDENTIFY, Answer.CHOICE, "step.confirm_company", (
        _t("yes", StepName.ASK_EMAIL),
        _t("no", StepName.ASK_EMAIL),
    ), YES_NO),
    Step(StepName.ASK_EMAIL, Flow.IDENTIFY, Answer.EMAIL, "step.ask_email", (
        _t("ok", StepName.ASK_TYPE, Action.IDENTIFY_CONTACT),
    )),
    Step(StepName.ASK_TYPE, Flow.INTAKE, Answer.CHOICE, "step.ask_type", (
        _t("incident", StepName.ASK_DESCRIPTION),
        _t("request", StepName.ASK_DESCRIPTION),
        _t("billable", StepName.CONFIRM_BILLABLE),
    ), (
        Choice("incident", "opt.incident", (
            "falla", "reportar falla", "error", "incidente", "incidencia", "problema",
            "no funciona", "se cayó", "bloqueo", "failure", "incident", "bug", "broken",
            "problem", "issue", "falha", "erro", "parou", "relatar falha")),
        Choice("request", "opt.request", (
            "consulta", "solicitud", "requerimiento", "pregunta", "duda", "configuración",
            "configurar", "mejora", "capacitación", "entrenamiento", "question", "request",
            "how to", "configuration", "improvement", "training", "dúvida", "solicitação",
            "pergunta", "melhoria", "treinamento", "configuração")),
    ), field="type"),
    Step(StepName.CONFIRM_BILLABLE, Flow.INTAKE, Answer.CHOICE, "step.confirm_billable", (
        _t("continue", StepName.ASK_DESCRIPTION),
        _t("incident", StepName.ASK_DESCRIPTION),
        _t("cancel", DONE),
    ), (
        Choice("continue", "opt.continue", (*_YES, "continuar", "continue", "acepto",
                                            "adelante", "go ahead", "aceito", "seguir")),
        Choice("incident", "opt.is_incident", ("es una falla", "falla", "incidente", "failure",
                                               "é uma falha", "falha", "error", "erro", "bug")),
        Choice("cancel", "opt.cancel", ("cancelar", "cancel", *_NO)),
    )),
    Step(StepName.ASK_DESCRIPTION, Flow.INTAKE, Answer.TEXT, "step.ask_description", (
        _t("ok", StepName.ASK_MODULE),
        _t("duplicate", StepName.CONFIRM_DUPLICATE),
    ), field="description"),
    Step(StepName.CONFIRM_DUPLICATE, Flow.INTAKE, Answer.CHOICE, "step.confirm_duplicate", (
        _t("same", DONE, Action.ADD_DESCRIPTION),
        _t("different", StepName.ASK_MODULE),
    ), (
        Choice("same", "opt.same", (*_YES, "el mismo", "es el mismo", "mismo", "same",
                                    "the same", "o mesmo", "mesmo", "es ese", "that one")),
        Choice("different", "opt.different", (*_NO, "otro", "es otro", "distinto", "diferente",
                                              "different", "another", "other", "outro",
                                              "é outro", "no es el mismo", "not the same",
                                              "nuevo", "new", "novo")),
    )),
    Step(StepName.ASK_MODULE, Flow.INTAKE, Answer.CHOICE, "step.ask_module", (
        _t("*", StepName.ASK_EVIDENCE),
    ), tuple(Choice(mid, f"opt.module.{mid}", words) for mid, words in MODULES.items()),
        field="module"),
    Step(StepName.ASK_EVIDENCE, Flow.INTAKE, Answer.FILES, "step.ask_evidence", (
        _t("file", StepName.ASK_EVIDENCE),
        _t("note", StepName.ASK_EVIDENCE),
        _t("done", StepName.ASK_IMPACT),
        _t("skip", StepName.ASK_IMPACT),
    ), (
        Choice("done", "opt.done", ("listo", "lista", "ya", "ya está", "terminé", "eso es todo",
                                    "es todo", "fin", "done", "finished", "that's all", "ready",
                                    "pronto", "terminei", "é isso", "só isso", "ok")),
        Choice("skip", "opt.skip", (*_SKIP, "sin archivos", "no files", "i don't have",
                                    "não tenho", "sem arquivos")),
    ), field="evidence"),
    Step(StepName.ASK_IMPACT, Flow.INTAKE, Answer.CHOICE, "step.ask_impact", (
        _t("*", StepName.ASK_URGENCY),
    ), (
        Choice("high", "opt.impact.high", (
            "toda la operación", "alto", "alta", "high", "muy alto", "crítico", "critical",
            "total", "toda la empresa", "todos", "detenida", "paralizada", "está detenida",
            "whole operation", "everyone", "everything stopped", "stopped", "toda a operação",
            "tudo parado", "parada", "todos os usuários", "alto impacto", "whole company",
            "the whole company", "everything is down", "everything's down", "all down",
            "nobody can work", "no one can work", "company wide", "nadie puede trabajar",
            "no podemos trabajar", "nadie trabaja", "todo caído", "está todo caído",
            "toda la compañía", "la empresa completa", "ninguém consegue trabalhar",
            "ninguém pode trabalhar", "a empresa toda", "empresa inteira", "tudo caiu",
            "não conseguimos trabalhar", *_YES[:7])),
        Choice("medium", "opt.impact.medium", (
            "varias áreas", "medio", "media", "medium", "moderado", "moderate", "varias",
            "algunas áreas", "algunos usuarios", "un proceso clave", "proceso clave",
            "parcial", "parcialmente", "un área", "un departamento", "several areas",
            "some users", "key process", "partially", "várias áreas", "alguns usuários",
            "processo chave", "médio")),
        Choice("low", "opt.impact.low", (
            "un usuario", "bajo", "baja", "low", "menor", "leve", "solo yo", "solo a mí",
            "una persona", "one user", "minor", "just me", "only me", "um usuário", "só eu",
            "baixo", "baixa", "nada grave", "mínimo")),
    ), field="impact"),
    Step(StepName.ASK_URGENCY, Flow.INTAKE, Answer.CHOICE, "step.ask_urgency", (
        _t("*", StepName.CONFIRM_SUMMARY),
    ), (
        Choice("high", "opt.urgency.high", (
            "hoy mismo", "hoy", "alta", "alto", "high", "urgente", "muy urgente", "urgent",
            "ahora", "ahora mismo", "inmediato", "inmediatamente", "lo antes posible", "asap",
            "today", "right now", "now", "hoje", "hoje mesmo", "agora", "urgentíssimo",
            "crítico", "critical", *_YES[:7])),
        Choice("medium", "opt.urgency.medium", (
            "unos días", "media", "medio", "medium", "esta semana", "próximos días",
            "pocos días", "mañana", "en la semana", "no tan urgente", "this week",
            "few days", "tomorrow", "alguns dias", "amanhã", "média", "próximos dias",
            "não tão urgente", *_WEEKDAY_DEADLINES)),
        Choice("low", "opt.urgency.low", (
            "puede esperar", "baja", "bajo", "low", "no es urgente", "no urgente", "sin apuro",
            "sin prisa", "cuando puedan", "cuando se pueda", "no hay apuro", "can wait",
            "not urgent", "no rush", "whenever", "pode esperar", "sem pressa",
            "não é urgente", "quando puderem", "baixa")),
    ), field="urgency"),
    Step(StepName.CONFIRM_SUMMARY, Flow.INTAKE, Answer.CHOICE, "step.confirm_summary", (
        _t("confirm", DONE, Action.CREATE_TICKET),
        _t("edit", StepName.CHOOSE_EDIT),
        _t("cancel", DONE),
    ), (
        Choice("confirm", "opt.confirm", (*_YES, "confirmar", "confirmo", "registrar",
                                          "todo bien", "está bien", "confirm", "go ahead",
                                          "looks good", "confirma", "pode registrar",
                                          "perfecto", "listo", "registrala")),
        Choice("edit", "opt.edit", ("editar", "edit", "cambiar", "modificar", "corregir",
                                    "change", "fix", "alterar", "mudar", "corrigir", *_NO)),
        Choice("cancel", "opt.cancel", ("cancelar", "cancel", "anular", "descartar",
                                        "discard")),
    )),
    Step(StepName.CHOOSE_EDIT, Flow.INTAKE, Answer.CHOICE, "step.choose_edit", (
        _t("type", StepName.ASK_TYPE),
        _t("description", StepName.ASK_DESCRIPTION),
        _t("module", StepName.ASK_MODULE),
        _t("evidence", StepName.ASK_EVIDENCE),
        _t("impact", StepName.ASK_IMPACT),
        _t("urgency", StepName.ASK_URGENCY),
    ), (
        Choice("type", "opt.edit.type", ("tipo", "type", "falla o consulta")),
        Choice("description", "opt.edit.description", ("descripción", "description", "detalle",
                                                        "texto", "descrição", "problema")),
        Choice("module", "opt.edit.module", ("módulo", "module", "área", "area")),
        Choice("evidence", "opt.edit.evidence", ("archivos", "files", "adjuntos", "evidencia",
                                                  "capturas", "fotos", "attachments",
                                                  "arquivos", "anexos")),
        Choice("impact", "opt.edit.impact", ("impacto", "impact")),
        Choice("urgency", "opt.edit.urgency", ("urgencia", "urgency", "urgência")),
    )),
    Step(StepName.CHOOSE_TICKET, Flow.TICKET, Answer.TICKETS, "step.choose_ticket", (
        _t("ticket", DONE, Action.ADD_PENDING),
        _t("ticket_empty", StepName.TICKET_MESSAGE),
        _t("new", StepName.START),
    ), (
        Choice("new", "opt.new_problem", ("nuevo", "problema nuevo", "nuevo problema", "otro",
                                          "otro problema", "new", "new problem", "another",
                                          "novo", "problema novo", "outro", "ninguno",
                                          "none", "nenhum")),
    )),
    Step(StepName.TICKET_MESSAGE, Flow.TICKET, Answer.TEXT, "step.ticket_message", (
        _t("ok", DONE, Action.ADD_MESSAGE),
    )),
    Step(StepName.CHOOSE_LANGUAGE, Flow.LANGUAGE, Answer.CHOICE, "step.choose_language", (
        _t("*", BACK, Action.SET_LANGUAGE),
    ), (
        Choice("es", "opt.lang.es", ("español", "spanish", "es", "castellano", "espanhol")),
        Choice("en", "opt.lang.en", ("english", "inglés", "en", "inglês")),
        Choice("pt", "opt.lang.pt", ("português", "pt", "portuguese", "portugués")),
    )),
    Step(StepName.VALIDATION_ASK, Flow.VALIDATION, Answer.CHOICE, "solution_proposed", (
        _t("yes", DONE, Action.ACCEPT_SOLUTION),
        _t("no", StepName.VALIDATION_COMMENT, Action.REJECT_SOLUTION),
        _t("no_with_comment", DONE, Action.REJECT_SOLUTION, Action.ADD_MESSAGE),
        _t("ignored", DONE),
    ), (
        Choice("yes", "opt.yes", (*_YES, "resuelto", "solucionado", "funciona", "ya funciona",
                                  "funcionó", "todo bien", "perfecto", "listo", "se resolvió",
                                  "solved", "it works", "works", "fixed", "resolvido",
                                  "funcionou", "está funcionando", "resolveu")),
        Choice("no", "opt.no", (*_NO, "no funciona", "sigue fallando", "sigue igual",
                                "todavía no", "aún no", "no se resolvió", "not solved",
                                "still broken", "not yet", "still failing", "doesn't work",
                                "does not work", "ainda não", "não funciona",
                                "continua com erro", "não resolveu", "no se soluciono")),
    )),
    Step(StepName.VALIDATION_COMMENT, Flow.VALIDATION, Answer.TEXT, "step.validation_comment", (
        _t("ok", DONE, Action.ADD_MESSAGE),
        _t("skip", DONE),
    ), (Choice("skip", "opt.skip", _SKIP),)),
    Step(StepName.SURVEY_RATING, Flow.SURVEY, Answer.RATING, "survey_question", (
        _t("rated", StepName.SURVEY_COMMENT, Action.RATE),
        _t("ignored", DONE),
    ), (
        Choice("1", "opt.rating.1", ("muy mala", "muy malo", "pésimo", "pésima", "terrible",
                                     "horrible", "very poor", "very bad", "awful",
                                     "muito ruim", "péssimo", "péssima")),
        Choice("2", "opt.rating.2", ("mala", "malo", "poor", "bad", "ruim", "deficiente")),
        Choice("3", "opt.rating.3", ("regular", "normal", "más o menos", "fair", "so so",
                                     "razonable", "mais ou menos", "aceptable", "no muy bueno",
                                     "no tan bueno", "ok", "okay")),
        Choice("4", "opt.rating.4", ("buena", "bueno", "bien", "good", "boa", "bom",
                                     "satisfecho", "satisfied")),
        Choice("5", "opt.rating.5", ("excelente", "excellent", "muy buena", "muy bueno",
                                     "muy bien", "perfecto", "genial", "great", "very good",
                                     "amazing", "ótimo", "ótima", "muito bom", "muito boa",
                                     "excepcional", "outstanding", "maravilloso")),
    )),
    Step(StepName.SURVEY_COMMENT, Flow.SURVEY, Answer.TEXT, "step.survey_comment", (
        _t("ok", DONE, Action.RATE_WITH_COMMENT),
        _t("skip", DONE),
    ), (Choice("skip", "opt.skip", _SKIP),)),
    Step(StepName.HANDOFF, Flow.HANDOFF, Answer.RELAY, None, (
        _t("message", StepName.HANDOFF, Action.FORWARD_TO_AGENT),
    )),
)

STEP_BY_NAME: Mapping[str, Step] = {step.name: step for step in STEPS}
FIELD_STEPS: frozenset[StepName] = frozenset(s.name for s in STEPS if s.field)


def step(name: str) -> Step:
    """The step called `name` (KeyError for an unknown name)."""
    return STEP_BY_NAME[name]


def flow_of(name: str | None) -> Flow:
    """The flow a step belongs to; no step at all means idle."""
    return Flow.IDLE if name is None else STEP_BY_NAME[name].flow


def option_id(step_name: str, choice_id: str) -> str:
    """The button payload of an option: '<step>:<choice>' (≤ 64 bytes for Telegram)."""
    return f"{step_name}:{choice_id}"


def choice_words(choice: Choice) -> ChoiceWords:
    """Every phrase that selects an option: its words and its title in every language."""
    titles = tuple(TEXTS[choice.title].get(lang, "") for lang in LANGS)
    return ChoiceWords(choice.id, (*choice.words, *titles))
