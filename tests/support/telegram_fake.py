"""A fake Telegram Bot API server on loopback, for the real python-telegram-bot client.

Usage::

    with FakeBotApi(token=TOKEN) as api:
        config = TelegramConfig(bot_token=TOKEN, webhook_secret="s", api_base_url=api.base_url)
        api.add_file("doc-1", b"%PDF...", "documents/file_1.pdf")
        api.fail("sendMessage", status=429, retry_after=7)     # the next sendMessage answers 429
        api.hang("sendMessage", seconds=2.0)                     # the next one answers after 2 s
        ...
        api.calls_to("sendMessage")[0].params["text"]

It implements getMe, sendMessage, sendPhoto, sendDocument, answerCallbackQuery, getFile, file
downloads (/file/bot<token>/<path>), setWebhook, getWebhookInfo, editMessageReplyMarkup and
deleteWebhook. Builders for update payloads (text, command, callback for a sent keyboard, photo,
document) help end-to-end tests drive a conversation.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Intake",
    "username": "intake_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class RecordedCall:
    """One request the fake received."""

    method: str
    params: dict[str, str]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    token_ok: bool = True
    at: float = 0.0

    def json_param(self, name: str) -> Any:
        """A parameter python-telegram-bot JSON-encoded (reply_markup, allowed_updates...)."""
        return json.loads(self.params[name])


@dataclass
class _Script:
    status: int
    description: str
    retry_after: int | None
    hang: float
    times: int


@dataclass
class StoredFile:
    """A file getFile can describe and the download path can serve."""

    file_id: str
    content: bytes
    file_path: str
    file_unique_id: str
    declared_size: int | None


class FakeBotApi:
    """A threaded HTTP server speaking enough of the Bot API for our adapter and e2e tests."""

    def __init__(self, token: str = DEFAULT_TOKEN, host: str = "127.0.0.1") -> None:
        self.token = token
        self._host = host
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1000)
        self.reset()

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        """Listen on a free port and serve in a background thread."""
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer((self._host, 0), handler)
        self._server.daemon_threads = True
        self._release.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging requests, stop serving and close the socket."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The api_base_url to configure (TELEGRAM_API_BASE_URL), e.g. http://127.0.0.1:PORT."""
        assert self._server is not None, "start() the fake first"
        port = self._server.server_address[1]
        return f"http://{self._host}:{port}"

    def reset(self) -> None:
        """Forget calls, files, scripted failures and webhook state."""
        with self._lock:
            self.calls: list[RecordedCall] = []
            self.downloads: list[str] = []
            self.files: dict[str, StoredFile] = {}
            self.sent: list[dict[str, Any]] = []
            self.webhook: dict[str, Any] = {"url": "", "pending_update_count": 0}
            self._scripts: dict[str, list[_Script]] = {}

    # --- scripting -----------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int = 500,
        *,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` ("file" for downloads) answer an error."""
        if description is None:
            description = _default_description(status, retry_after)
        with self._lock:
            self._scripts.setdefault(method, []).append(
                _Script(status, description, retry_after, 0.0, times)
            )

    def hang(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Make the next `times` calls of `method` wait `seconds` before answering normally."""
        with self._lock:
            self._scripts.setdefault(method, []).append(_Script(200, "", None, seconds, times))

    def add_file(
        self,
        file_id: str,
        content: bytes,
        file_path: str,
        *,
        declared_size: int | None = None,
        unique_id: str | None = None,
    ) -> StoredFile:
        """Serve `content` for `file_id`; `declared_size` lets getFile claim another size."""
        stored = StoredFile(file_id, content, file_path, unique_id or f"u-{file_id}", declared_size)
        with self._lock:
            self.files[file_id] = stored
        return stored

    # --- inspection ----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method, oldest first."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def messages_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat (as the fake returned them), oldest first."""
        with self._lock:
            return [m for m in self.sent if str(m["chat"]["id"]) == str(chat_id)]

    def last_keyboard_message(self, chat_id: int | str) -> dict[str, Any]:
        """The latest message to `chat_id` that carried an inline keyboard."""
        for message in reversed(self.messages_to(chat_id)):
            if "reply_markup" in message:
                return dict(message)
        raise LookupError(f"no message with buttons sent to {chat_id}")

    # --- request handling (called from server threads) ------------------------------------

    def _take_script(self, method: str) -> _Script | None:
        with self._lock:
            queue = self._scripts.get(method)
            if not queue:
                return None
            script = queue[0]
            script.times -= 1
            if script.times <= 0:
                queue.pop(0)
            return script

    def _wait(self, seconds: float) -> None:
        self._release.wait(seconds)

    def handle_method(self, token: str, method: str, call: RecordedCall) -> tuple[int, Any]:
        """Answer one Bot API method call: (HTTP status, JSON body)."""
        call.token_ok = token == self.token
        with self._lock:
            self.calls.append(call)
        if not call.token_ok:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        script = self._take_script(method)
        if script is not None and script.hang:
            self._wait(script.hang)
        elif script is not None:
            return script.status, _error_body(script)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": handler(call)}

    def handle_file(self, token: str, path: str) -> tuple[int, bytes, str]:
        """Serve a file download: (HTTP status, body, content type)."""
        with self._lock:
            self.downloads.append(path)
        if token != self.token:
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}', "json"
        script = self._take_script("file")
        if script is not None and script.hang:
            self._wait(script.hang)
        elif script is not None:
            return script.status, json.dumps(_error_body(script)).encode(), "json"
        with self._lock:
            stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', "json"
        return 200, stored.content, "application/octet-stream"

    # --- methods -------------------------------------------------------------------------

    def _m_getMe(self, call: RecordedCall) -> Any:
        return BOT_USER

    def _new_message(self, call: RecordedCall, **content: Any) -> dict[str, Any]:
        chat_id = call.params.get("chat_id", "0")
        chat: dict[str, Any] = {"id": int(chat_id), "type": "private"}
        if chat_id.startswith("-"):
            chat = {"id": int(chat_id), "type": "supergroup", "title": "Group"}
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            **content,
        }
        if "reply_markup" in call.params:
            message["reply_markup"] = call.json_param("reply_markup")
        with self._lock:
            self.sent.append(message)
        return message

    def _m_sendMessage(self, call: RecordedCall) -> Any:
        return self._new_message(call, text=call.params.get("text", ""))

    def _caption(self, call: RecordedCall) -> dict[str, Any]:
        return {"caption": call.params["caption"]} if "caption" in call.params else {}

    def _m_sendDocument(self, call: RecordedCall) -> Any:
        upload = call.files.get("document")
        document = {
            "file_id": f"sent-doc-{len(self.calls)}",
            "file_unique_id": f"sent-doc-u-{len(self.calls)}",
            "file_name": upload.filename if upload else None,
            "file_size": len(upload.content) if upload else 0,
        }
        return self._new_message(call, document=document, **self._caption(call))

    def _m_sendPhoto(self, call: RecordedCall) -> Any:
        upload = call.files.get("photo")
        size = len(upload.content) if upload else 0
        photo = [
            {
                "file_id": f"sent-photo-{len(self.calls)}",
                "file_unique_id": f"sent-photo-u-{len(self.calls)}",
                "width": 800,
                "height": 600,
                "file_size": size,
            }
        ]
        return self._new_message(call, photo=photo, **self._caption(call))

    def _m_answerCallbackQuery(self, call: RecordedCall) -> Any:
        return True

    def _m_editMessageReplyMarkup(self, call: RecordedCall) -> Any:
        return True

    def _m_getFile(self, call: RecordedCall) -> Any:
        file_id = call.params.get("file_id", "")
        with self._lock:
            stored = self.files.get(file_id)
        if stored is None:
            raise _BadRequest("Bad Request: invalid file_id")
        size = stored.declared_size if stored.declared_size is not None else len(stored.content)
        if size > 20 * 1024 * 1024:
            raise _BadRequest("Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": size,
            "file_path": stored.file_path,
        }

    def _m_setWebhook(self, call: RecordedCall) -> Any:
        allowed = call.json_param("allowed_updates") if "allowed_updates" in call.params else None
        with self._lock:
            self.webhook = {
                "url": call.params.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
                "max_connections": 40,
                "secret_token": call.params.get("secret_token"),
            }
            if allowed is not None:
                self.webhook["allowed_updates"] = allowed
        return True

    def _m_deleteWebhook(self, call: RecordedCall) -> Any:
        with self._lock:
            self.webhook = {"url": "", "pending_update_count": 0}
        return True

    def _m_getWebhookInfo(self, call: RecordedCall) -> Any:
        with self._lock:
            info = {k: v for k, v in self.webhook.items() if k != "secret_token"}
        info.setdefault("has_custom_certificate", False)
        return info


class _BadRequest(Exception):
    """Raised by a fake method to answer 400 with a description."""


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 400:
        return "Bad Request: chat not found"
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error_body(script: _Script) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": script.status,
        "description": script.description,
    }
    if script.status == 429:
        body["parameters"] = {"retry_after": script.retry_after or 1}
    return body


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Form fields and files of a urlencoded, multipart or JSON request body."""
    if content_type.startswith("multipart/form-data"):
        return _parse_multipart(content_type, body)
    if content_type.startswith("application/json"):
        data = json.loads(body or b"{}")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}, {}
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    params: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = UploadedFile(filename, part.get_content_type(), payload)
        else:
            params[name] = payload.decode("utf-8")
    return params, files


def _make_handler(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in separate writes

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet (the request line carries the token)."""

        def do_GET(self) -> None:
            self._dispatch(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._dispatch(self.rfile.read(length))

        def _dispatch(self, body: bytes) -> None:
            path = unquote(self.path.split("?", 1)[0])
            if path.startswith("/file/bot"):
                token, _, file_path = path.removeprefix("/file/bot").partition("/")
                status, content, ctype = api.handle_file(token, file_path)
                self._reply(status, content, "application/json" if ctype == "json" else ctype)
                return
            if not path.startswith("/bot"):
                self._reply(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
                return
            token, _, method = path.removeprefix("/bot").partition("/")
            params, files = _parse_body(self.headers.get("Content-Type", ""), body)
            if self.command == "GET":
                params.update(parse_qsl(self.path.partition("?")[2]))
            call = RecordedCall(method, params, files, at=time.monotonic())
            try:
                status, payload = api.handle_method(token, method, call)
            except _BadRequest as exc:
                status, payload = 400, {"ok": False, "error_code": 400, "description": str(exc)}
            self._reply(status, json.dumps(payload).encode())

        def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

    return Handler


# --- update builders for tests ---------------------------------------------------------------

_update_ids = itertools.count(700_000_000)
_message_ids = itertools.count(1)


def _user(user_id: int, first_name: str = "Ana", language_code: str | None = "es") -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def _chat(chat_id: int, user: dict[str, Any]) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Soporte Cliente"}
    return {"id": chat_id, "type": "private", "first_name": user["first_name"]}


def message_update(
    user_id: int,
    *,
    chat_id: int | None = None,
    text: str | None = None,
    language_code: str | None = "es",
    update_id: int | None = None,
    **content: Any,
) -> dict[str, Any]:
    """An update with a new message (text and/or content such as photo/document/caption)."""
    user = _user(user_id, language_code=language_code)
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": user,
        "chat": _chat(chat_id if chat_id is not None else user_id, user),
        "date": int(time.time()),
        **content,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
    return {"update_id": update_id or next(_update_ids), "message": message}


def photo_update(user_id: int, file_id: str, size: int, caption: str | None = None) -> dict[str, Any]:
    """An update with a photo (three sizes, the largest is `file_id`) and an optional caption."""
    sizes = [
        {"file_id": f"{file_id}-s", "file_unique_id": f"{file_id}-us", "width": 90, "height": 67,
         "file_size": 1200},
        {"file_id": f"{file_id}-m", "file_unique_id": f"{file_id}-um", "width": 320, "height": 240,
         "file_size": 15000},
        {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 1280, "height": 960,
         "file_size": size},
    ]
    extra: dict[str, Any] = {"photo": sizes}
    if caption:
        extra["caption"] = caption
    return message_update(user_id, **extra)


def document_update(
    user_id: int, file_id: str, file_name: str, mime_type: str, size: int
) -> dict[str, Any]:
    """An update with a document."""
    document = {
        "file_id": file_id,
        "file_unique_id": f"{file_id}-u",
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": size,
    }
    return message_update(user_id, document=document)


def callback_update(
    user_id: int, keyboard_message: dict[str, Any], data: str, *, language_code: str = "es"
) -> dict[str, Any]:
    """An update pressing the button with callback `data` on a message the bot sent."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cbq-{next(_update_ids)}",
            "from": _user(user_id, language_code=language_code),
            "message": keyboard_message,
            "chat_instance": "-4242424242",
            "data": data,
        },
    }


def press_button(api: FakeBotApi, chat_id: int, title: str) -> dict[str, Any]:
    """An update pressing the button labelled `title` on the last keyboard sent to `chat_id`."""
    message = api.last_keyboard_message(chat_id)
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"] == title:
                return callback_update(chat_id, message, button["callback_data"])
    raise LookupError(f"no button {title!r} on the last keyboard sent to {chat_id}")


def button_titles(message: dict[str, Any]) -> Iterator[str]:
    """Labels of the inline buttons on a sent message."""
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            yield button["text"]
