"""The real twilio client sends through the adapter to a local fake Twilio REST API."""

from __future__ import annotations

import base64
import json
import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from bot.messages import Channel, Option
from channels.base import (
    OutboundMessage,
    OutsideWindowError,
    PermanentSendError,
    TransientSendError,
)
from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig
from channels.whatsapp.text import split_text
from tests.support.twilio_fake import ACCOUNT, FakeTwilio, created, error, message_sid

TOKEN = "tok_9b1c0ffee5ecret7a41d8cd98f00b2"
QUICK_REPLY_SID = "HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
SURVEY_SID = "HXbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
NOW = datetime(2025, 4, 24, 14, 5, 10, tzinfo=UTC)
CUSTOMER = "+56912345678"


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    httpserver = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    httpserver.stop()


@pytest.fixture
def twilio(server: HTTPServer) -> Iterator[FakeTwilio]:
    server.clear()
    yield FakeTwilio(server)
    server.clear()


def adapter_for(server: HTTPServer, **overrides: Any) -> WhatsAppAdapter:
    settings: dict[str, Any] = {
        "account_sid": ACCOUNT,
        "auth_token": TOKEN,
        "from_number": "whatsapp:+14155238886",
        "api_base_url": server.url_for("/").rstrip("/"),
        "status_callback_url": "https://desk.example.cl/webhooks/whatsapp/status",
        "quick_reply_templates": {"impact": QUICK_REPLY_SID},
        "notification_templates": {"survey": SURVEY_SID},
        "request_timeout": 2.0,
    }
    settings.update(overrides)
    return WhatsAppAdapter(WhatsAppConfig(**settings), clock=lambda: NOW)


@pytest.fixture
def adapter(server: HTTPServer) -> Iterator[WhatsAppAdapter]:
    whatsapp = adapter_for(server)
    yield whatsapp
    whatsapp.close()


def message(**fields: Any) -> OutboundMessage:
    return OutboundMessage(channel=Channel.WHATSAPP, recipient=CUSTOMER, **fields)


IMPACT = (Option("impact_high", "Alto"), Option("impact_mid", "Medio"), Option("impact_low", "Bajo"))


# --- happy paths -------------------------------------------------------------------------------


def test_text_goes_out_with_basic_auth_and_the_expected_fields(
    adapter: WhatsAppAdapter, twilio: FakeTwilio
) -> None:
    result = adapter.send(message(text="Recibimos su solicitud. Ticket #1042."))
    assert result.provider_message_ids == (message_sid(1),)
    assert result.status == "queued"
    [form] = twilio.forms
    expected = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert twilio.authorizations == [f"Basic {expected}"]
    assert form == {
        "To": ["whatsapp:+56912345678"],
        "From": ["whatsapp:+14155238886"],
        "Body": ["Recibimos su solicitud. Ticket #1042."],
        "StatusCallback": ["https://desk.example.cl/webhooks/whatsapp/status"],
    }


