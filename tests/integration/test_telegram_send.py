"""The real python-telegram-bot Bot, on one long-lived loop, against the fake Bot API server."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.messages import Channel, Option
from channels.base import OutboundMessage, PermanentSendError, SendResult, TransientSendError
from channels.telegram.adapter import TelegramAdapter, TelegramConfig, TelegramTimeouts
from channels.telegram.format import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, callback_data_for
from channels.telegram.limits import TelegramRateLimiter, TelegramRateLimits
from tests.support.clock import FakeMonotonic
from tests.support.telegram_fake import DEFAULT_TOKEN, FakeBotApi

SECRET = "wh-secret_0123456789"
TOKEN_KEY = DEFAULT_TOKEN.partition(":")[2]  # the secret part; httpx logs the token URL-encoded
CHAT = 5011223344


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


def make_adapter(api: FakeBotApi, clock: FakeMonotonic, **overrides: Any) -> TelegramAdapter:
    config = TelegramConfig(
        bot_token=DEFAULT_TOKEN,
        webhook_secret=SECRET,
        api_base_url=api.base_url,
        timeouts=TelegramTimeouts(connect=2.0, read=0.5, write=2.0, pool=2.0, call=20.0),
        **overrides,
    )
    limiter = TelegramRateLimiter(TelegramRateLimits(), clock=clock, sleep=clock.sleep)
    return TelegramAdapter(config, rate_limiter=limiter, sleep=clock.sleep)


@pytest.fixture
def adapter(api: FakeBotApi, clock: FakeMonotonic) -> Iterator[TelegramAdapter]:
    tg = make_adapter(api, clock)
    yield tg
    tg.close()


def out(text: str = "", **fields: Any) -> OutboundMessage:
    return OutboundMessage(channel=Channel.TELEGRAM, recipient=str(CHAT), text=text, **fields)


# --- text and keyboards ------------------------------------------------------------------------


def test_send_text_with_inline_keyboard(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    long_id = "survey:satisfaction:" + "x" * 60
    options = (Option("urgency:high", "Alta"), Option(long_id, "Muy satisfecho"))
    result = adapter.send(out("¿Cuál es la urgencia?", options=options))
    [call] = api.calls_to("sendMessage")
    assert call.params["chat_id"] == str(CHAT)
    assert call.params["text"] == "¿Cuál es la urgencia?"
    keyboard = call.json_param("reply_markup")["inline_keyboard"]
    assert keyboard == [
        [{"text": "Alta", "callback_data": "urgency:high"}],
        [{"text": "Muy satisfecho", "callback_data": callback_data_for(long_id)}],
    ]
    assert all(len(row[0]["callback_data"].encode()) <= 64 for row in keyboard)
    sent = api.messages_to(CHAT)[-1]
    assert result == SendResult((f"{CHAT}:{sent['message_id']}",))


def test_long_text_is_split_with_the_keyboard_on_the_last_part(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    paragraph = "Detalle del incidente registrado por el cliente. " * 30
    text = "\n\n".join([paragraph.strip()] * 7)  # 7 x 1469 characters: two paragraphs a part
    result = adapter.send(out(text, options=(Option("ok", "Entendido"),)))
    calls = api.calls_to("sendMessage")
    assert len(calls) == 4
    assert all(len(c.params["text"]) <= MAX_TEXT_LENGTH for c in calls)
    assert all(c.params["text"].endswith("cliente.") for c in calls)
    assert ["reply_markup" in c.params for c in calls] == [False, False, False, True]
    assert "".join(c.params["text"] for c in calls).replace("\n", "").replace(" ", "") == (
        text.replace("\n", "").replace(" ", "")
    )
    assert len(result.provider_message_ids) == 4
    assert len(set(result.provider_message_ids)) == 4


def test_options_without_text_become_a_numbered_list(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    adapter.send(out("", options=(Option("a", "Sí"), Option("b", "No"))))
    [call] = api.calls_to("sendMessage")
    assert call.params["text"] == "1. Sí\n2. No"


def test_group_chat_recipient(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    adapter.send(OutboundMessage(channel=Channel.TELEGRAM, recipient="-1001987654321", text="hola"))
    assert api.calls_to("sendMessage")[0].params["chat_id"] == "-1001987654321"


def test_bad_recipient_is_permanent_but_the_button_is_still_answered(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    message = OutboundMessage(
        channel=Channel.TELEGRAM, recipient="+56911112222x", text="x", callback_query_id="cbq-9"
    )
    with pytest.raises(PermanentSendError) as info:
        adapter.send(message)
    assert info.value.code == "bad_recipient"
    assert len(api.calls_to("answerCallbackQuery")) == 1


# --- callback queries ---------------------------------------------------------------------------


def test_callback_query_is_answered_before_the_reply(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    adapter.send(out("Anotado: urgencia media", callback_query_id="4382957139485720001"))
    assert [c.method for c in api.calls if c.method != "getMe"] == [
        "answerCallbackQuery",
        "sendMessage",
    ]
    assert api.calls_to("answerCallbackQuery")[0].params["callback_query_id"] == (
        "4382957139485720001"
    )


def test_callback_query_is_answered_even_when_the_send_fails(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    api.fail("sendMessage", 403)
    with pytest.raises(PermanentSendError) as info:
        adapter.send(out("respuesta", callback_query_id="cbq-1"))
    assert info.value.code == "forbidden"
    assert len(api.calls_to("answerCallbackQuery")) == 1


def test_failed_callback_answer_does_not_block_the_reply(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    api.fail("answerCallbackQuery", 400, description="Bad Request: query is too old")
    result = adapter.send(out("respuesta", callback_query_id="cbq-old"))
    assert len(result.provider_message_ids) == 1


def test_answer_only_message(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    result = adapter.send(out("", callback_query_id="cbq-2"))
    assert result.status == "answered"
    assert result.provider_message_ids == ()
    assert api.calls_to("sendMessage") == []
    assert len(api.calls_to("answerCallbackQuery")) == 1


def test_nothing_to_send_is_permanent(adapter: TelegramAdapter) -> None:
    with pytest.raises(PermanentSendError) as info:
        adapter.send(out(""))
    assert info.value.code == "empty"


# --- media ---------------------------------------------------------------------------------


def test_send_document_with_caption(
    api: FakeBotApi, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    path = tmp_path / "a1b2c3"
    path.write_bytes(b"%PDF-1.7 informe")
    result = adapter.send(
        out(
            "Adjunto el informe",
            media_path=str(path),
            media_filename="informe.pdf",
            media_content_type="application/pdf",
        )
    )
    [call] = api.calls_to("sendDocument")
    assert call.params["caption"] == "Adjunto el informe"
    assert call.files["document"].filename == "informe.pdf"
    assert call.files["document"].content == b"%PDF-1.7 informe"
    assert api.calls_to("sendMessage") == []
    assert len(result.provider_message_ids) == 1


def test_send_photo_for_images(api: FakeBotApi, adapter: TelegramAdapter, tmp_path: Path) -> None:
    path = tmp_path / "captura.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    adapter.send(out("Captura", media_path=str(path), media_content_type="image/png"))
    [call] = api.calls_to("sendPhoto")
    assert call.files["photo"].content.startswith(b"\x89PNG")
    assert call.params["caption"] == "Captura"


def test_long_caption_goes_in_a_separate_message_with_the_keyboard(
    api: FakeBotApi, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    path = tmp_path / "log.txt"
    path.write_text("log")
    text = "x" * (MAX_CAPTION_LENGTH + 1)
    result = adapter.send(out(text, media_path=str(path), options=(Option("ok", "OK"),)))
    [doc] = api.calls_to("sendDocument")
    [msg] = api.calls_to("sendMessage")
    assert "caption" not in doc.params
    assert "reply_markup" not in doc.params
    assert msg.params["text"] == text
    assert "reply_markup" in msg.params
    assert len(result.provider_message_ids) == 2


def test_missing_media_file_is_permanent(adapter: TelegramAdapter, tmp_path: Path) -> None:
    with pytest.raises(PermanentSendError) as info:
        adapter.send(out("x", media_path=str(tmp_path / "gone.pdf")))
    assert info.value.code == "media_missing"


# --- errors --------------------------------------------------------------------------------


def test_429_maps_to_transient_with_retry_after(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    api.fail("sendMessage", 429, retry_after=7)
    with pytest.raises(TransientSendError) as info:
        adapter.send(out("hola"))
    assert info.value.retry_after == 7.0
    assert isinstance(info.value.retry_after, float)


def test_500_is_transient(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    api.fail("sendMessage", 500)
    with pytest.raises(TransientSendError) as info:
        adapter.send(out("hola"))
    assert info.value.retry_after is None
    assert adapter.send(out("hola")).provider_message_ids  # next attempt goes through


@pytest.mark.parametrize(
    ("status", "description", "code"),
    [
        (400, "Bad Request: chat not found", "bad_request"),
        (403, "Forbidden: bot was blocked by the user", "forbidden"),
    ],
)
def test_client_errors_are_permanent(
    api: FakeBotApi, adapter: TelegramAdapter, status: int, description: str, code: str
) -> None:
    api.fail("sendMessage", status, description=description)
    with pytest.raises(PermanentSendError) as info:
        adapter.send(out("hola"))
    assert info.value.code == code
    assert description.split(": ")[1].lower() in info.value.reason.lower()


def test_timeout_is_transient_and_quick(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    adapter.send(out("warm up"))
    api.hang("sendMessage", 5.0)
    started = time.monotonic()
    with pytest.raises(TransientSendError, match="TimedOut"):
        adapter.send(out("hola"))
    assert time.monotonic() - started < 3.0  # read timeout is 0.5 s
    assert adapter.send(out("after")).provider_message_ids  # the loop is still healthy


def test_later_parts_of_a_split_message_retry_in_place(
    api: FakeBotApi, adapter: TelegramAdapter, clock: FakeMonotonic
) -> None:
    text = "a" * 4000 + "\n\n" + "b" * 100
    sent_first = {"done": False}

    original = api.handle_method

    def fail_second(token: str, method: str, call: Any) -> tuple[int, Any]:
        if method == "sendMessage" and sent_first["done"] and not sent_first.get("failed"):
            sent_first["failed"] = True
            with api._lock:
                api.calls.append(call)
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if method == "sendMessage":
            sent_first["done"] = True
        return original(token, method, call)

    api.handle_method = fail_second  # type: ignore[method-assign]
    result = adapter.send(out(text))
    texts = [c.params["text"] for c in api.calls_to("sendMessage")]
    assert texts[0].startswith("a") and texts[0].count("a") == 4000  # part 1 sent once
    assert texts[1:] == ["b" * 100, "b" * 100]  # part 2 failed once, retried in place
    assert len(result.provider_message_ids) == 2


def test_wrong_token_is_transient_not_dead_lettered(api: FakeBotApi, clock: FakeMonotonic) -> None:
    config = TelegramConfig(bot_token="999:wrong", webhook_secret=SECRET, api_base_url=api.base_url)
    tg = TelegramAdapter(config, rate_limiter=TelegramRateLimiter(clock=clock, sleep=clock.sleep))
    try:
        with pytest.raises(TransientSendError, match="InvalidToken"):
            tg.send(out("hola"))
    finally:
        tg.close()


# --- one loop for the adapter's life ----------------------------------------------------------


def test_many_sends_reuse_one_loop_and_one_initialized_bot(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    for n in range(25):
        adapter.send(OutboundMessage(channel=Channel.TELEGRAM, recipient=str(1000 + n), text="x"))
    loop = adapter.loop_thread.loop
    for n in range(25):
        adapter.send(OutboundMessage(channel=Channel.TELEGRAM, recipient=str(2000 + n), text="y"))
    assert adapter.loop_thread.loop is loop
    assert not loop.is_closed()
    assert len(api.calls_to("getMe")) == 1  # initialized once
    assert len(api.calls_to("sendMessage")) == 50


def test_sends_from_several_worker_threads_share_the_loop(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    errors: list[BaseException] = []

    def worker(base: int) -> None:
        try:
            for n in range(10):
                adapter.send(
                    OutboundMessage(channel=Channel.TELEGRAM, recipient=str(base + n), text="z")
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k * 100,)) for k in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(api.calls_to("sendMessage")) == 40
    assert len(api.calls_to("getMe")) == 1


def test_close_stops_the_thread_and_is_idempotent(api: FakeBotApi, clock: FakeMonotonic) -> None:
    tg = make_adapter(api, clock)
    tg.send(out("hola"))
    runner = tg.loop_thread
    tg.close()
    tg.close()
    assert not runner.running
    assert not runner.thread_alive
    assert runner.loop.is_closed()


def test_rate_limiter_spaces_messages_to_one_chat(
    api: FakeBotApi, adapter: TelegramAdapter, clock: FakeMonotonic
) -> None:
    for _ in range(3):
        adapter.send(out("hola"))
    assert clock.sleeps == [1.0, 1.0]


def test_rate_limit_beyond_max_wait_is_transient_without_sending(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    group = "-1001987654321"
    for _ in range(20):
        adapter.send(OutboundMessage(channel=Channel.TELEGRAM, recipient=group, text="x"))
    with pytest.raises(TransientSendError) as info:
        adapter.send(OutboundMessage(channel=Channel.TELEGRAM, recipient=group, text="x"))
    assert info.value.retry_after == pytest.approx(41.0)
    assert len(api.calls_to("sendMessage")) == 20


# --- the token never leaks --------------------------------------------------------------------


def test_token_never_appears_in_errors_or_logs(
    api: FakeBotApi, clock: FakeMonotonic, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    tg = make_adapter(api, clock)
    messages: list[str] = []
    try:
        tg.send(out("hola"))  # httpx logs every request URL at INFO
        for status in (500, 429, 403, 400):
            api.fail("sendMessage", status, retry_after=3)
            with pytest.raises((TransientSendError, PermanentSendError)) as info:
                tg.send(out("hola", callback_query_id="cbq"))
            messages += [str(info.value), repr(info.value), repr(info.value.__cause__)]
        api.fail("answerCallbackQuery", 500)
        tg.send(out("hola", callback_query_id="cbq-x"))
        api.hang("sendMessage", 3.0)
        with pytest.raises(TransientSendError) as timeout_info:
            tg.send(out("hola"))
        messages.append(str(timeout_info.value))
    finally:
        tg.close()
    assert any(TOKEN_KEY not in r.getMessage() and "/bot" in r.getMessage()
               for r in caplog.records)  # request URLs were logged, redacted
    for record in caplog.records:
        assert TOKEN_KEY not in record.getMessage()
        assert TOKEN_KEY not in (record.exc_text or "")
    for text in messages:
        assert TOKEN_KEY not in text
    assert TOKEN_KEY not in caplog.text


# --- split messages that fail part-way: progress survives the retry -----------------------------

TWO_PARTS = "a" * 4000 + "\n\n" + "b" * 100


def fail_after(api: FakeBotApi, ok: int, status: int, times: int, description: str = "Error") -> None:
    """Let `ok` sendMessage calls through, then answer `status` to the next `times` ones."""
    original = api.handle_method
    seen = {"sends": 0}

    def handle(token: str, method: str, call: Any) -> tuple[int, Any]:
        if method == "sendMessage":
            seen["sends"] += 1
            if ok < seen["sends"] <= ok + times:
                with api._lock:
                    api.calls.append(call)
                return status, {"ok": False, "error_code": status, "description": description}
        return original(token, method, call)

    api.handle_method = handle  # type: ignore[method-assign]


def sent_texts(api: FakeBotApi) -> list[str]:
    return [c.params["text"] for c in api.calls_to("sendMessage")]


def test_a_part_that_keeps_failing_gives_up_with_the_ids_already_sent(
    api: FakeBotApi, adapter: TelegramAdapter, clock: FakeMonotonic
) -> None:
    fail_after(api, ok=1, status=500, times=3, description="Internal Server Error")
    with pytest.raises(TransientSendError) as info:
        adapter.send(out(TWO_PARTS))
    first = api.messages_to(CHAT)[0]
    assert info.value.sent_ids == (f"{CHAT}:{first['message_id']}",)
    assert "after 1 of 2 parts" in info.value.reason
    assert sent_texts(api) == ["a" * 4000] + ["b" * 100] * 3  # part 2 retried in place 3 times
    result = adapter.send(out(TWO_PARTS, skip_parts=1))
    assert sent_texts(api)[4:] == ["b" * 100]  # the retry sends only the second part
    assert result.provider_message_ids == (f"{CHAT}:{api.messages_to(CHAT)[-1]['message_id']}",)


def test_a_resumed_message_keeps_the_keyboard_on_its_last_part_and_answers_no_button_again(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    message = out(TWO_PARTS, options=(Option("ok", "Entendido"),), callback_query_id="cbq-3", skip_parts=1)
    result = adapter.send(message)
    [call] = api.calls_to("sendMessage")
    assert call.params["text"] == "b" * 100
    assert call.json_param("reply_markup")["inline_keyboard"][0][0]["text"] == "Entendido"
    assert api.calls_to("answerCallbackQuery") == []
    assert len(result.provider_message_ids) == 1


def test_a_permanent_failure_part_way_names_the_parts_sent(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    fail_after(api, ok=1, status=403, times=1, description="Forbidden: bot was blocked by the user")
    with pytest.raises(PermanentSendError) as info:
        adapter.send(out(TWO_PARTS))
    assert info.value.code == "forbidden"
    assert "after 1 of 2 parts" in info.value.reason


def test_nothing_left_after_skipping_makes_no_call(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    result = adapter.send(out(TWO_PARTS, skip_parts=2))
    assert api.calls_to("sendMessage") == []
    assert result.provider_message_ids == ()


def test_a_first_part_failure_has_no_sent_ids(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    api.fail("sendMessage", 500)
    with pytest.raises(TransientSendError) as info:
        adapter.send(out(TWO_PARTS))
    assert info.value.sent_ids == ()
    assert len(api.calls_to("sendMessage")) == 1
