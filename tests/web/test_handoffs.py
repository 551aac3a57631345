"""Hand-offs from the console: listed in the queue, answered into the customer's chat, ended (test client)."""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.db.models import Conversation
from tests.integration.service_harness import texts
from tests.support.clock import FakeClock
from tests.web.conftest import Console, chat, csrf_token, signed_in


def test_a_customer_who_asks_for_a_person_is_answered_and_handed_back(
    desk: Console, clock: FakeClock
) -> None:
    customer = chat(desk)
    customer.say("hola")
    customer.say("agente")
    clock.advance(minutes=1)
    customer.say("no puedo emitir facturas desde ayer")
    customer.flush()
    client = signed_in(desk)
    queue = client.get("/console/?view=handoffs").get_data(as_text=True)
    assert re.search(r'data-view="handoffs">\s*Derivaciones <span class="count">1</span>', queue)
    assert "María González" in queue and "no puedo emitir facturas desde ayer" in queue
    [path] = re.findall(r'href="(/console/handoffs/\d+)"', queue)[:1]

    page = client.get(path).get_data(as_text=True)
    assert 'data-requested="true"' in page and 'id="end-handoff"' in page
    token = csrf_token(client, path)
    response = client.post(f"{path}/reply", data={"csrf_token": token, "text": "Hola María, lo reviso"})
    assert response.status_code == 302
    assert texts(customer.flush()) == "Ana Soporte (soporte): Hola María, lo reviso"
    assert "Hola María, lo reviso" in client.get(path).get_data(as_text=True)

    response = client.post(
        f"{path}/end", data={"csrf_token": csrf_token(client, path)}, follow_redirects=True
    )
    assert "Derivación terminada" in response.get_data(as_text=True)
    assert customer.flush()  # the customer is told the bot is back
    with desk.container.session_factory() as session:
        assert session.scalars(select(Conversation.handoff_requested)).all() == [False]
    assert 'id="end-handoff"' not in client.get(path).get_data(as_text=True)
    refused = client.post(
        f"{path}/reply",
        data={"csrf_token": csrf_token(client, path), "text": "¿Sigue ahí?"},
        follow_redirects=True,
    )
    assert "is not waiting for a person" in refused.get_data(as_text=True)
