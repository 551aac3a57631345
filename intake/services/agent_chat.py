"""Agents acting from Telegram: the agents' group (AGENT_TELEGRAM_CHAT_ID) and an agent's private chat.

Updates from there are agent traffic, not customer intake. Only registered, active agents (matched by
`agents.telegram_user_id`) act; anyone else in the agents' group is ignored without a word. Every action
goes through the console's use cases (AgentActions, Handoffs, Contingencies) and is answered in the same
chat (a pressed button: answerCallbackQuery with the outcome). Replying with Telegram's reply to an alert
(or to a prompt) answers that ticket's customer, or the hand-off chat the alert is about.

A processed update is marked first (processed_messages, like customer messages) and then acted on:
Telegram's retries of one update never act twice (at most once: an action that fails unexpectedly is
not retried; the agent sees no confirmation and issues it again).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Channel, InboundMessage, Option
from channels.base import OutboundMessage
from channels.telegram.format import CALLBACK_ANSWER
from channels.telegram.parse import replied_message_id, telegram_user_id
from intake.db import unit_of_work
from intake.db.models import Agent, AgentAlert, AgentUpload, Attachment, Message, ProcessedMessage, Ticket
from intake.db.storage import StoredFile
from intake.delivery.outbox import enqueue
from intake.domain.events import Actor
from intake.domain.lifecycle import IllegalTransitionError
from intake.services.agent_actions import ActionError, ActionErrorCode, ActionResult, AgentActions
from intake.services.billing import billing_lines
from intake.services.contingency import Contingencies, ContingencyError
from intake.services.handoffs import Handoffs
from intake.services.hours_bank import format_minutes
from intake.services.notify import ALERT_CALLBACK_PREFIX, alert_buttons, remember_alert
from intake.services.queue import QueueService, QueueView
from intake.services.sla import SlaService
from intake.services.ticket_views import ticket_details
from intake.services.tickets import TicketError, TicketService
from sla.explain import format_local

log = logging.getLogger(__name__)

MAX_QUEUE_LINES = 15
_NUMBER_RE = re.compile(r"^([A-Z]{1,10})-(\d{1,12})$")
_CONTINGENCY_ROLES = frozenset({"supervisor", "admin"})

USAGE = {
    "tomar": "/tomar N",
    "info": "/info N texto",
    "avance": "/avance N texto",
    "solucion": "/solucion N texto",
    "escalar": "/escalar N motivo",
    "prioridad": "/prioridad N P2 motivo",
    "nota": "/nota N texto",
    "ticket": "/ticket N",
    "cola": "/cola",
    "contingencia": "/contingencia inicio|fin texto",
    # issue 15: commercial rules
    "tiempo": "/tiempo N minutos nota (o, respondiendo a una alerta, /tiempo minutos nota)",
    "facturable": "/facturable N motivo",
    "nofacturable": "/nofacturable N motivo",
}
HELP = (
    "Comandos: "
    + ", ".join(USAGE.values())
    + ". N es el número del ticket (123 o LA-000123). Responde a una alerta para contestar al cliente."
)


@dataclass(frozen=True, slots=True)
class ActingAgent:
    """The registered agent behind an update."""

    id: int
    name: str
    email: str
    may_declare_contingencies: bool


@dataclass(frozen=True, slots=True)
class Prompt:
    """A message that a reply acts on: `action` (reply | ask | solve) on a ticket or a hand-off chat."""

    action: str
    ticket_id: int | None = None
    conversation_id: int | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the agent is told: `text` in the chat (optional), `notice` on a pressed button."""

    text: str = ""
    notice: str = ""
    options: tuple[Option, ...] = ()
    prompt: Prompt | None = None


@dataclass(frozen=True, slots=True)
class AgentCommand:
    """A parsed command: its name (without the slash), the ticket token and the rest of the text."""

    name: str
    args: str


def parse_command(text: str) -> AgentCommand | None:
    """'/info 123 ¿Qué versión?' → AgentCommand('info', '123 ¿Qué versión?'); None for non-commands."""
    match = re.match(r"^/([a-z_]+)(?:@\S+)?(?:\s+(.*))?$", text.strip(), re.DOTALL)
    if match is None:
        return None
    return AgentCommand(match.group(1).lower(), (match.group(2) or "").strip())


