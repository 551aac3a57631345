"""E-mail in over IMAP (imap-tools): fetch unseen messages, hand each to a handler, mark it seen after.

The handler is the inbound use case (`MailIntake.ingest`): a message is flagged `\\Seen` only once the
handler returned, i.e. its transaction committed. A handler that raises leaves the message unseen for the
next pass and counts one failure against it (in a small JSON file, so the count survives restarts and
`--once` runs; IMAP keywords would be neater but not every server keeps them). After `max_failures` the
message is parked: flagged `\\Flagged`, left unread for a person to look at, and never fetched again
(the poller reads `UNSEEN UNFLAGGED`). Between passes the poller waits in IMAP IDLE when the server
advertises it (re-issued well within RFC 2177's 29 minutes), else sleeps the poll interval.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxLoginError

from channels.email_in import MAX_MAIL_BYTES

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "plain"]
PARKED_FLAG = r"\Flagged"
IDLE_RENEW_SECONDS = 25 * 60  # RFC 2177: re-issue IDLE at least every 29 minutes
_STOP_CHECK_SECONDS = 1.0
_RECONNECT_MAX_SECONDS = 300.0


class ImapLoginError(Exception):
    """The IMAP server refused the credentials (the message never contains the password)."""


class RetryLater(Exception):
    """Raised by a handler when nothing can be handled now (the database is away): the message is not
    counted as failing, the pass ends and the poller tries again after a backoff."""


@dataclass(frozen=True, slots=True)
class ImapConfig:
    """IMAP settings for inbound e-mail; built by the settings module, never from env here."""

    host: str
    username: str
    password: str = field(repr=False)
    port: int = 993
    folder: str = "INBOX"
    security: Security = "ssl"
    timeout: float = 30.0
    max_failures: int = 3
    poll_seconds: float = 60.0

    def __post_init__(self) -> None:
        """Refuse configurations that could only fail later (or send a password in clear)."""
        if not self.host or not self.username or not self.password:
            raise ValueError("IMAP host, user and password are required together")
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid IMAP port {self.port}")
        if self.security not in ("ssl", "starttls", "plain"):
            raise ValueError(f"IMAP security must be ssl, starttls or plain, got {self.security!r}")
        if self.security == "plain" and not is_loopback(self.host):
            raise ValueError("plain IMAP (no TLS) is only allowed to a loopback host")
        if self.max_failures < 1 or self.timeout <= 0 or self.poll_seconds <= 0:
            raise ValueError("IMAP max failures, timeout and poll interval must be positive")


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class PassResult:
    """What one pass over the unseen messages did."""

    handled: int = 0
    failed: int = 0
    parked: int = 0


class _RawMessage(MailMessage):
    """A fetched message that keeps its bytes exactly as the server sent them."""

    def __init__(self, fetch_data: list[object]) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


class ImapPoller:
    """Feeds a mailbox folder's unseen messages to `handle`, one at a time, then waits for more."""

    def __init__(
        self, config: ImapConfig, handle: Callable[[bytes], object], failures_file: Path | None = None
    ) -> None:
        self.config = config
        self.handle = handle
        self.failures = FailureCounts(failures_file)

    def __repr__(self) -> str:
        return f"ImapPoller(host={self.config.host!r}, folder={self.config.folder!r})"

    def connect(self) -> BaseMailBox:
        """Open, secure and log in; bad credentials raise `ImapLoginError`, network errors `OSError`."""
        c = self.config
        mailbox: BaseMailBox
        if c.security == "ssl":
            mailbox = MailBox(c.host, c.port, timeout=c.timeout, ssl_context=ssl.create_default_context())
        elif c.security == "starttls":
            context = ssl.create_default_context()
            mailbox = MailBoxStartTls(c.host, c.port, timeout=c.timeout, ssl_context=context)
        else:
            mailbox = MailBoxUnencrypted(c.host, c.port, timeout=c.timeout)
        mailbox.email_message_class = _RawMessage
        try:
            mailbox.login(c.username, c.password, initial_folder=c.folder)
        except MailboxLoginError:
            _close(mailbox)
            raise ImapLoginError(f"IMAP login refused for {c.username!r} at {c.host}:{c.port}") from None
        return mailbox

    def poll_once(self, mailbox: BaseMailBox, stop: threading.Event | None = None) -> PassResult:
        """Hand every unseen, unparked message to the handler; mark it seen only after it returned.

        `stop` ends the pass between two messages (the rest stay unseen for the next one)."""
        handled = failed = 0
        mailbox.client.untagged_responses.pop("EXISTS", None)  # from here on, new mail is noticed
        validity = _uid_validity(mailbox, self.config.folder)
        parked = self._park_oversized(mailbox)
        unseen = AND(seen=False, flagged=False, size_lt=MAX_MAIL_BYTES + 1)
        for message in mailbox.fetch(unseen, mark_seen=False, bulk=False):
            if stop is not None and stop.is_set():
                break
            assert isinstance(message, _RawMessage)
            uid = message.uid or ""
            key = f"{self.config.folder}:{validity}:{uid}"
            try:
                self.handle(message.raw)
            except RetryLater:
                raise  # not this message's fault: every other one would fail the same way
            except Exception:  # the transaction rolled back: the message stays unseen for the next pass
                log.exception("e-mail uid %s could not be handled; left unseen", uid)
                failed += 1
                parked += self._count_failure(mailbox, uid, key)
                continue
            mailbox.flag(uid, r"\Seen", True)
            self.failures.forget(key)
            handled += 1
        return PassResult(handled, failed, parked)

    def _park_oversized(self, mailbox: BaseMailBox) -> int:
        """Flag unseen mail over MAX_MAIL_BYTES for a person (never fetched nor parsed); return how many."""
        uids = list(mailbox.uids(AND(seen=False, flagged=False, size_gt=MAX_MAIL_BYTES)))
        for uid in uids:
            mailbox.flag(uid, PARKED_FLAG, True)
            log.error("e-mail uid %s is over %d bytes; flagged for a person and skipped", uid, MAX_MAIL_BYTES)
        return len(uids)

    def _count_failure(self, mailbox: BaseMailBox, uid: str, key: str) -> int:
        """Record one more failure on the message; park it after `max_failures` (returns 1 if parked)."""
        count = self.failures.add(key)
        if count < self.config.max_failures:
            return 0
        mailbox.flag(uid, PARKED_FLAG, True)
        self.failures.forget(key)
        log.error("e-mail uid %s failed %d times; flagged for a person and skipped from now on", uid, count)
        return 1

    def wait(self, mailbox: BaseMailBox, stop: threading.Event) -> None:
        """Wait for new mail: IDLE when the server offers it, else the poll interval (both end on `stop`)."""
        if not supports_idle(mailbox):
            stop.wait(self.config.poll_seconds)
            return
        mailbox.client.noop()
        if mailbox.client.untagged_responses.pop("EXISTS", None):
            return  # mail arrived during the pass (told in a command's reply, not in IDLE): go again
        deadline = time.monotonic() + IDLE_RENEW_SECONDS
        mailbox.idle.start()  # type: ignore[no-untyped-call]
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                if any(b"EXISTS" in line for line in mailbox.idle.poll(timeout=_STOP_CHECK_SECONDS)):
                    return
        finally:
            mailbox.idle.stop()  # type: ignore[no-untyped-call]

    def run(self, stop: threading.Event) -> None:
        """Poll and wait until `stop` is set, reconnecting with backoff after errors; logs out on stop."""
        delay = 1.0
        while not stop.is_set():
            try:
                mailbox = self.connect()
            except Exception as exc:  # bad credentials or the network: logged, retried with backoff
                log.error("IMAP connection failed: %s; retrying in %.0fs", _describe(exc), delay)
                stop.wait(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
                continue
            try:
                while not stop.is_set():
                    result = self.poll_once(mailbox, stop)
                    delay = 1.0
                    if result.handled or result.failed:
                        log.info("IMAP pass: %d handled, %d failed, %d parked", *_counts(result))
                    self.wait(mailbox, stop)
            except Exception as exc:  # the connection dropped, or RetryLater: reconnect after a backoff
                log.warning("IMAP session ended: %s; again in %.0fs", _describe(exc), delay)
                _close(mailbox)
                stop.wait(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
                continue
            _close(mailbox)


def supports_idle(mailbox: BaseMailBox) -> bool:
    """Whether the logged-in server advertises IDLE (RFC 2177)."""
    status, data = mailbox.client.capability()
    words = b" ".join(d for d in data if isinstance(d, bytes)).upper().split()
    return status == "OK" and b"IDLE" in words


class FailureCounts:
    """Failed attempts per message (folder, UIDVALIDITY, UID), kept in a JSON file when one is given."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.counts: dict[str, int] = self._load()

    def add(self, key: str) -> int:
        """Count one more failure; returns the total."""
        self.counts[key] = self.counts.get(key, 0) + 1
        self._save()
        return self.counts[key]

    def forget(self, key: str) -> None:
        """The message was handled or parked: drop its count."""
        if self.counts.pop(key, None) is not None:
            self._save()

    def _load(self) -> dict[str, int]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            log.warning("unreadable %s; failure counts start again", self.path)
            return {}
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.counts))
        temporary.replace(self.path)


def _uid_validity(mailbox: BaseMailBox, folder: str) -> int:
    """The folder's UIDVALIDITY (UIDs are only unique together with it)."""
    return int(mailbox.folder.status(folder, ["UIDVALIDITY"]).get("UIDVALIDITY", 0))


def _counts(result: PassResult) -> tuple[int, int, int]:
    return result.handled, result.failed, result.parked


def _describe(exc: BaseException) -> str:
    """An error's type and message (IMAP errors never echo the password back)."""
    return f"{type(exc).__name__}: {exc}"


def _close(mailbox: BaseMailBox) -> None:
    """Log out, ignoring a connection that is already gone."""
    try:
        mailbox.logout()
    except Exception:  # closing a broken session
        log.debug("IMAP logout failed", exc_info=True)
