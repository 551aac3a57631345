"""Setting up the desk (admins only, under /console/admin): companies, support plans, agents, the audit log.

Thin views: read the form, call a desk set-up use case (intake/services/desk_setup.py, desk_contacts.py,
customer_import.py; each owns its transaction and audit entry), render. A refused change re-renders the
form with the message of each wrong field and status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from intake.services.accounts import LANGUAGES, AccountError, Role
from intake.services.desk_setup import PACKAGES, AgentInput, CompanyInput, PlanInput
from intake.services.hours_bank import BankError
from intake.services.setup_rules import Problem, SetupError
from sla.calendar import WEEKDAY_KEYS
from web.console import admin_contacts, admin_import
from web.console.admin_common import actor, admin_view, checked, desk, desk_contacts, optional_id, text
from web.services import services

WEEKDAYS = tuple(
    zip(
        WEEKDAY_KEYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def register(bp: Blueprint) -> None:
    """Attach the admin views (companies, plans, agents, audit; contacts and the CSV import too)."""
    routes: list[tuple[str, str, Callable[..., Any], list[str]]] = [
        ("/admin/", "admin", index, ["GET"]),
        ("/admin/companies", "admin_companies", companies, ["GET"]),
        ("/admin/companies/new", "admin_company_new", company, ["GET", "POST"]),
        ("/admin/companies/<int:company_id>", "admin_company", company, ["GET", "POST"]),
        ("/admin/companies/<int:company_id>/deactivate", "admin_company_deactivate", deactivate, ["POST"]),
        ("/admin/companies/<int:company_id>/credit", "admin_company_credit", credit_hours, ["POST"]),
        ("/admin/plans", "admin_plans", plans, ["GET"]),
        ("/admin/plans/new", "admin_plan_new", plan, ["GET", "POST"]),
        ("/admin/plans/<int:plan_id>", "admin_plan", plan, ["GET", "POST"]),
        ("/admin/agents", "admin_agents", agents, ["GET", "POST"]),
        ("/admin/agents/<int:agent_id>", "admin_agent", agent, ["GET", "POST"]),
        ("/admin/agents/<int:agent_id>/password", "admin_agent_password", reset_password, ["POST"]),
        ("/admin/audit", "admin_audit", audit_log, ["GET"]),
    ]
    routes += admin_contacts.ROUTES + admin_import.ROUTES
    for rule, endpoint, view, methods in routes:
        bp.add_url_rule(rule, endpoint, admin_view(view), methods=methods)


def index() -> Any:
    """The set-up overview: what there is, and the contacts waiting to be verified."""
    return render_template(
        "console/admin/index.html",
        companies=desk().companies(),
        plans=desk().plans(),
        agents=desk().agents(),
        to_verify=desk_contacts().contacts(to_verify=True),
    )


def companies() -> Any:
    """Companies, searchable by name or tax id."""
    query = request.args.get("q", "")
    return render_template("console/admin/companies.html", companies=desk().companies(query), q=query)


def company(company_id: int | None = None) -> Any:
    """A company's form: create (no id) or edit."""
    found = desk().company(company_id) if company_id is not None else None
    if company_id is not None and found is None:
        abort(404)
    form: dict[str, Any] = (
        {"name": found.name, "tax_id": found.tax_id or "", "plan_id": found.plan_id, "active": found.active}
        if found
        else {"active": True}
    )
    errors: dict[str, Problem] = {}
    if request.method == "POST":
        form = {"name": text("name"), "tax_id": text("tax_id"), "plan_id": optional_id("plan_id")}
        form["active"] = checked("active")
        try:
            saved = desk().save_company(actor(), CompanyInput(**form), company_id)
        except SetupError as exc:
            errors = exc.errors
        else:
            flash("Company saved.", "success")
            return redirect(url_for("console.admin_company", company_id=saved.id))
    bank = services().container.hours_bank.status(found.id) if found is not None else None
    page = render_template(
        "console/admin/company.html", company=found, form=form, errors=errors, plans=desk().plans(), bank=bank
    )
    return page, 400 if errors else 200


def credit_hours(company_id: int) -> Any:
    """Add hours to the company's bank (HoursBank.credit: bounds, audit entry)."""
    raw = text("hours").replace(",", ".")
    try:
        minutes = round(float(raw) * 60)
    except (ValueError, OverflowError):
        minutes = 0
    try:
        services().container.hours_bank.credit(actor(), company_id, minutes, text("note"))
    except BankError as exc:
        flash(str(exc), "error")
    else:
        flash("Hours added to the bank.", "success")
    return redirect(url_for("console.admin_company", company_id=company_id))