def test_per_message_status_callback_wins(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    adapter.send(message(text="Hola", status_callback_url="https://other.example/status?id=7"))
    assert twilio.field(0, "StatusCallback") == "https://other.example/status?id=7"


def test_long_text_is_split_in_order(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    paragraphs = [f"Paso {n}: " + "revise la configuración del diario contable. " * 30 for n in (1, 2)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    result = adapter.send(message(text=text))
    bodies = [twilio.field(i, "Body") or "" for i in range(len(twilio.calls))]
    assert len(bodies) >= 2
    assert result.provider_message_ids == tuple(message_sid(n) for n in range(1, len(bodies) + 1))
    assert all(len(body) <= 1600 for body in bodies)
    assert bodies[0].startswith("Paso 1:")
    assert " ".join(bodies).split() == text.split()


def test_quick_reply_template_for_up_to_three_options(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    adapter.send(message(text="¿Cuál es el impacto?", options=IMPACT, step="impact"))
    [form] = twilio.forms
    assert form["ContentSid"] == [QUICK_REPLY_SID]
    assert json.loads(form["ContentVariables"][0]) == {
        "1": "¿Cuál es el impacto?",
        "2": "Alto",
        "3": "impact_high",
        "4": "Medio",
        "5": "impact_mid",
        "6": "Bajo",
        "7": "impact_low",
    }
    assert "Body" not in form
    assert "MediaUrl" not in form


@pytest.mark.parametrize(
    ("options", "step"),
    [
        ((*IMPACT, Option("impact_none", "Ninguno")), "impact"),  # four options
        (IMPACT, "urgency"),  # no template configured for this step
        ((Option("a", "Un título demasiado largo para WhatsApp"), Option("b", "Otro")), "impact"),
    ],
)
def test_numbered_text_fallback(
    adapter: WhatsAppAdapter, twilio: FakeTwilio, options: tuple[Option, ...], step: str
) -> None:
    adapter.send(message(text="Elija una opción:", options=options, step=step))
    [form] = twilio.forms
    assert "ContentSid" not in form
    lines = [f"{n}. {option.title}" for n, option in enumerate(options, start=1)]
    assert form["Body"] == ["Elija una opción:\n\n" + "\n".join(lines)]


def test_template_send_uses_content_sid_and_variables_only(
    adapter: WhatsAppAdapter, twilio: FakeTwilio
) -> None:
    sid = adapter.template_for("survey")
    assert sid == SURVEY_SID
    adapter.send(message(text="ignored", template_sid=sid, template_variables={"1": "1042", "2": "María"}))
    [form] = twilio.forms
    assert form["ContentSid"] == [SURVEY_SID]
    assert json.loads(form["ContentVariables"][0]) == {"1": "1042", "2": "María"}
    assert "Body" not in form


def test_agent_media_is_sent_by_public_url_with_caption(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    url = "https://desk.example.cl/media/signed/abc123/manual.pdf"
    adapter.send(message(text="Le envío el manual.", media_path="/var/att/ab12", media_url=url))
    [form] = twilio.forms
    assert form["MediaUrl"] == [url]
    assert form["Body"] == ["Le envío el manual."]


def test_media_without_public_url_is_refused_before_calling_twilio(
    adapter: WhatsAppAdapter, twilio: FakeTwilio
) -> None:
    with pytest.raises(PermanentSendError) as caught:
        adapter.send(message(text="Adjunto", media_path="/var/att/ab12"))
    assert caught.value.code == "media_url_missing"
    assert twilio.calls == []


def test_empty_message_is_refused(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    with pytest.raises(PermanentSendError):
        adapter.send(message(text="   "))
    assert twilio.calls == []


def test_messaging_service_sender(server: HTTPServer, twilio: FakeTwilio) -> None:
    service = "MG0123456789abcdef0123456789abcdef"
    whatsapp = adapter_for(server, from_number=None, messaging_service_sid=service)
    whatsapp.send(message(text="Hola"))
    whatsapp.close()
    assert twilio.field(0, "MessagingServiceSid") == service
    assert twilio.field(0, "From") is None


# --- errors ------------------------------------------------------------------------------------


def test_429_with_retry_after_seconds_is_transient(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    twilio.script.append(error("api_error_20429", {"Retry-After": "7"}))
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text="Hola"))
    assert caught.value.retry_after == 7.0
    assert "429" in caught.value.reason


def test_429_with_retry_after_date(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    later = NOW.replace(second=40)
    retry = {"Retry-After": format_datetime(later, usegmt=True)}
    twilio.script.append(error("api_error_20429", retry))
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text="Hola"))
    assert caught.value.retry_after == 30.0


def test_429_without_retry_after(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    twilio.script.append(error("api_error_20429"))
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text="Hola"))
    assert caught.value.retry_after is None


def test_500_is_transient(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    twilio.script.append(error("api_error_20500"))
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text="Hola"))
    assert "500" in caught.value.reason


def test_timeout_is_transient(server: HTTPServer, twilio: FakeTwilio) -> None:
    def slow() -> Response:
        time.sleep(1.0)
        return created(1)

    twilio.script.append(slow)
    whatsapp = adapter_for(server, request_timeout=0.25)
    started = time.monotonic()
    with pytest.raises(TransientSendError) as caught:
        whatsapp.send(message(text="Hola"))
    whatsapp.close()
    assert time.monotonic() - started < 0.9
    assert "timed out" in caught.value.reason


def test_unreachable_api_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = WhatsAppConfig(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        from_number="whatsapp:+14155238886",
        api_base_url=f"http://127.0.0.1:{port}",
    )
    whatsapp = WhatsAppAdapter(config)
    with pytest.raises(TransientSendError, match="network error"):
        whatsapp.send(message(text="Hola"))
    whatsapp.close()


def test_invalid_number_21211_is_permanent(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    twilio.script.append(error("api_error_21211"))
    with pytest.raises(PermanentSendError) as caught:
        adapter.send(message(text="Hola"))
    assert type(caught.value) is PermanentSendError
    assert caught.value.code == "21211"
    assert "not a valid phone number" in caught.value.reason


def test_63016_on_create_is_outside_window(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    twilio.script.append(error("api_error_63016"))
    with pytest.raises(OutsideWindowError) as caught:
        adapter.send(message(text="Su ticket fue resuelto"))
    assert caught.value.code == "63016"
    assert isinstance(caught.value, PermanentSendError)


def test_failure_mid_split_says_how_many_parts_went_out(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    twilio.script.extend([lambda: created(1), error("api_error_20500")])
    with pytest.raises(TransientSendError, match="after 1 of 2 parts"):
        adapter.send(message(text="Frase larga de prueba. " * 100))
    assert len(twilio.calls) == 2


def test_the_auth_token_never_reaches_logs_or_errors(
    adapter: WhatsAppAdapter, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    twilio.script.extend(
        [error("api_error_21211"), error("api_error_20429", {"Retry-After": "1"})]
    )
    errors: list[Exception] = []
    for _ in range(2):
        try:
            adapter.send(message(text="Hola"))
        except (PermanentSendError, TransientSendError) as exc:
            errors.append(exc)
    adapter.send(message(text="Hola"))
    assert len(errors) == 2
    assert caplog.records, "the twilio client and the adapter should have logged something"
    assert TOKEN not in caplog.text
    assert all(TOKEN not in str(exc) and TOKEN not in repr(exc.args) for exc in errors)


# --- split texts that fail part-way: progress survives the retry ------------------------------

TWO_PARTS = "Frase larga de prueba. " * 100  # 2300 characters: two parts under 1600
THREE_PARTS = " ".join(f"Frase número {n} de la prueba." for n in range(150))  # three parts


def bodies(twilio: FakeTwilio) -> list[str]:
    return [twilio.field(index, "Body") or "" for index in range(len(twilio.calls))]


def test_500_on_the_second_part_keeps_the_first_sid_and_the_retry_sends_only_the_rest(
    adapter: WhatsAppAdapter, twilio: FakeTwilio
) -> None:
    twilio.script.extend([lambda: created(1), error("api_error_20500")])
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text=TWO_PARTS))
    assert caught.value.sent_ids == (message_sid(1),)
    first, second = bodies(twilio)
    result = adapter.send(message(text=TWO_PARTS, skip_parts=1))
    assert len(twilio.calls) == 3
    assert bodies(twilio)[2] == second != first
    assert result.provider_message_ids == (message_sid(3),)
    assert " ".join([first, second]).split() == TWO_PARTS.split()


def test_429_on_a_later_part_keeps_retry_after_and_the_sids_of_this_attempt(
    adapter: WhatsAppAdapter, twilio: FakeTwilio
) -> None:
    twilio.script.extend([
        lambda: created(1),
        lambda: created(2),
        error("api_error_20429", {"Retry-After": "5"}),
    ])
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text=THREE_PARTS))
    assert caught.value.sent_ids == (message_sid(1), message_sid(2))
    assert caught.value.retry_after == 5.0
    assert "after 2 of 3 parts" in caught.value.reason


def test_a_resumed_attempt_reports_only_its_own_sids(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    twilio.script.extend([lambda: created(1), error("api_error_20500")])
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text=THREE_PARTS, skip_parts=1))
    assert caught.value.sent_ids == (message_sid(1),)
    assert "after 2 of 3 parts: 1 earlier, " + message_sid(1) in caught.value.reason
    expected = split_text(THREE_PARTS)
    assert len(expected) == 3
    assert bodies(twilio) == expected[1:]
    result = adapter.send(message(text=THREE_PARTS, skip_parts=2))
    assert bodies(twilio)[2] == expected[2]
    assert result.provider_message_ids == (message_sid(3),)


def test_timeout_on_a_later_part_keeps_the_sent_sids(server: HTTPServer, twilio: FakeTwilio) -> None:
    def slow() -> Response:
        time.sleep(1.0)
        return created(2)

    twilio.script.extend([lambda: created(1), slow])
    whatsapp = adapter_for(server, request_timeout=0.25)
    with pytest.raises(TransientSendError, match="timed out") as caught:
        whatsapp.send(message(text=TWO_PARTS))
    whatsapp.close()
    assert caught.value.sent_ids == (message_sid(1),)


def test_transient_failure_on_the_first_part_has_no_sent_ids(
    adapter: WhatsAppAdapter, twilio: FakeTwilio
) -> None:
    twilio.script.append(error("api_error_20500"))
    with pytest.raises(TransientSendError) as caught:
        adapter.send(message(text=TWO_PARTS))
    assert caught.value.sent_ids == ()
    assert "parts" not in caught.value.reason


def test_permanent_failure_after_some_parts_names_them_in_the_reason(
    adapter: WhatsAppAdapter, twilio: FakeTwilio
) -> None:
    twilio.script.extend([lambda: created(1), error("api_error_21211")])
    with pytest.raises(PermanentSendError) as caught:
        adapter.send(message(text=TWO_PARTS))
    assert caught.value.code == "21211"
    assert f"after 1 of 2 parts: {message_sid(1)}" in caught.value.reason


def test_nothing_left_to_send_makes_no_call(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    result = adapter.send(message(text=TWO_PARTS, skip_parts=2))
    assert twilio.calls == []
    assert result.provider_message_ids == ()


def test_a_template_is_one_call_and_ignores_skip_parts(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    # A retry of a half-sent text may be routed to a template once the 24-hour window closed.
    result = adapter.send(message(text=TWO_PARTS, template_sid=SURVEY_SID, skip_parts=1))
    [form] = twilio.forms
    assert form["ContentSid"] == [SURVEY_SID]
    assert result.provider_message_ids == (message_sid(1),)


def test_skip_parts_counts_the_media_part_too(adapter: WhatsAppAdapter, twilio: FakeTwilio) -> None:
    url = "https://desk.example.cl/media/signed/abc123/manual.pdf"
    adapter.send(message(text=TWO_PARTS, media_path="/var/att/ab12", media_url=url, skip_parts=1))
    [form] = twilio.forms
    assert form["MediaUrl"] == [url]
    assert form["Body"] == [split_text(TWO_PARTS)[1]]
