"""Setting up the desk (admins): companies, support plans and their calendars, agents' profiles.

Every change is one transaction that also writes an audit entry; a refused change raises SetupError (a
Problem, code and params, per form field) and writes nothing. Contacts live in desk_contacts.py, the CSV
import in customer_import.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db import unit_of_work
from intake.db.models import Agent, Company, Contact, SupportPlan
from intake.services.accounts import LANGUAGES, Role
from intake.services.setup_rules import (
    Invalid,
    Problem,
    SetupError,
    audit,
    clean_name,
    clean_tax_id,
    clean_telegram,
    refuse,
)
from sla.calendar import WEEKDAY_KEYS, BusinessCalendar, calendar_from_dict, parse_day_hours
from sla.calendar_presets import resolve_calendar

PACKAGES: Mapping[str, Mapping[str, str]] = {
    "standard": {day: "08:30-17:30" for day in WEEKDAY_KEYS[:5]},
    "extended": {**{day: "08:00-20:00" for day in WEEKDAY_KEYS[:5]}, "sat": "09:00-14:00"},
    "24x7": {day: "00:00-24:00" for day in WEEKDAY_KEYS},
}
"""Weekly hours of the packages sold (a plan may also have its own hours: package "custom")."""
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class PlanInput:
    """A support plan as the admin form sends it (strings as typed)."""

    name: str
    package: str = "custom"  # standard | extended | 24x7 | custom (use `hours`)
    hours: Mapping[str, str] = field(default_factory=dict)  # mon..sun -> "08:30-13:00, 14:00-17:30"
    timezone: str = "America/Santiago"
    country: str = "CL"  # empty = no public holidays
    subdivision: str = ""
    extra_closed: str = ""  # ISO dates separated by commas, spaces or new lines
    includes_requests: bool = False
    hours_bank: str = "0"  # whole hours
    # issue 15: how requests are served (included | hours_bank | quote; "" = from includes_requests and
    # hours_bank, as migration 0008 did), the bank's warning level in whole hours, and P1 around the clock.
    request_rule: str = ""
    low_balance: str = "2"
    p1_24x7: bool = False


@dataclass(frozen=True, slots=True)
class PlanView:
    """A support plan as the admin pages show it."""

    id: int
    name: str
    calendar: dict[str, Any]  # BusinessCalendar.to_dict()
    package: str
    includes_requests: bool
    hours_bank: int
    companies: int
    request_rule: str = "quote"
    low_balance: int = 2  # hours
    p1_24x7: bool = False


@dataclass(frozen=True, slots=True)
class CompanyInput:
    """A company as the admin form sends it."""

    name: str
    tax_id: str = ""
    plan_id: int | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class CompanyView:
    """A company as the admin pages show it."""

    id: int
    name: str
    tax_id: str | None
    plan_id: int | None
    plan: str | None
    active: bool
    contacts: int


@dataclass(frozen=True, slots=True)
class AgentInput:
    """An agent's profile as the admin form sends it (the password goes through Accounts)."""

    name: str
    role: str = "agent"
    language: str = "es"
    telegram_user_id: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class AgentView:
    """An agent as the admin pages show it."""

    id: int
    name: str
    email: str
    role: str
    language: str
    telegram_user_id: str | None
    active: bool
    can_sign_in: bool
    last_sign_in_at: datetime | None


