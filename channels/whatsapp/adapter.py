"""WhatsApp through Twilio: verify and parse webhooks, send, download media, the 24 h rule."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.messages import Channel, InboundMedia, InboundMessage, Location, MediaKind, Option
from channels.base import (
    DownloadedMedia,
    HeaderMap,
    OutboundMessage,
    OutsideWindowError,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from channels.media_policy import MediaPolicy
from channels.whatsapp.media import (
    DEFAULT_MEDIA_HOSTS,
    MediaSourcePolicy,
    Resolver,
    TwilioMediaDownloader,
    system_resolver,
)
from channels.whatsapp.text import TEXT_LIMIT, numbered_options, split_text, utf16_len

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW_CODE = "63016"
SIGNATURE_HEADER = "X-Twilio-Signature"
PREFIX = "whatsapp:"
# twilio/quick-reply limits: 3 buttons in a session message, titles of at most 20 characters,
# a body of at most 1024 characters.
QUICK_REPLY_MAX_BUTTONS = 3
QUICK_REPLY_MAX_TITLE = 20
QUICK_REPLY_MAX_BODY = 1024
MEDIA_CAPTION_LIMIT = 1024
FAILED_STATUSES = frozenset({"failed", "undelivered"})
# Bounds checked before anything reaches the database (a longer value is no real Twilio value and
# would fail as a 500 on PostgreSQL's bounded columns): the message sid, the addresses, the status.
MAX_SID_LENGTH = 100
MAX_ADDRESS_LENGTH = 254
MAX_STATUS_LENGTH = 20
# Twilio delivers at most 10 media items per WhatsApp message; more is a forged or broken form.
MAX_NUM_MEDIA = 10
MAX_MEDIA_URL_LENGTH = 500
MAX_MEDIA_TYPE_LENGTH = 120
# A non-empty mapping with empty values: keeps twilio's Client from reading TWILIO_EDGE /
# TWILIO_REGION from os.environ (an empty dict would fall back to os.environ).
_NO_ENVIRONMENT = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}


@dataclass(frozen=True, slots=True)
class WhatsAppConfig:
    """Everything the WhatsApp adapter needs; built by the settings module, never from env here."""

    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_base_url: str | None = None
    status_callback_url: str | None = None
    quick_reply_templates: Mapping[str, str] = field(default_factory=dict)
    notification_templates: Mapping[str, str] = field(default_factory=dict)
    media_policy: MediaPolicy = field(default_factory=MediaPolicy)
    request_timeout: float = 10.0
    download_timeout: float = 30.0
    download_retries: int = 3
    download_backoff: float = 1.0
    text_limit: int = TEXT_LIMIT
    # Hosts customers' media may be fetched from ("." + domain allows its subdomains); the API base
    # URL's host is always allowed. Private, loopback and link-local addresses are refused unless
    # `media_allow_private` (local tests and development only).
    media_hosts: tuple[str, ...] = DEFAULT_MEDIA_HOSTS
    media_allow_private: bool = False

    def __post_init__(self) -> None:
        """Refuse configurations that could only fail later, at send time."""
        if not self.account_sid or not self.auth_token:
            raise ValueError("account_sid and auth_token are required")
        if not self.from_number and not self.messaging_service_sid:
            raise ValueError("a from_number or a messaging_service_sid is required")
        if self.from_number and not self.from_number.startswith(PREFIX):
            raise ValueError(
                f"from_number must look like 'whatsapp:+14155238886', got {self.from_number!r}"
            )
        if self.request_timeout <= 0 or self.download_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.download_retries < 0 or self.download_backoff < 0 or self.text_limit < 1:
            raise ValueError(
                "download_retries, download_backoff and text_limit must not be negative"
            )
        object.__setattr__(
            self, "quick_reply_templates", MappingProxyType(dict(self.quick_reply_templates))
        )
        object.__setattr__(
            self, "notification_templates", MappingProxyType(dict(self.notification_templates))
        )


class MalformedWebhookError(ValueError):
    """A signed webhook whose fields are out of bounds or not what Twilio sends (answered 400)."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One delivery-status callback for a message we sent."""

    message_sid: str
    status: str
    error_code: str | None = None
    error_message: str | None = None
    recipient: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when WhatsApp will not deliver this message (failed or undelivered)."""
        return self.status in FAILED_STATUSES

    @property
    def outside_window(self) -> bool:
        """True when the message was refused because the 24-hour window was closed (63016)."""
        return self.error_code == OUTSIDE_WINDOW_CODE


def is_within_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Tell whether free-form messages may still reach a contact (last inbound < 24 h ago)."""
    if last_inbound_at is None:
        return False
    if last_inbound_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("is_within_window needs timezone-aware datetimes")
    return now - last_inbound_at < WINDOW


