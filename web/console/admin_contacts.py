"""Contacts (admins): list and search, create and edit with their WhatsApp and Telegram identities, verify the
self-identified ones from chats or merge them into an existing contact."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from intake.services.desk_contacts import ContactInput
from intake.services.setup_rules import Problem, SetupError, refuse
from web.console.admin_common import Route, actor, checked, desk, desk_contacts, optional_id, text


def contacts() -> Any:
    """Contacts by name (?q= searches name, e-mail, phone; ?to_verify=1 only those to verify)."""
    query, to_verify = request.args.get("q", ""), request.args.get("to_verify") == "1"
    found = desk_contacts().contacts(query, to_verify=to_verify)
    return render_template("console/admin/contacts.html", contacts=found, q=query, to_verify=to_verify)


def contact(contact_id: int | None = None) -> Any:
    """A contact's form (create or edit); for a self-identified contact also verify and merge."""
    found = desk_contacts().contact(contact_id) if contact_id is not None else None
    if contact_id is not None and found is None:
        abort(404)
    form: dict[str, Any] = (
        _form_of(found) if found else {"verified": True, "company_id": _query_id("company_id")}
    )
    errors: dict[str, Problem] = {}
    if request.method == "POST":
        form = {key: text(key) for key in ("name", "email", "phone", "whatsapp", "telegram")}
        form |= {"company_id": optional_id("company_id"), "verified": checked("verified")}
        try:
            saved = desk_contacts().save_contact(actor(), ContactInput(**form), contact_id)
        except SetupError as exc:
            errors = exc.errors
        else:
            flash("Contact saved.", "success")
            return redirect(url_for("console.admin_contact", contact_id=saved.id))
    return _page(found, form, errors), 400 if errors else 200


def verify(contact_id: int) -> Any:
    """Vouch for a self-identified contact, naming its company."""
    try:
        desk_contacts().verify(actor(), contact_id, optional_id("company_id"))
    except SetupError as exc:
        return _refused(contact_id, exc)
    flash("Contact verified.", "success")
    return redirect(url_for("console.admin_contact", contact_id=contact_id))


def reports(contact_id: int) -> Any:
    """Turn on or off the company's reports and hours-bank warnings for this contact."""
    try:
        desk_contacts().set_receives_reports(actor(), contact_id, checked("receives_reports"))
    except SetupError as exc:
        return _refused(contact_id, exc)
    flash("Reports setting saved.", "success")
    return redirect(url_for("console.admin_contact", contact_id=contact_id))


def merge(contact_id: int) -> Any:
    """Merge this contact into another: its chats, identities and tickets move there."""
    target = optional_id("target_id")
    if target is None:
        return _refused(contact_id, refuse("target_id", "contact.merge_target_missing"))
    try:
        merged = desk_contacts().merge(actor(), contact_id, target)
    except SetupError as exc:
        return _refused(contact_id, exc)
    flash("Contacts merged.", "success")
    return redirect(url_for("console.admin_contact", contact_id=merged.id))


def _refused(contact_id: int, error: SetupError) -> Any:
    found = desk_contacts().contact(contact_id)
    if found is None:
        abort(404)
    return _page(found, _form_of(found), error.errors), 400


def _page(found: Any, form: dict[str, Any], errors: dict[str, Problem]) -> str:
    others = [c for c in desk_contacts().contacts() if found is None or c.id != found.id]
    return render_template(
        "console/admin/contact.html",
        contact=found,
        form=form,
        errors=errors,
        companies=desk().companies(include_inactive=False),
        others=others,
    )


def _query_id(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _form_of(found: Any) -> dict[str, Any]:
    return {
        "name": found.name,
        "email": found.email or "",
        "phone": found.phone or "",
        "whatsapp": found.whatsapp or "",
        "telegram": found.telegram or "",
        "company_id": found.company_id,
        "verified": found.verified or not found.self_identified,
    }


ROUTES: list[Route] = [
    ("/admin/contacts", "admin_contacts", contacts, ["GET"]),
    ("/admin/contacts/new", "admin_contact_new", contact, ["GET", "POST"]),
    ("/admin/contacts/<int:contact_id>", "admin_contact", contact, ["GET", "POST"]),
    ("/admin/contacts/<int:contact_id>/verify", "admin_contact_verify", verify, ["POST"]),
    ("/admin/contacts/<int:contact_id>/merge", "admin_contact_merge", merge, ["POST"]),
    ("/admin/contacts/<int:contact_id>/reports", "admin_contact_reports", reports, ["POST"]),
]