class DeskSetup:
    """The admin use cases for companies, plans and agents' profiles, on one database and clock."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.session_factory = session_factory
        self.clock = clock

    # --- support plans ---------------------------------------------------------------------------

    def plans(self) -> list[PlanView]:
        """Every support plan by name."""
        with self.session_factory() as session:
            return [
                _plan_view(session, plan)
                for plan in session.scalars(select(SupportPlan).order_by(SupportPlan.name))
            ]

    def plan(self, plan_id: int) -> PlanView | None:
        """One plan, or None."""
        with self.session_factory() as session:
            plan = session.get(SupportPlan, plan_id)
            return _plan_view(session, plan) if plan is not None else None

    def save_plan(self, actor: str, data: PlanInput, plan_id: int | None = None) -> PlanView:
        """Create a plan (no id) or change one; its calendar is validated and stored as one JSON form."""
        name, calendar, bank = validate_plan(data)
        rule, low = validate_commercial(data, bank)
        with unit_of_work(self.session_factory) as session:
            plan = _existing(session, SupportPlan, plan_id, "plan")
            clash = session.scalar(select(SupportPlan.id).where(func.lower(SupportPlan.name) == name.lower()))
            if clash is not None and clash != plan_id:
                raise refuse("name", "plan.name_taken", name=name)
            if plan is None:
                plan = SupportPlan(name=name)
                session.add(plan)
            plan.name, plan.calendar_name = name, "custom"
            plan.calendar_config = calendar.to_dict()
            plan.hours_bank_minutes = bank * 60
            # `includes_requests` mirrors the rule (kept for old readers); `request_rule` is the truth.
            plan.request_rule, plan.includes_requests = rule, rule == "included"
            plan.low_balance_minutes = low * 60
            plan.target_overrides = with_p1_calendar(plan.target_overrides, calendar, data.p1_24x7)
            session.flush()
            action = "plan.create" if plan_id is None else "plan.update"
            audit(
                session,
                self.clock(),
                actor,
                action,
                name,
                {
                    "calendar": plan.calendar_config,
                    "hours_bank": bank,
                    "request_rule": rule,
                    "low_balance_hours": low,
                    "target_overrides": plan.target_overrides,
                },
            )
            return _plan_view(session, plan)

    # --- companies -------------------------------------------------------------------------------

    def companies(self, search: str = "", *, include_inactive: bool = True) -> list[CompanyView]:
        """Companies by name, optionally those whose name or tax id contains `search`."""
        with self.session_factory() as session:
            query = select(Company).order_by(Company.name)
            text = search.strip().lower()
            if text:
                pattern = f"%{text}%"
                query = query.where(
                    or_(
                        func.lower(Company.name).like(pattern),
                        func.lower(Company.tax_id).like(pattern.replace(".", "")),
                    )
                )
            if not include_inactive:
                query = query.where(Company.active.is_(True))
            return [_company_view(session, company) for company in session.scalars(query)]

    def company(self, company_id: int) -> CompanyView | None:
        """One company, or None."""
        with self.session_factory() as session:
            company = session.get(Company, company_id)
            return _company_view(session, company) if company is not None else None

    def save_company(self, actor: str, data: CompanyInput, company_id: int | None = None) -> CompanyView:
        """Create a company (no id) or change one: name and tax id unique, the plan must exist."""
        errors: dict[str, Problem] = {}
        name = _field(errors, "name", lambda: clean_name(data.name, "company"))
        tax_id = _field(errors, "tax_id", lambda: clean_tax_id(data.tax_id))
        if errors:
            raise SetupError(errors)
        with unit_of_work(self.session_factory) as session:
            company = _existing(session, Company, company_id, "company")
            _check_company_clashes(session, company_id, name or "", tax_id)
            if data.plan_id is not None and session.get(SupportPlan, data.plan_id) is None:
                raise refuse("plan_id", "plan.not_found", id=data.plan_id)
            if company is None:
                company = Company(name=name, created_at=self.clock())
                session.add(company)
            before = _company_facts(company)
            company.name, company.tax_id, company.plan_id, company.active = (
                name or "",
                tax_id,
                data.plan_id,
                data.active,
            )
            session.flush()
            action = "company.create" if company_id is None else "company.update"
            audit(
                session,
                self.clock(),
                actor,
                action,
                company.name,
                {"before": before, "after": _company_facts(company)},
            )
            return _company_view(session, company)

    def deactivate_company(self, actor: str, company_id: int) -> CompanyView:
        """Mark a company inactive (its history stays; nothing is deleted)."""
        with unit_of_work(self.session_factory) as session:
            company = _existing(session, Company, company_id, "company")
            assert company is not None
            company.active = False
            audit(session, self.clock(), actor, "company.deactivate", company.name)
            return _company_view(session, company)

    # --- agents' profiles --------------------------------------------------------------------------

    def agents(self) -> list[AgentView]:
        """Every agent by name."""
        with self.session_factory() as session:
            return [_agent_view(agent) for agent in session.scalars(select(Agent).order_by(Agent.name))]

    def agent(self, agent_id: int) -> AgentView | None:
        """One agent, or None."""
        with self.session_factory() as session:
            agent = session.get(Agent, agent_id)
            return _agent_view(agent) if agent is not None else None

    def save_agent(self, actor: str, agent_id: int, data: AgentInput) -> AgentView:
        """Change an agent's name, role, language, Telegram user id, active flag (keeping an admin)."""
        errors: dict[str, Problem] = {}
        name = _field(errors, "name", lambda: clean_name(data.name, "agent"))
        telegram = _field(errors, "telegram_user_id", lambda: clean_telegram(data.telegram_user_id))
        if data.role not in {r.value for r in Role}:
            errors["role"] = Problem("agent.role_invalid", {"choices": ", ".join(r.value for r in Role)})
        if data.language not in LANGUAGES:
            errors["language"] = Problem("agent.language_invalid", {"choices": ", ".join(LANGUAGES)})
        if errors:
            raise SetupError(errors)
        with unit_of_work(self.session_factory) as session:
            agent = _existing(session, Agent, agent_id, "agent")
            assert agent is not None
            _check_agent_change(session, agent, data, telegram)
            before = _agent_facts(agent)
            if agent.active and not data.active:
                agent.session_epoch += 1  # disabled: every open session ends
            agent.name, agent.role, agent.language, agent.active = (
                name or agent.name,
                data.role,
                data.language,
                data.active,
            )
            agent.is_supervisor = data.role != Role.AGENT
            if telegram != agent.telegram_user_id and agent.telegram_chat_id in (
                None,
                agent.telegram_user_id,
            ):
                agent.telegram_chat_id = telegram  # alerts go to the agent's private chat (same id)
            agent.telegram_user_id = telegram
            audit(
                session,
                self.clock(),
                actor,
                "agent.update",
                agent.email,
                {"before": before, "after": _agent_facts(agent)},
            )
            return _agent_view(agent)


