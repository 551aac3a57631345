"""Narrow channel Protocols, the outbound message and the errors senders raise (no Flask, no ORM).

Each adapter implements only what its channel does: WhatsApp and Telegram all three, e-mail only
`OutboundChannel`, the local chat `OutboundChannel` and `MediaSource`. The Protocols are
`runtime_checkable`, so a caller holding an adapter of unknown kind checks a capability with
`isinstance(adapter, MediaSource)` (which looks at method names, not signatures: mypy checks those).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bot.messages import Channel, InboundMedia, InboundMessage, Option


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to deliver to a recipient on a channel, as stored in the outbox."""

    channel: Channel
    recipient: str
    text: str = ""
    options: tuple[Option, ...] = ()
    step: str | None = None
    kind: str | None = None
    media_path: str | None = None
    media_filename: str | None = None
    media_content_type: str | None = None
    template_sid: str | None = None
    template_variables: Mapping[str, str] = field(default_factory=dict)
    callback_query_id: str | None = None
    status_callback_url: str | None = None
    # Public URL the provider fetches an agent's file from (Twilio cannot read media_path).
    media_url: str | None = None
    # The customer's language (es/en/pt) for anything the channel itself words, e.g. an e-mail subject.
    language: str | None = None
    # Parts of a split text already delivered by an earlier attempt: a retry sends only the rest.
    skip_parts: int = 0
    # An agent's file: the worker signs `media_url` for it at send time (links expire).
    media_attachment_id: int | None = None
    # E-mail threading, filled by the outbox worker at send time for a ticket's e-mail (issue 14): the
    # ticket's number and title for the subject, its id for our signed Message-ID, the customer's
    # Message-IDs to answer (In-Reply-To is the last one) and RFC 3834's Auto-Submitted value.
    ticket_number: str | None = None
    ticket_title: str | None = None
    ticket_id: int | None = None
    reply_to_ids: tuple[str, ...] = ()
    auto_submitted: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the provider said: its message ids (one per part when text was split)."""

    provider_message_ids: tuple[str, ...]
    status: str = "sent"


class TransientSendError(Exception):
    """Delivery failed but may succeed later (429, 5xx, timeouts); retry with backoff."""

    def __init__(self, reason: str, retry_after: float | None = None, sent_ids: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        # Provider ids of the parts of a split message that did go out before the failure.
        self.sent_ids = sent_ids


class PermanentSendError(Exception):
    """Delivery cannot succeed as is (4xx, invalid recipient); dead-letter with the reason."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class OutsideWindowError(PermanentSendError):
    """WhatsApp refused free-form text outside the 24-hour window (error 63016)."""


class MediaRefusedError(Exception):
    """A customer's file was refused (too big, forbidden type); `reason` is shown to the customer."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class DownloadedMedia:
    """A downloaded file's bytes and what the provider said about it."""

    content: bytes
    content_type: str | None
    filename: str | None


class HeaderMap(Protocol):
    """Request headers as a web framework hands them over: look one up, or walk them all."""

    def get(self, key: str, /) -> str | None:
        """The value of one header (exact spelling), or None."""
        ...

    def items(self) -> Iterable[tuple[str, str]]:
        """Every (name, value) pair."""
        ...


@runtime_checkable
class InboundChannel(Protocol):
    """A channel whose provider calls our webhook: check the request, then read its messages."""

    @property
    def channel(self) -> Channel:
        """The channel this adapter serves."""
        ...

    def verify(self, url: str, headers: HeaderMap, form: Mapping[str, str], body: bytes) -> bool:
        """Tell whether a webhook request really comes from the provider."""
        ...

    def parse(self, headers: HeaderMap, form: Mapping[str, str], body: bytes) -> list[InboundMessage]:
        """Turn a verified webhook request into normalized inbound messages (maybe none)."""
        ...


@runtime_checkable
class OutboundChannel(Protocol):
    """A channel the outbox worker delivers through."""

    @property
    def channel(self) -> Channel:
        """The channel this adapter serves."""
        ...

    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one outbound message or raise TransientSendError / PermanentSendError."""
        ...


@runtime_checkable
class MediaSource(Protocol):
    """A channel whose customers send files that the media job downloads from the provider."""

    @property
    def channel(self) -> Channel:
        """The channel this adapter serves."""
        ...

    def download(self, media: InboundMedia) -> DownloadedMedia:
        """Fetch a customer's file, raising MediaRefusedError or TransientSendError."""
        ...
