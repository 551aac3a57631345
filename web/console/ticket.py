"""The ticket page and the agents' actions on it, all through intake's AgentActions use cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from intake.services.agent_actions import ActionError, ActionResult, AgentActions, Registration
from intake.services.ticket_page import PREVIEWABLE
from web.auth import current_agent
from web.i18n import agent_language
from web.services import services

MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # WhatsApp's outbound media limit
Action = Callable[[AgentActions, str, int, Any], ActionResult]

# action name -> (the use case, the form field it needs, the success message)
ACTIONS: dict[str, tuple[Action, str, str]] = {
    "take": (lambda a, n, who, _f: a.take(n, who), "", "Ticket taken; the customer was told."),
    "reply": (
        lambda a, n, who, f: a.reply(n, who, f["text"]),
        "text",
        "Reply queued to the customer's chat.",
    ),
    "note": (lambda a, n, who, f: a.note(n, who, f["text"]), "text", "Internal note added."),
    "ask": (lambda a, n, who, f: a.ask(n, who, f["text"]), "text", "Question sent; the clock is paused."),
    "progress": (
        lambda a, n, who, f: a.progress(n, who, f["text"]),
        "text",
        "Progress sent to the customer.",
    ),
    "escalate": (lambda a, n, who, f: a.escalate(n, who, f["text"]), "text", "Ticket escalated."),
    "solve": (
        lambda a, n, who, f: a.solve(n, who, f["text"]),
        "text",
        "Solution proposed; the customer is asked to validate it.",
    ),
    "priority": (
        lambda a, n, who, f: a.change_priority(n, who, f.get("priority", ""), f["text"]),
        "text",
        "Priority changed.",
    ),
    "cancel": (lambda a, n, who, f: a.cancel(n, who, f["text"]), "text", "Ticket cancelled."),
    # issue 15: commercial rules
    "billable": (
        lambda a, n, who, f: a.mark_billable(n, who, f["text"]),
        "text",
        "Marked user error — billable; the customer was told.",
    ),
    "not_billable": (
        lambda a, n, who, f: a.unmark_billable(n, who, f["text"]),
        "text",
        "No longer billable; the customer was told.",
    ),
}


def register(bp: Blueprint) -> None:
    """Attach the ticket page, its actions, the file upload, downloads and registration on behalf."""
    bp.add_url_rule("/tickets/<number>", "ticket", login_required(ticket))
    bp.add_url_rule("/tickets/<number>/act/<action>", "act", login_required(act), methods=["POST"])
    bp.add_url_rule("/tickets/<number>/file", "send_file", login_required(send_file), methods=["POST"])
    bp.add_url_rule("/tickets/<number>/time", "log_time", login_required(log_time), methods=["POST"])
    bp.add_url_rule("/attachments/<int:attachment_id>", "attachment", login_required(attachment))
    bp.add_url_rule("/register", "register", login_required(register_on_behalf), methods=["GET", "POST"])


def ticket(number: str) -> Any:
    """The ticket page."""
    page = services().tickets.page(number, agent_language())
    if page is None:
        abort(404)
    router = services().container.whatsapp_router
    progress_template = bool(router and router.templates.template_for("progress"))
    return render_template(
        "console/ticket.html", t=page, agent=current_agent(), progress_template=progress_template
    )


def act(number: str, action: str) -> Any:
    """Run one agent action on the ticket; refusals come back as a flash message."""
    if action not in ACTIONS:
        abort(404)
    use_case, needs, done = ACTIONS[action]
    form = request.form
    if needs and not form.get(needs, "").strip():
        flash("Write a text first.", "error")
    else:
        _run(lambda actions: use_case(actions, number, current_agent().id, form), done)
    return redirect(url_for("console.ticket", number=number.upper()))


def send_file(number: str) -> Any:
    """Send a file to the customer's chat (kept on the ticket)."""
    request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024  # the app's 2 MB cap is for webhooks
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a file first.", "error")
        return redirect(url_for("console.ticket", number=number.upper()))
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        flash("The file is larger than 16 MB.", "error")
        return redirect(url_for("console.ticket", number=number.upper()))
    caption = request.form.get("caption", "")
    name, mime = upload.filename, upload.mimetype or None
    _run(
        lambda actions: actions.send_file(
            number, current_agent().id, content, name, content_type=mime, caption=caption
        ),
        "File sent to the customer's chat.",
    )
    return redirect(url_for("console.ticket", number=number.upper()))


def log_time(number: str) -> Any:
    """Log the agent's minutes and a note on the ticket (AgentActions.log_time: bounds, bank, warnings)."""
    raw = request.form.get("minutes", "").strip()
    if not raw.isdigit():
        flash("Minutes must be a whole number.", "error")
        return redirect(url_for("console.ticket", number=number.upper()))
    try:
        services().container.agent_actions.log_time(
            number, current_agent().id, int(raw[:6]), request.form.get("note", "")
        )
    except ActionError as exc:
        flash(exc.message, "error")
    else:
        flash("Time logged.", "success")
    return redirect(url_for("console.ticket", number=number.upper()))


def attachment(attachment_id: int) -> Any:
    """Serve evidence to a signed-in agent: images inline (never SVG), everything else as a download."""
    found = services().tickets.attachment(attachment_id)
    if found is None:
        abort(404)
    content = services().container.store.open(found.storage_path)
    inline = found.mime_type in PREVIEWABLE and request.args.get("download") is None
    mime = found.mime_type if inline else "application/octet-stream"
    response = Response(content, mimetype=mime)
    disposition = "inline" if inline else "attachment"
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in found.filename
    )
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(found.filename, safe='')}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def register_on_behalf() -> Any:
    """Register a ticket for a customer who called or met us (told in their chat)."""
    contacts = [c for c in services().container.contacts.list() if c.channels]
    if request.method == "GET":
        return render_template("console/register.html", contacts=contacts, form={})
    form = request.form
    try:
        contact_id = int(form.get("contact_id", ""))
    except ValueError:
        flash("Choose the contact.", "error")
        return render_template("console/register.html", contacts=contacts, form=form), 400
    data = Registration(
        contact_id=contact_id,
        ticket_type=form.get("ticket_type", ""),
        description=form.get("description", ""),
        impact=form.get("impact", ""),
        urgency=form.get("urgency", ""),
        module=form.get("module") or None,
    )
    try:
        result = services().container.agent_actions.register(current_agent().id, data)
    except ActionError as exc:
        flash(exc.message, "error")
        return render_template("console/register.html", contacts=contacts, form=form), 400
    flash("Ticket registered; the customer was told in their chat.", "success")
    return redirect(url_for("console.ticket", number=result.number))


def _run(call: Callable[[AgentActions], ActionResult], done: str) -> None:
    try:
        call(services().container.agent_actions)
    except ActionError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
