"""Downloading customers' media from a local fake Twilio: basic auth, redirects, retries, limits."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bot.messages import InboundMedia, MediaKind
from channels.base import MediaRefusedError, PermanentSendError, TransientSendError
from channels.media_policy import MediaPolicy
from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig
from tests.support.clock import Sleeps
from tests.support.twilio_fake import ACCOUNT, basic_auth, media_path

TOKEN = "tok_9b1c0ffee5ecret7a41d8cd98f00b2"
MEDIA_PATH = media_path()
BASIC = basic_auth(ACCOUNT, TOKEN)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 20


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    httpserver = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    httpserver.stop()


@pytest.fixture
def api(server: HTTPServer) -> Iterator[HTTPServer]:
    server.clear()
    yield server
    server.clear()


def adapter_for(server: HTTPServer, sleeps: Sleeps | None = None, **overrides: Any) -> WhatsAppAdapter:
    settings: dict[str, Any] = {
        "account_sid": ACCOUNT,
        "auth_token": TOKEN,
        "from_number": "whatsapp:+14155238886",
        "api_base_url": f"http://127.0.0.1:{server.port}",
        "download_retries": 2,
        "download_backoff": 0.01,
        "download_timeout": 2.0,
        "media_policy": MediaPolicy(max_bytes=4096),
    }
    settings.update(overrides)
    return WhatsAppAdapter(WhatsAppConfig(**settings), sleep=sleeps or Sleeps())


def media_url(server: HTTPServer, name: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}{MEDIA_PATH}/{name}"


def requests_to(server: HTTPServer, path_part: str) -> list[Request]:
    return [request for request, _ in server.log if path_part in request.path]


def test_basic_auth_then_cross_host_redirect_drops_the_credentials(api: HTTPServer) -> None:
    cdn = f"http://localhost:{api.port}/cdn/3b9f/evidence.pdf?Expires=1745503510&Signature=abc"
    api.expect_request(f"{MEDIA_PATH}/ME1").respond_with_response(
        Response(status=302, headers={"Location": cdn})
    )
    api.expect_request("/cdn/3b9f/evidence.pdf").respond_with_data(
        PDF,
        content_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="factura-error.pdf"'},
    )
    media = InboundMedia(ref=media_url(api, "ME1"), content_type="application/pdf")
    downloaded = adapter_for(api).download(media)
    assert downloaded.content == PDF
    assert downloaded.content_type == "application/pdf"
    assert downloaded.filename == "factura-error.pdf"
    [first] = requests_to(api, "/Media/ME1")
    [second] = requests_to(api, "/cdn/")
    assert first.headers.get("Authorization") == BASIC
    assert second.headers.get("Host", "").startswith("localhost")
    assert second.headers.get("Authorization") is None


def test_same_host_redirect_to_another_path(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME2").respond_with_response(
        Response(status=307, headers={"Location": "/files/ME2-content"})
    )
    api.expect_request("/files/ME2-content").respond_with_data(PNG, content_type="image/png")
    media = InboundMedia(ref=media_url(api, "ME2"), content_type="image/png", kind=MediaKind.IMAGE)
    downloaded = adapter_for(api).download(media)
    assert downloaded.content == PNG
    assert downloaded.filename == "ME2.png"


def test_404_right_after_the_webhook_is_retried_with_backoff(api: HTTPServer) -> None:
    answers = [Response("not yet", status=404), Response("busy", status=503)]

    def flaky(_request: Request) -> Response:
        return answers.pop(0) if answers else Response(PNG, content_type="image/jpeg")

    api.expect_request(f"{MEDIA_PATH}/ME3").respond_with_handler(flaky)
    sleeps = Sleeps()
    media = InboundMedia(ref=media_url(api, "ME3"), content_type="image/jpeg")
    downloaded = adapter_for(api, sleeps).download(media)
    assert downloaded.content == PNG
    assert downloaded.filename == "ME3.jpg"
    assert len(requests_to(api, "/Media/ME3")) == 3
    assert sleeps.calls == [0.01, 0.02]


def test_still_missing_after_the_retries_is_transient(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME4").respond_with_data("gone", status=404)
    sleeps = Sleeps()
    with pytest.raises(TransientSendError, match="after 3 attempts: HTTP 404"):
        adapter_for(api, sleeps).download(InboundMedia(ref=media_url(api, "ME4")))
    assert len(requests_to(api, "/Media/ME4")) == 3
    assert sleeps.calls == [0.01, 0.02]


class BigBody:
    """A 64 MiB body in 64 KiB chunks that counts how much the server had to produce."""

    CHUNK = 64 * 1024
    COUNT = 1024

    def __init__(self) -> None:
        self.produced = 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.COUNT):
            self.produced += 1
            yield b"\x00" * self.CHUNK

    @property
    def size(self) -> int:
        return self.CHUNK * self.COUNT


def test_declared_size_over_the_limit_is_refused_before_reading(api: HTTPServer) -> None:
    body = BigBody()
    api.expect_request(f"{MEDIA_PATH}/ME5").respond_with_response(
        Response(
            body,
            content_type="image/jpeg",
            headers={"Content-Length": str(body.size)},
            direct_passthrough=True,
        )
    )
    with pytest.raises(MediaRefusedError) as caught:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME5")))
    assert caught.value.code == "too_large"
    assert f"file is {body.size} bytes" in caught.value.reason
    assert body.produced < BigBody.COUNT // 2


def test_streamed_size_over_the_limit_stops_reading_early(api: HTTPServer) -> None:
    body = BigBody()
    api.expect_request(f"{MEDIA_PATH}/ME6").respond_with_response(
        Response(body, content_type="video/mp4", direct_passthrough=True)
    )
    with pytest.raises(MediaRefusedError) as caught:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME6")))
    assert caught.value.code == "too_large"
    assert "larger than the 4096-byte limit" in caught.value.reason
    assert body.produced < BigBody.COUNT // 2


def test_exe_by_name_is_refused(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME7").respond_with_data(
        b"MZ\x90\x00" + b"\x00" * 100,
        content_type="application/octet-stream",
        headers={"Content-Disposition": 'attachment; filename="factura.exe"'},
    )
    with pytest.raises(MediaRefusedError) as caught:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME7")))
    assert caught.value.code == "forbidden_type"


def test_executable_disguised_as_a_pdf_is_refused_by_its_magic(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME8").respond_with_data(
        b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf"
    )
    with pytest.raises(MediaRefusedError) as caught:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME8"), content_type="application/pdf"))
    assert caught.value.code == "forbidden_type"


def test_forbidden_declared_type_is_refused(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME9").respond_with_data(b"#!/bin/sh\n", content_type="application/x-sh")
    with pytest.raises(MediaRefusedError) as caught:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME9")))
    assert caught.value.code == "forbidden_type"


def test_generic_served_type_falls_back_to_the_webhook_type(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME10").respond_with_data(PDF, content_type="application/octet-stream")
    media = InboundMedia(ref=media_url(api, "ME10"), content_type="application/pdf")
    downloaded = adapter_for(api).download(media)
    assert downloaded.content_type == "application/pdf"
    assert downloaded.filename == "ME10.pdf"


def test_unsafe_disposition_names_are_reduced_to_a_base_name(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME11").respond_with_data(
        PDF,
        content_type="application/pdf",
        headers={"Content-Disposition": "attachment; filename*=UTF-8''..%2F..%2Fetc%2Fcotizaci%C3%B3n.pdf"},
    )
    downloaded = adapter_for(api).download(InboundMedia(ref=media_url(api, "ME11")))
    assert downloaded.filename == "cotización.pdf"


def test_credentials_are_not_sent_to_a_foreign_host(api: HTTPServer) -> None:
    api.expect_request("/elsewhere/photo.png").respond_with_data(PNG, content_type="image/png")
    foreign = f"http://localhost:{api.port}/elsewhere/photo.png"
    adapter_for(api).download(InboundMedia(ref=foreign))
    [request] = requests_to(api, "/elsewhere/")
    assert request.headers.get("Authorization") is None


def test_unauthorized_is_permanent_and_never_leaks_the_token(
    api: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.expect_request(f"{MEDIA_PATH}/ME12").respond_with_data("Unauthorized", status=401)
    api.expect_request(f"{MEDIA_PATH}/ME13").respond_with_data("oops", status=500)
    with pytest.raises(PermanentSendError) as denied:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME12")))
    with pytest.raises(TransientSendError) as failing:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME13")))
    assert denied.value.code == "http_401"
    assert caplog.records
    for text in (str(denied.value), repr(denied.value.args), str(failing.value), caplog.text):
        assert TOKEN not in text
        assert BASIC.split()[1] not in text
