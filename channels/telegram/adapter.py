"""Telegram channel adapter on python-telegram-bot: webhook checks, parsing, sending, downloads.

The async `telegram.Bot` lives on ONE event loop in a background thread for the adapter's whole
life (see channels/telegram/runtime.py); the sync `send`/`download` submit coroutines to it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import mimetypes
import re
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)

from bot.messages import Channel, InboundMedia, InboundMessage, Option
from channels.base import (
    DownloadedMedia,
    HeaderMap,
    MediaRefusedError,
    OutboundMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from channels.media_policy import MediaPolicy
from channels.telegram.format import (
    MAX_CAPTION_LENGTH,
    callback_data_for,
    split_text,
    telegram_length,
)
from channels.telegram.limits import RateLimitedError, TelegramRateLimiter, TelegramRateLimits
from channels.telegram.parse import MAX_UPDATE_BYTES, MalformedUpdateError, UpdateParser
from channels.telegram.runtime import FloodAwareRequest, FloodWait, LoopThread, protect_token

__all__ = [
    "ALLOWED_UPDATES",
    "MAX_UPDATE_BYTES",
    "SECRET_HEADER",
    "TELEGRAM_DOWNLOAD_LIMIT",
    "WEBHOOK_PATH",
    "MalformedUpdateError",
    "TelegramAdapter",
    "TelegramConfig",
    "TelegramTimeouts",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files on the public Bot API
UPLOAD_LIMIT = 50 * 1024 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MAX_INLINE_WAIT = 30.0
# A Bot API file path: "photos/file_3.jpg", "documents/file_12.pdf" (relative, no "..", no scheme).
_FILE_PATH_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}){0,3}")


@dataclass(frozen=True, slots=True)
class TelegramTimeouts:
    """Seconds for HTTP phases; `call` is a backstop for one whole Bot API call."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 2.0
    media_write: float = 60.0
    download_read: float = 60.0
    call: float = 180.0


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """Everything the Telegram adapter needs; built by the service from settings (no env here)."""

    bot_token: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    api_base_url: str | None = None
    public_base_url: str | None = None
    bot_username: str | None = None
    media_policy: MediaPolicy = field(
        default_factory=lambda: MediaPolicy(max_bytes=TELEGRAM_DOWNLOAD_LIMIT)
    )
    download_limit_bytes: int = TELEGRAM_DOWNLOAD_LIMIT
    download_attempts: int = 3
    retry_backoff: float = 1.0
    timeouts: TelegramTimeouts = field(default_factory=TelegramTimeouts)
    rate_limits: TelegramRateLimits = field(default_factory=TelegramRateLimits)
    allowed_updates: tuple[str, ...] = ALLOWED_UPDATES
    connection_pool_size: int = 8

    def __post_init__(self) -> None:
        if not self.bot_token or ":" not in self.bot_token:
            raise ValueError("bot_token must look like '<bot id>:<secret>' (from @BotFather)")
        if not _SECRET_RE.match(self.webhook_secret or ""):
            raise ValueError("webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, _ or -")
        if self.download_attempts < 1:
            raise ValueError("download_attempts must be at least 1")

    @property
    def base_url(self) -> str:
        """Bot API method URL prefix; the token is appended by python-telegram-bot."""
        return f"{(self.api_base_url or 'https://api.telegram.org').rstrip('/')}/bot"

    @property
    def base_file_url(self) -> str:
        """Bot API file download URL prefix; the token is appended by python-telegram-bot."""
        return f"{(self.api_base_url or 'https://api.telegram.org').rstrip('/')}/file/bot"

    @property
    def webhook_url(self) -> str | None:
        """Public URL Telegram posts updates to, from `public_base_url`."""
        if not self.public_base_url:
            return None
        return f"{self.public_base_url.rstrip('/')}{WEBHOOK_PATH}"


