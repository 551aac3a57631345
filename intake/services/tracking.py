"""The customer's tracking page use cases: read a ticket by its link, reply, validate, rate, revoke links.

Each use case opens its own transaction and checks the (number, token) pair inside it; an unknown number,
a wrong token and a revoked link are the same `None` / `False` for the caller (nothing leaks which).
A reply is the chat's own use case (TicketService.customer_adds: an information request's pause ends),
validation and the survey go through the ConversationService as a chat answer does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.context import RequestTerms
from bot.flow import StepName
from bot.rendering import request_terms_text
from bot.settle import SURVEY_STEPS, VALIDATION_STEPS, settle_prompt
from bot.state import DialogState
from bot.texts import text
from channels.base import MediaRefusedError
from channels.media_policy import MediaPolicy
from intake.db import unit_of_work
from intake.db.models import Attachment, Conversation, Message, SurveyAnswer, Ticket, TicketEvent
from intake.db.storage import FileStore
from intake.delivery.tracking_links import revoke_links, ticket_for_token, tracking_url
from intake.domain.events import Actor
from intake.domain.lifecycle import OPEN_STATUSES, TicketStatus
from intake.services.billing import ticket_billing
from intake.services.conversations import ConversationService
from intake.services.sla import SlaService, deadline_states
from intake.services.tickets import TicketError, TicketService, clip
from intake.services.triage import apply_triage, triage_pending
from sla.priority import Impact, Urgency

PUBLIC_EVENT_KINDS = frozenset({"created", "validated", "auto_closed", "cancelled", "survey_answered"})
_NO_BODY = frozenset({"created", "auto_closed", "survey_answered"})  # their bodies are agents' wording
MAX_REPLY_CHARS = 4000
MAX_FILES_PER_REPLY = 10
Refusals = tuple[tuple[str, str], ...]  # (file name, reason code) of files not kept


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a customer uploaded from a web page: its bytes, declared type and name."""

    content: bytes
    content_type: str | None
    filename: str | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One public line of a ticket's history (never an internal note or an agents' alert)."""

    at: datetime
    actor: str
    kind: str
    body: str


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """A stored file of the ticket, as the customer may download it."""

    id: int
    filename: str
    mime_type: str
    size: int


@dataclass(frozen=True, slots=True)
class TrackingView:
    """What the tracking page shows of one ticket."""

    number: str
    title: str
    ticket_type: str
    status: str
    priority: str
    language: str
    opened_at: datetime
    response: str
    resolution: str
    response_state: str
    resolution_state: str
    timeline: tuple[TimelineEntry, ...]
    evidence: tuple[EvidenceItem, ...]
    can_reply: bool
    awaiting_validation: bool
    survey_open: bool
    survey_rating: int | None
    commercial: str = ""  # issue 15: the request's terms, or why an incident is billable (customer's words)
    triage_open: bool = False  # an e-mail ticket still waiting for the customer's impact and urgency


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A file's bytes for download."""

    content: bytes
    mime_type: str
    filename: str


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """What a reply did: whether it was recorded, and the files not kept (name, reason code)."""

    recorded: bool
    refused: tuple[tuple[str, str], ...] = ()


