"""E-mail out over SMTP: multipart/alternative (plain text + escaped HTML, UTF-8) with threading headers.

A ticket's e-mail (the outbox worker fills `ticket_number`, `ticket_title`, `ticket_id`, `reply_to_ids` and
`auto_submitted` at send time) gets the subject `[LA-000123] <title>` (`Re: ` when it answers the customer),
a Message-ID signed with the app's key (channels/email_ids.py), `In-Reply-To`/`References` pointing at the
customer's messages and RFC 3834's `Auto-Submitted`. E-mail in is parsed by channels/email_in.py.
"""

from __future__ import annotations

import base64
import html
import logging
import mimetypes
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from bot.messages import Channel, Option
from bot.texts import DEFAULT_LANG, TEXTS, supported_lang, text
from channels.base import (
    OutboundMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from channels.email_ids import signed_message_id

logger = logging.getLogger(__name__)

SUBJECT_LIMIT = 78
# Subjects are customer-facing texts in bot/texts.py: "email_subject.<kind>" with {number},
# "email_subject.ticket" for other kinds and "email_subject.default" without a ticket number.
SUBJECT_KEY = "email_subject.{kind}"
TICKET_SUBJECT_KEY = "email_subject.ticket"
DEFAULT_SUBJECT_KEY = "email_subject.default"
# The acknowledgement of a new ticket answers the customer's message: marked so auto-responders stay quiet.
AUTO_REPLIED_KINDS = frozenset({"registration"})


@dataclass(frozen=True, slots=True)
class EmailConfig:
    """SMTP settings for outbound e-mail; built by the settings module, never from env here."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    sender: str = "soporte@example.com"
    timeout: float = 10.0
    signing_key: str | None = field(default=None, repr=False)  # signs our Message-IDs (SECRET_KEY)

    def __post_init__(self) -> None:
        """Refuse configurations that could only fail later, at send time."""
        if not self.host:
            raise ValueError("an SMTP host is required")
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid SMTP port {self.port}")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if "@" not in parseaddr(self.sender)[1]:
            raise ValueError(f"sender must be an e-mail address, got {self.sender!r}")
        if self.password and not self.username:
            raise ValueError("a password needs a username")
        if not (self.username or "").isascii() or not (self.password or "").isascii():
            # smtplib encodes AUTH as ASCII and would fail at send time with the secret in the error.
            raise ValueError("SMTP username and password must be ASCII")


def language_of(message: OutboundMessage) -> str:
    """The customer's language for what the channel words itself (Spanish when unknown)."""
    return supported_lang(message.language) or DEFAULT_LANG


def subject_for(message: OutboundMessage) -> str:
    """`[LA-000123] <title>` for a ticket's e-mail (`Re: ` when answering), else a worded subject."""
    if message.ticket_number:
        title = " ".join((message.ticket_title or "").split()) or _worded_subject(message)
        tagged = f"[{message.ticket_number}] {title}"
        if len(tagged) > SUBJECT_LIMIT:
            tagged = tagged[: SUBJECT_LIMIT - 1].rstrip() + "…"
        return f"Re: {tagged}" if message.reply_to_ids else tagged
    return _worded_subject(message)


def _worded_subject(message: OutboundMessage) -> str:
    """A subject in the customer's language from the kind and ticket number, else the first line."""
    lang = language_of(message)
    variables = message.template_variables
    number = (variables.get("number") or variables.get("ticket") or "").strip()
    if number:
        key = SUBJECT_KEY.format(kind=message.kind or "")
        return text(key if key in TEXTS else TICKET_SUBJECT_KEY, lang, number=number)
    first = next((line.strip() for line in message.text.splitlines() if line.strip()), "")
    if not first:
        return text(DEFAULT_SUBJECT_KEY, lang)
    return first if len(first) <= SUBJECT_LIMIT else first[: SUBJECT_LIMIT - 1].rstrip() + "…"


def body_for(message: OutboundMessage) -> str:
    """The plain-text body: the text, the options as numbered lines, and a file link if any."""
    parts = [message.text.strip()] if message.text.strip() else []
    if message.options:
        parts.append(_numbered(message.options))
    if message.media_url and not message.media_path:
        parts.append(message.media_url)
    return "\n\n".join(parts) + "\n"


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def html_for(message: OutboundMessage) -> str:
    """The HTML part: the plain body escaped, links clickable, paragraphs and line breaks kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body_for(message).strip()) if p.strip()]
    blocks = ["<p>" + "<br>\n".join(_linked(line) for line in p.splitlines()) + "</p>" for p in paragraphs]
    lang = language_of(message)
    return f'<!DOCTYPE html>\n<html lang="{lang}"><body>\n' + "\n".join(blocks) + "\n</body></html>\n"


def _linked(line: str) -> str:
    """One line of text as HTML: escaped, with every http(s) URL an anchor."""
    out, last = [], 0
    for found in _URL.finditer(line):
        url = found.group(0)
        out.append(html.escape(line[last : found.start()]))
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        last = found.end()
    out.append(html.escape(line[last:]))
    return "".join(out)


def _numbered(options: Sequence[Option]) -> str:
    """Options as '1. Sí' lines."""
    return "\n".join(f"{index}. {option.title}" for index, option in enumerate(options, start=1))


def _recipient(address: str) -> str:
    """The bare address of a recipient, refusing anything that is not one address."""
    name, bare = parseaddr(address)
    if not bare or "@" not in bare or any(ch in address for ch in "\r\n,;"):
        raise PermanentSendError(f"invalid e-mail recipient {address!r}", "invalid_recipient")
    return bare if not name else address.strip()


class EmailAdapter:
    """Outbound e-mail over SMTP: an `OutboundChannel` only (inbound: `intake-bot mail ingest`)."""

    channel = Channel.EMAIL

    def __init__(
        self,
        config: EmailConfig,
        *,
        clock: Callable[[], datetime] | None = None,
        smtp_factory: Callable[[str, int, float], smtplib.SMTP] | None = None,
    ) -> None:
        self._config = config
        self._clock = clock or (lambda: datetime.now(UTC))
        self._smtp_factory = smtp_factory or _connect
        self._secrets = _secret_forms(config.username, config.password)

    def __repr__(self) -> str:
        return f"EmailAdapter(host={self._config.host!r}, port={self._config.port})"

    def build(self, message: OutboundMessage) -> EmailMessage:
        """The e-mail for an outbound message (plain text + HTML alternative, optional attachment)."""
        sender = self._config.sender
        email = EmailMessage()
        email["From"] = sender
        email["To"] = _recipient(message.recipient)
        email["Subject"] = subject_for(message)
        email["Date"] = format_datetime(self._clock().astimezone(UTC))
        email["Message-ID"] = self._message_id(message)
        if message.reply_to_ids:
            email["In-Reply-To"] = message.reply_to_ids[-1]
            email["References"] = " ".join(message.reply_to_ids)
        auto = message.auto_submitted or ("auto-replied" if message.kind in AUTO_REPLIED_KINDS else None)
        if auto:
            email["Auto-Submitted"] = auto  # RFC 3834: other robots must not answer it
        email.set_content(body_for(message), charset="utf-8")
        email.add_alternative(html_for(message), subtype="html", charset="utf-8")
        if message.media_path:
            _attach(email, message)
        return email

    def _message_id(self, message: OutboundMessage) -> str:
        """A ticket's e-mail gets a Message-ID signed for that ticket; any other a random one."""
        domain = Address(addr_spec=parseaddr(self._config.sender)[1]).domain
        if message.ticket_id is not None and self._config.signing_key:
            return signed_message_id(self._config.signing_key, message.ticket_id, domain)
        return make_msgid(domain=domain)

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one message by SMTP; 4xx and network errors are transient, 5xx permanent."""
        email = self.build(message)
        try:
            self._deliver(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            raise self._from_code(int(code), text) from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentSendError("the SMTP server does not support STARTTLS", "starttls") from None
        except smtplib.SMTPResponseException as exc:
            raise self._from_code(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = self._redact(f"SMTP connection error: {type(exc).__name__}: {exc}")
            raise TransientSendError(reason) from None
        message_id = str(email["Message-ID"])
        logger.info("email sent to %s as %s", email["To"], message_id)
        return SendResult(provider_message_ids=(message_id,), status="sent")

    def _deliver(self, email: EmailMessage) -> None:
        """Open a connection, STARTTLS and log in when configured, and hand over the message."""
        config = self._config
        with self._smtp_factory(config.host, config.port, config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username and config.password:
                smtp.login(config.username, config.password)
            smtp.send_message(email)

    def _from_code(self, code: int, text: bytes | str) -> Exception:
        """Map an SMTP reply to the outbox's error kinds (never leaking credentials)."""
        detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        reason = self._redact(f"SMTP {code}: {detail}".strip())
        logger.warning("email send failed: %s", reason)
        if 400 <= code < 500:
            return TransientSendError(reason)
        return PermanentSendError(reason, str(code) if code else None)

    def _redact(self, text: str) -> str:
        """Remove the password (plain and as sent in AUTH PLAIN/LOGIN) from a text."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _connect(host: str, port: int, timeout: float) -> smtplib.SMTP:
    """A plain SMTP connection (STARTTLS is negotiated afterwards when configured)."""
    return smtplib.SMTP(host, port, timeout=timeout)


def _secret_forms(username: str | None, password: str | None) -> tuple[str, ...]:
    """The password as it could appear in a server reply: plain, base64, AUTH PLAIN base64."""
    if not password:
        return ()
    forms = [password, base64.b64encode(password.encode()).decode()]
    if username:
        forms.append(base64.b64encode(f"\0{username}\0{password}".encode()).decode())
    return tuple(sorted(forms, key=len, reverse=True))


def _attach(email: EmailMessage, message: OutboundMessage) -> None:
    """Attach an agent's file from `media_path`; a missing file is a permanent error."""
    path = Path(message.media_path or "")
    try:
        content = path.read_bytes()
    except OSError:
        raise PermanentSendError(f"attachment {path.name!r} cannot be read", "media_missing") from None
    ctype = message.media_content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    maintype, _, subtype = ctype.partition("/")
    filename = message.media_filename or path.name
    email.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
