"""POST /webhooks/telegram through the Flask app, on the test database, with the adapter on a fake Bot API.

The container is built like production (settings → telegram_config → TelegramAdapter), with the
Bot API base URL pointing at tests/integration/telegram_fake.py. The adapter's rate limiter and
retry sleeps run on virtual time so the worker never waits for real.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from channels.telegram.adapter import MAX_UPDATE_BYTES, TelegramAdapter
from channels.telegram.limits import TelegramRateLimiter
from intake.bootstrap import Container, build_container
from intake.config import load_settings
from intake.db.models import (
    Agent,
    Attachment,
    ChannelIdentity,
    Company,
    Contact,
    Conversation,
    Message,
    OutboxMessage,
    ProcessedMessage,
    SupportPlan,
    Ticket,
    TicketEvent,
)
from intake.wiring import telegram_config
from tests.support.clock import FakeClock, VirtualTime
from tests.support.signing import telegram_headers
from tests.support.telegram_fake import FakeBotApi, message_update, press_button
from tests.support.turns import run_turns
from webhooks import create_app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
SECRET = "wh-secret_e2e-0123456789"
CUSTOMER = 5011223344  # Camila in the JSON fixtures
CUSTOMER_EMAIL = "camila@andes.example"
AGENTS_CHAT = -1002223334445
FIRST_MESSAGE = "Hola, el sistema de facturación no emite boletas desde esta mañana y muestra error de CAF"


# --- the environment -----------------------------------------------------------------------------



@dataclass
class TelegramEnv:
    """A production-wired container whose Telegram adapter talks to a fake Bot API."""

    container: Container
    api: FakeBotApi
    clock: FakeClock
    time: VirtualTime
    token: str = field(repr=False)

    def work(self) -> int:
        """Run the background jobs (downloads, outbox) until nothing is left to do."""
        total = 0
        for _ in range(50):
            done = self.container.run_jobs_once()
            if not done:
                return total
            total += done
        raise AssertionError("background jobs never went quiet")

    def count(self, model: type[Any], *where: Any) -> int:
        """Rows of one table (optionally filtered)."""
        with self.container.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def stored(self) -> dict[str, int]:
        """Row counts of every table an inbound update can write to."""
        models = (ProcessedMessage, Message, OutboxMessage, Conversation, Ticket, TicketEvent, Attachment)
        return {model.__tablename__: self.count(model) for model in models}

    def session(self) -> Session:
        """A session on the test database."""
        return self.container.session_factory()


def build_env(database_url: str, data_dir: Path, api: FakeBotApi, clock: FakeClock) -> TelegramEnv:
    """Settings → telegram_config → TelegramAdapter → container, as `intake.wiring` does it."""
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(data_dir),
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": api.base_url,
        },
        env_file=None,
    )
    virtual = VirtualTime()
    config = telegram_config(settings)
    limiter = TelegramRateLimiter(config.rate_limits, clock=virtual.monotonic, sleep=virtual.sleep)
    adapter = TelegramAdapter(config, clock=clock, rate_limiter=limiter, sleep=virtual.sleep)
    container = build_container(settings, clock=clock, adapters={"telegram": adapter})
    return TelegramEnv(container, api, clock, virtual, api.token)


def seed_customer(env: TelegramEnv, user_id: int = CUSTOMER, *, with_identity: bool = True) -> None:
    """A company on the standard plan, an agent with a Telegram chat and (optionally) a known contact."""
    with env.container.transaction() as session:
        plan = SupportPlan(
            name="Plan Estándar", calendar_name="default", includes_requests=True, request_rule="included"
        )
        company = Company(name="Comercial Andes SpA", plan=plan)
        session.add_all([plan, company])
        session.add(Agent(name="Ana Soporte", email="ana@soporte.example", telegram_chat_id=str(AGENTS_CHAT)))
        if with_identity:
            contact = Contact(name="Camila Rojas", email=CUSTOMER_EMAIL, company=company, language="es")
            identity = ChannelIdentity(
                contact=contact, channel="telegram", address=str(user_id), chat_id=str(user_id)
            )
            session.add_all([contact, identity])


def dated(update: dict[str, Any], clock: FakeClock) -> dict[str, Any]:
    """The update with its message dates set to the fake clock (Telegram dates are 'now')."""
    stamp = int(clock().timestamp())
    for kind in ("message", "edited_message"):
        if isinstance(update.get(kind), dict):
            update[kind]["date"] = stamp
    if isinstance(update.get("edited_message"), dict):
        update["edited_message"]["edit_date"] = stamp
    return update


def fixture_bytes(name: str) -> bytes:
    """A payload from tests/fixtures/telegram."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    """A payload from tests/fixtures/telegram, decoded."""
    data: dict[str, Any] = json.loads(fixture_bytes(name))
    return data


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fake Bot API server on loopback."""
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def env(database_url: str, tmp_path: Path, api: FakeBotApi, clock: FakeClock) -> Iterator[TelegramEnv]:
    """The production-wired container on the test database (both backends)."""
    built = build_env(database_url, tmp_path / "data", api, clock)
    yield built
    built.container.close()


