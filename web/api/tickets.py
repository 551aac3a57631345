"""Tickets: list and filter, read one with its timeline and attachments, every agent action, register one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from apiflask import APIBlueprint, HTTPTokenAuth
from apiflask.schemas import FileSchema
from flask import Response, request, url_for

from intake.services.agent_actions import ActionResult, AgentActions, Registration
from intake.services.billing import TicketBilling
from intake.services.queue import ClockBadge, SlaBadge
from intake.services.ticket_page import AttachmentRow, TicketPage, TimelineEntry
from intake.services.ticket_search import TicketListView, TicketQuery, TicketSummary
from web.api.auth import current_token_agent
from web.api.problems import ApiProblem
from web.api.schemas import (
    ActionResultOut,
    FileIn,
    PriorityIn,
    ReasonIn,
    RegistrationIn,
    TextIn,
    TicketDetailOut,
    TicketListOut,
    TicketListQuery,
    TimeIn,
    TimeLoggedOut,
)
from web.api.services import api_services

MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # WhatsApp's outbound media limit
PUBLIC_KINDS = frozenset({"customer", "bot", "agent"})
TAG = "Tickets"
ACTION_ERRORS = {404: "No such ticket", 409: "The ticket's status does not allow it", 422: "Invalid input"}
TextAction = Callable[[AgentActions, str, int, str], ActionResult]

# action -> (the use case, its summary, what it does)
TEXT_ACTIONS: dict[str, tuple[TextAction, str, str]] = {
    "reply": (
        lambda a, n, who, text: a.reply(n, who, text),
        "Reply to the customer",
        "A public reply in the customer's chat; counts as the first response.",
    ),
    "note": (
        lambda a, n, who, text: a.note(n, who, text),
        "Add an internal note",
        "Never sent to the customer.",
    ),
    "ask": (
        lambda a, n, who, text: a.ask(n, who, text),
        "Ask the customer for information",
        "The resolution clock pauses until the customer answers.",
    ),
    "progress": (
        lambda a, n, who, text: a.progress(n, who, text),
        "Tell the customer how the work is going",
        "A progress message in the customer's chat.",
    ),
    "escalate": (
        lambda a, n, who, text: a.escalate(n, who, text),
        "Escalate",
        "Supervisors are alerted and the customer is told; `text` is the reason.",
    ),
    "solve": (
        lambda a, n, who, text: a.solve(n, who, text),
        "Propose a solution",
        "The customer is asked to validate it in their chat; `text` is the summary.",
    ),
    "cancel": (
        lambda a, n, who, text: a.cancel(n, who, text),
        "Cancel the ticket",
        "A duplicate or withdrawn ticket; `text` is the reason.",
    ),
}


def register(bp: APIBlueprint, auth: HTTPTokenAuth) -> None:
    """Attach the ticket views to the API blueprint."""
    bp.before_request(_allow_uploads)

    @bp.get("/tickets")
    @bp.auth_required(auth)
    @bp.input(TicketListQuery, location="query", arg_name="query")
    @bp.output(TicketListOut)
    @bp.doc(tags=[TAG])
    def list_tickets(query: dict[str, Any]) -> dict[str, Any]:
        """List tickets

        Newest first, any status. Filters combine; `view` narrows to the queue's tabs. Paged: follow
        `links.next` until it is null.
        """
        found = api_services().search.search(
            TicketQuery(
                agent_id=current_token_agent().agent_id,
                status=query.get("status", ""),
                priority=query.get("priority", ""),
                company_id=query.get("company"),
                assignee_id=query.get("assignee"),
                view=TicketListView(query["view"]) if query.get("view") else None,
                text=query.get("q", ""),
                page=query["page"],
                per_page=query["per_page"],
            )
        )
        return {
            "items": [_summary(s) for s in found.items],
            "page": found.page,
            "per_page": found.per_page,
            "total": found.total,
            "pages": found.pages,
            "links": _links(query, found.page, found.pages),
        }

    @bp.post("/tickets")
    @bp.auth_required(auth)
    @bp.input(RegistrationIn, arg_name="body")
    @bp.output(ActionResultOut, status_code=201)
    @bp.doc(tags=[TAG], responses={422: "Invalid input or unknown contact"})
    def register_ticket(body: dict[str, Any]) -> tuple[dict[str, str], int, dict[str, str]]:
        """Register a ticket for a customer

        What the intake dialog would collect (a phone call, a meeting): the priority comes from the
        impact × urgency matrix, deadlines from the customer's calendar, and the customer is told in
        their most recent chat.
        """
        data = Registration(
            contact_id=body["contact_id"],
            ticket_type=body["ticket_type"],
            description=body["description"],
            impact=body["impact"],
            urgency=body["urgency"],
            module=body.get("module"),
        )
        result = api_services().container.agent_actions.register(current_token_agent().agent_id, data)
        out = _result(result)
        return out, 201, {"Location": out["url"]}

    @bp.get("/tickets/<number>")
    @bp.auth_required(auth)
    @bp.output(TicketDetailOut)
    @bp.doc(tags=[TAG])
    def get_ticket(number: str) -> dict[str, Any]:
        """Read a ticket

        With its timeline (chat messages and agent actions: `visibility` public; internal notes and
        events: internal) and its attachments (metadata and a download URL taking the same token).
        """
        summary = api_services().search.one(_number(number))
        page = api_services().pages.page(_number(number), "en")
        if summary is None or page is None:
            raise ApiProblem(404, f"no ticket {number}", "unknown_ticket")
        return _detail(summary, page)

    @bp.post("/tickets/<number>/take")
    @bp.auth_required(auth)
    @bp.output(ActionResultOut)
    @bp.doc(tags=[TAG], responses=ACTION_ERRORS)
    def take(number: str) -> dict[str, str]:
        """Take the ticket

        Assigns it to the token's agent and starts the analysis; the customer is told who took it.
        """
        actions = api_services().container.agent_actions
        return _result(actions.take(_number(number), current_token_agent().agent_id))

    for name, (call, summary, description) in TEXT_ACTIONS.items():
        _text_action(bp, auth, name, call, summary, description)

    @bp.post("/tickets/<number>/priority")
    @bp.auth_required(auth)
    @bp.input(PriorityIn, arg_name="body")
    @bp.output(ActionResultOut)
    @bp.doc(tags=[TAG], responses=ACTION_ERRORS)
    def change_priority(number: str, body: dict[str, Any]) -> dict[str, str]:
        """Change the priority

        The reason is kept; deadlines are recomputed from the opening time.
        """
        actions = api_services().container.agent_actions
        who = current_token_agent().agent_id
        return _result(actions.change_priority(_number(number), who, body["priority"], body["reason"]))

    _register_billing(bp, auth)

    @bp.post("/tickets/<number>/files")
    @bp.auth_required(auth)
    @bp.input(FileIn, location="form_and_files", arg_name="form")
    @bp.output(ActionResultOut)
    @bp.doc(tags=[TAG], responses={**ACTION_ERRORS, 413: "The file is larger than 16 MB"})
    def send_file(number: str, form: dict[str, Any]) -> dict[str, str]:
        """Send a file to the customer

        multipart/form-data with `file` (at most 16 MB) and an optional `caption`; the file is kept on
        the ticket as an attachment.
        """
        upload = form["file"]
        content = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise ApiProblem(413, "the file is larger than 16 MB", "file_too_large")
        actions = api_services().container.agent_actions
        result = actions.send_file(
            _number(number),
            current_token_agent().agent_id,
            content,
            (upload.filename or "file")[:255],
            content_type=upload.mimetype or None,
            caption=form.get("caption", ""),
        )
        return _result(result)

    @bp.get("/attachments/<int(max=2147483647):attachment_id>")
    @bp.auth_required(auth)
    @bp.output(FileSchema(type="string", format="binary"), content_type="application/octet-stream")
    @bp.doc(tags=[TAG])
    def download_attachment(attachment_id: int) -> Response:
        """Download an attachment

        The stored file, always as a download (never rendered inline).
        """
        found = api_services().pages.attachment(attachment_id)
        if found is None:
            raise ApiProblem(404, f"no stored attachment {attachment_id}", "unknown_attachment")
        content = api_services().container.store.open(found.storage_path)
        response = Response(content, mimetype="application/octet-stream")
        ascii_name = "".join(
            c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in found.filename
        )
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(found.filename, safe='')}"
        )
        response.headers["X-Original-Content-Type"] = found.mime_type
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _register_billing(bp: APIBlueprint, auth: HTTPTokenAuth) -> None:
    """Issue 15: billable incidents and time logged on tickets."""

    @bp.post("/tickets/<number>/billable")
    @bp.auth_required(auth)
    @bp.input(ReasonIn, arg_name="body")
    @bp.output(ActionResultOut)
    @bp.doc(tags=[TAG], responses=ACTION_ERRORS)
    def mark_billable(number: str, body: dict[str, Any]) -> dict[str, str]:
        """Mark "error de usuario — facturable"

        An incident caused by the customer's own users: served, with charge (the contract's words, told to
        the customer with the reason). Refused on requests (they follow the plan's rule) and on closed or
        cancelled tickets (409). Time logged on it is charged to the hours bank when the plan has one.
        """
        actions = api_services().container.agent_actions
        return _result(actions.mark_billable(_number(number), current_token_agent().agent_id, body["reason"]))

    @bp.post("/tickets/<number>/not-billable")
    @bp.auth_required(auth)
    @bp.input(ReasonIn, arg_name="body")
    @bp.output(ActionResultOut)
    @bp.doc(tags=[TAG], responses=ACTION_ERRORS)
    def unmark_billable(number: str, body: dict[str, Any]) -> dict[str, str]:
        """Undo "facturable"

        The customer is told there is no charge; the reason is kept on the trail.
        """
        actions = api_services().container.agent_actions
        who = current_token_agent().agent_id
        return _result(actions.unmark_billable(_number(number), who, body["reason"]))

    @bp.post("/tickets/<number>/time")
    @bp.auth_required(auth)
    @bp.input(TimeIn, arg_name="body")
    @bp.output(TimeLoggedOut, status_code=201)
    @bp.doc(tags=[TAG], responses=ACTION_ERRORS)
    def log_time(number: str, body: dict[str, Any]) -> dict[str, Any]:
        """Log time

        Minutes (1 to 1440 per entry) and a note by the token's agent. Charged to the company's hours bank
        for requests under an `hours_bank` plan and for billable incidents of a plan with a bank; crossing
        the plan's low-balance level, or zero, warns agents and the company's report contacts once.
        """
        actions = api_services().container.agent_actions
        who = current_token_agent().agent_id
        logged = actions.log_time(_number(number), who, body["minutes"], body["note"])
        return {
            "number": _number(number),
            "minutes": logged.minutes,
            "charged_to_bank": logged.charged_to_bank,
            "ticket_minutes": logged.ticket_minutes,
            "balance_minutes": logged.balance_minutes,
            "warning": logged.warning,
            "url": _ticket_url(_number(number)),
        }


def _text_action(
    bp: APIBlueprint, auth: HTTPTokenAuth, name: str, call: TextAction, summary: str, description: str
) -> None:
    def view(number: str, body: dict[str, Any]) -> dict[str, str]:
        actions = api_services().container.agent_actions
        return _result(call(actions, _number(number), current_token_agent().agent_id, body["text"]))

    view.__name__ = f"{name}_ticket"
    view.__doc__ = f"{summary}\n\n{description}"
    decorated = bp.doc(tags=[TAG], summary=summary, description=description, responses=ACTION_ERRORS)(view)
    decorated = bp.output(ActionResultOut)(decorated)
    decorated = bp.input(TextIn, arg_name="body")(decorated)
    decorated = bp.auth_required(auth)(decorated)
    bp.post(f"/tickets/<number>/{name}", endpoint=view.__name__)(decorated)


def _allow_uploads() -> None:
    """The app's 2 MB request cap is for webhooks: a file sent to a customer may be 16 MB."""
    if request.endpoint == "api.send_file":
        request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024


def _number(raw: str) -> str:
    """A ticket number as stored (upper case); anything that cannot be one is a 404."""
    number = raw.strip().upper()
    if not number or len(number) > 30 or not all(c.isascii() and c.isprintable() for c in number):
        raise ApiProblem(404, f"no ticket {raw[:40]!r}", "unknown_ticket")
    return number


def _ticket_url(number: str) -> str:
    return url_for("api.get_ticket", number=number, _external=True)


def _result(result: ActionResult) -> dict[str, str]:
    return {"number": result.number, "status": result.status, "url": _ticket_url(result.number)}


def _links(query: dict[str, Any], page: int, pages: int) -> dict[str, str | None]:
    args = {k: v for k, v in request.args.items() if k in query and k != "page"}

    def at(n: int) -> str:
        return url_for("api.list_tickets", **args, page=n, _external=True)

    return {
        "self": at(page),
        "first": at(1),
        "last": at(pages),
        "next": at(page + 1) if page < pages else None,
        "prev": at(min(page - 1, pages)) if page > 1 else None,
    }


def _clock(clock: ClockBadge | None) -> dict[str, Any] | None:
    if clock is None:
        return None
    return {
        "clock": clock.clock,
        "state": str(clock.state),
        "fraction_used": round(clock.fraction_used, 4),
        "remaining_minutes": round(clock.remaining_minutes, 1),
        "due": clock.due,
    }


def _sla(badge: SlaBadge) -> dict[str, Any]:
    return {
        "tone": str(badge.tone),
        "at_risk": badge.at_risk,
        "exempt": badge.exempt,
        "response": _clock(badge.response),
        "resolution": _clock(badge.resolution),
    }


def _summary(s: TicketSummary) -> dict[str, Any]:
    return {
        "number": s.number,
        "title": s.title,
        "status": s.status,
        "priority": s.priority,
        "ticket_type": s.ticket_type,
        "channel": s.channel,
        "company_id": s.company_id,
        "company": s.company,
        "contact_id": s.contact_id,
        "contact": s.contact,
        "assignee_id": s.assignee_id,
        "assignee": s.assignee,
        "opened_at": s.opened_at,
        "closed_at": s.closed_at,
        "first_response_at": s.first_response_at,
        "response_due": s.response_due,
        "resolution_due": s.resolution_due,
        "sla": _sla(s.badge),
        "url": _ticket_url(s.number),
    }


def _attachment(a: AttachmentRow) -> dict[str, Any]:
    url = url_for("api.download_attachment", attachment_id=a.id, _external=True) if a.downloadable else None
    return {
        "id": a.id,
        "filename": a.filename,
        "mime_type": a.mime_type,
        "size": a.size,
        "status": a.status,
        "origin": a.origin,
        "download_url": url,
    }


def _entry(e: TimelineEntry) -> dict[str, Any]:
    return {
        "at": e.at,
        "kind": e.kind,
        "visibility": "public" if e.kind in PUBLIC_KINDS else "internal",
        "author": e.author,
        "text": e.text,
        "event": e.event,
        "delivery_status": e.status,
        "attachment_ids": [a.id for a in e.attachments],
    }


def _detail(s: TicketSummary, p: TicketPage) -> dict[str, Any]:
    return {
        **_summary(s),
        "description": p.description,
        "impact": p.impact,
        "urgency": p.urgency,
        "module": p.module,
        "escalation_level": p.escalation_level,
        "billable": p.billable,
        "billing": _billing(p.billing) if p.billing is not None else None,
        "needs_verification": p.needs_verification,
        "sla_exempt": p.sla_exempt,
        "pauses": [
            {"reason": x.reason, "started_at": x.started_at, "ended_at": x.ended_at} for x in p.pauses
        ],
        "timeline": [_entry(e) for e in p.timeline],
        "attachments": [_attachment(a) for a in p.attachments],
        "survey_rating": p.survey_rating,
        "survey_comment": p.survey_comment,
    }


def _billing(b: TicketBilling) -> dict[str, Any]:
    return {
        "plan": b.plan,
        "request_rule": b.request_rule,
        "user_error": b.user_error,
        "billable_reason": b.billable_reason,
        "minutes_logged": b.minutes_logged,
        "charged_minutes": b.charged_minutes,
        "balance_minutes": b.balance_minutes,
        "time_entries": [
            {
                "worked_at": e.worked_at,
                "agent": e.agent,
                "minutes": e.minutes,
                "note": e.note,
                "charged_to_bank": e.charged_to_bank,
            }
            for e in b.entries
        ],
    }
