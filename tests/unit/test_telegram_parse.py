"""Telegram webhook parsing and verification against Bot API update payloads (no network)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import Channel, MediaKind
from channels.telegram.adapter import (
    MAX_UPDATE_BYTES,
    MalformedUpdateError,
    TelegramAdapter,
    TelegramConfig,
)
from tests.support.signing import TELEGRAM_SECRET_HEADER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
SECRET = "wh-secret_0123456789"
NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body(name))
    return data


@pytest.fixture(scope="module")
def adapter() -> TelegramAdapter:
    config = TelegramConfig(bot_token=TOKEN, webhook_secret=SECRET, bot_username="intake_test_bot")
    return TelegramAdapter(config, clock=lambda: NOW)


def parse(adapter: TelegramAdapter, raw: bytes) -> list[Any]:
    return adapter.parse({"Content-Type": "application/json"}, {}, raw)


# --- verify ----------------------------------------------------------------------------------


def test_verify_accepts_the_configured_secret(adapter: TelegramAdapter) -> None:
    assert adapter.verify("https://x/webhooks/telegram", {TELEGRAM_SECRET_HEADER: SECRET}, {}, b"{}")


def test_verify_header_name_is_case_insensitive(adapter: TelegramAdapter) -> None:
    headers = {"x-telegram-bot-api-secret-token": SECRET}
    assert adapter.verify("https://x/webhooks/telegram", headers, {}, b"{}")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {TELEGRAM_SECRET_HEADER: ""},
        {TELEGRAM_SECRET_HEADER: SECRET + "x"},
        {TELEGRAM_SECRET_HEADER: SECRET[:-1]},
        {TELEGRAM_SECRET_HEADER: "contraseña-ñ"},
        {"X-Other": SECRET},
    ],
)
def test_verify_rejects_missing_or_wrong_secret(
    adapter: TelegramAdapter, headers: dict[str, str]
) -> None:
    assert adapter.verify("https://x/webhooks/telegram", headers, {}, b"{}") is False


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257, "ñandú"])
def test_config_refuses_secrets_telegram_would_not_accept(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook_secret"):
        TelegramConfig(bot_token=TOKEN, webhook_secret=secret)


def test_config_repr_hides_token_and_secret() -> None:
    config = TelegramConfig(bot_token=TOKEN, webhook_secret=SECRET)
    assert TOKEN not in repr(config)
    assert SECRET not in repr(config)


def test_config_derives_urls_from_the_api_base_url() -> None:
    config = TelegramConfig(
        bot_token=TOKEN,
        webhook_secret=SECRET,
        api_base_url="http://127.0.0.1:8081/",
        public_base_url="https://desk.example.com/",
    )
    assert config.base_url == "http://127.0.0.1:8081/bot"
    assert config.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert config.webhook_url == "https://desk.example.com/webhooks/telegram"
    default = TelegramConfig(bot_token=TOKEN, webhook_secret=SECRET)
    assert default.base_url == "https://api.telegram.org/bot"


# --- parse: valid payloads -------------------------------------------------------------------


def test_text_message(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("text.json"))
    assert msg.channel is Channel.TELEGRAM
    assert msg.text == "Hola, el sistema de facturación no carga desde esta mañana"
    assert msg.sender_id == "5011223344"
    assert msg.chat_id == "5011223344"
    assert msg.provider_message_id == "tg:815302001"
    assert msg.language_code == "es"
    assert msg.profile_name == "Camila Rojas"
    assert msg.received_at == datetime.fromtimestamp(1736942400, UTC)
    assert msg.is_edit is False
    assert msg.media == ()
    assert msg.raw == load("text.json")


def test_command_is_lowercased_and_loses_the_bot_suffix(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("command.json"))
    assert msg.text == "/estado LA-000123"


def test_start_with_deep_link_payload_is_kept(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("start_deeplink.json"))
    assert msg.text == "/start ticket-LA-000123"
    assert msg.language_code == "pt-br"


def test_photo_takes_the_largest_size_and_the_caption(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("photo_caption.json"))
    assert msg.text == "Este es el error que aparece"
    [media] = msg.media
    assert media.ref == "AgACAgEAAxkBAAIBaGeH-large"
    assert media.unique_id == "AQADlarge"
    assert media.size == 98211
    assert media.kind is MediaKind.IMAGE
    assert media.content_type == "image/jpeg"


def test_document_keeps_name_type_and_size(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("document.json"))
    [media] = msg.media
    assert (media.ref, media.filename, media.content_type, media.size) == (
        "BQACAgEAAxkBAAIBaWeH-doc",
        "log-facturacion.pdf",
        "application/pdf",
        284113,
    )
    assert media.kind is MediaKind.DOCUMENT
    assert msg.text == ""


def test_voice_note_is_audio(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("voice.json"))
    [media] = msg.media
    assert media.kind is MediaKind.AUDIO
    assert media.content_type == "audio/ogg"
    assert media.size == 24576


def test_video_with_caption(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("video.json"))
    [media] = msg.media
    assert media.kind is MediaKind.VIDEO
    assert media.filename == "pantalla.mp4"
    assert msg.text == "Así se ve cuando intento emitir"


def test_callback_query_carries_data_id_and_button_label(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("callback_query.json"))
    assert msg.button_payload == "urgency:medium"
    assert msg.callback_query_id == "4382957139485720001"
    assert msg.text == "Media"
    assert msg.chat_id == "5011223344"
    assert msg.sender_id == "5011223344"
    assert msg.received_at == NOW  # callback queries carry no date: the injected clock
    assert msg.provider_message_id == "tg:815302008"


def test_callback_without_keyboard_or_message_still_parses(adapter: TelegramAdapter) -> None:
    data = load("callback_query.json")
    del data["callback_query"]["message"]
    [msg] = parse(adapter, json.dumps(data).encode())
    assert msg.button_payload == "urgency:medium"
    assert msg.text == ""
    assert msg.chat_id == "5011223344"


def test_callback_without_data_is_ignored(adapter: TelegramAdapter) -> None:
    data = load("callback_query.json")
    del data["callback_query"]["data"]
    data["callback_query"]["game_short_name"] = "game"
    assert parse(adapter, json.dumps(data).encode()) == []


def test_edited_message_is_marked_as_edit_with_its_own_id(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("edited_message.json"))
    assert msg.is_edit is True
    assert msg.text.endswith("desde ayer")
    assert msg.provider_message_id == "tg:815302009"  # differs from the original message's
    assert msg.received_at == datetime.fromtimestamp(1736942890, UTC)


def test_group_message_replies_to_the_group(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, body("group_message.json"))
    assert msg.chat_id == "-1001987654321"
    assert msg.sender_id == "7033445566@-1001987654321"  # issue 16: never the person's private key
    assert msg.reply_to == "-1001987654321"
    assert msg.text == "/ayuda"
    assert msg.language_code == "en"


@pytest.mark.parametrize(
    "name",
    ["my_chat_member.json", "poll.json", "service_new_member.json", "group_other_bot_command.json"],
)
def test_updates_we_do_not_handle_are_ignored(adapter: TelegramAdapter, name: str) -> None:
    assert parse(adapter, body(name)) == []


def test_without_bot_username_commands_for_any_bot_are_kept() -> None:
    plain = TelegramAdapter(TelegramConfig(bot_token=TOKEN, webhook_secret=SECRET))
    [msg] = parse(plain, body("group_other_bot_command.json"))
    assert msg.text == "/start"


def test_unknown_future_fields_are_tolerated(adapter: TelegramAdapter) -> None:
    data = load("text.json")
    data["message"]["some_field_from_bot_api_99"] = {"x": 1}
    data["brand_new_update_kind"] = {"y": 2}
    [msg] = parse(adapter, json.dumps(data).encode())
    assert msg.text.startswith("Hola")


# --- parse: malformed payloads ---------------------------------------------------------------

MALFORMED = sorted(p.name for p in (FIXTURES / "malformed").iterdir())


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_payloads_raise_malformed_update_error(
    adapter: TelegramAdapter, name: str
) -> None:
    with pytest.raises(MalformedUpdateError):
        parse(adapter, body(f"malformed/{name}"))


def test_malformed_fixture_set_is_not_empty() -> None:
    assert len(MALFORMED) >= 10


@pytest.mark.parametrize("raw", [b"", b"\xff\xfe\x00", b"   ", b"{", b"42", b'"text"'])
def test_non_json_bodies_are_malformed(adapter: TelegramAdapter, raw: bytes) -> None:
    with pytest.raises(MalformedUpdateError):
        parse(adapter, raw)


def test_huge_body_is_refused_before_decoding(adapter: TelegramAdapter) -> None:
    data = load("text.json")
    data["message"]["text"] = "x" * MAX_UPDATE_BYTES
    with pytest.raises(MalformedUpdateError, match="larger"):
        parse(adapter, json.dumps(data).encode())


VALID = [
    "text.json",
    "command.json",
    "photo_caption.json",
    "document.json",
    "voice.json",
    "video.json",
    "callback_query.json",
    "edited_message.json",
    "group_message.json",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(VALID),
    pick=st.integers(min_value=0),
    replacement=JSON_VALUES,
    delete=st.booleans(),
)
def test_mutated_updates_never_raise_anything_but_malformed(
    name: str, pick: int, replacement: Any, delete: bool
) -> None:
    """Replace or delete one field anywhere in a real payload: a list or MalformedUpdateError."""
    config = TelegramConfig(bot_token=TOKEN, webhook_secret=SECRET, bot_username="intake_test_bot")
    parser = TelegramAdapter(config, clock=lambda: NOW)
    data = copy.deepcopy(load(name))
    paths = _paths(data)
    path = paths[pick % len(paths)]
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    try:
        result = parse(parser, json.dumps(data).encode())
    except MalformedUpdateError:
        return
    assert isinstance(result, list)
    for msg in result:
        assert isinstance(msg.text, str)
        assert msg.received_at.tzinfo is not None
        assert all(isinstance(m.ref, str) and m.ref for m in msg.media)


# --- issue 16: anonymous admins and channel senders are never one shared contact ---------------------

ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}


def group_update(chat_id: int, *, sender: dict[str, Any], sender_chat: dict[str, Any] | None = None,
                 update_id: int = 900) -> bytes:
    message: dict[str, Any] = {
        "message_id": 1, "date": 1736942950, "text": "mis tickets", "from": sender,
        "chat": {"id": chat_id, "title": f"Grupo {chat_id}", "type": "supergroup"},
    }
    if sender_chat is not None:
        message["sender_chat"] = sender_chat
    return json.dumps({"update_id": update_id, "message": message}).encode()


def test_anonymous_admins_of_two_groups_are_two_senders_keyed_by_their_group(
    adapter: TelegramAdapter,
) -> None:
    group_a, group_b = -1001111111111, -1002222222222
    chat_a = {"id": group_a, "title": "Grupo A", "type": "supergroup"}
    chat_b = {"id": group_b, "title": "Grupo B", "type": "supergroup"}
    [in_a] = parse(adapter, group_update(group_a, sender=ANONYMOUS_ADMIN, sender_chat=chat_a))
    [in_b] = parse(adapter, group_update(group_b, sender=ANONYMOUS_ADMIN, sender_chat=chat_b))
    assert in_a.sender_id == f"{group_a}@{group_a}" and in_b.sender_id == f"{group_b}@{group_b}"
    assert "1087968824" not in in_a.sender_id + in_b.sender_id
    assert (in_a.reply_to, in_b.reply_to) == (str(group_a), str(group_b))
    assert in_a.profile_name == "Grupo A" and in_a.language_code is None


def test_a_proxy_account_without_sender_chat_is_keyed_by_the_group(adapter: TelegramAdapter) -> None:
    [msg] = parse(adapter, group_update(-1003333333333, sender=ANONYMOUS_ADMIN))
    assert msg.sender_id == "-1003333333333@-1003333333333"


def test_a_channel_posting_in_its_linked_group_is_keyed_by_the_channel_in_that_group(
    adapter: TelegramAdapter,
) -> None:
    telegram = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    channel = {"id": -1004444444444, "title": "Noticias ACME", "type": "channel"}
    [msg] = parse(adapter, group_update(-1005555555555, sender=telegram, sender_chat=channel))
    assert msg.sender_id == "-1004444444444@-1005555555555"


def test_a_person_in_a_group_is_not_their_private_chat(adapter: TelegramAdapter) -> None:
    person = {"id": 5011223344, "is_bot": False, "first_name": "Camila"}
    [msg] = parse(adapter, group_update(-1006666666666, sender=person))
    assert msg.sender_id == "5011223344@-1006666666666" and msg.chat_id == "-1006666666666"


def test_a_button_pressed_in_a_group_belongs_to_that_persons_group_conversation(
    adapter: TelegramAdapter,
) -> None:
    press = {"update_id": 901, "callback_query": {
        "id": "q1", "chat_instance": "c", "data": "ask_type:incident",
        "from": {"id": 5011223344, "is_bot": False, "first_name": "Camila"},
        "message": {"message_id": 5, "date": 1, "chat": {"id": -1006666666666, "type": "supergroup"},
                    "text": "¿Qué necesita?"}}}
    [msg] = parse(adapter, json.dumps(press).encode())
    assert msg.sender_id == "5011223344@-1006666666666" and msg.chat_id == "-1006666666666"
