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


def inbound_to_json(message: InboundMessage) -> dict[str, Any]:
    """A JSON-ready dict of `message` (the inbox stores it until the worker runs its turn)."""
    data: dict[str, Any] = {
        "channel": str(message.channel),
        "sender_id": message.sender_id,
        "provider_message_id": message.provider_message_id,
        "received_at": message.received_at.isoformat(),
        "text": message.text,
        "chat_id": message.chat_id,
        "button_payload": message.button_payload,
        "callback_query_id": message.callback_query_id,
        "media": [_media_to_json(item) for item in message.media],
        "location": None,
        "profile_name": message.profile_name,
        "language_code": message.language_code,
        "is_edit": message.is_edit,
        "raw": message.raw,
    }
    if message.location is not None:
        place = message.location
        data["location"] = {"latitude": place.latitude, "longitude": place.longitude, "label": place.label}
    return data


def inbound_from_json(data: dict[str, Any]) -> InboundMessage:
    """The message `inbound_to_json` stored; ValueError (or KeyError/TypeError) when it is not one."""
    received_at = datetime.fromisoformat(data["received_at"])
    if received_at.tzinfo is None:
        raise ValueError("received_at must carry a timezone")
    place = data.get("location")
    return InboundMessage(
        channel=Channel(data["channel"]),
        sender_id=str(data["sender_id"]),
        provider_message_id=str(data["provider_message_id"]),
        received_at=received_at,
        text=str(data.get("text") or ""),
        chat_id=data.get("chat_id"),
        button_payload=data.get("button_payload"),
        callback_query_id=data.get("callback_query_id"),
        media=tuple(_media_from_json(item) for item in data.get("media") or ()),
        location=Location(float(place["latitude"]), float(place["longitude"]), place.get("label"))
        if place
        else None,
        profile_name=data.get("profile_name"),
        language_code=data.get("language_code"),
        is_edit=bool(data.get("is_edit")),
        raw=dict(data.get("raw") or {}),
    )


def _media_to_json(media: InboundMedia) -> dict[str, Any]:
    return {
        "ref": media.ref,
        "content_type": media.content_type,
        "kind": str(media.kind),
        "filename": media.filename,
        "size": media.size,
        "unique_id": media.unique_id,
    }


def _media_from_json(data: dict[str, Any]) -> InboundMedia:
    return InboundMedia(
        ref=str(data["ref"]),
        content_type=data.get("content_type"),
        kind=MediaKind(data.get("kind") or MediaKind.OTHER),
        filename=data.get("filename"),
        size=data.get("size"),
        unique_id=data.get("unique_id"),
    )


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
