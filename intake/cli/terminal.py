"""Text from customers made safe to print on an agent's terminal (no escape or control sequences)."""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ … final byte), OSC (ESC ] … BEL or ST, e.g. OSC-52 clipboard
# writes and window titles), DCS/SOS/PM/APC strings (ESC P/X/^/_ … ST), and any other ESC + one char;
# the same sequences with their 8-bit C1 introducers (CSI 0x9b, OSC 0x9d, DCS 0x90, SOS/PM/APC).
_SEQUENCES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?     # CSI: cursor moves, screen clear, colours
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])               # OSC, DCS, SOS, PM, APC strings
      [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?                 # ... up to BEL or ST (or the end)
    | \x1b[\x20-\x2f]*[\x30-\x7e]?                          # other escapes (charset, keypad, reset)
    """,
    re.VERBOSE,
)
# Remaining C0 controls but tab and newline, DEL, C1 controls, and Unicode bidirectional overrides
# and isolates, which can make printed text read differently from what it is.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str | None, *, single_line: bool = False) -> str:
    """`text` without terminal escape sequences or control characters (newline and tab kept).

    `single_line` also turns newlines and tabs into spaces, for values printed inside one line.
    """
    if not text:
        return ""
    cleaned = _CONTROLS.sub("", _SEQUENCES.sub("", text.replace("\r\n", "\n")))
    return " ".join(cleaned.split()) if single_line else cleaned