def e164(address: str) -> str:
    """Strip the 'whatsapp:' prefix: 'whatsapp:+56912345678' -> '+56912345678'."""
    value = address.strip()
    return value[len(PREFIX) :] if value.startswith(PREFIX) else value


def whatsapp_address(recipient: str) -> str:
    """Twilio's WhatsApp address for a recipient given as E.164 or already prefixed."""
    number = e164(recipient)
    if not number:
        raise PermanentSendError("empty WhatsApp recipient", "invalid_recipient")
    return f"{PREFIX}{number if number.startswith('+') else '+' + number}"


def media_kind(content_type: str | None) -> MediaKind:
    """Classify a MIME type into the normalized media kinds."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    for prefix, kind in (
        ("image/", MediaKind.IMAGE),
        ("audio/", MediaKind.AUDIO),
        ("video/", MediaKind.VIDEO),
    ):
        if ctype.startswith(prefix):
            return kind
    if ctype.startswith(("application/", "text/")):
        return MediaKind.DOCUMENT
    return MediaKind.OTHER


def quick_reply_variables(text: str, options: Sequence[Option]) -> dict[str, str]:
    """ContentVariables for a quick-reply template: {{1}} body, then title/id pairs from {{2}}."""
    variables = {"1": text}
    for index, option in enumerate(options):
        variables[str(2 + 2 * index)] = option.title
        variables[str(3 + 2 * index)] = option.id
    return variables


def _header(headers: HeaderMap, name: str) -> str | None:
    """Case-insensitive header lookup over any mapping."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Parse a Retry-After header given as seconds or as an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


HTTP_POOL_SIZE = 32  # kept-alive connections to Twilio (the outbox sends up to OUTBOX_CONCURRENCY at once)


