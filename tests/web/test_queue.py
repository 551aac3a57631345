"""The queue: views, SLA badges, filters, search, sorting and the polled partial (Flask test client)."""

from __future__ import annotations

import re

from intake.services.queue import QueueFilters, QueueView, Tone
from sla.clock import ClockState
from tests.support.clock import FakeClock
from tests.web.conftest import Console, open_ticket, post_form, register_ticket, signed_in

ROW = re.compile(r'<tr class="row" data-number="([^"]+)"')


def numbers(html: str) -> list[str]:
    return ROW.findall(html)


def ana_id(desk: Console) -> int:
    account = desk.accounts.authenticate("ana@latamadvisory.example", "correct horse battery")
    assert account is not None
    return account.id


def test_a_new_ticket_is_unassigned_then_mine_once_taken(desk: Console) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    client = signed_in(desk)
    page = client.get("/console/?view=unassigned").get_data(as_text=True)
    assert numbers(page) == [number]
    for text in ("Comercial Andes SpA", "María González", "whatsapp", "P1", "El ERP no abre"):
        assert text in page
    assert numbers(client.get("/console/?view=mine").get_data(as_text=True)) == []
    assert post_form(client, f"/console/tickets/{number}/act/take", {}) == 302
    assert numbers(client.get("/console/?view=mine").get_data(as_text=True)) == [number]
    assert numbers(client.get("/console/?view=unassigned").get_data(as_text=True)) == []
    mine = client.get("/console/?view=mine").get_data(as_text=True)
    assert "Ana Soporte" in mine


def test_rows_are_sorted_by_nearest_deadline_and_counted_per_view(desk: Console, clock: FakeClock) -> None:
    low = open_ticket(desk, "Un reporte sale con el logo antiguo", impact="3", urgency="3")  # P5
    clock.advance(minutes=5)
    urgent = register_ticket(desk, "No podemos facturar en todo el país")  # P1, opened later, due sooner
    result = signed_in(desk).get("/console/?view=open").get_data(as_text=True)
    assert numbers(result) == [urgent, low]
    counts = dict(re.findall(r'data-view="(\w+)">\s*[^<]*<span class="count">(\d+)</span>', result))
    assert counts == {
        "mine": "0",
        "unassigned": "2",
        "open": "2",
        "waiting": "0",
        "at_risk": "0",
        "handoffs": "0",
    }


def test_the_badge_turns_amber_at_75_percent_and_red_when_breached(desk: Console, clock: FakeClock) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")  # P1: 30 business minutes to respond
    queue = desk.app.extensions["console"].queue
    [row] = queue.page(QueueView.OPEN, ana_id(desk)).rows
    assert row.number == number and row.badge.tone == Tone.OK and row.badge.urgent.clock == "response"
    clock.advance(minutes=23)
    [row] = queue.page(QueueView.OPEN, ana_id(desk)).rows
    assert row.badge.tone == Tone.AMBER and row.badge.at_risk
    assert [r.number for r in queue.page(QueueView.AT_RISK, ana_id(desk)).rows] == [number]
    clock.advance(minutes=10)
    [row] = queue.page(QueueView.OPEN, ana_id(desk)).rows
    assert row.badge.tone == Tone.RED and row.badge.urgent.state == ClockState.BREACHED
    assert row.badge.urgent.remaining_minutes < 0
    html = signed_in(desk).get("/console/queue/rows?view=at_risk").get_data(as_text=True)
    assert (
        'data-tone="red"' in html and "Respuesta:" in html and "Resolución:" in html
    )  # both clocks on hover


def test_asking_for_information_pauses_the_badge_and_lists_the_ticket_as_waiting(
    desk: Console, clock: FakeClock
) -> None:
    number = open_ticket(desk, "El ERP no abre desde la mañana")
    client = signed_in(desk)
    post_form(client, f"/console/tickets/{number}/act/take", {})
    clock.advance(minutes=5)
    assert post_form(client, f"/console/tickets/{number}/act/ask", {"text": "¿Qué error aparece?"}) == 302
    queue = desk.app.extensions["console"].queue
    [row] = queue.page(QueueView.WAITING, ana_id(desk)).rows
    assert row.badge.tone == Tone.GREY and row.badge.response.state == ClockState.MET
    assert row.badge.resolution.state == ClockState.PAUSED
    assert row.waiting_since == clock.current
    html = client.get("/console/queue/rows?view=waiting").get_data(as_text=True)
    assert numbers(html) == [number] and 'data-tone="grey"' in html and "en pausa" in html


def test_search_by_number_or_text_and_filters(desk: Console, clock: FakeClock) -> None:
    erp = open_ticket(desk, "El ERP no abre desde la mañana")
    clock.advance(minutes=1)
    logo = register_ticket(desk, "Un reporte sale con el logo antiguo", impact="bajo", urgency="baja")
    queue = desk.app.extensions["console"].queue
    agent = ana_id(desk)

    def found(**filters: str) -> list[str]:
        return [r.number for r in queue.page(QueueView.OPEN, agent, QueueFilters(**filters)).rows]

    assert found(search=logo.lower()) == [logo]
    assert found(search=erp[-3:]) == [erp]
    assert found(search="LOGO") == [logo]
    assert found(search="comercial andes") == [erp, logo]
    assert found(priority="p5") == [logo]
    assert found(channel="telegram") == []
    html = signed_in(desk).get("/console/queue/rows?view=open&q=logo").get_data(as_text=True)
    assert numbers(html) == [logo] and "<html" not in html


def test_the_queue_page_polls_its_partial_and_offers_shortcuts(desk: Console) -> None:
    html = signed_in(desk).get("/console/").get_data(as_text=True)
    assert 'hx-get="/console/queue/rows"' in html and 'hx-trigger="every 10s"' in html
    assert "htmx.min.js" in html and "console.js" in html
    assert 'id="shortcuts-help"' in html and "<kbd>j</kbd>" in html


def test_an_unknown_view_is_404(desk: Console) -> None:
    assert signed_in(desk).get("/console/?view=nope").status_code == 404
