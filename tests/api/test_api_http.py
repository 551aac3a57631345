"""The JSON API over HTTP: tokens and roles, tickets (list, read, act), registration, directory, errors."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from intake.db.models import Attachment, OutboxMessage
from tests.api.conftest import ADMIN, ANA, CARLOS, Api, Console, api_as, open_ticket, register_ticket, tokens
from tests.support.clock import FakeClock
from tests.web.conftest import chat, signed_in

PROBLEM = "application/problem+json"


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """Check a problem+json response and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def sent_texts(console: Console) -> str:
    """Everything queued for customers' chats."""
    with console.container.session_factory() as session:
        payloads = session.scalars(select(OutboxMessage.payload)).all()
    return " ".join(str(p.get("text", "")) for p in payloads)


def test_missing_invalid_and_revoked_tokens_are_401_problems(api_desk: Console, ana: Api) -> None:
    client = api_desk.app.test_client()
    missing = problem_of(client.get("/api/v1/tickets"), 401)
    assert "Authorization: Bearer" in missing["detail"]
    bad = client.get("/api/v1/tickets", headers={"Authorization": "Bearer ib_not-a-real-token"})
    assert "not valid" in problem_of(bad, 401)["detail"]
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/tickets", headers={"Authorization": "Basic YTpi"}).status_code == 401
    assert ana.get("/api/v1/tickets").status_code == 200
    tokens(api_desk).revoke(tokens(api_desk).list(ANA)[0].id)
    problem_of(ana.get("/api/v1/tickets"), 401)


def test_a_disabled_agent_s_token_stops_working(api_desk: Console) -> None:
    carlos = api_as(api_desk, CARLOS)
    assert carlos.get("/api/v1/companies").status_code == 200
    api_desk.accounts.disable(CARLOS)
    problem_of(carlos.get("/api/v1/companies"), 401)


def test_a_console_session_is_not_an_api_credential(api_desk: Console) -> None:
    client = signed_in(api_desk)  # a cookie session: the API ignores it (so it needs no CSRF token)
    problem_of(client.get("/api/v1/tickets"), 401)


def test_directory_writes_are_for_admins_only(api_desk: Console, ana: Api, admin: Api) -> None:
    body = problem_of(ana.post("/api/v1/companies", json={"name": "Minera Atacama"}), 403)
    assert body["code"] == "forbidden"
    supervisor = api_as(api_desk, CARLOS)
    problem_of(supervisor.patch("/api/v1/contacts/1", json={"name": "X"}), 403)
    created = admin.post("/api/v1/companies", json={"name": "Minera Atacama", "plan": "Plan Incidentes"})
    assert created.status_code == 201 and created.get_json()["plan"] == "Plan Incidentes"
    assert [c["name"] for c in ana.get("/api/v1/companies?q=atacama").get_json()] == ["Minera Atacama"]


def test_companies_and_contacts_for_integrations(admin: Api) -> None:
    company = admin.post("/api/v1/companies", json={"name": "Minera Atacama"}).get_json()
    assert company["open_tickets"] == 0 and company["active"] is True
    clash = problem_of(admin.post("/api/v1/companies", json={"name": "minera atacama"}), 409)
    assert clash["code"] == "conflict"
    problem_of(admin.post("/api/v1/companies", json={"name": "Otra", "plan": "Plan Oro"}), 422)
    renamed = admin.patch(f"/api/v1/companies/{company['id']}", json={"name": "Minera Atacama SpA"})
    assert renamed.get_json()["name"] == "Minera Atacama SpA"
    problem_of(admin.get("/api/v1/companies/999999"), 404)
    contact = admin.post(
        "/api/v1/contacts",
        json={
            "name": "Pedro Rojas",
            "company_id": company["id"],
            "whatsapp": "+56922222222",
            "language": "es",
        },
    )
    assert contact.status_code == 201, contact.get_data(as_text=True)
    made = contact.get_json()
    assert made["channels"] == ["whatsapp:+56922222222"] and made["verified"] is True
    taken = admin.post("/api/v1/contacts", json={"name": "Otro", "whatsapp": "+56922222222"})
    assert problem_of(taken, 409)["code"] == "conflict"
    bad_number = problem_of(admin.post("/api/v1/contacts", json={"name": "Otro", "whatsapp": "12"}), 422)
    assert "E.164" in bad_number["detail"]
    updated = admin.patch(f"/api/v1/contacts/{made['id']}", json={"email": "pedro@atacama.example"})
    assert updated.get_json()["email"] == "pedro@atacama.example"
    listed = admin.get(f"/api/v1/contacts?company={company['id']}").get_json()
    assert [c["name"] for c in listed] == ["Pedro Rojas"]
    assert admin.get(f"/api/v1/contacts/{made['id']}").get_json()["company"] == "Minera Atacama SpA"


