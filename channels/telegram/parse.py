"""Turn Telegram webhook bodies into normalized inbound messages (Update.de_json, no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from telegram import (
    CallbackQuery,
    Document,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Update,
)

from bot.messages import Channel, InboundMedia, InboundMessage, Location, MediaKind
from channels.telegram.format import normalize_command

# A Telegram update is a few KB; 1 MiB leaves room for long texts with entities and replies.
MAX_UPDATE_BYTES = 1024 * 1024
# Real updates nest about ten levels (update → message → reply_to_message → reply_markup → rows...);
# deeper JSON is refused before anything recursive (PTB's de_json, the JSON column) walks it.
MAX_JSON_DEPTH = 32
# Telegram's ids (updates, users, chats, messages) are signed 64-bit integers.
_ID_MIN, _ID_MAX = -(2**63), 2**63 - 1
# Real file_ids are about 100 characters; anything past this is not from Telegram (and the
# service could not store it as a reference).
MAX_FILE_ID_LENGTH = 500
# Longer file names are shortened (keeping the extension); longer MIME types are dropped (the
# type is then guessed from the name). RFC 6838 allows 127 characters per part; real ones are short.
MAX_FILENAME_LENGTH = 255
MAX_MIME_TYPE_LENGTH = 120
# Premium accounts send files up to 4 GB, but attachment sizes are stored as 32-bit integers; any
# file this big is far over the 20 MB download limit and is refused as too large all the same.
MAX_REPORTED_SIZE = 2**31 - 1


class MalformedUpdateError(ValueError):
    """The body is not a Telegram update we can trust (bad JSON, wrong types, missing fields)."""


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise MalformedUpdateError(what)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value: object) -> bool:
    """An integer in Telegram's id range (a 300-digit 'id' is not from Telegram)."""
    return _is_int(value) and _ID_MIN <= value <= _ID_MAX  # type: ignore[operator]


