"""getFile + download through the real Bot against the fake server: limits, retries, secrecy."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.messages import InboundMedia, MediaKind
from channels.base import MediaRefusedError, TransientSendError
from channels.media_policy import MediaPolicy
from channels.telegram.adapter import TELEGRAM_DOWNLOAD_LIMIT, TelegramAdapter, TelegramConfig
from channels.telegram.adapter import TelegramTimeouts as Timeouts
from tests.support.telegram_fake import DEFAULT_TOKEN, FakeBotApi

SECRET = "wh-secret_0123456789"
TOKEN_KEY = DEFAULT_TOKEN.partition(":")[2]  # the secret part; httpx logs the token URL-encoded
PDF = b"%PDF-1.7\n" + b"0" * 2048


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_adapter(api: FakeBotApi, sleeps: list[float], **overrides: Any) -> TelegramAdapter:
    config = TelegramConfig(
        bot_token=DEFAULT_TOKEN,
        webhook_secret=SECRET,
        api_base_url=api.base_url,
        timeouts=Timeouts(connect=2.0, read=0.5, write=2.0, pool=2.0, download_read=0.5, call=20),
        **overrides,
    )
    return TelegramAdapter(config, sleep=sleeps.append)


@pytest.fixture
def adapter(api: FakeBotApi, sleeps: list[float]) -> Iterator[TelegramAdapter]:
    tg = make_adapter(api, sleeps)
    yield tg
    tg.close()


def doc(ref: str = "BQAC-doc", **fields: Any) -> InboundMedia:
    values: dict[str, Any] = {
        "content_type": "application/pdf",
        "kind": MediaKind.DOCUMENT,
        "filename": "log-facturacion.pdf",
        "size": len(PDF),
    }
    values.update(fields)
    return InboundMedia(ref=ref, **values)


def test_get_file_and_download(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    got = adapter.download(doc())
    assert got.content == PDF
    assert got.content_type == "application/pdf"
    assert got.filename == "log-facturacion.pdf"
    assert [c.params["file_id"] for c in api.calls_to("getFile")] == ["BQAC-doc"]
    assert api.downloads == ["documents/file_7.pdf"]


def test_photo_without_name_takes_it_from_the_file_path(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    api.add_file("AgAC-photo", b"\xff\xd8\xff\xe0jpeg", "photos/file_3.jpg")
    got = adapter.download(InboundMedia(ref="AgAC-photo", kind=MediaKind.IMAGE, size=9))
    assert got.filename == "file_3.jpg"
    assert got.content_type == "image/jpeg"
    assert TOKEN_KEY not in got.filename


def test_over_20_mb_in_the_update_is_refused_before_any_call(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    with pytest.raises(MediaRefusedError) as info:
        adapter.download(doc(size=TELEGRAM_DOWNLOAD_LIMIT + 1))
    assert info.value.code == "too_large"
    assert api.calls == []


def test_size_from_get_file_is_checked_before_downloading(
    api: FakeBotApi, sleeps: list[float]
) -> None:
    tg = make_adapter(api, sleeps, download_limit_bytes=1000)
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    try:
        with pytest.raises(MediaRefusedError) as info:
            tg.download(doc(size=None))  # the update did not say; getFile does
    finally:
        tg.close()
    assert info.value.code == "too_large"
    assert len(api.calls_to("getFile")) == 1
    assert api.downloads == []


def test_get_file_refusing_a_big_file_is_too_large(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    api.add_file("BQAC-big", b"x", "documents/big.zip", declared_size=25 * 1024 * 1024)
    with pytest.raises(MediaRefusedError) as info:
        adapter.download(doc("BQAC-big", size=None, content_type="application/zip"))
    assert info.value.code == "too_large"
    assert api.downloads == []


def test_unknown_file_id_is_unavailable(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    with pytest.raises(MediaRefusedError) as info:
        adapter.download(doc("nope"))
    assert info.value.code == "unavailable"
    assert len(api.calls_to("getFile")) == 1  # a 400 is not retried


def test_transient_failures_are_retried(
    api: FakeBotApi, adapter: TelegramAdapter, sleeps: list[float]
) -> None:
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    api.fail("getFile", 500)
    api.fail("file", 502)
    got = adapter.download(doc())
    assert got.content == PDF
    assert len(api.calls_to("getFile")) == 3
    assert len(api.downloads) == 2
    assert sleeps == [2.0, 4.0]  # backoff 1 s x 2^attempt


def test_flood_wait_on_get_file_uses_retry_after(
    api: FakeBotApi, adapter: TelegramAdapter, sleeps: list[float]
) -> None:
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    api.fail("getFile", 429, retry_after=3)
    assert adapter.download(doc()).content == PDF
    assert sleeps == [3.0]


def test_persistent_failure_ends_transient(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    api.fail("file", 500, times=3)
    with pytest.raises(TransientSendError):
        adapter.download(doc())
    assert len(api.downloads) == 3


def test_hanging_download_times_out_and_retries(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    api.hang("file", 3.0)
    assert adapter.download(doc()).content == PDF
    assert len(api.downloads) == 2


def test_executables_are_refused_without_downloading(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    with pytest.raises(MediaRefusedError) as info:
        adapter.download(doc(filename="factura.pdf.exe", content_type="application/octet-stream"))
    assert info.value.code == "forbidden_type"
    assert api.calls == []


def test_executable_content_behind_a_harmless_name_is_refused(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    api.add_file("BQAC-mz", b"MZ\x90\x00" + b"\x00" * 64, "documents/file_9.pdf")
    with pytest.raises(MediaRefusedError) as info:
        adapter.download(doc("BQAC-mz"))
    assert info.value.code == "forbidden_type"


def test_media_policy_is_applied(api: FakeBotApi, sleeps: list[float]) -> None:
    policy = MediaPolicy(max_bytes=1024, allowed_prefixes=("image/",))
    tg = make_adapter(api, sleeps, media_policy=policy)
    try:
        with pytest.raises(MediaRefusedError) as info:
            tg.download(doc(size=None))
    finally:
        tg.close()
    assert info.value.code == "forbidden_type"


def test_token_is_absent_from_download_failures_and_logs(
    api: FakeBotApi, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    api.add_file("BQAC-gone", PDF, "documents/file_8.pdf")
    assert adapter.download(doc()).content == PDF
    texts: list[str] = []
    api.fail("file", 500, times=3)
    with pytest.raises(TransientSendError) as transient:
        adapter.download(doc())
    texts += [str(transient.value), repr(transient.value)]
    api.fail("file", 404, times=3)  # getFile works, the download path answers 404
    with pytest.raises(TransientSendError) as missing:
        adapter.download(doc("BQAC-gone"))
    texts += [str(missing.value), repr(missing.value)]
    assert any("/file/bot" in r.getMessage() for r in caplog.records)  # URLs were logged...
    for record in caplog.records:
        assert TOKEN_KEY not in record.getMessage()  # ...without the token
    for text in texts:
        assert TOKEN_KEY not in text
    assert TOKEN_KEY not in caplog.text


# --- issue 16: getFile paths are relative Bot API paths, never local files ---------------------------


@pytest.mark.parametrize(
    "file_path",
    ["/proc/self/environ", "../../etc/hostname", "documents/../../../etc/passwd", "/etc/hostname",
     "file:///etc/hostname", "https://evil.example/x.pdf", "documents/file 7.pdf", "documents//x.pdf",
     "a/b/c/d/e/f.pdf", "documents/" + "x" * 200 + ".pdf"],
)
def test_get_file_paths_that_are_not_relative_bot_api_paths_are_refused(
    api: FakeBotApi, adapter: TelegramAdapter, file_path: str
) -> None:
    api.add_file("BQAC-doc", PDF, file_path)
    with pytest.raises(MediaRefusedError) as refused:
        adapter.download(doc())
    assert refused.value.code == "unavailable"
    assert api.downloads == []


def test_a_get_file_path_naming_an_existing_local_file_is_never_read(
    api: FakeBotApi, adapter: TelegramAdapter, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "environ"
    secret.write_bytes(b"%PDF-1.7 TELEGRAM_BOT_TOKEN=leaked")
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "file_7.pdf").write_bytes(b"%PDF-1.7 local copy, not the Bot API's")
    monkeypatch.chdir(tmp_path)
    api.add_file("BQAC-abs", PDF, str(secret))
    with pytest.raises(MediaRefusedError):
        adapter.download(doc("BQAC-abs"))
    api.add_file("BQAC-rel", PDF, "documents/file_7.pdf")  # also a local file relative to the cwd
    assert adapter.download(doc("BQAC-rel")).content == PDF  # fetched from the Bot API, not the disk
    assert api.downloads == ["documents/file_7.pdf"]


def test_the_bot_is_never_in_local_mode(api: FakeBotApi, adapter: TelegramAdapter) -> None:
    api.add_file("BQAC-doc", PDF, "documents/file_7.pdf")
    adapter.download(doc())
    assert adapter._bot is not None and adapter._bot.local_mode is False


def test_a_shell_script_sent_as_a_photo_is_refused_by_its_bytes(
    api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    api.add_file("AgAC-fake-photo", b"#!/bin/sh\nid\n", "photos/file_9.jpg")
    media = InboundMedia(ref="AgAC-fake-photo", kind=MediaKind.IMAGE, content_type="image/jpeg", size=13)
    with pytest.raises(MediaRefusedError) as refused:
        adapter.download(media)
    assert refused.value.code == "forbidden_type"
