"""One fake Twilio account on a local pytest-httpserver: Messages.json, media files, status callbacks.

The real `twilio` client is pointed at it through `WhatsAppConfig.api_base_url` (TWILIO_API_BASE_URL).
Every create is recorded; answers are 201 "queued" with a fresh sid, unless a test scripted others
(`script`: callables returning a werkzeug Response, used first in order).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.signing import twilio_headers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
ACCOUNT = "AC3f5a0c1e2d4b6a8c9e0f1a2b3c4d5e6f"  # the fixtures' AccountSid
MEDIA_MESSAGE = "MM4d3c2b1a0f9e8d7c6b5a493827160504"


def fixture(name: str) -> dict[str, Any]:
    """A Twilio payload from tests/fixtures/whatsapp (field names and shapes as Twilio sends them)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def messages_path(account: str = ACCOUNT) -> str:
    """The REST path of Messages.create for an account."""
    return f"/2010-04-01/Accounts/{account}/Messages.json"


def media_path(account: str = ACCOUNT, message: str = MEDIA_MESSAGE) -> str:
    """The REST path under which a message's media files live."""
    return f"/2010-04-01/Accounts/{account}/Messages/{message}/Media"


def basic_auth(account: str, auth_token: str) -> str:
    """The Authorization header Twilio expects on its media URLs."""
    return "Basic " + base64.b64encode(f"{account}:{auth_token}".encode()).decode()


def message_sid(number: int) -> str:
    """The sid the fake gives the `number`-th message it creates (SM + 32 hex digits)."""
    return f"SM{number:032x}"


def created(number: int) -> Response:
    """A 201 answer for the `number`-th message (the real API's body, from a fixture)."""
    body = fixture("api_message_created")
    body["sid"] = message_sid(number)
    return Response(json.dumps(body), status=201, content_type="application/json")


def error(name: str, headers: Mapping[str, str] | None = None) -> Callable[[], Response]:
    """A scripted error answer from a fixture (its `status` is the HTTP status)."""
    body = fixture(name)
    status, extra = int(body["status"]), dict(headers or {})
    return lambda: Response(json.dumps(body), status=status, headers=extra, content_type="application/json")


class FakeTwilio:
    """The REST API and the media store of one Twilio account on a local HTTP server."""

    def __init__(self, server: HTTPServer, auth_token: str = "", account: str = ACCOUNT) -> None:
        self.server = server
        self.account = account
        self.auth_token = auth_token
        self.calls: list[dict[str, str]] = []  # each create's form, first value per field
        self.forms: list[dict[str, list[str]]] = []  # each create's form, every value per field
        self.authorizations: list[str | None] = []
        self.sids: list[str] = []
        self.script: list[Callable[[], Response]] = []
        self.media_requests: list[tuple[str, str | None, str]] = []  # (path, Authorization, Host)
        self.not_ready_once: set[str] = set()
        self.overtaking_status: str | None = None  # a status fixture to call back with before answering
        self.callbacks: list[threading.Thread] = []
        self.callback_answers: list[int] = []
        server.expect_request(messages_path(account), method="POST").respond_with_handler(self._create)

    @property
    def base_url(self) -> str:
        """The API root the adapter is pointed at (TWILIO_API_BASE_URL)."""
        return self.server.url_for("").rstrip("/")

    @property
    def requests_seen(self) -> int:
        """Every request the server received (any path), to prove a webhook made none."""
        return len(self.server.log)

    def field(self, index: int, name: str) -> str | None:
        """One field of the `index`-th create, or None."""
        return self.calls[index].get(name)

    def since(self, index: int) -> list[dict[str, str]]:
        """The creates received from `index` on."""
        return self.calls[index:]

    def _create(self, request: Request) -> Response:
        form = request.form
        self.calls.append(dict(form))
        self.forms.append({key: form.getlist(key) for key in form})
        self.authorizations.append(request.headers.get("Authorization"))
        if self.script:
            return self.script.pop(0)()
        sid = message_sid(len(self.calls))
        self.sids.append(sid)
        if self.overtaking_status:
            self._call_back_first(form, sid, self.overtaking_status)
            self.overtaking_status = None
        body = fixture("api_message_created")
        body.update(sid=sid, to=form.get("To"), body=form.get("Body", ""))
        return Response(json.dumps(body), status=201, content_type="application/json")

    def _call_back_first(self, created: Mapping[str, str], sid: str, name: str) -> None:
        """Post a status callback for `sid` before the REST answer reaches the worker (Twilio is fast)."""
        url = created["StatusCallback"]
        form = {**fixture(name), "MessageSid": sid, "SmsSid": sid, "To": created["To"]}

        def post() -> None:
            headers = twilio_headers(self.auth_token, url, form)
            response = requests.post(url, data=form, headers=headers, timeout=30)
            self.callback_answers.append(response.status_code)

        thread = threading.Thread(target=post, name="early-status-callback")
        thread.start()
        thread.join(timeout=0.5)  # then answer, whether or not the callback is still being handled
        self.callbacks.append(thread)

    def serve_media(self, name: str, data: bytes, content_type: str, *, via_cdn: str | None = None) -> str:
        """Serve a file at a Twilio media URL behind basic auth (optionally redirecting to a CDN host)."""
        path = f"{media_path(self.account)}/{name}"
        expected_auth = basic_auth(self.account, self.auth_token)

        def media(request: Request) -> Response:
            self.media_requests.append((request.path, request.headers.get("Authorization"), request.host))
            if request.headers.get("Authorization") != expected_auth:
                return Response("authentication required", status=401)
            if name in self.not_ready_once:  # Twilio answers 404 for a moment after the webhook
                self.not_ready_once.discard(name)
                return Response("not found", status=404)
            if via_cdn is None:
                return Response(data, content_type=content_type)
            cdn = self.server.url_for(f"/cdn/{name}/{via_cdn}").replace("localhost", "127.0.0.1")
            return Response(status=302, headers={"Location": cdn + "?Expires=1772470000&Signature=x1"})

        def cdn(request: Request) -> Response:
            self.media_requests.append((request.path, request.headers.get("Authorization"), request.host))
            disposition = f'attachment; filename="{via_cdn}"'
            return Response(data, content_type=content_type, headers={"Content-Disposition": disposition})

        self.server.expect_request(path, method="GET").respond_with_handler(media)
        if via_cdn is not None:
            self.server.expect_request(f"/cdn/{name}/{via_cdn}", method="GET").respond_with_handler(cdn)
        return self.server.url_for(path)
