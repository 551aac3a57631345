"""The API's billing endpoints (issue 15): billable incidents, time logged, and what a ticket shows."""

from __future__ import annotations

from sqlalchemy import select

from intake.db.models import Ticket, TimeEntry
from intake.services.demo import DEMO_COMPANY
from tests.api.conftest import ANA, Api, Console, register_ticket
from tests.api.test_api_http import problem_of, sent_texts


def _entries(console: Console) -> int:
    with console.container.session_factory() as session:
        return len(session.scalars(select(TimeEntry)).all())


def test_billable_and_time_through_the_api(api_desk: Console, ana: Api) -> None:
    number = register_ticket(api_desk, "Borraron el diario de ventas")
    api_desk.container.hours_bank.credit(ANA, DEMO_COMPANY, 600, "Paquete")
    marked = ana.post(f"/api/v1/tickets/{number}/billable", json={"reason": "Borrado por un usuario"})
    assert marked.status_code == 200 and marked.get_json()["number"] == number
    assert "con cargo al cliente" in sent_texts(api_desk)

    logged = ana.post(f"/api/v1/tickets/{number}/time", json={"minutes": 45, "note": "Restauración"})
    assert logged.status_code == 201, logged.get_data(as_text=True)
    body = logged.get_json()
    assert body["charged_to_bank"] is True and body["ticket_minutes"] == 45 and body["balance_minutes"] == 555
    assert body["warning"] is None and body["url"].endswith(f"/api/v1/tickets/{number}")

    billing = ana.get(f"/api/v1/tickets/{number}").get_json()["billing"]
    assert billing["user_error"] is True and billing["billable_reason"] == "Borrado por un usuario"
    assert billing["plan"] == "Plan Estándar" and billing["request_rule"] is None
    assert (billing["minutes_logged"], billing["charged_minutes"], billing["balance_minutes"]) == (
        45,
        45,
        555,
    )
    (entry,) = billing["time_entries"]
    assert entry["agent"] == "Ana Soporte" and entry["note"] == "Restauración" and entry["charged_to_bank"]

    undone = ana.post(f"/api/v1/tickets/{number}/not-billable", json={"reason": "Era un bug"})
    assert undone.status_code == 200
    after = ana.get(f"/api/v1/tickets/{number}").get_json()
    assert after["billable"] is False and after["billing"]["balance_minutes"] == 600


def test_bad_time_and_billing_requests_are_problems_and_write_nothing(api_desk: Console, ana: Api) -> None:
    number = register_ticket(api_desk, "Una falla")
    for payload in (
        {"minutes": 0, "note": "x"},
        {"minutes": 1441, "note": "x"},
        {"minutes": 30, "note": ""},
        {},
    ):
        problem_of(ana.post(f"/api/v1/tickets/{number}/time", json=payload), 422)
    problem_of(ana.post("/api/v1/tickets/LA-999999/time", json={"minutes": 5, "note": "x"}), 404)
    problem_of(ana.post(f"/api/v1/tickets/{number}/billable", json={"reason": ""}), 422)
    problem_of(ana.post(f"/api/v1/tickets/{number}/not-billable", json={"reason": "no"}), 422)
    ana.post(f"/api/v1/tickets/{number}/cancel", json={"text": "duplicado"})
    closed = problem_of(ana.post(f"/api/v1/tickets/{number}/billable", json={"reason": "error"}), 409)
    assert "cancelled" in closed["detail"]
    assert _entries(api_desk) == 0
    with api_desk.container.session_factory() as session:
        assert session.scalars(select(Ticket.billable).where(Ticket.number == number)).one() is False
