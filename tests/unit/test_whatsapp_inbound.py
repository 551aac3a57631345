"""WhatsApp webhooks: signature checks, parsing Twilio's payloads, status callbacks, the 24 h rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from bot.messages import Channel, Location, MediaKind, Option
from channels.base import InboundChannel, MediaSource, OutboundChannel
from channels.whatsapp.adapter import (
    WhatsAppAdapter,
    WhatsAppConfig,
    e164,
    is_within_window,
    media_kind,
    quick_reply_variables,
    whatsapp_address,
)
from tests.support.signing import twilio_signature

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
TOKEN = "d41d8cd98f00b204e9800998ecf8427e"
PUBLIC_URL = "https://desk.example.cl/webhooks/whatsapp"
NOW = datetime(2025, 4, 24, 14, 5, 10, tzinfo=UTC)


def load(name: str) -> dict[str, str]:
    """A fixture form (Twilio's field names, invented values)."""
    data: dict[str, str] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def make_adapter(token: str = TOKEN, **overrides: object) -> WhatsAppAdapter:
    settings: dict[str, object] = {
        "account_sid": "AC3f5a0c1e2d4b6a8c9e0f1a2b3c4d5e6f",
        "auth_token": token,
        "from_number": "whatsapp:+14155238886",
        "notification_templates": {"survey": "HX11111111111111111111111111111111"},
    }
    settings.update(overrides)
    return WhatsAppAdapter(WhatsAppConfig(**settings), clock=lambda: NOW)  # type: ignore[arg-type]


# --- verify ------------------------------------------------------------------------------------

DOC_FORM = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
DOC_URL = "https://example.com/myapp.php?foo=1&bar=2"


def test_twilio_published_vector_is_accepted() -> None:
    adapter = make_adapter(token="12345")
    headers = {"X-Twilio-Signature": "L/OH5YylLD5NRKLltdqwSvS0BnU="}
    assert adapter.verify(DOC_URL, headers, DOC_FORM, b"") is True


def test_our_independent_signer_reproduces_the_published_vector() -> None:
    assert twilio_signature("12345", DOC_URL, DOC_FORM) == "L/OH5YylLD5NRKLltdqwSvS0BnU="


def test_published_vector_fails_with_another_token_url_or_form() -> None:
    headers = {"X-Twilio-Signature": "L/OH5YylLD5NRKLltdqwSvS0BnU="}
    assert make_adapter(token="54321").verify(DOC_URL, headers, DOC_FORM, b"") is False
    adapter = make_adapter(token="12345")
    assert adapter.verify(DOC_URL.replace("foo=1", "foo=2"), headers, DOC_FORM, b"") is False
    assert adapter.verify(DOC_URL, headers, {**DOC_FORM, "Digits": "9999"}, b"") is False


def test_header_name_is_case_insensitive() -> None:
    headers = {"x-twilio-signature": "L/OH5YylLD5NRKLltdqwSvS0BnU="}
    assert make_adapter(token="12345").verify(DOC_URL, headers, DOC_FORM, b"") is True


@pytest.mark.parametrize(
    "name", ["inbound_text", "inbound_quick_reply", "inbound_media_multi", "inbound_location"]
)
def test_fixtures_signed_at_test_time_verify(name: str) -> None:
    form = load(name)
    headers = {"X-Twilio-Signature": twilio_signature(TOKEN, PUBLIC_URL, form)}
    assert make_adapter().verify(PUBLIC_URL, headers, form, b"") is True


def test_missing_or_empty_signature_is_refused() -> None:
    form = load("inbound_text")
    assert make_adapter().verify(PUBLIC_URL, {}, form, b"") is False
    assert make_adapter().verify(PUBLIC_URL, {"X-Twilio-Signature": ""}, form, b"") is False


def test_signature_covers_the_whole_form_including_new_parameters() -> None:
    form = {**load("inbound_text"), "SomeFieldTwilioAddedLater": "x"}
    headers = {"X-Twilio-Signature": twilio_signature(TOKEN, PUBLIC_URL, form)}
    adapter = make_adapter()
    assert adapter.verify(PUBLIC_URL, headers, form, b"") is True
    filtered = {k: v for k, v in form.items() if k != "SomeFieldTwilioAddedLater"}
    assert adapter.verify(PUBLIC_URL, headers, filtered, b"") is False


def test_the_internal_url_behind_a_proxy_does_not_verify() -> None:
    form = load("inbound_text")
    headers = {"X-Twilio-Signature": twilio_signature(TOKEN, PUBLIC_URL, form)}
    internal = "http://127.0.0.1:8000/webhooks/whatsapp"
    assert make_adapter().verify(internal, headers, form, b"") is False


def test_werkzeug_multidict_form_is_accepted() -> None:
    form = load("inbound_media_multi")
    headers = {"X-Twilio-Signature": twilio_signature(TOKEN, PUBLIC_URL, form)}
    assert make_adapter().verify(PUBLIC_URL, headers, MultiDict(form), b"") is True


# --- parse -------------------------------------------------------------------------------------


def test_adapter_satisfies_the_channel_protocols() -> None:
    adapter = make_adapter()
    inbound: InboundChannel = adapter
    outbound: OutboundChannel = adapter
    media: MediaSource = adapter
    assert inbound.channel is outbound.channel is media.channel is Channel.WHATSAPP
    assert isinstance(adapter, InboundChannel | OutboundChannel | MediaSource)
    assert all(isinstance(adapter, kind) for kind in (InboundChannel, OutboundChannel, MediaSource))


def test_parse_text_message() -> None:
    form = load("inbound_text")
    [message] = make_adapter().parse({}, form, b"")
    assert message.channel is Channel.WHATSAPP
    assert message.sender_id == "+56912345678"
    assert message.reply_to == "+56912345678"
    assert message.provider_message_id == "SM9c1f0e4a7b2d4c3e8f6a5b4c3d2e1f00"
    assert message.text == "Hola, no puedo emitir facturas en Odoo desde esta mañana"
    assert message.profile_name == "María José"
    assert message.received_at == NOW
    assert message.button_payload is None
    assert message.media == ()
    assert message.location is None
    assert message.raw == form


def test_parse_quick_reply_tap() -> None:
    [message] = make_adapter().parse({}, load("inbound_quick_reply"), b"")
    assert message.button_payload == "impact_high"
    assert message.text == "Alto"
    assert message.raw["OriginalRepliedMessageSid"] == "SMa0b1c2d3e4f5061728394a5b6c7d8e9f"


def test_parse_button_text_when_body_is_empty() -> None:
    form = {**load("inbound_quick_reply"), "Body": ""}
    [message] = make_adapter().parse({}, form, b"")
    assert message.text == "Alto"


def test_parse_several_media_items_in_order() -> None:
    form = load("inbound_media_multi")
    [message] = make_adapter().parse({}, form, b"")
    assert message.text == "Adjunto evidencia del error"
    assert [(m.ref, m.content_type, m.kind) for m in message.media] == [
        (form["MediaUrl0"], "image/jpeg", MediaKind.IMAGE),
        (form["MediaUrl1"], "application/pdf", MediaKind.DOCUMENT),
        (form["MediaUrl2"], "audio/ogg", MediaKind.AUDIO),
    ]


def test_parse_document_without_caption() -> None:
    [message] = make_adapter().parse({}, load("inbound_media_document"), b"")
    assert message.text == ""
    assert [m.kind for m in message.media] == [MediaKind.DOCUMENT]


def test_num_media_bounds_the_items_and_missing_urls_are_skipped() -> None:
    form = {**load("inbound_media_multi"), "NumMedia": "2"}
    del form["MediaUrl0"]
    [message] = make_adapter().parse({}, form, b"")
    assert [m.content_type for m in message.media] == ["application/pdf"]


def test_parse_location() -> None:
    [message] = make_adapter().parse({}, load("inbound_location"), b"")
    assert message.location == Location(
        latitude=-33.4263916015625,
        longitude=-70.6165008544922,
        label="Oficina Providencia (Av. Providencia 1208, Providencia, Región Metropolitana)",
    )
    assert message.text == ""


def test_sender_falls_back_to_wa_id() -> None:
    form = {**load("inbound_text"), "From": ""}
    [message] = make_adapter().parse({}, form, b"")
    assert message.sender_id == "+56912345678"


def test_stray_payloads_are_not_customer_messages() -> None:
    adapter = make_adapter()
    # A status callback posted to the message URL by mistake.
    assert adapter.parse({}, load("status_delivered"), b"") == []
    # Something without a MessageSid.
    form = load("inbound_text")
    del form["MessageSid"], form["SmsMessageSid"]
    assert adapter.parse({}, form, b"") == []
    # Our own number as sender.
    assert adapter.parse({}, {**load("inbound_text"), "From": "whatsapp:+14155238886"}, b"") == []


def test_parse_accepts_a_werkzeug_multidict() -> None:
    [message] = make_adapter().parse({}, MultiDict(load("inbound_text")), b"")
    assert message.sender_id == "+56912345678"
    assert message.raw["Body"].startswith("Hola")


# --- status callbacks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "failed"),
    [
        ("status_queued", "queued", False),
        ("status_sent", "sent", False),
        ("status_delivered", "delivered", False),
        ("status_read", "read", False),
    ],
)
def test_parse_status_progress(name: str, status: str, failed: bool) -> None:
    update = make_adapter().parse_status(load(name))
    assert update.message_sid == "SMb1c2d3e4f5061728394a5b6c7d8e9f0a"
    assert update.status == status
    assert update.failed is failed
    assert update.error_code is None
    assert update.outside_window is False
    assert update.recipient == "+56912345678"