def _header(headers: HeaderMap, name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait from a RetryAfter, whether PTB gives an int or a timedelta."""
    raw: object = getattr(exc, "_retry_after", None)  # v22.2+: a timedelta, read without warning
    if raw is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = exc.retry_after
    if isinstance(raw, timedelta):
        return raw.total_seconds()
    return float(raw)  # type: ignore[arg-type]


class TelegramAdapter:
    """Telegram as InboundChannel (verify/parse the webhook), OutboundChannel and MediaSource."""

    channel = Channel.TELEGRAM

    def __init__(
        self,
        config: TelegramConfig,
        *,
        clock: Callable[[], datetime] | None = None,
        rate_limiter: TelegramRateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._redactor = protect_token(config.bot_token)
        self._parser = UpdateParser(config.bot_username, clock)
        self._limiter = rate_limiter or TelegramRateLimiter(config.rate_limits)
        self._sleep = sleep
        self._runner: LoopThread | None = None
        self._runner_lock = threading.Lock()
        self._bot: Bot | None = None
        self._bot_lock: asyncio.Lock | None = None  # created on the loop, guards initialization

    # --- webhook side (sync, no network) -------------------------------------------------

    def verify(
        self, url: str, headers: HeaderMap, form: Mapping[str, str], body: bytes
    ) -> bool:
        """True only when X-Telegram-Bot-Api-Secret-Token equals the configured secret."""
        got = _header(headers, SECRET_HEADER)
        if not got:
            return False
        return hmac.compare_digest(got.encode("utf-8"), self.config.webhook_secret.encode("utf-8"))

    def parse(
        self, headers: HeaderMap, form: Mapping[str, str], body: bytes
    ) -> list[InboundMessage]:
        """Normalize one update; raises MalformedUpdateError, [] for update types we ignore."""
        return self._parser.parse_body(body)

    # --- the long-lived loop and Bot -----------------------------------------------------

    @property
    def loop_thread(self) -> LoopThread:
        """The background loop (started on first use)."""
        with self._runner_lock:
            if self._runner is None:
                self._runner = LoopThread()
            return self._runner

    def _build_bot(self) -> Bot:
        t = self.config.timeouts

        def request(pool: int) -> FloodAwareRequest:
            return FloodAwareRequest(
                connection_pool_size=pool,
                connect_timeout=t.connect,
                read_timeout=t.read,
                write_timeout=t.write,
                pool_timeout=t.pool,
                media_write_timeout=t.media_write,
            )

        return Bot(
            self.config.bot_token,
            base_url=self.config.base_url,
            base_file_url=self.config.base_file_url,
            request=request(self.config.connection_pool_size),
            get_updates_request=request(1),
            local_mode=False,  # never: a local-mode Bot reads files from this machine's disk
        )

    async def _ready_bot(self) -> Bot:
        """The initialized Bot; concurrent first calls wait for one initialization."""
        if self._bot is not None:
            return self._bot
        if self._bot_lock is None:
            self._bot_lock = asyncio.Lock()
        async with self._bot_lock:
            if self._bot is None:
                bot = self._build_bot()
                try:
                    await bot.initialize()
                except BaseException:
                    await bot.shutdown()
                    raise
                self._bot = bot
        return self._bot

    def _call(self, action: Callable[[Bot], Awaitable[T]]) -> T:
        """Run `action(bot)` on the loop; raises TelegramError or TimeoutError unmapped."""

        async def job() -> T:
            return await action(await self._ready_bot())

        return self.loop_thread.run(job(), timeout=self.config.timeouts.call)

    def close(self) -> None:
        """Shut the Bot down, stop the loop and join its thread (safe to call twice)."""
        with self._runner_lock:
            runner, self._runner = self._runner, None
        if runner is None:
            return
        bot, self._bot, self._bot_lock = self._bot, None, None
        if bot is not None and runner.running:
            try:
                runner.run(bot.shutdown(), timeout=10)
            except Exception as exc:
                log.warning("telegram bot shutdown failed: %s", self._clean(exc))
        runner.stop()

    def __enter__(self) -> TelegramAdapter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- error mapping ---------------------------------------------------------------------

    def _clean(self, exc: BaseException) -> str:
        return self._redactor.redact(f"{type(exc).__name__}: {exc}")

    def _send_error(self, exc: Exception) -> Exception:
        """Map a client failure to TransientSendError / PermanentSendError (token-free text)."""
        reason = self._clean(exc)
        wait = _flood_wait(exc)
        if wait is not None:
            return TransientSendError(reason, retry_after=wait)
        code = _permanent_code(exc)
        if code is not None:
            return PermanentSendError(reason, code=code)
        if isinstance(exc, TelegramError | TimeoutError):
            # TimedOut, NetworkError (5xx, connection), InvalidToken (a config fix away), others
            return TransientSendError(reason)
        return PermanentSendError(reason, code="internal")

    # --- sending -------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver text/options/media to a chat; answers message.callback_query_id first.

        The first `message.skip_parts` parts went out in an earlier attempt and are not resent;
        a transient failure part-way carries this attempt's ids in `sent_ids`.
        """
        skip = max(0, message.skip_parts)
        if message.callback_query_id and not skip:
            self._answer_callback(message.callback_query_id)
        chat_id = _chat_id(message.recipient)
        steps = self._plan(message, chat_id)
        if not steps:
            if message.callback_query_id:
                return SendResult((), status="answered")
            raise PermanentSendError("nothing to send", code="empty")
        if skip >= len(steps):
            log.warning("telegram: all %d part(s) went out in earlier attempts", len(steps))
            return SendResult(())
        ids: list[str] = []
        for step in steps[skip:]:
            try:
                sent = self._send_step(chat_id, step, continuation=bool(ids))
            except (TransientSendError, PermanentSendError) as exc:
                raise _with_progress(exc, tuple(ids), skip, len(steps)) from None
            ids.append(f"{chat_id}:{sent.message_id}")
        return SendResult(tuple(ids))

    def _answer_callback(self, callback_query_id: str) -> None:
        """Answer a button press so the client stops its spinner; failures are only logged."""
        try:
            self._limiter.take_overall()
            self._call(lambda bot: bot.answer_callback_query(callback_query_id))
        except Exception as exc:
            log.warning("answerCallbackQuery failed: %s", self._clean(exc))

    def _send_step(
        self, chat_id: int | str, step: Callable[[Bot], Awaitable[Message]], *, continuation: bool
    ) -> Message:
        """Send one part; later parts of a split message retry in place to avoid resending."""
        attempts = 3 if continuation else 1
        for attempt in range(1, attempts + 1):
            try:
                self._limiter.acquire(chat_id, bounded=not continuation)
                return self._call(step)
            except RateLimitedError as exc:
                raise TransientSendError(str(exc), retry_after=exc.retry_after) from None
            except Exception as exc:
                mapped = self._send_error(exc)
                if not isinstance(mapped, TransientSendError) or attempt == attempts:
                    raise mapped from None
                self._sleep(min(mapped.retry_after or self.config.retry_backoff, _MAX_INLINE_WAIT))
        raise AssertionError("unreachable")  # pragma: no cover

    def _plan(
        self, message: OutboundMessage, chat_id: int | str
    ) -> list[Callable[[Bot], Awaitable[Message]]]:
        """The Bot API calls for one outbound message, keyboard on the last one."""
        markup = _keyboard(message.options)
        text = message.text or _options_text(message.options)
        steps: list[Callable[[Bot], Awaitable[Message]]] = []
        parts = split_text(text) if text.strip() else []
        if message.media_path:
            fits = len(parts) == 1 and telegram_length(parts[0]) <= MAX_CAPTION_LENGTH
            caption = parts.pop() if fits else None
            steps.append(self._media_step(message, chat_id, caption, None if parts else markup))
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            steps.append(_text_step(chat_id, part, markup if last else None))
        return steps

    def _media_step(
        self,
        message: OutboundMessage,
        chat_id: int | str,
        caption: str | None,
        markup: InlineKeyboardMarkup | None,
    ) -> Callable[[Bot], Awaitable[Message]]:
        path = Path(message.media_path or "")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise PermanentSendError(f"media file unreadable: {exc.strerror}", "media_missing") from None
        if len(content) > UPLOAD_LIMIT:
            raise PermanentSendError("file is larger than Telegram's 50 MB upload limit", "too_large")
        filename = message.media_filename or path.name
        ctype = (message.media_content_type or mimetypes.guess_type(filename)[0] or "").lower()
        if ctype in PHOTO_TYPES and len(content) <= PHOTO_LIMIT:
            return lambda bot: bot.send_photo(
                chat_id, content, caption=caption, reply_markup=markup, filename=filename
            )
        return lambda bot: bot.send_document(
            chat_id, content, caption=caption, reply_markup=markup, filename=filename
        )

    # --- downloads -----------------------------------------------------------------------

    def download(self, media: InboundMedia) -> DownloadedMedia:
        """getFile + download with retries; refuses files over 20 MB before downloading."""
        limit = self.config.download_limit_bytes
        _check_size(media.size, limit)
        self.config.media_policy.check(media.content_type, media.filename, media.size)
        last: TransientSendError | None = None
        for attempt in range(self.config.download_attempts):
            if last is not None:
                self._sleep(min(last.retry_after or self.config.retry_backoff * 2**attempt, 30.0))
            try:
                return self._download_once(media, limit)
            except (MediaRefusedError, PermanentSendError):
                raise
            except Exception as exc:
                last = self._download_error(exc)
        assert last is not None
        raise last

    def _download_error(self, exc: Exception) -> TransientSendError:
        mapped = self._send_error(exc)
        if isinstance(mapped, TransientSendError):
            return mapped
        text = str(exc).lower()
        if "too big" in text:
            raise MediaRefusedError("Telegram refuses files over 20 MB", "too_large") from None
        raise MediaRefusedError("the file is not available any more", "unavailable") from None

    def _download_once(self, media: InboundMedia, limit: int) -> DownloadedMedia:
        timeouts = self.config.timeouts

        async def fetch(bot: Bot) -> tuple[bytes, str]:
            file = await bot.get_file(media.ref)
            _check_size(file.file_size, limit)
            relative = bot_api_file_path(file.file_path, bot.base_file_url)
            # Fetched by URL from the Bot API, never through File.download_*, which read a local path.
            data = await bot.request.retrieve(
                f"{bot.base_file_url}/{relative}", read_timeout=timeouts.download_read
            )
            return bytes(data), relative

        content, relative = self._call(fetch)
        _check_size(len(content), limit)
        filename = media.filename or (PurePosixPath(relative).name if relative else None)
        ctype = media.content_type or (mimetypes.guess_type(filename)[0] if filename else None)
        ctype = self.config.media_policy.check_content(content, ctype, filename)
        return DownloadedMedia(content=content, content_type=ctype, filename=filename)

    # --- webhook management (CLI) ----------------------------------------------------------

    def set_webhook(self, url: str | None = None, *, drop_pending_updates: bool = False) -> str:
        """Point Telegram at our webhook with the secret and explicit allowed_updates."""
        target = url or self.config.webhook_url
        if not target:
            raise ValueError("no webhook URL: set the public base URL")
        try:
            self._call(
                lambda bot: bot.set_webhook(
                    target,
                    allowed_updates=list(self.config.allowed_updates),
                    secret_token=self.config.webhook_secret,
                    drop_pending_updates=drop_pending_updates,
                )
            )
        except Exception as exc:
            raise self._send_error(exc) from None
        return target

    def webhook_info(self) -> dict[str, Any]:
        """What Telegram says about the current webhook (url, pending count, last error...)."""
        try:
            info = self._call(lambda bot: bot.get_webhook_info())
        except Exception as exc:
            raise self._send_error(exc) from None
        return dict(info.to_dict())


def bot_api_file_path(file_path: str | None, base_file_url: str) -> str:
    """The relative Bot API path of a getFile answer, or MediaRefusedError for anything else.

    python-telegram-bot leaves a path that names an existing local file as it is (its "local mode")
    and would read that file; a path from the Bot API is relative ("documents/file_7.pdf"), so an
    absolute one, one with "..", a scheme or odd characters is refused before any download.
    """
    # PTB prefixes the base URL unless the path happens to name a file in the working directory.
    relative = (file_path or "").removeprefix(f"{base_file_url}/")
    if not _FILE_PATH_RE.fullmatch(relative) or ".." in relative.split("/"):
        raise MediaRefusedError("the Bot API gave an unsafe file path", "unavailable")
    return relative


def _with_progress(
    exc: TransientSendError | PermanentSendError, ids: tuple[str, ...], skipped: int, total: int
) -> TransientSendError | PermanentSendError:
    """The same error, naming the parts already delivered; a transient one carries their ids."""
    done = skipped + len(ids)
    if not done:
        return exc
    reason = f"{exc.reason} (after {done} of {total} parts)"
    if isinstance(exc, TransientSendError):
        return TransientSendError(reason, retry_after=exc.retry_after, sent_ids=ids)
    return type(exc)(reason, code=exc.code)


def _flood_wait(exc: Exception) -> float | None:
    if isinstance(exc, FloodWait):
        return exc.seconds
    if isinstance(exc, RetryAfter):
        return retry_after_seconds(exc)
    return None


# BadRequest subclasses NetworkError, so these are tested before the transient kinds.
_PERMANENT = ((ChatMigrated, "chat_migrated"), (Forbidden, "forbidden"), (BadRequest, "bad_request"))


def _permanent_code(exc: Exception) -> str | None:
    return next((code for kind, code in _PERMANENT if isinstance(exc, kind)), None)


def _check_size(size: int | None, limit: int) -> None:
    if size is not None and size > limit:
        mb = limit // (1024 * 1024)
        raise MediaRefusedError(f"file is {size} bytes; Telegram bots get files up to {mb} MB", "too_large")


def _chat_id(recipient: str) -> int | str:
    value = recipient.strip()
    if value.startswith("@") and len(value) > 1:
        return value
    try:
        return int(value)
    except ValueError:
        raise PermanentSendError(f"not a Telegram chat id: {value!r}", code="bad_recipient") from None


def _keyboard(options: tuple[Option, ...]) -> InlineKeyboardMarkup | None:
    if not options:
        return None
    rows = [
        [InlineKeyboardButton(option.title or option.id, callback_data=callback_data_for(option.id))]
        for option in options
    ]
    return InlineKeyboardMarkup(rows)


def _options_text(options: tuple[Option, ...]) -> str:
    return "\n".join(f"{n}. {option.title}" for n, option in enumerate(options, start=1))


def _text_step(
    chat_id: int | str, text: str, markup: InlineKeyboardMarkup | None
) -> Callable[[Bot], Awaitable[Message]]:
    return lambda bot: bot.send_message(chat_id, text, reply_markup=markup)
