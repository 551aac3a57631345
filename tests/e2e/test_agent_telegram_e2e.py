"""Agents in Telegram over real HTTP with the background loops running, as in production.

The real Flask app is served by werkzeug on loopback; Telegram's updates and Twilio's signed forms are
POSTed to it with `requests`; `run_background_loops` runs the delivery loop (outbox worker), the media
fetcher and the sweeper in their threads, sending through the real python-telegram-bot client to the
fake Bot API and through the real Twilio client to the fake Twilio. Nothing calls the worker by hand:
each step waits until what it expects has arrived.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from intake.bootstrap import run_background_loops
from tests.integration.test_agent_telegram import (  # noqa: F401 - `desk` is a fixture
    AGENTS_GROUP,
    ANA,
    DIALOG,
    PUBLIC,
    STRANGER,
    TG_SECRET,
    TWILIO_TOKEN,
    Desk,
    desk,
)
from tests.support.signing import TWILIO_SIGNATURE_HEADER, telegram_headers, twilio_signature
from tests.support.telegram_fake import callback_update, message_update
from tests.support.twilio_fake import fixture
from webhooks import create_app


def wait_for(what: str, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll until `predicate()` holds (the loops deliver on their own), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Wire:
    """Telegram's and Twilio's side of the HTTP conversation with the served app."""

    def __init__(self, served: Desk, base: str) -> None:
        self.desk, self.base = served, base
        self.http = requests.Session()
        self.sids = iter(range(1, 10**6))

    def customer(self, body: str) -> None:
        """Twilio posts the customer's WhatsApp message, signed over the public URL."""
        sid = f"SM{next(self.sids):032d}"
        form = {
            **fixture("inbound_text"),
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "Body": body,
        }
        signature = twilio_signature(TWILIO_TOKEN, PUBLIC + "/webhooks/whatsapp", form)
        response = self.http.post(
            f"{self.base}/webhooks/whatsapp",
            data=form,
            headers={TWILIO_SIGNATURE_HEADER: signature},
            timeout=10,
        )
        assert response.status_code == 200, response.text

    def telegram(self, update: dict[str, Any]) -> None:
        """Telegram posts one update with the secret header."""
        self.desk.clock.advance(seconds=1)
        if isinstance(update.get("message"), dict):
            update["message"]["date"] = int(self.desk.clock().timestamp())
        response = self.http.post(
            f"{self.base}/webhooks/telegram",
            data=json.dumps(update),
            headers={"Content-Type": "application/json", **telegram_headers(TG_SECRET)},
            timeout=10,
        )
        assert response.status_code == 200 and response.json() == {"ok": True}, response.text

    def agent(self, text: str, user: int = ANA, **extra: Any) -> None:
        """Someone writes in the agents' group."""
        self.telegram(message_update(user, chat_id=AGENTS_GROUP, text=text, **extra))

    def press(self, sent: dict[str, Any], title: str, user: int = ANA) -> str:
        """Someone presses a button of a message in the group; returns the callback query id."""
        data = next(
            b["callback_data"]
            for row in sent["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == title
        )
        update = callback_update(user, sent, data)
        self.telegram(update)
        return str(update["callback_query"]["id"])


@pytest.fixture
def wire(desk: Desk) -> Iterator[Wire]:  # noqa: F811 - the imported fixture
    """The app served over HTTP with the production background loops running."""
    server = make_server("127.0.0.1", 0, create_app(desk.container), threaded=True)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    stop = threading.Event()
    loops = run_background_loops(desk.container, stop)
    yield Wire(desk, f"http://127.0.0.1:{server.server_port}")
    stop.set()
    for thread in loops:
        thread.join(timeout=15)
    server.shutdown()
    serving.join(timeout=10)
    server.server_close()


def test_an_agent_works_a_whatsapp_ticket_from_the_telegram_group_over_http(
    desk: Desk,  # noqa: F811 - the imported fixture
    wire: Wire,
) -> None:
    for text in DIALOG:
        wire.customer(text)
    wait_for("the new-ticket alert", lambda: any("LA-000001 from" in m.get("text", "") for m in desk.group()))
    alert = desk.last_in_group("LA-000001 from")

    calls = len(desk.api.calls)
    wire.agent("/tomar 1", STRANGER)
    wire.press(alert, "Tomar", STRANGER)
    query = wire.press(alert, "Tomar")
    wait_for(
        "the button answer",
        lambda: any(
            c.params.get("callback_query_id") == query for c in desk.api.calls_to("answerCallbackQuery")
        ),
    )
    wait_for("the customer told who took it", lambda: "Ana Soporte" in desk.whatsapp_bodies()[-1])
    answered = [c.params.get("callback_query_id") for c in desk.api.calls_to("answerCallbackQuery")]
    assert answered == [query]  # the stranger's press was never answered
    assert not any("7999" in json.dumps(c.params) for c in desk.api.calls[calls:])
    assert desk.ticket().assigned_agent_id == 1

    wire.agent("/info 1 ¿Qué versión de Odoo usa?")
    wait_for("the question on WhatsApp", lambda: "¿Qué versión de Odoo usa?" in desk.whatsapp_bodies()[-1])
    wire.customer("Odoo 17")
    wait_for(
        "the customer's reply in the group",
        lambda: any("Customer replied on LA-000001" in m.get("text", "") for m in desk.group()),
    )
    forwarded = desk.last_in_group("Customer replied on LA-000001")
    wire.agent("Ya revisamos su CAF.", reply_to_message=forwarded)
    wait_for("the reply on WhatsApp", lambda: "Ya revisamos su CAF." in desk.whatsapp_bodies()[-1])
    wire.agent("/solucion 1 Cargamos un nuevo CAF.")
    wait_for("the solution on WhatsApp", lambda: "Cargamos un nuevo CAF." in desk.whatsapp_bodies()[-1])
    wire.customer("Sí")
    wait_for("the ticket closed", lambda: desk.ticket().status == "closed")
