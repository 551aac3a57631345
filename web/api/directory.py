"""Companies and contacts for integrations: list and read (any agent), create and update (admins)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from apiflask import APIBlueprint, HTTPTokenAuth

from intake.services.directory import CompanyChange, ContactChange
from web.api.auth import ADMINS
from web.api.schemas import (
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    ContactQuery,
    SearchQuery,
)
from web.api.services import api_services

TAG = "Directory"
WRITE_ERRORS = {403: "Only admins may change the directory", 409: "The name or number is taken"}
ID = "<int(max=2147483647):{}>"


def register(bp: APIBlueprint, auth: HTTPTokenAuth) -> None:
    """Attach the directory views to the API blueprint."""

    @bp.get("/companies")
    @bp.auth_required(auth)
    @bp.input(SearchQuery, location="query", arg_name="query")
    @bp.output(CompanyOut(many=True))
    @bp.doc(tags=[TAG])
    def list_companies(query: dict[str, Any]) -> list[dict[str, Any]]:
        """List companies

        By name; `q` keeps those whose name contains it.
        """
        return [asdict(c) for c in api_services().directory.companies(query["q"])]

    @bp.get("/companies/" + ID.format("company_id"))
    @bp.auth_required(auth)
    @bp.output(CompanyOut)
    @bp.doc(tags=[TAG])
    def get_company(company_id: int) -> dict[str, Any]:
        """Read a company"""
        return asdict(api_services().directory.company(company_id))

    @bp.post("/companies")
    @bp.auth_required(auth, roles=ADMINS)
    @bp.input(CompanyIn, arg_name="body")
    @bp.output(CompanyOut, status_code=201)
    @bp.doc(tags=[TAG], responses=WRITE_ERRORS)
    def create_company(body: dict[str, Any]) -> dict[str, Any]:
        """Create a company

        Admins only. The name is unique (case-insensitive); `plan` names an existing support plan.
        """
        change = CompanyChange(name=body["name"], plan=body.get("plan"), active=body.get("active"))
        return asdict(api_services().directory.create_company(change))

    @bp.patch("/companies/" + ID.format("company_id"))
    @bp.auth_required(auth, roles=ADMINS)
    @bp.input(CompanyPatch, arg_name="body")
    @bp.output(CompanyOut)
    @bp.doc(tags=[TAG], responses=WRITE_ERRORS)
    def update_company(company_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Update a company

        Admins only. Only the fields sent change.
        """
        change = CompanyChange(name=body.get("name"), plan=body.get("plan"), active=body.get("active"))
        return asdict(api_services().directory.update_company(company_id, change))

    @bp.get("/contacts")
    @bp.auth_required(auth)
    @bp.input(ContactQuery, location="query", arg_name="query")
    @bp.output(ContactOut(many=True))
    @bp.doc(tags=[TAG])
    def list_contacts(query: dict[str, Any]) -> list[dict[str, Any]]:
        """List contacts

        By id; `company` keeps one company's, `q` those whose name or e-mail contains it.
        """
        found = api_services().directory.contacts(query.get("company"), query["q"])
        return [asdict(c) for c in found]

    @bp.get("/contacts/" + ID.format("contact_id"))
    @bp.auth_required(auth)
    @bp.output(ContactOut)
    @bp.doc(tags=[TAG])
    def get_contact(contact_id: int) -> dict[str, Any]:
        """Read a contact"""
        return asdict(api_services().directory.contact(contact_id))

    @bp.post("/contacts")
    @bp.auth_required(auth, roles=ADMINS)
    @bp.input(ContactIn, arg_name="body")
    @bp.output(ContactOut, status_code=201)
    @bp.doc(tags=[TAG], responses=WRITE_ERRORS)
    def create_contact(body: dict[str, Any]) -> dict[str, Any]:
        """Create a contact

        Admins only. A verified contact; with `whatsapp` (E.164) tickets registered for them are told
        in that chat.
        """
        return asdict(api_services().directory.create_contact(_contact_change(body)))

    @bp.patch("/contacts/" + ID.format("contact_id"))
    @bp.auth_required(auth, roles=ADMINS)
    @bp.input(ContactPatch, arg_name="body")
    @bp.output(ContactOut)
    @bp.doc(tags=[TAG], responses=WRITE_ERRORS)
    def update_contact(contact_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Update a contact

        Admins only. Only the fields sent change; `whatsapp` adds a number.
        """
        return asdict(api_services().directory.update_contact(contact_id, _contact_change(body)))


def _contact_change(body: dict[str, Any]) -> ContactChange:
    return ContactChange(
        name=body.get("name"),
        email=body.get("email"),
        company_id=body.get("company_id"),
        language=body.get("language"),
        whatsapp=body.get("whatsapp"),
    )