class TrackingPages:
    """The tracking page's use cases on one database."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        tickets: TicketService,
        conversations: ConversationService,
        sla: SlaService,
        store: FileStore,
        clock: Callable[[], datetime],
        policy: MediaPolicy | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.tickets = tickets
        self.conversations = conversations
        self.sla = sla
        self.store = store
        self.clock = clock
        self.policy = policy or MediaPolicy()

    def view(self, number: str, token: str) -> TrackingView | None:
        """The ticket as its customer sees it, or None for an unknown number, wrong or revoked token."""
        with self.session_factory() as session:
            ticket = ticket_for_token(session, number, token)
            return None if ticket is None else self._view(session, ticket)

    def evidence(self, number: str, token: str, attachment_id: int) -> EvidenceFile | None:
        """One stored file of the ticket, only with its link."""
        with self.session_factory() as session:
            ticket = ticket_for_token(session, number, token)
            if ticket is None:
                return None
            row = session.get(Attachment, attachment_id)
            if row is None or row.ticket_id != ticket.id or row.status != "stored" or not row.storage_path:
                return None
            content = self.store.open(row.storage_path)
            return EvidenceFile(content, row.mime_type or "application/octet-stream", row.filename or "file")

    def reply(self, number: str, token: str, body: str, files: Sequence[Upload] = ()) -> ReplyOutcome:
        """The customer writes (and attaches files) from the page: the chat's reply use case."""
        body = body.strip()[:MAX_REPLY_CHARS]
        kept, refused = self._check_files(files[:MAX_FILES_PER_REPLY])
        if not body and not kept:
            return ReplyOutcome(False, refused)
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            ticket = self._locked(session, number, token)
            if ticket is None or ticket.status not in OPEN_STATUSES or ticket.conversation_id is None:
                return ReplyOutcome(False, refused)
            names = ", ".join(upload.filename or "file" for upload, _ in kept)
            text = body or names
            self._record_message(session, ticket, text, now)
            conversation = session.get(Conversation, ticket.conversation_id)  # locked by tickets.lock
            assert conversation is not None
            self.tickets.customer_adds(session, ticket, conversation, text, (), now=now)
            for upload, content_type in kept:
                session.add(self._stored(ticket, upload, content_type, now))
        return ReplyOutcome(True, refused)

    def validate(self, number: str, token: str, accepted: bool, comment: str) -> bool:
        """The customer's answer to a proposed solution (no reopens the ticket); False when not awaited."""
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            ticket = self._locked(session, number, token)
            if ticket is None or ticket.status != TicketStatus.SOLUTION_PROPOSED:
                return False
            note = comment.strip()[:MAX_REPLY_CHARS] or None
            answered = self.conversations.answer_validation(session, ticket, accepted, note, now)
            if answered:
                _settle_chat(session, ticket, VALIDATION_STEPS)  # a yes started the survey in the chat
            return answered

    def rate(self, number: str, token: str, rating: int, comment: str) -> bool:
        """The satisfaction survey (1–5 and a comment) of a closed ticket; False when not open for it."""
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            ticket = self._locked(session, number, token)
            if ticket is None or ticket.status != TicketStatus.CLOSED:
                return False
            try:
                note = comment.strip()[:MAX_REPLY_CHARS] or None
                self.tickets.record_survey(session, ticket, rating, note, now=now)
            except TicketError:
                return False
            _settle_chat(session, ticket, SURVEY_STEPS)
            return True

    def triage(self, number: str, token: str, impact: str, urgency: str) -> bool:
        """The two triage answers of an e-mail ticket (the e-mail reply's use case); False when not awaited
        or not levels of the contract's matrix."""
        try:
            answer = Impact(impact), Urgency(urgency)
        except ValueError:
            return False
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            ticket = self._locked(session, number, token)
            if ticket is None or ticket.status not in OPEN_STATUSES or not triage_pending(session, ticket):
                return False
            apply_triage(session, self.tickets, ticket, answer, "tracking page", now)
            return True

    def revoke(self, number: str) -> int | None:
        """Revoke every link of a ticket (agents, the CLI); how many, or None for an unknown number."""
        with unit_of_work(self.session_factory) as session:
            ticket = session.scalar(select(Ticket).where(Ticket.number == number))
            return None if ticket is None else revoke_links(session, ticket, now=self.clock())

    def link(self, number: str) -> str | None:
        """The ticket's current tracking URL (issued if needed); None without PUBLIC_BASE_URL or ticket."""
        with unit_of_work(self.session_factory) as session:
            ticket = session.scalar(select(Ticket).where(Ticket.number == number))
            return None if ticket is None else tracking_url(session, ticket, now=self.clock())

    # --- internals ---------------------------------------------------------------------------
    def _locked(self, session: Session, number: str, token: str) -> Ticket | None:
        if ticket_for_token(session, number, token) is None:
            return None
        return self.tickets.lock(session, number)

    def _view(self, session: Session, ticket: Ticket) -> TrackingView:
        now = self.clock()
        response, resolution = self.sla.explain(session, ticket)
        states = deadline_states(ticket, now)
        answer = session.scalar(select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket.id))
        return TrackingView(
            number=ticket.number or "",
            title=ticket.title,
            ticket_type=ticket.ticket_type,
            status=ticket.status,
            priority=ticket.priority,
            language=ticket.language,
            opened_at=ticket.opened_at,
            response=response,
            resolution=resolution,
            response_state=states.response,
            resolution_state=states.resolution,
            timeline=tuple(_timeline(session, ticket)),
            evidence=tuple(_evidence(session, ticket)),
            can_reply=ticket.status in OPEN_STATUSES and ticket.conversation_id is not None,
            awaiting_validation=ticket.status == TicketStatus.SOLUTION_PROPOSED,
            survey_open=ticket.status == TicketStatus.CLOSED and (answer is None or answer.rating is None),
            survey_rating=answer.rating if answer is not None else None,
            commercial=customer_terms(session, ticket, now),
            triage_open=ticket.status in OPEN_STATUSES and triage_pending(session, ticket),
        )

    def _check_files(self, files: Sequence[Upload]) -> tuple[list[tuple[Upload, str]], Refusals]:
        kept: list[tuple[Upload, str]] = []
        refused: list[tuple[str, str]] = []
        for upload in files:
            try:
                content_type = self.policy.check_content(upload.content, upload.content_type, upload.filename)
            except MediaRefusedError as exc:
                refused.append((upload.filename or "file", exc.code))
            else:
                kept.append((upload, content_type))
        return kept, tuple(refused)

    def _stored(self, ticket: Ticket, upload: Upload, content_type: str, now: datetime) -> Attachment:
        stored = self.store.put(upload.content, content_type, upload.filename)
        return Attachment(
            ticket_id=ticket.id,
            conversation_id=ticket.conversation_id,
            origin="web",
            provider_ref=f"web:{stored.sha256}:{now.timestamp()}",
            status="stored",
            storage_path=self.store.relative(stored),
            sha256=stored.sha256,
            size=stored.size,
            mime_type=clip(content_type, 120),
            filename=clip(upload.filename, 255),
            kind=_kind(content_type),
            created_at=now,
        )

    def _record_message(self, session: Session, ticket: Ticket, text: str, now: datetime) -> None:
        """The reply in the chat's transcript (agents read it with the chat), marked as from the web page."""
        session.add(
            Message(
                conversation_id=ticket.conversation_id,
                ticket_id=ticket.id,
                direction="in",
                channel="web",
                author=Actor.CUSTOMER.value,
                text=text,
                created_at=now,
            )
        )


