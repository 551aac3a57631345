"""Downloading customers' WhatsApp media from Twilio: basic auth, redirects, retries, limits."""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote, urlsplit

import requests

from bot.messages import InboundMedia
from channels.base import DownloadedMedia, MediaRefusedError, PermanentSendError, TransientSendError
from channels.media_policy import MediaPolicy

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_MAX_REDIRECTS = 5
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class _RetryableDownloadError(Exception):
    """A download attempt failed but may succeed shortly (404 right after the webhook, 5xx)."""


@dataclass(frozen=True, slots=True)
class TwilioMediaDownloader:
    """Gets media with Twilio's basic auth, following redirects, with retries and limits."""

    credentials: tuple[str, str]
    credential_hosts: frozenset[str]
    policy: MediaPolicy
    timeout: float
    retries: int
    backoff: float
    sleep: Callable[[float], None] = time.sleep

    def fetch(self, media: InboundMedia) -> DownloadedMedia:
        """Download `media.ref`; raise MediaRefused, PermanentSend or TransientSend errors."""
        attempts = self.retries + 1
        last_error = "no attempt made"
        for attempt in range(attempts):
            try:
                return self._fetch_once(media)
            except _RetryableDownloadError as exc:
                last_error = str(exc)
                logger.info(
                    "whatsapp media not ready (attempt %d/%d): %s", attempt + 1, attempts, exc
                )
                if attempt + 1 < attempts:
                    self.sleep(self.backoff * (2**attempt))
        raise TransientSendError(f"media download failed after {attempts} attempts: {last_error}")

    def _auth_for(self, url: str) -> tuple[str, str] | None:
        """Send the account credentials only to Twilio's own hosts (or the configured API base)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.lower()
        if netloc in self.credential_hosts:
            return self.credentials
        if parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com")):
            return self.credentials
        return None

    def _fetch_once(self, media: InboundMedia) -> DownloadedMedia:
        """One GET; redirects are followed and cross-host ones lose the auth header."""
        with requests.Session() as session:
            session.max_redirects = _MAX_REDIRECTS
            try:
                response = session.get(
                    media.ref,
                    auth=self._auth_for(media.ref),
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=True,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _RetryableDownloadError(f"network error: {type(exc).__name__}") from None
            except requests.TooManyRedirects:
                raise PermanentSendError(
                    "media URL redirects too many times", "too_many_redirects"
                ) from None
            with response:
                return self._read(media, response)

    def _read(self, media: InboundMedia, response: requests.Response) -> DownloadedMedia:
        """Check the answer's status, declared size and type, then stream the body under the cap."""
        status = response.status_code
        if status in (404, 408, 429) or status >= 500:
            raise _RetryableDownloadError(f"HTTP {status}")
        if status >= 400:
            raise PermanentSendError(f"media download refused with HTTP {status}", f"http_{status}")
        content_type = _content_type(response, media)
        filename = _filename(response, media, content_type)
        for declared_type in {content_type, media.content_type}:
            self.policy.check(declared_type, filename, _declared_length(response))
        content = _read_capped(response, self.policy.max_bytes)
        self.policy.check_content(content, content_type, filename)
        return DownloadedMedia(content=content, content_type=content_type, filename=filename)


def _declared_length(response: requests.Response) -> int | None:
    """The Content-Length the server declared, when it is a sane number."""
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _read_capped(response: requests.Response, max_bytes: int) -> bytes:
    """Read the body in chunks and stop as soon as it grows past `max_bytes`."""
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(chunk_size=_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise MediaRefusedError(
                    f"file is larger than the {max_bytes}-byte limit", "too_large"
                )
            chunks.append(chunk)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _RetryableDownloadError(
            f"network error while reading: {type(exc).__name__}"
        ) from None
    return b"".join(chunks)


def _content_type(response: requests.Response, media: InboundMedia) -> str | None:
    """The served type, unless it is missing or generic and the webhook declared a better one."""
    served = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if served in _GENERIC_TYPES and media.content_type:
        return media.content_type
    return served or media.content_type


def _filename(response: requests.Response, media: InboundMedia, content_type: str | None) -> str:
    """A safe file name: Content-Disposition, else the provider's name, else URL + extension."""
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        named = _safe_name(message.get_filename())
        if named:
            return named
    provided = _safe_name(media.filename)
    if provided:
        return provided
    stem = _safe_name(unquote(posixpath.basename(urlsplit(media.ref).path))) or "media"
    extension = mimetypes.guess_extension(content_type or "") or ""
    return stem if posixpath.splitext(stem)[1] else f"{stem}{extension}"


def _safe_name(name: str | None) -> str | None:
    """Keep only the last path component, without control or path characters."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_NAME_CHARS.sub("_", base).strip(" .")
    return cleaned[:200] or None