def test_register_on_behalf_then_the_customer_is_told(api_desk: Console, ana: Api) -> None:
    contact_id = api_desk.container.contacts.list()[0].id
    body = {
        "contact_id": contact_id,
        "ticket_type": "incident",
        "description": "No se puede facturar desde la mañana",
        "impact": "alto",
        "urgency": "alta",
    }
    created = ana.post("/api/v1/tickets", json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    result = created.get_json()
    assert result["status"] == "new" and created.headers["Location"] == result["url"]
    ticket = ana.get(f"/api/v1/tickets/{result['number']}").get_json()
    assert ticket["priority"] == "P1" and ticket["contact_id"] == contact_id
    assert result["number"] in sent_texts(api_desk)
    unknown = problem_of(ana.post("/api/v1/tickets", json={**body, "contact_id": 99999}), 422)
    assert unknown["code"] == "unknown_contact"
    invalid = problem_of(ana.post("/api/v1/tickets", json={**body, "impact": "enorme"}), 422)
    assert invalid["errors"][0]["field"] == "impact" and invalid["errors"][0]["pointer"] == "#/impact"


def test_every_agent_action_goes_through_the_use_cases(api_desk: Console, ana: Api) -> None:
    number = open_ticket(api_desk, "El ERP no abre desde la mañana")
    base = f"/api/v1/tickets/{number}"
    assert ana.post(f"{base}/take").get_json()["status"] == "in_analysis"
    assert ana.post(f"{base}/reply", json={"text": "Estamos revisando el servidor."}).status_code == 200
    assert ana.post(f"{base}/note", json={"text": "Certificado vencido"}).status_code == 200
    assert ana.post(f"{base}/progress", json={"text": "Renovando el certificado"}).status_code == 200
    changed = ana.post(f"{base}/priority", json={"priority": "P3", "reason": "Solo una sucursal"})
    assert changed.status_code == 200
    assert (
        ana.post(f"{base}/ask", json={"text": "¿Desde qué equipo?"}).get_json()["status"]
        == "waiting_customer"
    )
    assert ana.post(f"{base}/escalate", json={"text": "Necesita al especialista"}).status_code == 200
    assert ana.post(f"{base}/solve", json={"text": "Renovamos el certificado"}).get_json()["status"] == (
        "solution_proposed"
    )
    sent = sent_texts(api_desk)
    assert "Estamos revisando el servidor." in sent and "Renovando el certificado" in sent
    assert "Certificado vencido" not in sent  # internal notes never leave
    ticket = ana.get(base).get_json()
    assert ticket["priority"] == "P3" and ticket["assignee"] == "Ana Soporte"
    visibility = {(e["kind"], e["event"]): e["visibility"] for e in ticket["timeline"]}
    assert visibility[("note", "note")] == "internal"
    assert visibility[("agent", "agent_reply")] == "public"
    assert visibility[("customer", None)] == "public"
    customer = chat(api_desk)
    customer.flush()
    customer.say("1")  # the solution works
    assert ana.get(base).get_json()["status"] == "closed"


def test_illegal_transitions_are_409_and_write_nothing(api_desk: Console, ana: Api) -> None:
    number = register_ticket(api_desk, "Consulta duplicada")
    assert ana.post(f"/api/v1/tickets/{number}/cancel", json={"text": "Duplicado"}).status_code == 200
    refused = problem_of(ana.post(f"/api/v1/tickets/{number}/solve", json={"text": "Listo"}), 409)
    assert refused["code"] == "illegal_transition" and refused["type"].endswith("illegal_transition")
    ticket = ana.get(f"/api/v1/tickets/{number}").get_json()
    assert ticket["status"] == "cancelled" and "Listo" not in str(ticket["timeline"])


def test_bad_input_unknown_tickets_and_routes(ana: Api) -> None:
    missing = problem_of(ana.post("/api/v1/tickets/LA-000001/reply", json={}), 422)
    assert missing["errors"] == [
        {
            "location": "json",
            "field": "text",
            "pointer": "#/text",
            "detail": "Missing data for required field.",
        }
    ]
    nul = problem_of(ana.post("/api/v1/tickets/LA-000001/reply", json={"text": "a\x00b"}), 422)
    assert "NUL" in nul["detail"]
    assert problem_of(ana.post("/api/v1/tickets/LA-999999/take"), 404)["code"] == "unknown_ticket"
    problem_of(ana.get("/api/v1/tickets/%00%FF"), 404)
    problem_of(ana.get("/api/v1/tickets/NOPE"), 404)
    problem_of(ana.get("/api/v1/nothing-here"), 404)
    assert problem_of(ana.client.delete("/api/v1/tickets", headers=ana.headers()), 405)
    page = problem_of(ana.get("/api/v1/tickets?per_page=1000"), 422)
    assert page["errors"][0]["location"] == "query" and page["errors"][0]["field"] == "per_page"
    blank = problem_of(ana.post("/api/v1/tickets/LA-000001/reply", json={"text": "   "}), 422)
    assert blank["code"] == "bad_input" and blank["detail"] == "a reply needs a text"


def test_list_filters_views_and_page_links(api_desk: Console, ana: Api, clock: FakeClock) -> None:
    first = register_ticket(api_desk, "Impresora sin tóner", impact="bajo", urgency="baja")
    clock.advance(minutes=1)
    second = register_ticket(api_desk, "ERP caído", impact="alto", urgency="alta")
    clock.advance(minutes=1)
    third = register_ticket(api_desk, "Consulta de reporte", impact="medio", urgency="media")
    ana.post(f"/api/v1/tickets/{second}/take")

    def numbers(query: str) -> list[str]:
        response = ana.get(f"/api/v1/tickets{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [t["number"] for t in response.get_json()["items"]]

    assert numbers("") == [third, second, first]  # newest first
    assert numbers("?view=mine") == [second]
    assert numbers("?view=unassigned") == [third, first]
    assert numbers("?priority=P1") == [second]
    assert numbers("?status=in_analysis") == [second]
    assert numbers("?q=t%C3%B3ner") == [first]
    assert numbers("?company=1") == [third, second, first]
    assert numbers("?company=2") == []
    assert numbers(f"?assignee={tokens(api_desk).list(ANA)[0].agent_id}") == [second]
    clock.advance(minutes=25)  # the P1's 30-minute response target is met; P5's 8 hours barely used
    assert numbers("?view=at_risk") == []
    clock.advance(hours=5, minutes=15)  # P1's 6-hour resolution at 91 %, P3's 1-hour response breached
    assert numbers("?view=at_risk") == [third, second]  # not the P5 (71 % of its 8-hour response)
    page = ana.get("/api/v1/tickets?per_page=2&view=open").get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 2)
    assert page["links"]["prev"] is None and "page=2" in page["links"]["next"]
    following = ana.get(page["links"]["next"]).get_json()
    assert [t["number"] for t in following["items"]] == [first] and following["links"]["next"] is None
    assert "per_page=2" in following["links"]["prev"]


def test_a_file_is_sent_and_attachments_download_with_the_token(api_desk: Console, ana: Api) -> None:
    number = register_ticket(api_desk, "Necesito el manual")
    upload = {
        "file": (io.BytesIO(b"%PDF-1.4 manual"), "manual.pdf", "application/pdf"),
        "caption": "El manual",
    }
    sent = ana.post(f"/api/v1/tickets/{number}/files", data=upload, content_type="multipart/form-data")
    assert sent.status_code == 200, sent.get_data(as_text=True)
    ticket = ana.get(f"/api/v1/tickets/{number}").get_json()
    [attachment] = ticket["attachments"]
    assert attachment["filename"] == "manual.pdf" and attachment["origin"] == "agent"
    downloaded = ana.client.get(attachment["download_url"], headers=ana.headers())
    assert downloaded.data == b"%PDF-1.4 manual"
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    problem_of(ana.client.get(attachment["download_url"]), 401)
    problem_of(ana.get("/api/v1/attachments/424242"), 404)
    missing = problem_of(ana.post(f"/api/v1/tickets/{number}/files", data={}), 422)
    assert missing["errors"][0]["field"] == "file"
    with api_desk.container.session_factory() as session:
        assert session.scalar(select(Attachment.size)) == len(b"%PDF-1.4 manual")
    huge = (  # built by hand: the test client would spool a large form to a temporary file it never closes
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
        + b"x" * (17 * 1024 * 1024)
        + b"\r\n--b--\r\n"
    )
    too_large = ana.post(
        f"/api/v1/tickets/{number}/files", data=huge, content_type="multipart/form-data; boundary=b"
    )
    problem_of(too_large, 413)
    assert len(ana.get(f"/api/v1/tickets/{number}").get_json()["attachments"]) == 1


def test_admin_tokens_act_as_their_agent(api_desk: Console, admin: Api) -> None:
    number = register_ticket(api_desk, "Consulta")
    assert admin.post(f"/api/v1/tickets/{number}/take").status_code == 200
    assert admin.get(f"/api/v1/tickets/{number}").get_json()["assignee"] == "Alba Admin"
    assert tokens(api_desk).list(ADMIN)[0].last_used_at is not None