@pytest.mark.parametrize("name", ["status_failed_63016", "status_undelivered_63016"])
def test_parse_status_outside_window(name: str) -> None:
    update = make_adapter().parse_status(load(name))
    assert update.failed is True
    assert update.error_code == "63016"
    assert update.outside_window is True
    assert update.raw == load(name)


def test_failed_status_keeps_the_channel_error_message() -> None:
    update = make_adapter().parse_status(load("status_failed_63016"))
    assert update.error_message is not None
    assert "outside the allowed window" in update.error_message


def test_parse_status_rejects_a_form_that_is_not_a_status_callback() -> None:
    with pytest.raises(ValueError, match="MessageStatus"):
        make_adapter().parse_status({"MessageSid": "SM1"})


# --- window, templates, helpers -------------------------------------------------------------------


def test_window_is_24_hours_from_the_last_inbound_message() -> None:
    assert is_within_window(NOW - timedelta(hours=23, minutes=59, seconds=59), NOW) is True
    assert is_within_window(NOW - timedelta(hours=24), NOW) is False
    assert is_within_window(NOW - timedelta(days=3), NOW) is False
    assert is_within_window(None, NOW) is False


def test_window_compares_instants_across_timezones() -> None:
    santiago = NOW.astimezone(ZoneInfo("America/Santiago"))
    assert is_within_window(santiago - timedelta(hours=1), NOW) is True