def _without_nul(node: Any) -> Any:
    """The decoded JSON with NUL characters removed from every string (PostgreSQL text refuses them)."""
    if isinstance(node, str):
        return node.replace("\x00", "")
    if isinstance(node, dict):
        return {_without_nul(key): _without_nul(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_without_nul(value) for value in node]
    return node


def _depth_within(root: object, limit: int) -> bool:
    """True when no object or array in `root` is nested deeper than `limit` (iterative, no recursion)."""
    stack: list[tuple[object, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values() if isinstance(value, dict | list))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node if isinstance(value, dict | list))
    return True


def _opt_str(value: object, what: str) -> str | None:
    _require(value is None or isinstance(value, str), f"{what} must be a string")
    return value  # type: ignore[return-value]


def _opt_int(value: object, what: str) -> int | None:
    _require(value is None or _is_int(value), f"{what} must be an integer")
    return value  # type: ignore[return-value]


def load_update(body: bytes) -> dict[str, Any]:
    """Decode a webhook body into an update dict, raising MalformedUpdateError."""
    if len(body) > MAX_UPDATE_BYTES:
        raise MalformedUpdateError(f"update larger than {MAX_UPDATE_BYTES} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedUpdateError("body is not JSON") from exc
    except RecursionError:
        raise MalformedUpdateError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    _require(isinstance(data, dict), "update must be a JSON object")
    _require(_depth_within(data, MAX_JSON_DEPTH), f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    _require(_is_id(data.get("update_id")), "update_id must be a 64-bit integer")
    if b"\\u0000" in body:  # JSON can only carry NUL escaped
        data = _without_nul(data)
    return data  # type: ignore[no-any-return]


HANDLED_KINDS = ("message", "edited_message", "callback_query")


def decode_update(data: dict[str, Any]) -> Update | None:
    """Build a python-telegram-bot Update (no Bot attached) from the part we handle.

    Returns None for update kinds we ignore, without decoding them: a schema change in an
    update we do not use must not turn a valid delivery into an error.
    """
    kind = next((k for k in HANDLED_KINDS if data.get(k) is not None), None)
    if kind is None:
        return None
    try:
        return Update.de_json({"update_id": data["update_id"], kind: data[kind]}, None)
    except Exception as exc:  # de_json raises TypeError/KeyError/AttributeError on bad shapes
        raise MalformedUpdateError(f"not a valid update: {type(exc).__name__}") from exc


def _largest_photo(sizes: tuple[PhotoSize, ...]) -> PhotoSize:
    return max(sizes, key=lambda p: (_area(p), p.file_size or 0))


def _area(photo: PhotoSize) -> int:
    _require(_is_int(photo.width) and _is_int(photo.height), "photo size must be integers")
    return photo.width * photo.height


def _media_of(message: Message) -> tuple[InboundMedia, ...]:
    """The files attached to a message, as references the worker downloads later."""
    found: list[InboundMedia] = []
    if message.photo:
        photo = _largest_photo(message.photo)
        found.append(_media(photo, MediaKind.IMAGE, "image/jpeg", None))
    if message.animation:
        anim = message.animation
        found.append(_media(anim, MediaKind.VIDEO, anim.mime_type, anim.file_name))
    elif message.document:
        doc: Document = message.document
        found.append(_media(doc, _kind_for_mime(doc.mime_type), doc.mime_type, doc.file_name))
    for item, kind, default_type in (
        (message.voice, MediaKind.AUDIO, "audio/ogg"),
        (message.audio, MediaKind.AUDIO, None),
        (message.video, MediaKind.VIDEO, None),
        (message.video_note, MediaKind.VIDEO, "video/mp4"),
    ):
        if item is not None:
            mime = getattr(item, "mime_type", None) or default_type
            found.append(_media(item, kind, mime, getattr(item, "file_name", None)))
    return tuple(found)


def _kind_for_mime(mime: str | None) -> MediaKind:
    prefix = (mime or "").split("/")[0]
    return {
        "image": MediaKind.IMAGE,
        "audio": MediaKind.AUDIO,
        "video": MediaKind.VIDEO,
    }.get(prefix, MediaKind.DOCUMENT)


def _media(item: Any, kind: MediaKind, mime: object, filename: object) -> InboundMedia:
    file_id = item.file_id
    _require(isinstance(file_id, str) and bool(file_id), "file_id must be a non-empty string")
    _require(len(file_id) <= MAX_FILE_ID_LENGTH, f"file_id longer than {MAX_FILE_ID_LENGTH} characters")
    content_type = _opt_str(mime, "mime_type")
    size = _opt_int(item.file_size, "file_size")
    return InboundMedia(
        ref=file_id,
        content_type=content_type if content_type and len(content_type) <= MAX_MIME_TYPE_LENGTH else None,
        kind=kind,
        filename=_short_filename(_opt_str(filename, "file_name")),
        size=min(size, MAX_REPORTED_SIZE) if size is not None else None,
        unique_id=_opt_str(item.file_unique_id, "file_unique_id"),
    )


def _short_filename(name: str | None) -> str | None:
    """The customer's file name, cut to MAX_FILENAME_LENGTH characters keeping a short extension."""
    if name is None or len(name) <= MAX_FILENAME_LENGTH:
        return name
    suffix = PurePosixPath(name).suffix
    suffix = suffix if len(suffix) <= 16 else ""
    return name[: MAX_FILENAME_LENGTH - len(suffix)].rstrip() + suffix


def _location_of(message: Message) -> Location | None:
    loc = message.location
    if loc is None:
        return None
    _require(
        isinstance(loc.latitude, int | float) and isinstance(loc.longitude, int | float),
        "location must be numbers",
    )
    label = message.venue.title if message.venue is not None else None
    return Location(latitude=float(loc.latitude), longitude=float(loc.longitude), label=label)


# Accounts that stand in for someone else: an anonymous group admin (@GroupAnonymousBot), a
# channel posting in its linked group (@Channel_Bot) and Telegram's own service account. They are
# the same user in every group, so they must never be keyed as one contact.
PROXY_USER_IDS = frozenset({1087968824, 136817688, 777000})


def group_sender(speaker_id: int | str, chat_id: int | str) -> str:
    """The sender id of someone in a group: '<speaker>@<chat>', one conversation per person and group.

    A group conversation never shares a contact, tickets or notifications with that person's private
    chat (nothing about a company in a group); an anonymous admin is keyed by the group itself.
    """
    return f"{speaker_id}@{chat_id}"


MAX_MEDIA_GROUP_ID_LENGTH = 64


def media_group_of(inbound: InboundMessage) -> str | None:
    """The album (`media_group_id`) a Telegram message belongs to, else None.

    Telegram delivers an album of N photos or files as N updates sharing one media_group_id; the
    service treats them as one step (one acknowledgement, not one per photo).
    """
    if inbound.channel != Channel.TELEGRAM:
        return None
    message = inbound.raw.get("message") or inbound.raw.get("edited_message")
    group = message.get("media_group_id") if isinstance(message, dict) else None
    if isinstance(group, str) and 0 < len(group) <= MAX_MEDIA_GROUP_ID_LENGTH:
        return group
    return None


def _is_private(chat: Any) -> bool:
    return chat is not None and getattr(chat, "type", None) == "private"


def _sender_of(message: Message) -> tuple[str, str | None, str | None, str | None]:
    """(sender id, display name, language code, username) of a message."""
    user, chat, on_behalf = message.from_user, message.chat, message.sender_chat
    _require(user is not None or on_behalf is not None, "message has neither from nor sender_chat")
    if on_behalf is not None or (user is not None and user.id in PROXY_USER_IDS):
        speaker = on_behalf if on_behalf is not None else chat
        _require(speaker is not None and _is_id(speaker.id), "sender_chat.id must be a 64-bit integer")
        assert speaker is not None
        if _is_private(chat):
            return str(speaker.id), _opt_str(speaker.title, "sender_chat.title"), None, None
        # An anonymous admin, a channel or a user posting as a chat: keyed by that chat in this group.
        return group_sender(speaker.id, chat.id), _opt_str(speaker.title, "sender_chat.title"), None, None
    assert user is not None
    _require(_is_id(user.id), "from.id must be a 64-bit integer")
    lang = _opt_str(user.language_code, "from.language_code")
    name = _opt_str(user.first_name, "from.first_name")
    sender = str(user.id) if _is_private(chat) else group_sender(user.id, chat.id)
    return sender, user.full_name if name else None, lang, user.username


def _chat_id_of(message: Message) -> str:
    chat = message.chat
    _require(chat is not None and _is_id(chat.id), "message.chat.id must be a 64-bit integer")
    return str(chat.id)


def _text_of(message: Message, bot_username: str | None) -> str | None:
    """Text or caption (commands normalized); None when a command targets another bot."""
    text = _opt_str(message.text, "text") or _opt_str(message.caption, "caption") or ""
    if not text and message.sticker is not None:
        text = _opt_str(message.sticker.emoji, "sticker.emoji") or ""
    return normalize_command(text, bot_username) if text.startswith("/") else text


def _when(value: object, fallback: Callable[[], datetime]) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return fallback()


class UpdateParser:
    """Normalizes decoded updates; `clock` dates callback queries, which carry no date."""

    def __init__(self, bot_username: str | None = None, clock: Callable[[], datetime] | None = None):
        self.bot_username = bot_username
        self.clock = clock or (lambda: datetime.now(UTC))

    def parse_body(self, body: bytes) -> list[InboundMessage]:
        """Parse a webhook body; [] for update types we do not handle."""
        data = load_update(body)
        update = decode_update(data)
        if update is None:
            return []
        try:
            return self._dispatch(update, data)
        except MalformedUpdateError:
            raise
        except (AttributeError, TypeError, ValueError) as exc:
            raise MalformedUpdateError(f"unexpected update shape: {type(exc).__name__}") from exc

    def _dispatch(self, update: Update, raw: dict[str, Any]) -> list[InboundMessage]:
        if update.message is not None:
            return self._from_message(update, update.message, raw, is_edit=False)
        if update.edited_message is not None:
            return self._from_message(update, update.edited_message, raw, is_edit=True)
        if update.callback_query is not None:
            return self._from_callback(update, update.callback_query, raw)
        return []

    def _from_message(
        self, update: Update, message: Message, raw: dict[str, Any], *, is_edit: bool
    ) -> list[InboundMessage]:
        _require(_is_id(message.message_id), "message_id must be a 64-bit integer")
        chat_id = _chat_id_of(message)  # checked first: the sender's key may include it
        sender, name, lang, _ = _sender_of(message)
        text = _text_of(message, self.bot_username)
        media = _media_of(message)
        location = _location_of(message)
        if text is None or not (text or media or location):
            return []  # service messages, other bots' commands, stickers without emoji
        when = message.edit_date if is_edit else message.date
        return [
            InboundMessage(
                channel=Channel.TELEGRAM,
                sender_id=sender,
                provider_message_id=f"tg:{update.update_id}",
                received_at=_when(when, self.clock),
                text=text,
                chat_id=chat_id,
                media=media,
                location=location,
                profile_name=name,
                language_code=lang,
                is_edit=is_edit,
                raw=raw,
            )
        ]

    def _from_callback(
        self, update: Update, query: CallbackQuery, raw: dict[str, Any]
    ) -> list[InboundMessage]:
        _require(isinstance(query.id, str) and bool(query.id), "callback_query.id must be a string")
        user = query.from_user
        _require(user is not None and _is_id(user.id), "callback_query.from.id must be a 64-bit integer")
        data = _opt_str(query.data, "callback_query.data")
        if data is None:
            return []  # game callbacks carry no data
        source = query.message
        chat_id = sender = str(user.id)
        button_text = ""
        if source is not None and source.chat is not None and _is_id(source.chat.id):
            chat_id = str(source.chat.id)
            button_text = _button_text(getattr(source, "reply_markup", None), data)
            if chat_id != sender:  # a button pressed in a group: that person's group conversation
                sender = group_sender(user.id, chat_id)
        return [
            InboundMessage(
                channel=Channel.TELEGRAM,
                sender_id=sender,
                provider_message_id=f"tg:{update.update_id}",
                received_at=self.clock(),
                text=button_text,
                chat_id=chat_id,
                button_payload=data,
                callback_query_id=query.id,
                profile_name=user.full_name if isinstance(user.first_name, str) else None,
                language_code=_opt_str(user.language_code, "from.language_code"),
                raw=raw,
            )
        ]


def _button_text(markup: object, data: str) -> str:
    """The label of the button carrying `data` in the message's inline keyboard, if present."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return ""
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data and isinstance(button.text, str):
                return button.text
    return ""


def telegram_user_id(raw: dict[str, Any]) -> int | None:
    """The Telegram user who wrote a message or pressed a button (from the update as received)."""
    for kind in HANDLED_KINDS:
        part = raw.get(kind)
        if isinstance(part, dict):
            user = part.get("from")
            if isinstance(user, dict) and _is_id(user.get("id")) and not user.get("is_bot"):
                return int(user["id"])
    return None


def replied_message_id(raw: dict[str, Any]) -> int | None:
    """The id of the message a new message replies to (Telegram's reply_to_message), if any."""
    message = raw.get("message")
    if not isinstance(message, dict):
        return None
    replied = message.get("reply_to_message")
    if isinstance(replied, dict) and _is_id(replied.get("message_id")):
        return int(replied["message_id"])
    return None