def validate_plan(data: PlanInput) -> tuple[str, BusinessCalendar, int]:
    """The plan's name, calendar and hours bank, or SetupError naming every field that is wrong."""
    errors: dict[str, Problem] = {}
    name = _field(errors, "name", lambda: clean_name(data.name, "plan", 120))
    if data.package != "custom" and data.package not in PACKAGES:
        choices = ", ".join([*PACKAGES, "custom"])
        errors["package"] = Problem("plan.package_unknown", {"package": data.package, "choices": choices})
    hours = dict(PACKAGES.get(data.package, data.hours))
    for day in WEEKDAY_KEYS:
        _field(errors, f"hours_{day}", lambda day=day: _day_hours(hours.get(day, "")))  # type: ignore[misc]
    if not errors and not any(hours.get(day, "").strip() for day in WEEKDAY_KEYS):
        errors["hours_mon"] = Problem("plan.closed_all_week")
    timezone = data.timezone.strip()
    _field(errors, "timezone", lambda: _timezone(timezone))
    country = data.country.strip().upper() or None
    subdivision = data.subdivision.strip().upper() or None
    _field(errors, "country", lambda: _holidays(country, subdivision))
    closed = _field(errors, "extra_closed", lambda: _dates(data.extra_closed)) or []
    bank = _field(errors, "hours_bank", lambda: _hours_bank(data.hours_bank))
    if errors:
        raise SetupError(errors)
    config = {"name": name, "timezone": timezone, "hours": hours, "country": country}
    config |= {"subdivision": subdivision, "extra_closed": closed}
    return name or "", calendar_from_dict(config), bank or 0


REQUEST_RULES = ("included", "hours_bank", "quote")