def _settle_chat(session: Session, ticket: Ticket, steps: frozenset[StepName]) -> None:
    """The ticket's chat stops asking what the page just answered (its conversation is locked already)."""
    conversation = session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    if conversation is None or not conversation.state:
        return
    settled = settle_prompt(DialogState.from_dict(conversation.state), ticket.number or "", steps)
    if settled is not None:
        conversation.state, conversation.step = settled.to_dict(), settled.step


def _timeline(session: Session, ticket: Ticket) -> list[TimelineEntry]:
    query = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .where(TicketEvent.visible_to_customer.is_(True) | TicketEvent.kind.in_(PUBLIC_EVENT_KINDS))
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    entries = []
    for event in session.scalars(query):
        body = "" if event.kind in _NO_BODY else event.body
        entries.append(TimelineEntry(event.created_at, event.actor, event.kind, body))
    return entries


def _evidence(session: Session, ticket: Ticket) -> list[EvidenceItem]:
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.ticket_id == ticket.id, Attachment.status == "stored")
        .order_by(Attachment.id)
    )
    return [EvidenceItem(r.id, r.filename or "file", r.mime_type or "", r.size or 0) for r in rows]


def _kind(content_type: str) -> str:
    family = content_type.split("/", maxsplit=1)[0]
    return family if family in ("image", "audio", "video") else "document"


def customer_terms(session: Session, ticket: Ticket, now: datetime) -> str:
    """What the customer is told of the ticket's commercial terms, in its language ("" when nothing)."""
    billing = ticket_billing(session, ticket, now)
    if billing.user_error:
        return text(
            "ticket_billable",
            ticket.language,
            number=ticket.number or "",
            reason=billing.billable_reason or "",
        )
    if billing.request_rule is None:
        return ""
    # The page is reached by a link that may be forwarded or posted in a group: no company balance on it.
    return request_terms_text(RequestTerms(billing.request_rule, None), ticket.language)
