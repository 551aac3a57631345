"""The dialog as data: every step with its prompt, how its answer is read, its options and exits.

`bot.engine` runs this table; `bot.diagram` draws it. Each step's answer yields an *outcome*
(a choice id, or a label such as "ok" / "matched" computed by the engine's reader for that step);
its `transitions` map outcomes to the next step. Targets are step names or one of:
DONE (the dialog finished: back to idle, or to an intake a service prompt interrupted) and
BACK (return to the step the customer came from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.parsing import ChoiceWords
from bot.texts import LANGS, TEXTS

DONE = "done"
BACK = "back"


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
    """Where an outcome leads, and what the turn asks the service to do on the way."""

    on: str
    to: str
    effect: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the dialog."""

    name: str
    flow: Flow
    answer: Answer
    prompt: str | None
    transitions: tuple[Transition, ...]
    choices: tuple[Choice, ...] = ()
    field: str | None = None  # the intake field this step fills (editable from the summary)

    def target(self, outcome: str) -> str:
        """The step (or DONE/BACK) an outcome leads to; '*' is the catch-all."""
        for transition in self.transitions:
            if transition.on == outcome:
                return transition.to
        for transition in self.transitions:
            if transition.on == "*":
                return transition.to
        raise KeyError(f"step {self.name} has no transition for outcome {outcome!r}")


def _t(on: str, to: str, effect: str = "") -> Transition:
    return Transition(on, to, effect)


_YES = ("si", "sí", "s", "yes", "y", "yep", "yeah", "sim", "ok", "okay", "claro", "correcto",
        "correct", "exacto", "dale", "afirmativo", "de acuerdo", "así es", "isso", "isso mesmo",
        "certo", "that's right", "es correcto", "por supuesto", "of course", "sure", "exato")
_NO = ("no", "n", "nope", "não", "nao", "negativo", "para nada", "incorrecto", "wrong",
       "no es", "de jeito nenhum")
