"""Downloading customers' WhatsApp media from Twilio: basic auth, redirects, retries, limits."""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
import posixpath
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import unquote, urljoin, urlsplit

import requests

from bot.messages import InboundMedia
from channels.base import DownloadedMedia, MediaRefusedError, PermanentSendError, TransientSendError
from channels.media_policy import MediaPolicy

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_MAX_REDIRECTS = 5
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


# Where Twilio serves customers' media: the API (which answers with a redirect) and its media CDN.
# An entry starting with "." allows that domain's subdomains.
DEFAULT_MEDIA_HOSTS = ("api.twilio.com", "media.twiliocdn.com", "mms.twiliocdn.com", ".twiliocdn.com")
_SCHEMES = frozenset({"http", "https"})

# host, port -> every address the host resolves to.
Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (socket.getaddrinfo)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


class _RetryableDownloadError(Exception):
    """A download attempt failed but may succeed shortly (404 right after the webhook, 5xx)."""


@dataclass(frozen=True, slots=True)
class MediaSourcePolicy:
    """Which URLs the fetcher may open: http(s) on the provider's hosts, public addresses only.

    `trusted_netlocs` (the configured API base URL, e.g. a local fake in tests) are accepted as
    configured; `allow_private` (tests only) lets allowlisted hosts resolve to private addresses.
    """

    hosts: tuple[str, ...] = DEFAULT_MEDIA_HOSTS
    trusted_netlocs: frozenset[str] = frozenset()
    allow_private: bool = False
    resolver: Resolver = field(default=system_resolver, repr=False)

    def check(self, url: str) -> None:
        """Raise MediaRefusedError (permanent) unless `url` may be fetched; DNS failures may retry."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in _SCHEMES:
            raise MediaRefusedError(f"media URL scheme {parts.scheme!r} is not allowed", "forbidden_source")
        try:
            host, port = (parts.hostname or "").lower().rstrip("."), parts.port
        except ValueError:
            raise MediaRefusedError("media URL has an invalid port", "forbidden_source") from None
        if not host or parts.username is not None or parts.password is not None:
            raise MediaRefusedError("media URL has no usable host", "forbidden_source")
        if parts.netloc.lower() in self.trusted_netlocs:
            return
        if not self._allowed_host(host):
            raise MediaRefusedError(f"media host {host} is not one of the provider's", "forbidden_source")
        if not self.allow_private:
            self._check_addresses(host, port or (443 if parts.scheme.lower() == "https" else 80))

    def _allowed_host(self, host: str) -> bool:
        return any(host == entry or (entry.startswith(".") and host.endswith(entry)) for entry in self.hosts)

    def _check_addresses(self, host: str, port: int) -> None:
        """Every address the host resolves to must be a public one (no private, loopback, link-local)."""
        try:
            addresses = list(self.resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise _RetryableDownloadError(f"cannot resolve media host: {type(exc).__name__}") from None
        if not addresses:
            raise _RetryableDownloadError("media host resolves to no address")
        for address in addresses:
            if not _is_public(address):
                raise MediaRefusedError(
                    f"media host {host} resolves to a non-public address", "forbidden_source"
                )


def _is_public(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 judged as its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


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
    sources: MediaSourcePolicy = field(default_factory=MediaSourcePolicy)

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
        """One GET; each redirect is checked like the first URL and cross-host ones lose the auth."""
        url = media.ref
        with requests.Session() as session:
            session.trust_env = False  # no proxy or .netrc from the environment
            for _ in range(_MAX_REDIRECTS + 1):
                self.sources.check(url)
                response = self._get(session, url)
                location = response.headers.get("Location") if response.is_redirect else None
                if location is None:
                    with response:
                        return self._read(media, response)
                response.close()
                url = urljoin(url, location)
        raise PermanentSendError("media URL redirects too many times", "too_many_redirects")

    def _get(self, session: requests.Session, url: str) -> requests.Response:
        """GET one URL without following redirects; network failures may be retried."""
        try:
            return session.get(
                url, auth=self._auth_for(url), timeout=self.timeout, stream=True, allow_redirects=False
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _RetryableDownloadError(f"network error: {type(exc).__name__}") from None
        except requests.RequestException as exc:  # invalid URL, schema and the like: never better
            reason = f"media URL cannot be fetched: {type(exc).__name__}"
            raise MediaRefusedError(reason, "forbidden_source") from None

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
        content_type = self.policy.check_content(content, content_type, filename)
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
