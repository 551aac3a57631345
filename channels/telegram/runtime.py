"""One long-lived asyncio loop in a background thread, and token redaction for logs and errors."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import quote

from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

T = TypeVar("T")

REDACTED = "<redacted>"

# Loggers whose records can carry Bot API URLs (which embed the token): httpx logs every request
# URL at INFO; python-telegram-bot logs its base URLs at DEBUG.
_URL_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "telegram",
    "telegram.Bot",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "channels.telegram.adapter",
)


class TokenRedactor(logging.Filter):
    """A logging filter that replaces registered secrets in records with <redacted>."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        """Start redacting `secret` and its URL-encoded forms.

        For a bot token `<id>:<key>` the key alone is registered too: httpx logs URLs with the
        colon percent-encoded, and the key's characters are never encoded.
        """
        if not secret:
            return
        variants = {secret, quote(secret, safe=""), quote(secret, safe="").replace("%3A", "%3a")}
        key = secret.partition(":")[2]
        if len(key) >= 8:
            variants.add(key)
        with self._lock:
            self._secrets.update(variants)

    def redact(self, text: str) -> str:
        """Return `text` with every registered secret replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Freeze the record's message without the secrets; never drops records."""
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to logging's own handling
            return True
        # Always freeze the text: PTB logs dicts it mutates afterwards (getFile's file_path
        # gains the token-bearing URL), so a later re-format could leak what we checked now.
        record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(text)
        return True


_REDACTOR = TokenRedactor()
_INSTALLED = False
_INSTALL_LOCK = threading.Lock()


def protect_token(token: str) -> TokenRedactor:
    """Register a bot token for redaction and make sure the URL-logging loggers are filtered."""
    global _INSTALLED  # noqa: PLW0603 - one process-wide filter, installed once
    _REDACTOR.add(token)
    with _INSTALL_LOCK:
        if not _INSTALLED:
            for name in _URL_LOGGERS:
                logging.getLogger(name).addFilter(_REDACTOR)
            _INSTALLED = True
    return _REDACTOR


async def _cancel_pending() -> None:
    """Cancel every other task on the running loop and wait for them to finish."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class LoopThread:
    """A daemon thread running one asyncio event loop for the life of the adapter."""

    def __init__(self, name: str = "telegram-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        """Run a coroutine on the loop from any other thread and wait for its result."""
        if self._closed:
            coro.close()
            raise RuntimeError("the Telegram loop is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop, join the thread and close the loop (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            cancel = asyncio.run_coroutine_threadsafe(_cancel_pending(), self.loop)
            with contextlib.suppress(Exception):  # best effort: stopping must not fail
                cancel.result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    @property
    def thread_alive(self) -> bool:
        """True while the background thread has not finished."""
        return self._thread.is_alive()

    @property
    def running(self) -> bool:
        """True while the loop thread is alive."""
        return self._thread.is_alive() and not self._closed


class FloodWait(TelegramError):
    """A Bot API flood-control answer (429) with `seconds` to wait, as a float."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Flood control exceeded. Retry in {seconds:g} seconds")
        self.seconds = seconds

    def __reduce__(self) -> tuple[type, tuple[float]]:  # type: ignore[override]
        return self.__class__, (self.seconds,)


def _retry_after_in(payload: bytes) -> float | None:
    try:
        data = json.loads(payload.decode("utf-8", "replace"))
        value = data["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


class FloodAwareRequest(HTTPXRequest):
    """HTTPXRequest that raises FloodWait for answers carrying retry_after.

    python-telegram-bot 22 builds RetryAfter through a deprecated int/timedelta property that
    warns on every 429; raising our own TelegramError from `do_request` (its documented override
    point) keeps the exact seconds and stays quiet even where warnings are errors.
    """

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Do the request; a non-2xx answer with parameters.retry_after raises FloodWait."""
        code, payload = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code >= 300:
            seconds = _retry_after_in(payload)
            if seconds is not None:
                raise FloodWait(seconds)
        return code, payload