_SKIP = ("omitir", "saltar", "skip", "pular", "no", "não", "nao", "nada", "ninguno", "none",
         "no gracias", "no thanks", "não obrigado", "sin comentarios", "no comments",
         "sem comentários", "nothing", "nenhum", "no tengo")

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
    Step("idle", Flow.IDLE, Answer.ROUTE, None, (
        _t("waiting", DONE, "AddToTicket"),
        _t("waiting_empty", "ticket_message"),
        _t("open_tickets", "choose_ticket"),
        _t("new", "start"),
    )),
    Step("start", Flow.IDENTIFY, Answer.ROUTE, None, (
        _t("known", "ask_type"),
        _t("unknown", "ask_name"),
    )),
    Step("ask_name", Flow.IDENTIFY, Answer.TEXT, "step.ask_name", (_t("ok", "ask_company"),)),
    Step("ask_company", Flow.IDENTIFY, Answer.TEXT, "step.ask_company", (
        _t("matched", "confirm_company"),
        _t("unmatched", "ask_email"),
    )),
    Step("confirm_company", Flow.IDENTIFY, Answer.CHOICE, "step.confirm_company", (
        _t("yes", "ask_email"),
        _t("no", "ask_email"),
    ), YES_NO),
    Step("ask_email", Flow.IDENTIFY, Answer.EMAIL, "step.ask_email", (
        _t("ok", "ask_type", "IdentifyContact"),
    )),
    Step("ask_type", Flow.INTAKE, Answer.CHOICE, "step.ask_type", (
        _t("incident", "ask_description"),
        _t("request", "ask_description"),
        _t("billable", "confirm_billable"),
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
    Step("confirm_billable", Flow.INTAKE, Answer.CHOICE, "step.confirm_billable", (
        _t("continue", "ask_description"),
        _t("incident", "ask_description"),
        _t("cancel", DONE),
    ), (
        Choice("continue", "opt.continue", (*_YES, "continuar", "continue", "acepto",
                                            "adelante", "go ahead", "aceito", "seguir")),
        Choice("incident", "opt.is_incident", ("es una falla", "falla", "incidente", "failure",
                                               "é uma falha", "falha", "error", "erro", "bug")),
        Choice("cancel", "opt.cancel", ("cancelar", "cancel", *_NO)),
    )),
    Step("ask_description", Flow.INTAKE, Answer.TEXT, "step.ask_description", (
        _t("ok", "ask_module"),
        _t("duplicate", "confirm_duplicate"),
    ), field="description"),
    Step("confirm_duplicate", Flow.INTAKE, Answer.CHOICE, "step.confirm_duplicate", (
        _t("same", DONE, "AddToTicket"),
        _t("different", "ask_module"),
    ), (
        Choice("same", "opt.same", (*_YES, "el mismo", "es el mismo", "mismo", "same",
                                    "the same", "o mesmo", "mesmo", "es ese", "that one")),
        Choice("different", "opt.different", (*_NO, "otro", "es otro", "distinto", "diferente",
                                              "different", "another", "other", "outro",
                                              "é outro", "no es el mismo", "not the same",
                                              "nuevo", "new", "novo")),
    )),
    Step("ask_module", Flow.INTAKE, Answer.CHOICE, "step.ask_module", (
        _t("*", "ask_evidence"),
    ), tuple(Choice(mid, f"opt.module.{mid}", words) for mid, words in MODULES.items()),
        field="module"),
    Step("ask_evidence", Flow.INTAKE, Answer.FILES, "step.ask_evidence", (
        _t("file", "ask_evidence"),
        _t("note", "ask_evidence"),
        _t("done", "ask_impact"),
        _t("skip", "ask_impact"),
    ), (
        Choice("done", "opt.done", ("listo", "lista", "ya", "ya está", "terminé", "eso es todo",
                                    "es todo", "fin", "done", "finished", "that's all", "ready",
                                    "pronto", "terminei", "é isso", "só isso", "ok")),
        Choice("skip", "opt.skip", (*_SKIP, "sin archivos", "no files", "i don't have",
                                    "não tenho", "sem arquivos")),
    ), field="evidence"),
    Step("ask_impact", Flow.INTAKE, Answer.CHOICE, "step.ask_impact", (
        _t("*", "ask_urgency"),
    ), (
        Choice("high", "opt.impact.high", (
            "toda la operación", "alto", "alta", "high", "muy alto", "crítico", "critical",
            "total", "toda la empresa", "todos", "detenida", "paralizada", "está detenida",
            "whole operation", "everyone", "everything stopped", "stopped", "toda a operação",
            "tudo parado", "parada", "todos os usuários", "alto impacto", *_YES[:7])),
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
    Step("ask_urgency", Flow.INTAKE, Answer.CHOICE, "step.ask_urgency", (
        _t("*", "confirm_summary"),
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
            "não tão urgente")),
        Choice("low", "opt.urgency.low", (
            "puede esperar", "baja", "bajo", "low", "no es urgente", "no urgente", "sin apuro",
            "sin prisa", "cuando puedan", "cuando se pueda", "no hay apuro", "can wait",
            "not urgent", "no rush", "whenever", "pode esperar", "sem pressa",
            "não é urgente", "quando puderem", "baixa")),
    ), field="urgency"),
    Step("confirm_summary", Flow.INTAKE, Answer.CHOICE, "step.confirm_summary", (
        _t("confirm", DONE, "CreateTicket"),
        _t("edit", "choose_edit"),
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
    Step("choose_edit", Flow.INTAKE, Answer.CHOICE, "step.choose_edit", (
        _t("type", "ask_type"),
        _t("description", "ask_description"),
        _t("module", "ask_module"),
        _t("evidence", "ask_evidence"),
        _t("impact", "ask_impact"),
        _t("urgency", "ask_urgency"),
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
    Step("choose_ticket", Flow.TICKET, Answer.TICKETS, "step.choose_ticket", (
        _t("ticket", DONE, "AddToTicket"),
        _t("ticket_empty", "ticket_message"),
        _t("new", "start"),
    ), (
        Choice("new", "opt.new_problem", ("nuevo", "problema nuevo", "nuevo problema", "otro",
                                          "otro problema", "new", "new problem", "another",
                                          "novo", "problema novo", "outro", "ninguno",
                                          "none", "nenhum")),
    )),
    Step("ticket_message", Flow.TICKET, Answer.TEXT, "step.ticket_message", (
        _t("ok", DONE, "AddToTicket"),
    )),
    Step("choose_language", Flow.LANGUAGE, Answer.CHOICE, "step.choose_language", (
        _t("*", BACK, "SetLanguage"),
    ), (
        Choice("es", "opt.lang.es", ("español", "spanish", "es", "castellano", "espanhol")),
        Choice("en", "opt.lang.en", ("english", "inglés", "en", "inglês")),
        Choice("pt", "opt.lang.pt", ("português", "pt", "portuguese", "portugués")),
    )),
    Step("validation_ask", Flow.VALIDATION, Answer.CHOICE, "solution_proposed", (
        _t("yes", DONE, "ValidationAnswer(accepted)"),
        _t("no", "validation_comment", "ValidationAnswer(rejected)"),
        _t("no_with_comment", DONE, "ValidationAnswer(rejected) + AddToTicket"),
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
    Step("validation_comment", Flow.VALIDATION, Answer.TEXT, "step.validation_comment", (
        _t("ok", DONE, "AddToTicket"),
        _t("skip", DONE),
    ), (Choice("skip", "opt.skip", _SKIP),)),
    Step("survey_rating", Flow.SURVEY, Answer.RATING, "survey_question", (
        _t("rated", "survey_comment", "SurveyAnswer"),
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
    Step("survey_comment", Flow.SURVEY, Answer.TEXT, "step.survey_comment", (
        _t("ok", DONE, "SurveyAnswer"),
        _t("skip", DONE),
    ), (Choice("skip", "opt.skip", _SKIP),)),
    Step("handoff", Flow.HANDOFF, Answer.RELAY, None, (_t("*", "handoff", "ForwardToAgent"),)),
)

STEP_BY_NAME: Mapping[str, Step] = {step.name: step for step in STEPS}
FIELD_STEPS: frozenset[str] = frozenset(s.name for s in STEPS if s.field)
IDLE = "idle"
START = "start"


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