@pytest.fixture
def client(env: TelegramEnv) -> FlaskClient:
    """A test client of the real Flask app."""
    return create_app(env.container).test_client()


def post(
    client: FlaskClient,
    update: dict[str, Any] | bytes,
    *,
    secret: str | None = SECRET,
    content_type: str = "application/json",
) -> TestResponse:
    """POST one update as Telegram does (JSON body, secret header)."""
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = telegram_headers(secret)
    response = client.post("/webhooks/telegram", data=body, headers=headers, content_type=content_type)
    run_turns(client.application.extensions["intake"])  # the worker runs the accepted update's turn
    return response


def say(client: FlaskClient, env: TelegramEnv, text: str, user_id: int = CUSTOMER) -> None:
    """The customer types a message; the webhook must accept it."""
    response = post(client, dated(message_update(user_id, text=text), env.clock))
    assert response.status_code == 200, response.get_data(as_text=True)


def open_ticket_by_text(client: FlaskClient, env: TelegramEnv) -> Ticket:
    """A known customer reports a failure answering every question by typing."""
    for text in (FIRST_MESSAGE, "Reportar una falla", "Factura electrónica", "Omitir",
                 "Toda la operación", "Sí, hoy mismo", "Confirmar"):
        say(client, env, text)
    with env.session() as session:
        return session.scalars(select(Ticket)).one()


def conversation_of(env: TelegramEnv, user_id: int = CUSTOMER) -> Conversation:
    """The customer's conversation row."""
    with env.session() as session:
        return session.scalars(select(Conversation).where(Conversation.address == str(user_id))).one()


# --- the secret -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper(), f" {SECRET}"],
    ids=["missing", "empty", "wrong", "longer", "shorter", "other-case", "padded"],
)
def test_without_the_right_secret_the_update_is_refused_and_nothing_stored(
    client: FlaskClient, env: TelegramEnv, secret: str | None
) -> None:
    seed_customer(env)
    before = env.stored()
    response = post(client, dated(message_update(CUSTOMER, text=FIRST_MESSAGE), env.clock), secret=secret)
    assert response.status_code == 403
    assert env.stored() == before == {name: 0 for name in before}
    assert env.work() == 0
    assert env.api.calls == []


def test_wrong_secret_is_refused_before_the_body_is_judged(client: FlaskClient, env: TelegramEnv) -> None:
    assert post(client, b"{not json", secret="wrong").status_code == 403
    assert post(client, b"{not json").status_code == 400


# --- malformed bodies -------------------------------------------------------------------------------

