"""Inbound e-mail: one RFC 822 message parsed into a ORM-free form (stdlib `email`, policy.default).

RFC 2047 subjects are decoded by the policy; HTML-only mail is turned to text; attachments keep their bytes
for the caller to check (channels/media_policy) and store. Automatic mail (auto-replies, bounces, lists) is
recognised here so the service never opens a ticket for it nor answers it.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import quotequail

MAX_ID_CHARS = 100
# A whole message, as received: 25 MB of attachments after base64 (x 4/3) and headers. Larger mail is
# never parsed: `mail ingest` refuses it (the MTA bounces it), `mail poll` flags it for a person.
MAX_MAIL_BYTES = 36 * 1024 * 1024
MAX_THREAD_IDS = 20  # the most recent Message-IDs of In-Reply-To/References that threading looks at
_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_DAEMONS = ("mailer-daemon", "postmaster", "no-reply", "noreply")
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
_SKIP = {"style", "script", "head", "title"}
# Our acknowledgement's first line (bot/texts.py "email_reply_marker"): everything from it down is quoted.
REPLY_MARKERS = ("responda sobre esta línea", "reply above this line", "responda acima desta linha")
_FROM_LINE = re.compile(r"^\*?(from|de)\s*:", re.IGNORECASE)  # Outlook's header block, unquoted
_HEADER_LINE = re.compile(r"^\*?(sent|enviado|enviada|date|fecha|data|to|para)\b", re.IGNORECASE)
# Gmail's attribution, often wrapped over two lines: "El mié, 4 mar 2026 a las 8:42, Mesa (<…>)\nescribió:"
_WROTE = re.compile(r"\b(wrote|escribió|escreveu)\s*:\s*$", re.IGNORECASE)
_ON_DATE = re.compile(r"^\s*(on|el|em)\s", re.IGNORECASE)
_TICKET_TAG = re.compile(r"\[([A-Z]{1,10}-\d{6,})\]")
_ATTRIBUTION = re.compile(
    r"^(-{2,}\s*(original message|mensaje original|mensagem original)\s*-{2,}|_{10,}|"
    r"(from|de|enviado|sent)\s*:.*|.*\b(wrote|escribió|escreveu)\s*:)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class MailFile:
    """One attachment as it came: name, declared type and bytes."""

    filename: str | None
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class InboundMail:
    """A parsed e-mail: who, what, its threading headers and why it is automatic (None if a person wrote)."""

    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    files: tuple[MailFile, ...]
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    automatic: str | None
    out_of_office: bool
    raw: bytes


def parse_mail(raw: bytes) -> InboundMail:
    """Parse one RFC 822 message (bytes as received) into an `InboundMail`."""
    if len(raw) > MAX_MAIL_BYTES:
        raise ValueError(f"message of {len(raw)} bytes is over the {MAX_MAIL_BYTES}-byte limit")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    name, sender = parseaddr(str(msg.get("From", "")))
    automatic = automatic_reason(msg, sender.lower())
    return InboundMail(
        message_id=_message_id(msg, raw),
        sender=sender.strip().lower(),
        sender_name=name.strip(),
        subject=" ".join(str(msg.get("Subject", "")).split()),
        text=body_text(msg),
        files=tuple(_files(msg)),
        in_reply_to=_ids(msg.get_all("In-Reply-To") or ()),
        references=_ids(msg.get_all("References") or ()),
        automatic=automatic,
        out_of_office=_out_of_office(msg) and not (automatic or "").startswith("bounce"),
        raw=raw,
    )


def automatic_reason(msg: EmailMessage, sender: str) -> str | None:
    """Why a message was sent by a machine (auto-reply, bounce, list), or None when a person wrote it."""
    bounce = _bounce_reason(msg, sender)
    if bounce is not None:
        return bounce
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"auto-submitted:{auto.split(';')[0]}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Unsubscribe", "List-Id"):
        if msg.get(header) is not None:
            return header.lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in _PRECEDENCE:
        return f"precedence:{precedence}"
    return None


def _bounce_reason(msg: EmailMessage, sender: str) -> str | None:
    """Why a message is a bounce (a delivery report, a mailer daemon, an empty Return-Path), or None."""
    if msg.get_content_type() == "multipart/report":
        return "bounce:report"
    local = sender.split("@", maxsplit=1)[0]
    if not sender or any(local.startswith(d) for d in _DAEMONS):
        return "bounce:daemon"
    return_path = msg.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return "bounce:empty-return-path"
    return None


def _out_of_office(msg: EmailMessage) -> bool:
    """An absence notice (Exchange's header, X-Autoreply, or an auto-replied Auto-Submitted)."""
    auto = str(msg.get("Auto-Submitted", "")).lower()
    return (
        "auto-replied" in auto
        or msg.get("X-Autoreply") is not None
        or "oof" in str(msg.get("X-Auto-Response-Suppress", "")).lower()
    )


def body_text(msg: EmailMessage) -> str:
    """The message's text: its plain part, else its HTML part turned to text."""
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        return _clean(str(part.get_content()))
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(str(part.get_content()))
    return ""


def reply_text(body: str) -> str:
    """What the person wrote in a reply: above our marker and above the quoted message (quotequail)."""
    lines = body.splitlines()
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            any(marker in line.lower() for marker in REPLY_MARKERS)
            or (_FROM_LINE.match(line) and _HEADER_LINE.match(following))
            or _WROTE.search(line)
            or (_ON_DATE.match(line) and _WROTE.search(f"{line} {following}"))
        ):
            lines = lines[:index]
            break
    parts = quotequail.quote("\n".join(lines))
    visible = parts[0][1] if parts and parts[0][0] else "\n".join(lines)
    kept = visible.rstrip().splitlines()
    while kept and (not kept[-1].strip() or _ATTRIBUTION.match(kept[-1].strip()) or kept[-1].startswith(">")):
        kept.pop()
    return _clean("\n".join(kept))


def ticket_tag(subject: str) -> str | None:
    """The ticket number in a subject's "[LA-000123]" tag, if any."""
    found = _TICKET_TAG.search(subject)
    return found.group(1) if found else None


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: block tags become line breaks, scripts and styles are dropped."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return _clean("".join(parser.out))


class _TextParser(HTMLParser):
    """Collects the visible text of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(re.sub(r"\s+", " ", data))


def _clean(text: str) -> str:
    """Normalised line ends, trailing spaces removed, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    joined = "\n".join(line.lstrip() if not line.strip() else line for line in lines)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def _files(msg: EmailMessage) -> list[MailFile]:
    """The attachments (and inline images with a name), with their decoded bytes."""
    found = []
    for part in msg.iter_attachments():
        assert isinstance(part, EmailMessage)
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            found.append(MailFile(part.get_filename(), part.get_content_type(), payload))
    return found


def _ids(values: object) -> tuple[str, ...]:
    """Message-IDs listed in In-Reply-To or References headers, in order (the last MAX_THREAD_IDS)."""
    text = " ".join(str(v) for v in values) if isinstance(values, (list, tuple)) else str(values)
    return tuple(re.findall(r"<[^<>\s]+>", text)[-MAX_THREAD_IDS:])


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    """The Message-ID (clipped to the dedupe column), or a hash of the bytes when there is none."""
    found = re.findall(r"<[^<>\s]+>", str(msg.get("Message-ID", "")))
    if found:
        return str(found[0])[:MAX_ID_CHARS]
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}>"


def addresses(msg: EmailMessage, header: str) -> list[str]:
    """The bare addresses of a header (To, Cc), lower-cased."""
    return [addr.lower() for _, addr in getaddresses([str(v) for v in msg.get_all(header) or ()]) if addr]
