"""Normalized messages shared by channels, the dialog and the service layer (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    """A customer-facing channel."""

    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    EMAIL = "email"
    WEB = "web"
    CHAT = "chat"  # the terminal simulator


class MediaKind(StrEnum):
    """What kind of file a customer sent."""

    IMAGE = "image"
    DOCUMENT = "document"
    AUDIO = "audio"
    VIDEO = "video"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class InboundMedia:
    """A file referenced by an inbound message; the worker downloads it later.

    `ref` is the provider's handle: a media URL for Twilio, a `file_id` for Telegram,
    a local path for e-mail/web uploads already stored.
    """

    ref: str
    content_type: str | None = None
    kind: MediaKind = MediaKind.OTHER
    filename: str | None = None
    size: int | None = None
    unique_id: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """A shared location."""

    latitude: float
    longitude: float
    label: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a customer, normalized across channels.

    `sender_id` is the channel identity: E.164 number for WhatsApp, the user id for Telegram,
    the address for e-mail. `chat_id` is where replies go (Telegram chat id; equals sender elsewhere).
    `button_payload` carries the id of a pressed button (Twilio ButtonPayload, Telegram callback_data).
    """

    channel: Channel
    sender_id: str
    provider_message_id: str
    received_at: datetime
    text: str = ""
    chat_id: str | None = None
    button_payload: str | None = None
    callback_query_id: str | None = None
    media: tuple[InboundMedia, ...] = ()
    location: Location | None = None
    profile_name: str | None = None
    language_code: str | None = None
    is_edit: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def reply_to(self) -> str:
        """Address replies go to on this channel."""
        return self.chat_id or self.sender_id


@dataclass(frozen=True, slots=True)
class Option:
    """A choice offered to the customer: a button where the channel has them, numbered text otherwise."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A message the bot wants to send to the customer, channel-independent.

    `options` become buttons or numbered text; `step` names the dialog step (used to pick a
    configured WhatsApp quick-reply template); `kind` names a notification kind
    (registration, info_request, progress, escalation, solution, survey...) for 24-hour-window routing.
    """

    text: str
    options: tuple[Option, ...] = ()
    step: str | None = None
    kind: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