MALFORMED_FIXTURES = sorted(p.name for p in (FIXTURES / "malformed").iterdir())
MALFORMED_INLINE = {
    "empty": b"",
    "not-json": b"hola",
    "truncated": b'{"update_id": 1, "message": {"message_id": 1',
    "latin-1": '{"update_id": 1, "message": "señal"}'.encode("latin-1"),
    "array": b"[]",
    "number": b"42",
    "update-id-float": b'{"update_id": 1.5, "message": {}}',
    "update-id-negative-string": b'{"update_id": "-1"}',
    "message-list": b'{"update_id": 7, "message": []}',
    "from-missing": json.dumps(
        {"update_id": 8, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
                                     "text": "hola", "from": None, "sender_chat": None}}
    ).encode(),
    "chat-id-string": json.dumps(
        {"update_id": 9, "message": {"message_id": 1, "date": 1, "text": "hola",
                                     "chat": {"id": "1", "type": "private"},
                                     "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
    ).encode(),
    "photo-without-file-id": json.dumps(
        {"update_id": 10, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
                                      "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                      "photo": [{"file_unique_id": "u", "width": 1, "height": 1}]}}
    ).encode(),
    "callback-data-number": json.dumps(
        {"update_id": 11, "callback_query": {"id": "q", "chat_instance": "1", "data": 5,
                                             "from": {"id": 1, "is_bot": False, "first_name": "A"}}}
    ).encode(),
}


@pytest.mark.parametrize(
    "body",
    [fixture_bytes(f"malformed/{name}") for name in MALFORMED_FIXTURES] + list(MALFORMED_INLINE.values()),
    ids=MALFORMED_FIXTURES + list(MALFORMED_INLINE),
)
def test_malformed_bodies_are_400_and_nothing_is_stored(
    client: FlaskClient, env: TelegramEnv, body: bytes
) -> None:
    seed_customer(env)
    response = post(client, body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed update"
    assert env.stored() == {name: 0 for name in env.stored()}


def test_a_form_encoded_body_is_400_too(client: FlaskClient, env: TelegramEnv) -> None:
    response = post(client, b"update_id=1&text=hola", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert env.count(ProcessedMessage) == 0


# --- huge bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [MAX_UPDATE_BYTES + 1, 3 * 1024 * 1024], ids=["just-over", "over-flask-cap"])
def test_huge_bodies_are_413_and_nothing_is_stored(client: FlaskClient, env: TelegramEnv, size: int) -> None:
    update = dated(message_update(CUSTOMER, text="x"), env.clock)
    body = json.dumps(update).encode()
    padded = body[:-1] + b', "padding": "' + b"p" * (size - len(body) - 15) + b'"}'
    assert len(padded) >= size and json.loads(padded)["update_id"] == update["update_id"]
    response = post(client, padded)
    assert response.status_code == 413
    assert env.stored() == {name: 0 for name in env.stored()}


def test_a_long_text_under_the_limit_is_accepted(client: FlaskClient, env: TelegramEnv) -> None:
    seed_customer(env)
    text = "La factura no se emite. " * 2000  # 48 KB: longer than Telegram allows, well under 1 MiB
    response = post(client, dated(message_update(CUSTOMER, text=text), env.clock))
    assert response.status_code == 200
    with env.session() as session:
        assert session.scalars(select(Message.text).where(Message.direction == "in")).one() == text


# --- update kinds we ignore ---------------------------------------------------------------------------

IGNORED_INLINE = {
    "no-kind": {"update_id": 5},
    "channel_post": {"update_id": 6, "channel_post": {"message_id": 1, "date": 1, "text": "hola",
                                                      "chat": {"id": -1001, "type": "channel"}}},
    "inline_query": {"update_id": 7, "inline_query": {"id": "1", "query": "x", "offset": "",
                                                      "from": {"id": 1, "is_bot": False, "first_name": "A"}}},
    "message_reaction": {"update_id": 8, "message_reaction": {"anything": ["goes", {"here": 1}]}},
    "future_kind": {"update_id": 9, "some_kind_added_in_2030": {"id": "x"}},
    "sticker-without-emoji": {"update_id": 10, "message": {
        "message_id": 1, "date": 1, "chat": {"id": CUSTOMER, "type": "private"},
        "from": {"id": CUSTOMER, "is_bot": False, "first_name": "Camila"},
        "sticker": {"file_id": "s", "file_unique_id": "su", "type": "regular", "width": 1, "height": 1,
                    "is_animated": False, "is_video": False}}},
    "game-callback": {"update_id": 11, "callback_query": {
        "id": "cb", "chat_instance": "1", "game_short_name": "g",
        "from": {"id": CUSTOMER, "is_bot": False, "first_name": "Camila"}}},
}


@pytest.mark.parametrize(
    "body",
    [fixture_bytes(n) for n in ("my_chat_member.json", "poll.json", "service_new_member.json")]
    + [json.dumps(u).encode() for u in IGNORED_INLINE.values()],
    ids=["my_chat_member", "poll", "service_new_member", *IGNORED_INLINE],
)
def test_unsupported_updates_are_acknowledged_and_ignored(
    client: FlaskClient, env: TelegramEnv, body: bytes
) -> None:
    seed_customer(env)
    response = post(client, body)
    assert response.status_code == 200
    assert response.get_json() == {"ok": True}
    assert env.stored() == {name: 0 for name in env.stored()}
    assert env.work() == 0


# --- replays ----------------------------------------------------------------------------------------


def test_the_same_update_three_times_is_one_message_and_one_dialog_turn(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env)
    update = dated(message_update(CUSTOMER, text=FIRST_MESSAGE), env.clock)
    assert post(client, update).status_code == 200
    after_first = env.stored()
    assert after_first["processed_messages"] == 1 and after_first["outbox"] == 1
    for _ in range(2):
        assert post(client, update).status_code == 200
    assert env.stored() == after_first
    assert env.count(Message, Message.direction == "in") == 1
    assert env.work() == 1
    [sent] = env.api.calls_to("sendMessage")
    assert sent.params["chat_id"] == str(CUSTOMER)
    assert conversation_of(env).version == 1


def test_a_replayed_button_press_is_answered_once(client: FlaskClient, env: TelegramEnv) -> None:
    seed_customer(env)
    say(client, env, FIRST_MESSAGE)
    env.work()
    press = press_button(env.api, CUSTOMER, "Reportar una falla")
    for _ in range(3):
        assert post(client, press).status_code == 200
    assert env.count(ProcessedMessage) == 2
    env.work()
    [answer] = env.api.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == press["callback_query"]["id"]
    assert conversation_of(env).step == "ask_module"


# --- edits, groups, buttons -------------------------------------------------------------------------


def test_an_edited_message_becomes_an_edit_note_on_the_open_ticket(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env)
    ticket = open_ticket_by_text(client, env)
    before, state = env.stored(), conversation_of(env).state
    edited = fixture_json("edited_message.json")
    edited["edited_message"]["text"] = "Corrijo: tampoco se emiten notas de crédito"
    assert post(client, dated(edited, env.clock)).status_code == 200
    with env.session() as session:
        notes = session.scalars(select(TicketEvent).where(TicketEvent.kind == "customer_edit")).all()
        assert [(n.ticket_id, n.body, n.actor) for n in notes] == [
            (ticket.id, "Corrijo: tampoco se emiten notas de crédito", "customer")
        ]
    after = env.stored()
    assert after["outbox"] == before["outbox"]  # no dialog answer
    assert after["messages"] == before["messages"] + 1  # kept in the transcript
    assert after["ticket_events"] == before["ticket_events"] + 1
    assert conversation_of(env).state == state


def test_an_edit_in_the_middle_of_the_intake_is_not_taken_as_the_answer(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env)
    say(client, env, FIRST_MESSAGE)
    say(client, env, "Reportar una falla")
    conversation = conversation_of(env)
    assert conversation.step == "ask_module"
    outbox = env.count(OutboxMessage)
    edited = fixture_json("edited_message.json")
    edited["edited_message"]["text"] = "Ventas"  # would answer the module question if taken as new
    assert post(client, dated(edited, env.clock)).status_code == 200
    after = conversation_of(env)
    assert (after.step, after.state) == (conversation.step, conversation.state)
    assert env.count(OutboxMessage) == outbox
    assert env.count(Ticket) == 0


def test_a_group_message_is_answered_in_the_group(client: FlaskClient, env: TelegramEnv) -> None:
    group = fixture_json("group_message.json")
    user, chat = group["message"]["from"]["id"], group["message"]["chat"]["id"]
    assert post(client, dated(group, env.clock)).status_code == 200
    with env.session() as session:
        conversation = session.scalars(select(Conversation)).one()
    assert (conversation.address, conversation.chat_id) == (f"{user}@{chat}", str(chat))  # issue 16
    env.work()
    replies = env.api.messages_to(chat)
    assert replies and env.api.messages_to(user) == []
    assert all(call.params["chat_id"] == str(chat) for call in env.api.calls_to("sendMessage"))
    with env.session() as session:
        [inbound] = session.scalars(select(Message).where(Message.direction == "in")).all()
        assert inbound.text == "/ayuda"  # command normalized, @botname removed


def test_a_button_press_reply_carries_the_query_id_and_the_worker_answers_it(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env)
    say(client, env, FIRST_MESSAGE)
    env.work()
    keyboard = env.api.last_keyboard_message(CUSTOMER)
    assert [b["callback_data"] for row in keyboard["reply_markup"]["inline_keyboard"] for b in row] == [
        "ask_type:incident", "ask_type:request"
    ]
    press = press_button(env.api, CUSTOMER, "Reportar una falla")
    query_id = press["callback_query"]["id"]
    assert post(client, press).status_code == 200
    with env.session() as session:
        pending = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
        assert [row.payload["callback_query_id"] for row in pending] == [query_id]
    calls_before = len(env.api.calls)
    env.work()
    new_calls = env.api.calls[calls_before:]
    assert [c.method for c in new_calls] == ["answerCallbackQuery", "sendMessage"]
    assert new_calls[0].params["callback_query_id"] == query_id
    assert conversation_of(env).step == "ask_module"


def test_a_button_whose_turn_has_no_reply_is_still_answered(client: FlaskClient, env: TelegramEnv) -> None:
    """Confirming the summary only produces the registration notice; the press must still be answered."""
    seed_customer(env)
    for text in (FIRST_MESSAGE, "Reportar una falla", "Factura electrónica", "Omitir",
                 "Toda la operación", "Sí, hoy mismo"):
        say(client, env, text)
    env.work()
    press = press_button(env.api, CUSTOMER, "Confirmar")
    assert post(client, press).status_code == 200
    env.work()
    answered = [c.params["callback_query_id"] for c in env.api.calls_to("answerCallbackQuery")]
    assert answered == [press["callback_query"]["id"]]
    assert env.count(Ticket) == 1
    assert "Registramos su ticket LA-000001" in env.api.messages_to(CUSTOMER)[-1]["text"]


def test_a_stale_button_is_answered_and_does_not_rewind_the_dialog(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env)
    say(client, env, FIRST_MESSAGE)
    env.work()
    old_keyboard_press = press_button(env.api, CUSTOMER, "Consulta / solicitud")
    say(client, env, "Reportar una falla")
    assert post(client, old_keyboard_press).status_code == 200
    env.work()
    answered = [c.params["callback_query_id"] for c in env.api.calls_to("answerCallbackQuery")]
    assert answered == [old_keyboard_press["callback_query"]["id"]]
    with env.session() as session:
        state = session.scalars(select(Conversation.state)).one()
    assert conversation_of(env).step == "ask_module"
    assert "request" not in json.dumps(state)


# --- never a 500 ------------------------------------------------------------------------------------

VALID = ["text.json", "command.json", "photo_caption.json", "document.json", "voice.json",
         "video.json", "callback_query.json", "edited_message.json", "group_message.json",
         "start_deeplink.json"]


@pytest.mark.parametrize("name", VALID)
def test_every_valid_fixture_is_accepted_and_recorded_once(
    client: FlaskClient, env: TelegramEnv, name: str
) -> None:
    seed_customer(env)
    data = dated(fixture_json(name), env.clock)
    assert post(client, data).status_code == 200
    assert post(client, data).status_code == 200
    assert env.count(ProcessedMessage) == 1
    with env.session() as session:
        [row] = session.scalars(select(ProcessedMessage)).all()
    assert row.provider_message_id == f"tg:{data['update_id']}"


EXTREMES: dict[str, tuple[tuple[Any, ...], Any]] = {
    "huge-update-id": (("update_id",), 10**120),
    "huge-user-id": (("message", "from", "id"), 10**300),
    "huge-chat-id": (("message", "chat", "id"), -(10**70)),
    "huge-message-id": (("message", "message_id"), 10**100),
    "negative-update-id": (("update_id",), -5),
    "long-first-name": (("message", "from", "first_name"), "Camila" * 2000),
    "long-language-code": (("message", "from", "language_code"), "es" * 500),
    "long-username": (("message", "from", "username"), "u" * 5000),
    "nul-in-text": (("message", "text"), "hola\x00mundo, la factura no sale"),
    "nul-in-name": (("message", "from", "first_name"), "Cami\x00la"),
    "control-chars": (("message", "text"), "\u202e\u0007 falla \ud7ff"),
}


@pytest.mark.parametrize("case", list(EXTREMES), ids=list(EXTREMES))
def test_odd_but_well_typed_values_never_cause_a_500(
    client: FlaskClient, env: TelegramEnv, case: str
) -> None:
    path, value = EXTREMES[case]
    data = dated(fixture_json("text.json"), env.clock)
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    response = post(client, data)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 200:
        assert env.count(ProcessedMessage) == 1
        env.work()
    else:
        assert env.stored() == {name: 0 for name in env.stored()}


def test_a_nul_character_in_a_text_is_dropped_not_fatal(client: FlaskClient, env: TelegramEnv) -> None:
    seed_customer(env)
    say(client, env, "hola\x00, la factura no sale")
    with env.session() as session:
        assert session.scalars(select(Message.text).where(Message.direction == "in")).one() == (
            "hola, la factura no sale"
        )


def _reach_evidence_step(client: FlaskClient, env: TelegramEnv) -> None:
    seed_customer(env)
    for text in (FIRST_MESSAGE, "Reportar una falla", "Factura electrónica"):
        say(client, env, text)
    assert conversation_of(env).step == "ask_evidence"


def _finish_intake(client: FlaskClient, env: TelegramEnv) -> Ticket:
    for text in ("Listo", "Toda la operación", "Sí, hoy mismo", "Confirmar"):
        say(client, env, text)
    with env.session() as session:
        return session.scalars(select(Ticket)).one()


def test_a_long_file_name_and_type_are_shortened_and_the_ticket_keeps_the_file(
    client: FlaskClient, env: TelegramEnv
) -> None:
    _reach_evidence_step(client, env)
    document = {"file_id": "BQAC-long-name", "file_unique_id": "u-long",
                "file_name": "informe " * 80 + ".pdf", "mime_type": "application/" + "x" * 300,
                "file_size": 10}
    assert post(client, dated(message_update(CUSTOMER, document=document), env.clock)).status_code == 200
    ticket = _finish_intake(client, env)
    with env.session() as session:
        [attachment] = session.scalars(select(Attachment)).all()
    assert attachment.ticket_id == ticket.id and attachment.provider_ref == "BQAC-long-name"
    assert attachment.filename is not None
    assert len(attachment.filename) <= 255 and attachment.filename.endswith(".pdf")
    assert attachment.filename.startswith("informe informe")
    assert attachment.mime_type is None


def test_an_absurd_file_id_is_refused_and_the_intake_still_ends_in_a_ticket(
    client: FlaskClient, env: TelegramEnv
) -> None:
    _reach_evidence_step(client, env)
    document = {"file_id": "B" * 3000, "file_unique_id": "u", "file_name": "log.pdf",
                "mime_type": "application/pdf", "file_size": 10}
    assert post(client, dated(message_update(CUSTOMER, document=document), env.clock)).status_code == 400
    ticket = _finish_intake(client, env)
    assert ticket.number == "LA-000001"
    assert env.count(Attachment) == 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(VALID), pick=st.integers(min_value=0), replacement=JSON_VALUES,
       delete=st.booleans(), update_id=st.integers(min_value=1, max_value=2**31))
def test_mutated_updates_over_http_are_200_or_400_never_500(
    client: FlaskClient, env: TelegramEnv, name: str, pick: int, replacement: Any, delete: bool,
    update_id: int,
) -> None:
    """One field anywhere in a real payload replaced or deleted, through the app and the database."""
    data = copy.deepcopy(fixture_json(name))
    data["update_id"] = update_id
    paths = _paths(data)
    path = paths[pick % len(paths)]
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    response = post(client, data)
    assert response.status_code in (200, 400), response.get_data(as_text=True)


def test_a_file_over_two_gigabytes_is_refused_without_losing_the_ticket(
    client: FlaskClient, env: TelegramEnv
) -> None:
    """Premium accounts send files up to 4 GB; the size Telegram reports must not break the intake."""
    _reach_evidence_step(client, env)
    document = {"file_id": "BQAC-huge", "file_unique_id": "u-huge", "file_name": "respaldo.zip",
                "mime_type": "application/zip", "file_size": 3_900_000_000}
    assert post(client, dated(message_update(CUSTOMER, document=document), env.clock)).status_code == 200
    ticket = _finish_intake(client, env)
    env.work()
    with env.session() as session:
        [attachment] = session.scalars(select(Attachment)).all()
    assert (attachment.ticket_id, attachment.status) == (ticket.id, "refused")
    assert attachment.refusal_reason is not None and attachment.refusal_reason.startswith("too_large")
    assert env.api.calls_to("getFile") == []
    assert any("respaldo.zip" in m["text"] for m in env.api.messages_to(CUSTOMER))


# --- issue 16: deeply nested JSON is a 400, not a RecursionError ------------------------------------


@pytest.mark.parametrize("depth", [40, 5000, 100_000], ids=["past-limit", "deep", "past-python-recursion"])
def test_deeply_nested_json_is_400_and_nothing_is_stored(
    client: FlaskClient, env: TelegramEnv, depth: int
) -> None:
    update = dated(message_update(CUSTOMER, text="hola"), env.clock)
    nested = b"[" * depth + b"]" * depth
    body = json.dumps(update).encode()[:-1] + b', "extra": ' + nested + b"}"
    response = post(client, body)
    assert response.status_code == 400
    assert env.stored() == {name: 0 for name in env.stored()}


def test_a_real_update_with_a_reply_and_a_keyboard_is_within_the_depth_limit(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env)
    update = dated(message_update(CUSTOMER, text=FIRST_MESSAGE), env.clock)
    update["message"]["reply_to_message"] = {
        "message_id": 1, "date": 1, "chat": {"id": CUSTOMER, "type": "private"}, "text": "¿Qué ocurre?",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Reportar una falla", "callback_data": "ask_type:incident"}]]
        },
    }
    assert post(client, update).status_code == 200


# --- issue 16: anonymous admins, groups and a company's tickets ---------------------------------------

GROUP_A, GROUP_B = -1001111111111, -1002222222222
ANONYMOUS_ADMIN = 1087968824  # @GroupAnonymousBot: every anonymous admin of every group


def anonymous(env: TelegramEnv, group: int, text: str) -> dict[str, Any]:
    """A message an anonymous admin posts in `group` (from GroupAnonymousBot, sender_chat the group)."""
    update = dated(message_update(ANONYMOUS_ADMIN, chat_id=group, text=text), env.clock)
    update["message"]["from"] = {"id": ANONYMOUS_ADMIN, "is_bot": True, "first_name": "Group",
                                 "username": "GroupAnonymousBot"}
    update["message"]["sender_chat"] = {"id": group, "title": f"Grupo {group}", "type": "supergroup"}
    return update


def group_texts(env: TelegramEnv, chat: int) -> str:
    return "\n".join(m.get("text", "") for m in env.api.messages_to(chat))


def test_an_anonymous_admin_in_another_group_is_never_the_first_groups_contact(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env, with_identity=False)
    for text in ("Hola", "Admin Grupo A", "Comercial Andes", "Sí", "admin.a@andes.example",
                 "Reportar una falla", FIRST_MESSAGE, "Factura electrónica", "Omitir", "Toda la operación",
                 "Sí, hoy mismo", "Confirmar"):
        assert post(client, anonymous(env, GROUP_A, text)).status_code == 200
    env.work()
    with env.session() as session:
        ticket = session.scalars(select(Ticket)).one()
        events = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        events_before = len(session.scalars(events).all())
    number = ticket.number or ""
    assert f"Registramos su ticket {number}" in group_texts(env, GROUP_A)

    attempts = ("Hola", "mis tickets", f"/estado {number}", f"Agrego al ticket {number}: ya funciona, cerrar")
    for text in attempts:
        assert post(client, anonymous(env, GROUP_B, text)).status_code == 200
    env.work()
    seen_in_b = group_texts(env, GROUP_B)
    assert "Admin Grupo A" not in seen_in_b and number not in seen_in_b and "CAF" not in seen_in_b
    assert "¿Cuál es su nombre?" in seen_in_b  # a stranger to the bot
    assert "solo se informa en un chat privado" in seen_in_b
    with env.session() as session:
        conversations = {c.address: c for c in session.scalars(select(Conversation))}
        assert set(conversations) == {f"{GROUP_A}@{GROUP_A}", f"{GROUP_B}@{GROUP_B}"}
        assert conversations[f"{GROUP_B}@{GROUP_B}"].contact_id is None
        assert len(session.scalars(events).all()) == events_before
        again = session.get(Ticket, ticket.id)
        assert again is not None and again.status == ticket.status


def test_status_in_a_group_is_refused_and_the_private_chat_keeps_the_notifications(
    client: FlaskClient, env: TelegramEnv
) -> None:
    seed_customer(env)
    ticket = open_ticket_by_text(client, env)  # privately, as the known contact
    env.work()
    for text in ("/estado", "mis tickets", f"estado {ticket.number}"):
        update = dated(message_update(CUSTOMER, chat_id=GROUP_A, text=text), env.clock)
        assert post(client, update).status_code == 200
    env.work()
    seen_in_group = group_texts(env, GROUP_A)
    assert (ticket.number or "") not in seen_in_group and "Comercial Andes" not in seen_in_group
    assert seen_in_group.count("solo se informa en un chat privado") == 3
    private = conversation_of(env)
    assert private.chat_id == str(CUSTOMER)  # the group never redirected the customer's chat
    with env.session() as session:
        identity = session.scalars(select(ChannelIdentity)).one()
        assert identity.chat_id == str(CUSTOMER)
        notified = env.container.agent_actions
        agent = session.scalars(select(Agent)).one()
    notified.take(ticket.number or "", agent.id)
    env.work()
    assert "Ana Soporte" in env.api.messages_to(CUSTOMER)[-1]["text"]
    assert "Ana Soporte" not in group_texts(env, GROUP_A)


def test_in_a_group_even_a_linked_contact_never_sees_other_tickets(
    client: FlaskClient, env: TelegramEnv
) -> None:
    """An agent linked the group identity to the verified contact: the group sees only its own tickets."""
    seed_customer(env)
    ticket = open_ticket_by_text(client, env)  # in private
    with env.container.transaction() as session:
        contact = session.scalars(select(Contact)).one()
        session.add(ChannelIdentity(contact=contact, channel="telegram", address=f"{CUSTOMER}@{GROUP_A}",
                                    chat_id=str(GROUP_A)))
    env.work()
    for text in ("Hola", "Reportar una falla", FIRST_MESSAGE):  # the same problem as the private ticket
        update = dated(message_update(CUSTOMER, chat_id=GROUP_A, text=text), env.clock)
        assert post(client, update).status_code == 200
    env.work()
    seen_in_group = group_texts(env, GROUP_A)
    assert "Camila" in seen_in_group  # recognized through the linked identity
    assert (ticket.number or "") not in seen_in_group  # but no duplicate offer naming the private ticket