def validate_commercial(data: PlanInput, bank: int) -> tuple[str, int]:
    """The plan's request rule and warning level (whole hours), or SetupError naming the wrong fields.

    `includes_requests` stays as a mirror of the rule (`rule == "included"`) rather than being dropped with
    a migration: old readers keep working and migration 0008 already derived the rule from it. An empty
    rule is derived the same way (included / hours_bank with an allotment / quote).
    """
    errors: dict[str, Problem] = {}
    rule = data.request_rule.strip()
    if not rule:
        rule = "included" if data.includes_requests else "hours_bank" if bank > 0 else "quote"
    if rule not in REQUEST_RULES:
        errors["request_rule"] = Problem(
            "plan.request_rule_unknown", {"rule": rule, "choices": ", ".join(REQUEST_RULES)}
        )
    low = str(data.low_balance).strip() or "0"
    if not low.isdigit() or int(low) > 10_000:
        errors["low_balance"] = Problem("plan.low_balance_invalid", {"value": data.low_balance})
    if errors:
        raise SetupError(errors)
    return rule, int(low)


def with_p1_calendar(
    overrides: Mapping[str, Any] | None, calendar: BusinessCalendar, around_the_clock: bool
) -> dict[str, Any] | None:
    """The plan's target table with (or without) P1's own 24×7 calendar in the plan's time zone.

    SlaService.plan_calendar reads `{"P1": {"calendar": {...}}}`: P1 tickets run around the clock, the other
    priorities keep the plan's hours. Other overrides are kept as they are.
    """
    table = {key: dict(spec) for key, spec in (overrides or {}).items()}
    p1 = table.pop("P1", {})
    p1.pop("calendar", None)
    if around_the_clock:
        hours = dict(PACKAGES["24x7"])
        p1["calendar"] = {"name": "p1-24x7", "timezone": calendar.timezone, "hours": hours, "country": None}
    if p1:
        table["P1"] = p1
    return table or None


def _p1_around_the_clock(plan: SupportPlan) -> bool:
    spec = (plan.target_overrides or {}).get("P1") or {}
    return isinstance(spec, Mapping) and spec.get("calendar") is not None


def package_of(calendar: Mapping[str, Any]) -> str:
    """Which sold package a calendar's weekly hours are (or "custom")."""
    hours = {day: spec for day, spec in calendar.get("hours", {}).items() if spec}
    for package, package_hours in PACKAGES.items():
        if hours == dict(package_hours):
            return package
    return "custom"


def _field(errors: dict[str, Problem], name: str, check: Callable[[], Any]) -> Any:
    """Run one field's check; an Invalid becomes that field's problem."""
    try:
        return check()
    except Invalid as exc:
        errors[name] = exc.problem
        return None


def _day_hours(raw: str) -> Any:
    """One day's opening hours (sla.calendar.parse_day_hours), with a Problem naming what is wrong."""
    previous_close = -1
    for part in (p.strip() for p in raw.split(",") if raw.strip()):
        match = _INTERVAL.match(part)
        if match is None:
            raise Invalid("plan.hours_format", value=part)
        oh, om, ch, cm = (int(g) for g in match.groups())
        if om > 59 or cm > 59 or oh > 23 or ch > 24 or (ch == 24 and cm != 0):
            raise Invalid("plan.hours_time", value=part)
        opens, closes = oh * 60 + om, ch * 60 + cm
        if opens >= closes:
            raise Invalid("plan.hours_order", value=part)
        if opens < previous_close:
            raise Invalid("plan.hours_overlap")
        previous_close = closes
    try:
        return parse_day_hours(raw)
    except ValueError:
        raise Invalid("plan.hours_invalid", value=raw) from None


def _timezone(name: str) -> None:
    try:
        BusinessCalendar(timezone=name, country=None)
    except ValueError:
        raise Invalid("plan.timezone_unknown", value=name) from None


def _holidays(country: str | None, subdivision: str | None) -> None:
    if country is None and subdivision is not None:
        raise Invalid("plan.subdivision_needs_country")
    try:
        BusinessCalendar(country=country)
    except ValueError:
        raise Invalid("plan.country_unknown", value=country) from None
    try:
        BusinessCalendar(country=country, subdivision=subdivision)
    except ValueError:
        raise Invalid("plan.subdivision_unknown", value=subdivision, country=country) from None


