"""Telegram message shaping: text splitting, callback_data encoding, command normalization."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from bot.messages import Option

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
HASHED_CALLBACK_PREFIX = "h:"
# An outbound message of this kind only answers its callback query, showing its text as a notice.
CALLBACK_ANSWER = "callback_answer"
MAX_CALLBACK_ANSWER_LENGTH = 200  # answerCallbackQuery's text: 0-200 characters

# Split preferences, best first: paragraph, line, sentence end, word.
_BOUNDARIES = ("\n\n", "\n", ". ", "? ", "! ", " ")
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), so emoji count double."""
    return len(text.encode("utf-16-le")) // 2


def _fit_prefix(text: str, limit: int) -> int:
    """Largest number of characters from the start of `text` whose Telegram length is ≤ limit."""
    if telegram_length(text) <= limit:
        return len(text)
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut_point(text: str, limit: int) -> int:
    """Where to cut `text` so the head fits `limit`, preferring a polite boundary."""
    hard = _fit_prefix(text, limit)
    window = text[:hard]
    for boundary in _BOUNDARIES:
        position = window.rfind(boundary)
        # Do not accept a boundary that leaves a tiny head (less than a third of the limit).
        if position > 0 and position + len(boundary) >= hard // 3:
            return position + len(boundary)
    return max(hard, 1)


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """Split text into parts Telegram accepts, cutting at paragraphs, lines, sentences or words."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text
    while telegram_length(rest) > limit:
        cut = _cut_point(rest, limit)
        head = rest[:cut].rstrip()
        if head:
            parts.append(head)
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not parts:
        parts.append(rest)
    return parts


def callback_data_for(option_id: str) -> str:
    """The callback_data sent for an option: its id when ≤ 64 bytes, else a stable hash of it."""
    if option_id and len(option_id.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        return option_id
    digest = hashlib.sha256(option_id.encode("utf-8")).hexdigest()[:40]
    return f"{HASHED_CALLBACK_PREFIX}{digest}"


def resolve_callback_data(data: str, options: Iterable[Option]) -> str | None:
    """Map a pressed button's callback_data back to the id of one of the offered options."""
    for option in options:
        if callback_data_for(option.id) == data:
            return option.id
    return None


def normalize_command(text: str, bot_username: str | None = None) -> str | None:
    """Lower-case a leading /command and strip its @botname; None when addressed to another bot."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return text
    command, target = match.group(1), match.group(2)
    if target and bot_username and target.lower() != bot_username.lstrip("@").lower():
        return None
    return f"/{command.lower()}{text[match.end():]}"
