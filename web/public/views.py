"""The customer pages' views: read the request, call a use case, render or redirect (nothing else)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.datastructures import FileStorage

from intake.services.tracking import Upload
from intake.services.web_intake import Answer, WebStep
from web.auth import protect_forms
from web.i18n import PUBLIC_LANGUAGES, public_translate
from web.public.services import public_services

VISITOR = "web_visitor"  # the web form's conversation key, in the signed session cookie
LANGUAGE = "public_lang"
HONEYPOT = "website"  # a field people never see or fill; bots do
DEFAULT_RATE = "30/minute"
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
FREE_TEXT_STEPS = frozenset(
    {
        "idle",
        "start",
        "ask_name",
        "ask_company",
        "ask_email",
        "ask_description",
        "ask_module",
        "ask_evidence",
        "ticket_message",
        "validation_comment",
        "survey_comment",
        "handoff",
        "choose_edit",
    }
)
STATE_WORDS = {
    "paused_customer": "paused while we wait for your answer",
    "paused_validation": "paused while you validate the solution",
    "paused_contingency": "paused: contingency declared",
    "overdue": "overdue",
    "answered": "answered",
}


def register(bp: Blueprint, app: Flask) -> None:
    """Attach the views, CSRF on every POST, the headers and the per-IP limit on POSTs."""
    limiter: Limiter = app.extensions["console_limiter"]
    limit = limiter.limit(
        lambda: str(current_app.config.get("PUBLIC_RATE_LIMIT", DEFAULT_RATE)),
        methods=["POST"],
        key_func=get_remote_address,
        scope="public-ip",
    )
    bp.before_request(protect_forms)
    bp.after_request(_headers)
    bp.register_error_handler(429, _too_many)
    bp.add_url_rule("/soporte", "form", form, methods=["GET"])
    bp.add_url_rule("/soporte", "form_answer", limit(form_answer), methods=["POST"])
    bp.add_url_rule("/soporte/nueva", "form_new", limit(form_new), methods=["POST"])
    bp.add_url_rule("/t/<number>", "tracking", tracking, methods=["GET"])
    bp.add_url_rule("/t/<number>/reply", "reply", limit(reply), methods=["POST"])
    bp.add_url_rule("/t/<number>/validate", "validate", limit(validate), methods=["POST"])
    bp.add_url_rule("/t/<number>/survey", "survey", limit(survey), methods=["POST"])
    bp.add_url_rule("/t/<number>/triage", "triage", limit(triage), methods=["POST"])
    bp.add_url_rule("/t/<number>/files/<int:file_id>", "evidence", evidence, methods=["GET"])


# --- the web form ------------------------------------------------------------------------------
def form() -> Any:
    """The form's current step (a greeting on the first visit)."""
    language = _language()
    step = public_services().intake.start(_visitor(), language)
    return _render("public/form.html", step.language or language, step=step, free_text=_free_text(step))


def form_answer() -> Any:
    """One page answered: files, text or a choice go to the dialog; then the next step (PRG)."""
    if request.form.get(HONEYPOT):
        return redirect(url_for("public.form"))  # a bot: nothing recorded, nothing said
    answer = Answer(
        text=request.form.get("text", "")[:8000],
        choice=request.form.get("choice") or None,
        files=_uploads(),
    )
    step = public_services().intake.answer(_visitor(), answer, _language())
    for name, code in step.refused:
        flash(f"{name}: {'too large' if code == 'too_large' else 'type not accepted'}", "refused")
    return redirect(url_for("public.form"))


def form_new() -> Any:
    """Forget this browser's dialog and begin a new request."""
    session[VISITOR] = secrets.token_urlsafe(24)
    return redirect(url_for("public.form"))


# --- the tracking page -------------------------------------------------------------------------
def tracking(number: str) -> Any:
    """The ticket's tracking page, or the same 404 for an unknown number, a wrong or a revoked token."""
    token = request.args.get("k", "")
    view = public_services().tracking.view(number, token)
    if view is None:
        return _not_found()
    language = request.args.get("lang") if request.args.get("lang") in PUBLIC_LANGUAGES else view.language
    return _render("public/tracking.html", language or "es", view=view, token=token, states=STATE_WORDS)