def deactivate(company_id: int) -> Any:
    """Mark a company inactive."""
    try:
        desk().deactivate_company(actor(), company_id)
    except SetupError:
        abort(404)
    flash("Company deactivated.", "success")
    return redirect(url_for("console.admin_company", company_id=company_id))


def plans() -> Any:
    """Support plans with their calendars."""
    return render_template("console/admin/plans.html", plans=desk().plans(), weekdays=WEEKDAYS)


def plan(plan_id: int | None = None) -> Any:
    """A support plan's form: package or weekly hours, time zone, holidays, closed dates, hours bank."""
    found = desk().plan(plan_id) if plan_id is not None else None
    if plan_id is not None and found is None:
        abort(404)
    form = _plan_form(found)
    errors: dict[str, Problem] = {}
    if request.method == "POST":
        form = {
            key: text(key)
            for key in ("name", "package", "timezone", "country", "subdivision", "extra_closed")
        }
        form |= {"hours_bank": text("hours_bank"), "request_rule": text("request_rule")}
        form |= {"low_balance": text("low_balance"), "p1_24x7": checked("p1_24x7")}
        hours = {day: text(f"hours_{day}") for day in WEEKDAY_KEYS}
        try:
            saved = desk().save_plan(actor(), PlanInput(hours=hours, **form), plan_id)
        except SetupError as exc:
            errors = exc.errors
            form["hours"] = hours
        else:
            flash("Plan saved.", "success")
            return redirect(url_for("console.admin_plan", plan_id=saved.id))
    page = render_template(
        "console/admin/plan.html", plan=found, form=form, errors=errors, weekdays=WEEKDAYS, packages=PACKAGES
    )
    return page, 400 if errors else 200


def _plan_form(found: Any) -> dict[str, Any]:
    if found is None:
        return {
            "package": "standard",
            "timezone": "America/Santiago",
            "country": "CL",
            "hours": {},
            "hours_bank": "0",
            "request_rule": "quote",
            "low_balance": "2",
        }
    cal = found.calendar
    return {
        "name": found.name,
        "package": found.package,
        "hours": cal["hours"],
        "timezone": cal["timezone"],
        "country": cal["country"] or "",
        "subdivision": cal["subdivision"] or "",
        "extra_closed": ", ".join(cal["extra_closed"]),
        "hours_bank": str(found.hours_bank),
        "request_rule": found.request_rule,
        "low_balance": str(found.low_balance),
        "p1_24x7": found.p1_24x7,
    }


def agents() -> Any:
    """Agents; POST adds one who can sign in (Accounts.add, audited)."""
    form: dict[str, str] = {"role": "agent", "language": "es"}
    status = 200
    if request.method == "POST":
        form = {key: text(key) for key in ("email", "name", "role", "language")}
        try:
            added = services().accounts.add(
                form["email"],
                form["name"],
                request.form.get("password", ""),
                role=form["role"],
                language=form["language"],
                actor=actor(),
            )
        except AccountError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            flash("Agent added.", "success")
            return redirect(url_for("console.admin_agent", agent_id=added.id))
    page = render_template(
        "console/admin/agents.html",
        agents=desk().agents(),
        form=form,
        roles=[r.value for r in Role],
        languages=LANGUAGES,
    )
    return page, status


def agent(agent_id: int) -> Any:
    """An agent's profile: name, role, language, Telegram user id, active."""
    found = desk().agent(agent_id)
    if found is None:
        abort(404)
    form: dict[str, Any] = {
        "name": found.name,
        "role": found.role,
        "language": found.language,
        "telegram_user_id": found.telegram_user_id or "",
        "active": found.active,
    }
    errors: dict[str, Problem] = {}
    if request.method == "POST":
        form = {key: text(key) for key in ("name", "role", "language", "telegram_user_id")} | {
            "active": checked("active")
        }
        try:
            desk().save_agent(actor(), agent_id, AgentInput(**form))
        except SetupError as exc:
            errors = exc.errors
        else:
            flash("Agent saved.", "success")
            return redirect(url_for("console.admin_agent", agent_id=agent_id))
    page = render_template(
        "console/admin/agent.html",
        agent=found,
        form=form,
        errors=errors,
        roles=[r.value for r in Role],
        languages=LANGUAGES,
    )
    return page, 400 if errors else 200


def reset_password(agent_id: int) -> Any:
    """Give an agent a new password; their open sessions end."""
    found = desk().agent(agent_id)
    if found is None:
        abort(404)
    try:
        services().accounts.reset_password(found.email, request.form.get("password", ""), actor=actor())
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash("Password reset; the agent's sessions ended.", "success")
    return redirect(url_for("console.admin_agent", agent_id=agent_id))


def audit_log() -> Any:
    """The newest audit entries: who changed what in the desk's set-up, and sign-ins."""
    return render_template("console/admin/audit.html", entries=services().accounts.audit_log(300))