def test_window_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_within_window(datetime(2025, 4, 24, 12, 0), NOW)  # noqa: DTZ001


def test_template_for_kind() -> None:
    adapter = make_adapter()
    assert adapter.template_for("survey") == "HX11111111111111111111111111111111"
    assert adapter.template_for("escalation") is None


def test_quick_reply_variable_layout() -> None:
    options = (Option("impact_high", "Alto"), Option("impact_mid", "Medio"))
    assert quick_reply_variables("¿Impacto?", options) == {
        "1": "¿Impacto?",
        "2": "Alto",
        "3": "impact_high",
        "4": "Medio",
        "5": "impact_mid",
    }


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("image/webp", MediaKind.IMAGE),
        ("audio/ogg; codecs=opus", MediaKind.AUDIO),
        ("video/mp4", MediaKind.VIDEO),
        ("application/pdf", MediaKind.DOCUMENT),
        ("text/vcard", MediaKind.DOCUMENT),
        (None, MediaKind.OTHER),
    ],
)
def test_media_kind(content_type: str | None, kind: MediaKind) -> None:
    assert media_kind(content_type) is kind


def test_addresses() -> None:
    assert e164("whatsapp:+56912345678") == "+56912345678"
    assert whatsapp_address("+56912345678") == "whatsapp:+56912345678"
    assert whatsapp_address("whatsapp:+56912345678") == "whatsapp:+56912345678"
    assert whatsapp_address("56912345678") == "whatsapp:+56912345678"


# --- config ------------------------------------------------------------------------------------


def test_config_repr_never_shows_the_token() -> None:
    config = WhatsAppConfig(account_sid="AC1", auth_token=TOKEN, from_number="whatsapp:+1415")
    assert TOKEN not in repr(config)
    assert TOKEN not in repr(WhatsAppAdapter(config))


def test_config_templates_are_read_only() -> None:
    templates = {"impact": "HX22222222222222222222222222222222"}
    config = WhatsAppConfig(
        account_sid="AC1", auth_token=TOKEN, from_number="whatsapp:+1", quick_reply_templates=templates
    )
    templates["impact"] = "changed"
    assert config.quick_reply_templates["impact"] == "HX22222222222222222222222222222222"
    assert isinstance(config.quick_reply_templates, MappingProxyType)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"from_number": None}, "from_number or a messaging_service_sid"),
        ({"from_number": "+14155238886"}, "whatsapp:"),
        ({"auth_token": ""}, "required"),
        ({"request_timeout": 0}, "positive"),
        ({"download_retries": -1}, "negative"),
    ],
)
def test_config_refuses_broken_settings(overrides: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {
        "account_sid": "AC1",
        "auth_token": TOKEN,
        "from_number": "whatsapp:+14155238886",
    }
    settings.update(overrides)
    with pytest.raises(ValueError, match=message):
        WhatsAppConfig(**settings)  # type: ignore[arg-type]


def test_messaging_service_alone_is_enough() -> None:
    config = WhatsAppConfig(
        account_sid="AC1", auth_token=TOKEN, messaging_service_sid="MG0123456789abcdef0123456789abcdef"
    )
    assert config.from_number is None