def reply(number: str) -> Any:
    """The customer writes to support from the page (a reply to an information request resumes the clock)."""
    token = request.form.get("k", "")
    body = request.form.get("body", "")
    outcome = public_services().tracking.reply(number, token, body, _uploads())
    return _after(
        number, token, "Your message was sent." if outcome.recorded else "Write a message or attach a file."
    )


def validate(number: str) -> Any:
    """Yes / no (with a comment) to a proposed solution; no reopens the ticket."""
    token = request.form.get("k", "")
    accepted = request.form.get("answer") == "yes"
    done = public_services().tracking.validate(number, token, accepted, request.form.get("comment", ""))
    return _after(
        number, token, "Thank you, your answer was recorded." if done else "That action is not available now."
    )


def survey(number: str) -> Any:
    """The satisfaction survey: 1–5 and a comment."""
    token = request.form.get("k", "")
    rating = request.form.get("rating", "")
    comment = request.form.get("comment", "")
    done = rating.isdigit() and public_services().tracking.rate(number, token, int(rating), comment)
    return _after(number, token, "Thank you for your rating" if done else "That action is not available now.")


def triage(number: str) -> Any:
    """Impact and urgency of an e-mail ticket opened with the default priority."""
    token = request.form.get("k", "")
    impact, urgency = request.form.get("impact", ""), request.form.get("urgency", "")
    done = public_services().tracking.triage(number, token, impact, urgency)
    return _after(
        number, token, "Thank you, your answer was recorded." if done else "That action is not available now."
    )


def evidence(number: str, file_id: int) -> Any:
    """A file of the ticket, only with its link; images inline, everything else as a download."""
    file = public_services().tracking.evidence(number, request.args.get("k", ""), file_id)
    if file is None:
        return _not_found()
    inline = file.mime_type.startswith("image/") and file.mime_type != "image/svg+xml"
    response = Response(file.content, mimetype=file.mime_type if inline else "application/octet-stream")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{_safe_name(file.filename)}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- helpers -----------------------------------------------------------------------------------
def _after(number: str, token: str, message: str) -> Any:
    if public_services().tracking.view(number, token) is None:
        return _not_found()
    flash(message, "info")
    return redirect(url_for("public.tracking", number=number, k=token))


def _not_found() -> Any:
    return _render("public/not_found.html", _language()), 404


def _render(template: str, language: str, **context: Any) -> str:
    return render_template(
        template, lang=language, t=lambda text: public_translate(text, language), honeypot=HONEYPOT, **context
    )


def _language() -> str:
    chosen = request.args.get("lang")
    if chosen in PUBLIC_LANGUAGES:
        session[LANGUAGE] = chosen
        return chosen
    stored = session.get(LANGUAGE)
    if stored in PUBLIC_LANGUAGES:
        return str(stored)
    return request.accept_languages.best_match(PUBLIC_LANGUAGES) or "es"


def _visitor() -> str:
    visitor = session.get(VISITOR)
    if not isinstance(visitor, str) or not visitor:
        visitor = session[VISITOR] = secrets.token_urlsafe(24)
    return visitor


def _uploads() -> list[Upload]:
    files: list[FileStorage] = [f for f in request.files.getlist("files") if f and f.filename]
    return [Upload(f.read(MAX_UPLOAD_BYTES + 1), f.mimetype or None, f.filename) for f in files]


def _free_text(step: WebStep) -> bool:
    return step.step in FREE_TEXT_STEPS or not any(reply.options for reply in step.replies)


def _safe_name(name: str) -> str:
    return "".join(ch for ch in name if ch.isalnum() or ch in "._- ")[:120] or "file"


def _headers(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _too_many(_error: Exception) -> Any:
    return _render(
        "public/error.html", _language(), message="Too many requests; wait a minute and try again."
    ), 429