def ticket_number(token: str, prefix: str) -> str | None:
    """'123', '000123' or 'LA-000123' (any case) → 'LA-000123'; None when it is not a ticket number."""
    token = token.strip().upper()
    if token.isdigit() and len(token) <= 12:
        return f"{prefix}-{int(token):06d}"
    return token if _NUMBER_RE.match(token) else None


def _split(args: str) -> tuple[str, str]:
    head, _, rest = args.partition(" ")
    return head, rest.strip()


class AgentChat:
    """The agents' Telegram use case: who may act, what a command, button or reply does, the answers."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        actions: AgentActions,
        handoffs: Handoffs,
        contingencies: Contingencies,
        queue: QueueService,
        sla: SlaService,
        clock: Callable[[], datetime],
        *,
        group_chat_id: str | None,
        ticket_prefix: str,
    ) -> None:
        self.session_factory = session_factory
        self.actions = actions
        self.handoffs = handoffs
        self.contingencies = contingencies
        self.queue = queue
        self.sla = sla
        self.clock = clock
        self.group_chat_id = (group_chat_id or "").strip() or None
        self.prefix = ticket_prefix

    def link(self, email: str, user_id: str | None) -> str:
        """Let the agent with this e-mail act from Telegram as `user_id` (None unlinks); their name."""
        value = (user_id or "").strip() or None
        if value is not None and not (value.isdigit() and 0 < int(value) < 2**63):
            raise ActionError(ActionErrorCode.BAD_INPUT, f"not a Telegram user id: {value!r}")
        with unit_of_work(self.session_factory) as session:
            agent = session.scalar(select(Agent).where(Agent.email == email.strip().lower()))
            if agent is None:
                raise ActionError(ActionErrorCode.UNKNOWN_AGENT, f"no agent with e-mail {email}")
            taken = select(Agent).where(Agent.telegram_user_id == value, Agent.id != agent.id)
            other = session.scalar(taken) if value is not None else None
            if other is not None:
                raise ActionError(ActionErrorCode.BAD_INPUT, f"Telegram user {value} is {other.email}")
            agent.telegram_user_id = value
            return agent.name

    # --- routing ---------------------------------------------------------------------------------

    def claims(self, inbound: InboundMessage) -> bool:
        """Whether an update is agent traffic: the agents' group, or a registered agent's private chat."""
        if inbound.channel != Channel.TELEGRAM or not inbound.chat_id:
            return False
        if self.group_chat_id is not None and inbound.chat_id == self.group_chat_id:
            return True
        user_id = telegram_user_id(inbound.raw)
        if user_id is None or inbound.chat_id != str(user_id):
            return False
        return self._agent(user_id) is not None

    def handle(self, inbound: InboundMessage) -> bool:
        """Act on one agent update (once per update id); False when it was ignored or already handled."""
        user_id = telegram_user_id(inbound.raw)
        agent = self._agent(user_id) if user_id is not None else None
        if agent is None:
            # A stranger (or a disabled agent) in the agents' group learns nothing: no answer at all.
            log.info("telegram: %s from unlinked user %s ignored", inbound.provider_message_id, user_id)
            return False
        if inbound.is_edit:
            return False  # an edited command never acts again
        if not self._first_time(inbound):
            return False
        try:
            answer = self._dispatch(inbound, agent)
        except ActionError as exc:
            answer = Answer(text=f"⚠️ {exc.message}", notice=exc.message)
        except Exception:
            self._forget(inbound)  # nothing was done: Telegram's retry of this update must act
            raise
        if answer is not None:
            self._answer(inbound, answer)
        return True

    def _agent(self, user_id: int) -> ActingAgent | None:
        with self.session_factory() as session:
            found = session.scalar(
                select(Agent).where(Agent.telegram_user_id == str(user_id), Agent.active.is_(True))
            )
            if found is None:
                return None
            may = found.is_supervisor or found.role in _CONTINGENCY_ROLES
            return ActingAgent(found.id, found.name, found.email, may)

    def _forget(self, inbound: InboundMessage) -> None:
        """Undo `_first_time` for an update whose action failed unexpectedly."""
        with unit_of_work(self.session_factory) as session:
            session.execute(
                delete(ProcessedMessage).where(
                    ProcessedMessage.channel == str(inbound.channel),
                    ProcessedMessage.provider_message_id == inbound.provider_message_id,
                )
            )

    def _first_time(self, inbound: InboundMessage) -> bool:
        """Mark the update processed; False when it already was (Telegram retried it)."""
        try:
            with unit_of_work(self.session_factory) as session:
                seen = session.scalar(
                    select(ProcessedMessage.id).where(
                        ProcessedMessage.channel == str(inbound.channel),
                        ProcessedMessage.provider_message_id == inbound.provider_message_id,
                    )
                )
                if seen is not None:
                    return False
                session.add(
                    ProcessedMessage(
                        channel=str(inbound.channel),
                        provider_message_id=inbound.provider_message_id,
                        processed_at=self.clock(),
                    )
                )
        except IntegrityError:
            return False  # the same update, handled concurrently
        return True

    def _dispatch(self, inbound: InboundMessage, agent: ActingAgent) -> Answer | None:
        payload = inbound.button_payload
        if payload is not None:
            return self._button(payload, agent)
        command = parse_command(inbound.text) if inbound.text.startswith("/") else None
        if command is not None and command.name == "tiempo":
            return self._log_time(inbound, command.args, agent)
        if command is not None:
            return self._command(command, agent)
        replied = replied_message_id(inbound.raw)
        if replied is not None:
            return self._reply_to(inbound, replied, agent)
        return None if inbound.chat_id == self.group_chat_id else Answer(text=HELP)

    # --- buttons ---------------------------------------------------------------------------------

    def _button(self, payload: str, agent: ActingAgent) -> Answer:
        action, _, token = payload.removeprefix(ALERT_CALLBACK_PREFIX).partition(":")
        if action == "endchat" and token.isdigit():
            self.handoffs.end(int(token), agent.id)
            done = f"{agent.name} devolvió la conversación al bot"
            return Answer(text=f"✅ {done}.", notice=done)
        number = ticket_number(token, self.prefix) if payload.startswith(ALERT_CALLBACK_PREFIX) else None
        if number is None:
            return Answer(notice="Este botón ya no sirve.")
        if action == "take":
            result = self.actions.take(number, agent.id)
            done = f"{number} tomado por {agent.name} ({result.status})"
            return Answer(text=f"✅ {done}", notice=done)
        if action == "view":
            return self._card(number, notice=f"{number}")
        if action in ("ask", "solve"):
            return self._prompt(number, action)
        return Answer(notice="Este botón ya no sirve.")

    def _prompt(self, number: str, action: str) -> Answer:
        ticket_id = self._ticket_id(number)
        what = "la pregunta para el cliente" if action == "ask" else "la solución propuesta"
        text = f"{number}: responde a este mensaje con {what}."
        notice = f"Responde al mensaje con {what}"
        return Answer(text=text, notice=notice, prompt=Prompt(action, ticket_id=ticket_id))

    # --- commands --------------------------------------------------------------------------------

    def _command(self, command: AgentCommand, agent: ActingAgent) -> Answer:
        name = command.name
        if name == "cola":
            return self._queue(agent)
        if name == "contingencia":
            return self._contingency(command.args, agent)
        if name not in USAGE:
            return Answer(text=HELP)
        token, rest = _split(command.args)
        number = ticket_number(token, self.prefix) if token else None
        if number is None:
            return Answer(text=f"Uso: {USAGE[name]}")
        if name == "ticket":
            return self._card(number)
        return self._ticket_command(name, number, rest, agent)

    def _ticket_command(self, name: str, number: str, rest: str, agent: ActingAgent) -> Answer:
        if name == "tomar":
            result = self.actions.take(number, agent.id)
            return Answer(text=f"✅ {number} tomado por {agent.name} ({result.status})")
        if name == "prioridad":
            priority, reason = _split(rest)
            if not priority or not reason:
                return Answer(text=f"Uso: {USAGE[name]}")
            self.actions.change_priority(number, agent.id, priority, reason)
            return Answer(text=f"✅ Prioridad de {number}: {priority.upper()}")
        if not rest:
            return Answer(text=f"Uso: {USAGE[name]}")
        act, done = _TEXT_ACTIONS[name]
        result = act(self.actions, number, agent.id, rest)
        return Answer(text=f"✅ {done.format(number=number, status=result.status)}")

    def _log_time(self, inbound: InboundMessage, args: str, agent: ActingAgent) -> Answer:
        """/tiempo N 45 nota, or /tiempo 45 nota in reply to a ticket's alert or card."""
        first, rest = _split(args)
        second, note = _split(rest)
        number: str | None = None
        if first and second.isdigit():
            number, minutes = ticket_number(first, self.prefix), second
        else:
            replied = replied_message_id(inbound.raw)
            target = self._target(inbound.chat_id or "", replied) if replied is not None else None
            number, minutes, note = (target[1] if target else None), first, rest
        if number is None or not minutes.isdigit() or not note:
            return Answer(text=f"Uso: {USAGE['tiempo']}")
        logged = self.actions.log_time(number, agent.id, int(minutes[:6]), note)
        text = (
            f"✅ {logged.minutes} min registrados en {number} (total {format_minutes(logged.ticket_minutes)})"
        )
        if logged.charged_to_bank:
            text += f"; con cargo a la bolsa de horas (saldo {format_minutes(logged.balance_minutes or 0)})"
        if logged.warning:
            text += "; ⚠️ bolsa " + ("agotada" if logged.warning == "empty" else "por agotarse")
        return Answer(text=text + ".")

    def _queue(self, agent: ActingAgent) -> Answer:
        rows = self.queue.page(QueueView.OPEN, agent.id).rows
        if not rows:
            return Answer(text="No hay tickets abiertos.")
        cal = self.sla.default_calendar
        lines = [f"Tickets abiertos ({len(rows)}), el plazo más cercano primero:"]
        for row in rows[:MAX_QUEUE_LINES]:
            who = row.assignee or "sin asignar"
            due = format_local(cal, row.deadline, "es")
            lines.append(f"{row.number} {row.priority} · {row.status} · {row.company} · vence {due} · {who}")
        if len(rows) > MAX_QUEUE_LINES:
            lines.append(f"… y {len(rows) - MAX_QUEUE_LINES} más (consola).")
        return Answer(text="\n".join(lines))

    def _card(self, number: str, *, notice: str = "") -> Answer:
        with self.session_factory() as session:
            details = ticket_details(session, self.sla, number, self.clock())
            ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        if details is None or ticket_id is None:
            return Answer(text=f"⚠️ no ticket {number}", notice=f"no ticket {number}")
        s = details.summary
        lines = [
            f"{s.number} · {s.status} · {s.priority} (impacto {details.impact}, urgencia {details.urgency})",
            f"{s.company} · {s.contact} · {s.channel} · {details.ticket_type}",
            f"Asignado: {s.assignee}",
            f"Respuesta: {s.response}",
            f"Resolución: {s.resolution}",
            f"{details.description}",
        ]
        if details.billing is not None:
            lines += billing_lines(details.billing)
        lines += [f"Último: {when} {kind}: {body}" for when, kind, body in details.events[-3:]]
        lines.append("Responde a este mensaje para contestar al cliente.")
        return Answer(
            text="\n".join(lines),
            notice=notice,
            options=alert_buttons(number),
            prompt=Prompt("reply", ticket_id=ticket_id),
        )

    def _contingency(self, args: str, agent: ActingAgent) -> Answer:
        verb, text = _split(args)
        verb = verb.lower()
        if verb not in ("inicio", "fin") or (verb == "inicio" and not text):
            return Answer(text=f"Uso: {USAGE['contingencia']}")
        if not agent.may_declare_contingencies:
            return Answer(text="⚠️ Solo un supervisor puede declarar o terminar una contingencia.")
        try:
            if verb == "inicio":
                summary = self.contingencies.declare(text, None, agent.email)
                return Answer(
                    text=f"✅ Contingencia #{summary.contingency.id} iniciada: {summary.tickets} tickets "
                    f"pausados, {summary.conversations} clientes avisados."
                )
            active = [c for c in self.contingencies.history() if c.contingency.ended_at is None]
            if not active:
                return Answer(text="⚠️ No hay una contingencia en curso.")
            summary = self.contingencies.end(active[0].contingency.id)
        except ContingencyError as exc:
            return Answer(text=f"⚠️ {exc}")
        return Answer(
            text=f"✅ Contingencia #{summary.contingency.id} terminada: los plazos se reanudan "
            f"({summary.conversations} clientes avisados)."
        )

    # --- replies ---------------------------------------------------------------------------------

    def _reply_to(self, inbound: InboundMessage, replied: int, agent: ActingAgent) -> Answer | None:
        target = self._target(inbound.chat_id or "", replied)
        if target is None:
            return None  # a reply to something else: agents talking among themselves
        action, number, conversation_id = target
        if number is None:
            return self._reply_in_handoff(inbound, conversation_id, agent)
        if inbound.media:
            return self._upload(inbound, number, agent)
        body = inbound.text.strip()
        if not body:
            return None
        act, done = _REPLY_ACTIONS[action]
        result = act(self.actions, number, agent.id, body)
        return Answer(text=f"✅ {done.format(number=number, status=result.status)}")

    def _reply_in_handoff(
        self, inbound: InboundMessage, conversation_id: int | None, agent: ActingAgent
    ) -> Answer | None:
        """A reply to a hand-off alert: the text goes to that chat (files need a ticket: the console)."""
        if conversation_id is None:
            return None
        if inbound.media:
            return Answer(text="⚠️ En una atención sin ticket los archivos se envían desde la consola.")
        body = inbound.text.strip()
        if not body:
            return None
        self.handoffs.reply(conversation_id, agent.id, body)
        return Answer(text="✅ Enviado al cliente.")

    def _upload(self, inbound: InboundMessage, number: str, agent: ActingAgent) -> Answer:
        """Queue the agent's file for download (the media job); it goes to the customer once stored."""
        media, now = inbound.media[0], self.clock()
        with unit_of_work(self.session_factory) as session:
            ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
            if ticket_id is None:
                raise ActionError(ActionErrorCode.UNKNOWN_TICKET, f"no ticket {number}")
            attachment = Attachment(
                origin=str(inbound.channel),
                provider_ref=media.ref,
                status="pending",
                mime_type=media.content_type,
                size=media.size,
                filename=media.filename,
                kind=media.kind.value,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(attachment)
            session.flush()
            upload = AgentUpload(
                attachment_id=attachment.id,
                ticket_id=ticket_id,
                agent_id=agent.id,
                chat_id=inbound.chat_id or inbound.sender_id,
                caption=inbound.text.strip(),
                created_at=now,
            )
            session.add(upload)
        return Answer(text=f"📎 Archivo recibido: se envía al cliente de {number} en cuanto se descargue.")

    def _target(self, chat_id: str, message_id: int) -> tuple[str, str | None, int | None] | None:
        """What the replied-to message is about: (action, ticket number, hand-off chat), or None."""
        with self.session_factory() as session:
            row = session.execute(
                select(AgentAlert.action, Ticket.number, AgentAlert.conversation_id)
                .join(Message, Message.outbox_id == AgentAlert.outbox_id)
                .outerjoin(Ticket, Ticket.id == AgentAlert.ticket_id)
                .where(
                    Message.channel == Channel.TELEGRAM.value,
                    Message.provider_message_id == f"{chat_id}:{message_id}",
                )
                .limit(1)
            ).first()
        return None if row is None else (row[0], row[1], row[2])

    def _ticket_id(self, number: str) -> int:
        with self.session_factory() as session:
            found = session.scalar(select(Ticket.id).where(Ticket.number == number))
        if found is None:
            raise ActionError(ActionErrorCode.UNKNOWN_TICKET, f"no ticket {number}")
        return found

    # --- answers ---------------------------------------------------------------------------------

    def _answer(self, inbound: InboundMessage, answer: Answer) -> None:
        """Queue the answer: the button's notice first (answerCallbackQuery), then the chat message."""
        chat = inbound.chat_id or inbound.sender_id
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            if inbound.callback_query_id:
                notice = OutboundMessage(
                    channel=Channel.TELEGRAM,
                    recipient=chat,
                    text=answer.notice or answer.text,
                    kind=CALLBACK_ANSWER,
                    callback_query_id=inbound.callback_query_id,
                )
                enqueue(session, notice, now=now, author=Actor.SYSTEM.value)
            if not answer.text:
                return
            message = OutboundMessage(
                channel=Channel.TELEGRAM,
                recipient=chat,
                text=answer.text,
                options=answer.options,
                kind="agent_answer",
                language="es",
            )
            prompt = answer.prompt
            row = enqueue(
                session,
                message,
                now=now,
                ticket_id=prompt.ticket_id if prompt else None,
                author=Actor.SYSTEM.value,
            )
            if prompt is not None:
                remember_alert(
                    session,
                    row.id,
                    now=now,
                    ticket_id=prompt.ticket_id,
                    conversation_id=prompt.conversation_id,
                    action=prompt.action,
                )


TextAction = Callable[[AgentActions, str, int, str], ActionResult]

_TEXT_ACTIONS: dict[str, tuple[TextAction, str]] = {
    "info": (AgentActions.ask, "Información pedida en {number} ({status}); el plazo de resolución se pausa."),
    "avance": (AgentActions.progress, "Avance enviado al cliente de {number} ({status})."),
    "solucion": (AgentActions.solve, "Solución propuesta en {number} ({status}); el cliente debe validarla."),
    "escalar": (AgentActions.escalate, "{number} escalado ({status})."),
    "nota": (AgentActions.note, "Nota interna guardada en {number}."),
    "facturable": (
        AgentActions.mark_billable,
        "{number}: error de usuario — facturable; el cliente fue informado.",
    ),
    "nofacturable": (
        AgentActions.unmark_billable,
        "{number}: ya no es facturable; el cliente fue informado.",
    ),
}
_REPLY_ACTIONS: dict[str, tuple[TextAction, str]] = {
    "reply": (AgentActions.reply, "Respuesta enviada al cliente de {number} ({status})."),
    "ask": _TEXT_ACTIONS["info"],
    "solve": _TEXT_ACTIONS["solucion"],
}


def deliver_upload(
    session: Session, attachment: Attachment, path: str, now: datetime, tickets: TicketService
) -> bool:
    """Send a stored agent's file (from Telegram) to its ticket's customer; False when it is not one.

    Runs in the media job's transaction, through TicketService.send_file (what AgentActions.send_file
    does), after locking the ticket's conversation and then the ticket; the agent is told the outcome.
    """
    upload = session.scalar(select(AgentUpload).where(AgentUpload.attachment_id == attachment.id))
    if upload is None:
        return False
    number = session.scalar(select(Ticket.number).where(Ticket.id == upload.ticket_id)) or ""
    ticket = tickets.lock(session, number)
    agent = session.get(Agent, upload.agent_id)
    if ticket is None or agent is None or not agent.active:
        _tell_uploader(session, upload, f"⚠️ El archivo para {number} no se envió.", now)
        return True
    stored = StoredFile(Path(path), attachment.sha256 or "", attachment.size or 0)
    filename = attachment.filename or Path(path).name
    try:
        tickets.send_file(
            session,
            ticket,
            agent,
            stored,
            attachment.storage_path or "",
            filename=filename,
            content_type=attachment.mime_type,
            caption=upload.caption,
            now=now,
        )
    except (TicketError, IllegalTransitionError) as exc:
        _tell_uploader(session, upload, f"⚠️ {exc}", now)
        return True
    _tell_uploader(session, upload, f"✅ Archivo {filename} enviado al cliente de {number}.", now)
    return True


def refuse_upload(session: Session, attachment: Attachment, now: datetime) -> bool:
    """Tell the agent their file could not be fetched or was refused; False when it is not an agent's."""
    upload = session.scalar(select(AgentUpload).where(AgentUpload.attachment_id == attachment.id))
    if upload is None:
        return False
    reason = attachment.refusal_reason or "no se pudo descargar"
    _tell_uploader(session, upload, f"⚠️ El archivo no se envió al cliente: {reason}", now)
    return True


def _tell_uploader(session: Session, upload: AgentUpload, text: str, now: datetime) -> None:
    message = OutboundMessage(
        channel=Channel.TELEGRAM, recipient=upload.chat_id, text=text, kind="agent_answer", language="es"
    )
    enqueue(session, message, now=now, ticket_id=upload.ticket_id, author=Actor.SYSTEM.value)