class _RoutedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """twilio's own HTTP client, optionally re-rooted at another base URL, remembering headers."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        # twilio keeps min(32, CPUs + 4) connections: on a 2-core host, 6 for the worker's 16 parallel
        # sends, so most sends would pay a new TLS handshake. Keep one per sender thread.
        for scheme in ("https://", "http://"):
            self.session.mount(scheme, HTTPAdapter(pool_connections=4, pool_maxsize=HTTP_POOL_SIZE))
        self._base_url = base_url.rstrip("/") if base_url else None
        self._local = threading.local()

    def route(self, url: str) -> str:
        """Replace scheme and host of a Twilio API URL with the configured base URL."""
        if not self._base_url:
            return url
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self._base_url}{parts.path}{query}"

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        """Send through twilio's client and keep this thread's last response headers."""
        self._local.headers = {}
        response = super().request(
            method,
            self.route(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self._local.headers = dict(response.headers or {})
        return response

    def last_headers(self) -> Mapping[str, str]:
        """Headers of the last response this thread received (for Retry-After)."""
        headers: Mapping[str, str] = getattr(self._local, "headers", {})
        return headers


class WhatsAppAdapter:
    """The WhatsApp channel through Twilio, an InboundChannel, OutboundChannel and MediaSource."""

    channel = Channel.WHATSAPP

    def __init__(
        self,
        config: WhatsAppConfig,
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._config = config
        self._clock = clock or (lambda: datetime.now(UTC))
        self._validator = RequestValidator(config.auth_token)
        self._http = _RoutedHttpClient(config.api_base_url, config.request_timeout)
        self._client = Client(
            config.account_sid,
            config.auth_token,
            http_client=self._http,
            environment=_NO_ENVIRONMENT,
        )
        base_netloc = urlsplit(config.api_base_url).netloc.lower() if config.api_base_url else ""
        self._downloader = TwilioMediaDownloader(
            credentials=(config.account_sid, config.auth_token),
            credential_hosts=frozenset({base_netloc} - {""}),
            policy=config.media_policy,
            timeout=config.download_timeout,
            retries=config.download_retries,
            backoff=config.download_backoff,
            sleep=sleep,
            sources=MediaSourcePolicy(
                hosts=tuple(host.lower() for host in config.media_hosts),
                trusted_netlocs=frozenset({base_netloc} - {""}),
                allow_private=config.media_allow_private,
                resolver=resolver,
            ),
        )

    def __repr__(self) -> str:
        return f"WhatsAppAdapter(account_sid={self._config.account_sid!r})"

    def close(self) -> None:
        """Release the pooled HTTP connections of the REST client."""
        if self._http.session is not None:
            self._http.session.close()

    # --- inbound -----------------------------------------------------------------------------

    def verify(
        self, url: str, headers: HeaderMap, form: Mapping[str, str], body: bytes
    ) -> bool:
        """Check X-Twilio-Signature over the public URL and the whole, unfiltered form."""
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            return False
        params: Any = form if hasattr(form, "getlist") else {key: form[key] for key in form}
        return bool(self._validator.validate(url, params, signature))

    def parse(
        self, headers: HeaderMap, form: Mapping[str, str], body: bytes
    ) -> list[InboundMessage]:
        """Turn an incoming-message webhook into one normalized message (none for strays)."""
        form = _without_nul(form)
        sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
        _check_bounds(form, sid)
        sender = self._sender(form)
        if not sid or not sender or self._is_stray_status(form):
            return []
        return [
            InboundMessage(
                channel=Channel.WHATSAPP,
                sender_id=sender,
                provider_message_id=sid,
                received_at=self._clock(),
                text=(form.get("Body") or form.get("ButtonText") or "").strip(),
                button_payload=form.get("ButtonPayload") or None,
                media=_media_items(form),
                location=_location(form),
                profile_name=(form.get("ProfileName") or "").strip() or None,
                raw={key: form[key] for key in form},
            )
        ]

    def parse_status(self, form: Mapping[str, str]) -> StatusUpdate:
        """Read a status callback; ValueError when the form is not one."""
        form = _without_nul(form)
        sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
        status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
        _check_bounds(form, sid)
        if not sid or not status:
            raise ValueError(
                "not a Twilio status callback: MessageSid and MessageStatus are required"
            )
        error_message = form.get("ErrorMessage") or form.get("ChannelStatusMessage") or None
        return StatusUpdate(
            message_sid=sid,
            status=status,
            error_code=(form.get("ErrorCode") or "").strip() or None,
            error_message=error_message,
            recipient=e164(form["To"]) if form.get("To") else None,
            raw={key: form[key] for key in form},
        )

    def _sender(self, form: Mapping[str, str]) -> str | None:
        """The customer's E.164 number, from From (falling back to WaId)."""
        number = e164(form.get("From") or "")
        if number and not number.startswith("+") and number.isdigit():
            number = f"+{number}"
        if not number and form.get("WaId"):
            number = f"+{form['WaId'].strip().lstrip('+')}"
        own = e164(self._config.from_number or "")
        return None if not number or number == own else number

    @staticmethod
    def _is_stray_status(form: Mapping[str, str]) -> bool:
        """A status callback posted to the message URL by mistake, not a customer message."""
        sms_status = (form.get("SmsStatus") or "").lower()
        return bool(form.get("MessageStatus")) and sms_status not in ("", "received")

    # --- outbound ----------------------------------------------------------------------------

    def template_for(self, kind: str) -> str | None:
        """The approved ContentSid configured for a notification kind, if any."""
        return self._config.notification_templates.get(kind)

    def quick_reply_for(self, message: OutboundMessage) -> str | None:
        """The quick-reply ContentSid for this message, or None to fall back to numbered text."""
        sid = self._config.quick_reply_templates.get(message.step or "")
        options = message.options
        usable = (
            sid is not None
            and 1 <= len(options) <= QUICK_REPLY_MAX_BUTTONS
            and 0 < utf16_len(message.text) <= QUICK_REPLY_MAX_BODY
            and all(0 < utf16_len(option.title) <= QUICK_REPLY_MAX_TITLE for option in options)
        )
        return sid if usable else None

    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message: template, quick-reply, or text (split) with optional media.

        A split text skips its first `message.skip_parts` parts (delivered by an earlier attempt);
        a template or quick-reply is one call and is never partly delivered, so it ignores them.
        """
        base = self._base_params(message)
        if message.template_sid:
            variables = dict(message.template_variables)
            return self._send_all([{**base, **_content_params(message.template_sid, variables)}])
        if message.options:
            quick_reply = self.quick_reply_for(message)
            if quick_reply:
                variables = quick_reply_variables(message.text.strip(), message.options)
                return self._send_all([{**base, **_content_params(quick_reply, variables)}])
        text = numbered_options(message.text, message.options) if message.options else message.text
        calls = [{**base, **part} for part in self._text_and_media(message, text)]
        return self._send_all(calls, skip=max(0, message.skip_parts))

    def _base_params(self, message: OutboundMessage) -> dict[str, Any]:
        """Recipient, sender and status callback shared by every part of a message."""
        params: dict[str, Any] = {"to": whatsapp_address(message.recipient)}
        if self._config.from_number:
            params["from_"] = self._config.from_number
        else:
            params["messaging_service_sid"] = self._config.messaging_service_sid
        callback = message.status_callback_url or self._config.status_callback_url
        if callback:
            params["status_callback"] = callback
        return params

    def _text_and_media(self, message: OutboundMessage, text: str) -> list[dict[str, Any]]:
        """The ordered API calls for a text (split politely) and an optional media URL."""
        if message.media_path and not message.media_url:
            raise PermanentSendError(
                "Twilio needs a public media_url to send a file", "media_url_missing"
            )
        parts: list[dict[str, Any]] = [
            {"body": part} for part in split_text(text, self._config.text_limit)
        ]
        if message.media_url:
            caption_fits = bool(parts) and utf16_len(parts[-1]["body"]) <= MEDIA_CAPTION_LIMIT
            media_part: dict[str, Any] = parts.pop() if caption_fits else {}
            parts.append({**media_part, "media_url": [message.media_url]})
        if not parts:
            raise PermanentSendError("nothing to send: empty text and no media", "empty_message")
        return parts

    def _send_all(self, calls: list[dict[str, Any]], skip: int = 0) -> SendResult:
        """Create the messages in order after the first `skip`; map errors to the outbox's kinds.

        A transient failure carries the sids of the parts this attempt did deliver (`sent_ids`),
        so the outbox retries only the rest.
        """
        if skip >= len(calls):
            logger.warning("whatsapp: all %d part(s) went out in earlier attempts", len(calls))
            return SendResult(provider_message_ids=(), status="sent")
        sids: list[str] = []
        status = "queued"
        for params in calls[skip:]:
            try:
                created = self._client.messages.create(**params)
            except (TwilioRestException, TwilioException, requests.RequestException) as exc:
                raise self._map_error(exc, _Progress(skip, tuple(sids), len(calls))) from None
            sids.append(str(created.sid))
            status = str(created.status or status)
        logger.info("whatsapp sent %d part(s): %s", len(sids), ",".join(sids))
        return SendResult(provider_message_ids=tuple(sids), status=status)

    def _map_error(self, exc: Exception, progress: _Progress) -> Exception:
        """Translate a twilio/requests exception into Transient, OutsideWindow or Permanent."""
        done, sent_ids = progress.note(), progress.sent_ids
        if isinstance(exc, requests.Timeout):
            return TransientSendError(f"timed out talking to Twilio{done}", sent_ids=sent_ids)
        if isinstance(exc, requests.RequestException):
            return TransientSendError(
                f"network error talking to Twilio: {type(exc).__name__}{done}", sent_ids=sent_ids
            )
        status = int(getattr(exc, "status", 0) or 0)
        code = str(getattr(exc, "code", "") or status or "")
        reason = str(getattr(exc, "msg", "") or getattr(exc, "detail", "") or type(exc).__name__)
        logger.warning("whatsapp send failed: HTTP %s code %s%s", status, code, done)
        if code == OUTSIDE_WINDOW_CODE:
            return OutsideWindowError(f"outside the 24-hour window: {reason}{done}", code)
        if status == 429 or status >= 500 or status == 0:
            retry_after = _retry_after_seconds(
                _header(self._http.last_headers(), "Retry-After"), self._clock()
            )
            return TransientSendError(
                f"Twilio HTTP {status} ({code}): {reason}{done}", retry_after, sent_ids=sent_ids
            )
        return PermanentSendError(f"Twilio refused the message: {reason}{done}", code)

    # --- media -------------------------------------------------------------------------------

    def download(self, media: InboundMedia) -> DownloadedMedia:
        """Fetch a customer's file with the account's basic auth, under the media policy."""
        return self._downloader.fetch(media)


@dataclass(frozen=True, slots=True)
class _Progress:
    """How far a split message got: parts skipped, sids sent in this attempt, parts in all."""

    skipped: int
    sent_ids: tuple[str, ...]
    total: int

    def note(self) -> str:
        """' (after 1 of 2 parts: SM…)' for an error reason, or '' when nothing went out yet."""
        sent = self.skipped + len(self.sent_ids)
        if not sent:
            return ""
        earlier = f"{self.skipped} earlier" if self.skipped else ""
        listed = ", ".join(x for x in (earlier, *self.sent_ids) if x)
        return f" (after {sent} of {self.total} parts: {listed})"


def _content_params(content_sid: str, variables: Mapping[str, str]) -> dict[str, Any]:
    """ContentSid + ContentVariables (JSON); Body and MediaUrl must not accompany a template."""
    params: dict[str, Any] = {"content_sid": content_sid}
    if variables:
        params["content_variables"] = json.dumps(dict(variables), ensure_ascii=False)
    return params


def _without_nul(form: Mapping[str, str]) -> dict[str, str]:
    """The form (first value per name) without NUL characters, which PostgreSQL text cannot store."""
    return {key.replace("\x00", ""): form[key].replace("\x00", "") for key in form}


def _check_bounds(form: Mapping[str, str], sid: str) -> None:
    """Refuse (MalformedWebhookError) a form whose fields no real Twilio request carries."""
    limits = (
        ("MessageSid", sid, MAX_SID_LENGTH),
        ("From", form.get("From") or "", MAX_ADDRESS_LENGTH),
        ("To", form.get("To") or "", MAX_ADDRESS_LENGTH),
        ("WaId", form.get("WaId") or "", MAX_ADDRESS_LENGTH),
        ("MessageStatus", form.get("MessageStatus") or form.get("SmsStatus") or "", MAX_STATUS_LENGTH),
        ("ErrorCode", form.get("ErrorCode") or "", MAX_STATUS_LENGTH),
    )
    for name, value, limit in limits:
        if len(value.strip()) > limit:
            raise MalformedWebhookError(f"{name} longer than {limit} characters")
    _media_count(form)


def _media_count(form: Mapping[str, str]) -> int:
    """NumMedia as Twilio sends it: 0 to 10 (a missing or non-numeric value counts as 0)."""
    raw = (form.get("NumMedia") or "").strip()
    if not raw.isdecimal():
        return 0  # missing or not a number: no media, as before
    if len(raw) > 3 or int(raw) > MAX_NUM_MEDIA:
        raise MalformedWebhookError(f"NumMedia must be 0 to {MAX_NUM_MEDIA}")
    count = int(raw)
    return count


def _media_items(form: Mapping[str, str]) -> tuple[InboundMedia, ...]:
    """MediaUrl{N} / MediaContentType{N} for N below NumMedia (at most 10), in order."""
    items: list[InboundMedia] = []
    for index in range(_media_count(form)):
        url = (form.get(f"MediaUrl{index}") or "").strip()
        if not url:
            continue
        if len(url) > MAX_MEDIA_URL_LENGTH:
            raise MalformedWebhookError(f"MediaUrl{index} longer than {MAX_MEDIA_URL_LENGTH} characters")
        content_type = (form.get(f"MediaContentType{index}") or "").strip() or None
        if content_type is not None and len(content_type) > MAX_MEDIA_TYPE_LENGTH:
            content_type = None
        items.append(
            InboundMedia(ref=url, content_type=content_type, kind=media_kind(content_type))
        )
    return tuple(items)


def _location(form: Mapping[str, str]) -> Location | None:
    """A shared location (Latitude/Longitude, with Label and Address when present)."""
    try:
        latitude = float(form["Latitude"])
        longitude = float(form["Longitude"])
    except (KeyError, ValueError):
        return None
    label = (form.get("Label") or "").strip()
    address = (form.get("Address") or "").strip()
    text = f"{label} ({address})" if label and address else (label or address)
    return Location(latitude=latitude, longitude=longitude, label=text or None)
