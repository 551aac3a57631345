"""WhatsApp text shaping: polite splitting over Twilio's length limit and numbered options."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.messages import Option

# Twilio refuses a WhatsApp/SMS body longer than 1600 characters. We count UTF-16 code units
# (an emoji counts as two) so a text full of emoji never slips over the provider's count.
TEXT_LIMIT = 1600

_SENTENCE_END = re.compile(r"[.!?…][)\"'»”]*\s+|\n")
_WHITESPACE = re.compile(r"\s+")


def utf16_len(text: str) -> int:
    """Length of a text in UTF-16 code units, the unit providers count in."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """Index of the longest prefix of `text` whose UTF-16 length is at most `limit`."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _last_match_end(pattern: re.Pattern[str], window: str) -> int:
    """End of the last match of `pattern` inside `window`, or 0 when there is none."""
    end = 0
    for match in pattern.finditer(window):
        end = match.end()
    return end


def _cut_point(window: str) -> int:
    """Where to cut a too-long text: a paragraph, else a sentence, else a word boundary."""
    floor = len(window) // 2
    paragraph = window.rfind("\n\n")
    if paragraph >= floor:
        return paragraph + 2
    sentence = _last_match_end(_SENTENCE_END, window)
    if sentence >= floor:
        return sentence
    word = _last_match_end(_WHITESPACE, window)
    return word if word > 0 else len(window)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a text into ordered parts of at most `limit` UTF-16 units, cutting politely."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            parts.append(rest)
            break
        window = rest[: _prefix_within(rest, limit)]
        cut = _cut_point(window)
        part = rest[:cut].strip()
        if part:
            parts.append(part)
        rest = rest[cut:].strip()
    return parts


def numbered_options(text: str, options: Sequence[Option]) -> str:
    """Append options as a numbered list the customer answers by number or by word."""
    lines = [f"{number}. {option.title}" for number, option in enumerate(options, start=1)]
    if not lines:
        return text
    listing = "\n".join(lines)
    return f"{text.rstrip()}\n\n{listing}" if text.strip() else listing