def _dates(raw: str) -> list[str]:
    found: list[str] = []
    for item in raw.replace(",", " ").split():
        try:
            found.append(date.fromisoformat(item).isoformat())
        except ValueError:
            raise Invalid("plan.date_invalid", value=item) from None
    return sorted(set(found))


def _hours_bank(raw: str) -> int:
    text = str(raw).strip() or "0"
    if not text.isdigit():
        raise Invalid("plan.hours_bank_invalid", value=raw)
    return int(text)


def _existing(session: Session, model: type[Any], item_id: int | None, what: str) -> Any:
    if item_id is None:
        return None
    found = session.get(model, item_id, with_for_update=True)
    if found is None:
        raise refuse("id", f"{what}.not_found", id=item_id)
    return found


def _check_company_clashes(session: Session, company_id: int | None, name: str, tax_id: str | None) -> None:
    same_name = session.scalar(select(Company.id).where(func.lower(Company.name) == name.lower()))
    if same_name is not None and same_name != company_id:
        raise refuse("name", "company.name_taken", name=name)
    if tax_id is not None:
        same_tax = session.scalar(select(Company).where(Company.tax_id == tax_id))
        if same_tax is not None and same_tax.id != company_id:
            raise refuse("tax_id", "company.tax_id_taken", tax_id=tax_id, owner=same_tax.name)


def _check_agent_change(session: Session, agent: Agent, data: AgentInput, telegram: str | None) -> None:
    if agent.role == Role.ADMIN and agent.active and (data.role != Role.ADMIN or not data.active):
        admins = session.scalar(
            select(func.count(Agent.id)).where(Agent.role == Role.ADMIN.value, Agent.active.is_(True))
        )
        if (admins or 0) <= 1:
            raise refuse("role", "agent.last_admin")
    if telegram is not None:
        owner = session.scalar(select(Agent).where(Agent.telegram_user_id == telegram, Agent.id != agent.id))
        if owner is not None:
            raise refuse("telegram_user_id", "agent.telegram_taken", telegram=telegram, owner=owner.email)


def _plan_view(session: Session, plan: SupportPlan) -> PlanView:
    calendar = resolve_calendar(plan.calendar_name, plan.calendar_config).to_dict()
    count = session.scalar(select(func.count(Company.id)).where(Company.plan_id == plan.id)) or 0
    return PlanView(
        id=plan.id,
        name=plan.name,
        calendar=calendar,
        package=package_of(calendar),
        includes_requests=plan.includes_requests,
        hours_bank=plan.hours_bank_minutes // 60,
        companies=int(count),
        request_rule=plan.request_rule,
        low_balance=plan.low_balance_minutes // 60,
        p1_24x7=_p1_around_the_clock(plan),
    )


def _company_view(session: Session, company: Company) -> CompanyView:
    plan = session.get(SupportPlan, company.plan_id) if company.plan_id else None
    count = session.scalar(select(func.count(Contact.id)).where(Contact.company_id == company.id)) or 0
    return CompanyView(
        id=company.id,
        name=company.name,
        tax_id=company.tax_id,
        plan_id=company.plan_id,
        plan=plan.name if plan else None,
        active=company.active,
        contacts=int(count),
    )


def _company_facts(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "tax_id": company.tax_id,
        "plan_id": company.plan_id,
        "active": company.active,
    }


def _agent_view(agent: Agent) -> AgentView:
    return AgentView(
        id=agent.id,
        name=agent.name,
        email=agent.email,
        role=agent.role,
        language=agent.language,
        telegram_user_id=agent.telegram_user_id,
        active=agent.active,
        can_sign_in=bool(agent.password_hash),
        last_sign_in_at=agent.last_sign_in_at,
    )


def _agent_facts(agent: Agent) -> dict[str, Any]:
    return {
        "name": agent.name,
        "role": agent.role,
        "language": agent.language,
        "telegram_user_id": agent.telegram_user_id,
        "active": agent.active,
    }
