"""Settings: the only module that reads the environment (and `.env`). Fails fast on bad values."""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


MAX_NICE = 19


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _nice(env: Mapping[str, str]) -> int:
    """WORKER_NICE: 0 (as the shell started it) to 19 (yield the CPU to everything else)."""
    value = _int(env, "WORKER_NICE", 10)
    if value > MAX_NICE:
        raise SettingsError(f"WORKER_NICE must be between 0 and {MAX_NICE}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if value < 0:
        raise SettingsError(f"{name} must be >= 0, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _url(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _mapping(env: Mapping[str, str], name: str) -> dict[str, str]:
    """Parse `key=value,key=value` (used for template SIDs per step or notification kind)."""
    raw = env.get(name, "").strip()
    result: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingsError(f"{name} must look like key=value,key=value; bad item {item!r}")
        result[key.strip()] = value.strip()
    return result


_HOST_RE = re.compile(r"\.?(?:[a-z0-9-]+\.)*[a-z0-9-]+")


def _hosts(env: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    """A comma-separated list of host names ('.example.com' allows its subdomains), or None."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    hosts = tuple(host.strip().lower() for host in raw.split(",") if host.strip())
    for host in hosts:
        if not _HOST_RE.fullmatch(host):
            raise SettingsError(f"{name} must be host names separated by commas, got {host!r}")
    return hosts


def _chat_id(env: Mapping[str, str], name: str) -> str | None:
    """A Telegram chat id: a signed integer (a group's @name cannot be matched against updates)."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"-?\d{1,20}", raw):
        raise SettingsError(f"{name} must be the numeric chat id (e.g. -1001234567890), got {raw!r}")
    return raw


def _language(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "es").strip().lower() or "es"
    if raw not in {"es", "en", "pt"}:
        raise SettingsError(f"{name} must be one of es, en, pt, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    """Every runtime setting, validated once at start-up."""

    database_url: str
    data_dir: Path
    attachments_dir: Path
    public_base_url: str | None = None
    trust_proxy_hops: int = 0
    secret_key: str = field(default="dev-only-not-secret", repr=False)
    default_language: str = "es"
    ticket_prefix: str = "LA"
    default_calendar: str = "default"
    log_level: str = "INFO"
    # Outbox
    outbox_max_attempts: int = 8
    outbox_backoff_base_seconds: float = 2.0
    outbox_backoff_max_seconds: float = 600.0
    outbox_batch_size: int = 20
    worker_poll_seconds: float = 1.0
    outbox_lease_seconds: float = 15.0
    outbox_concurrency: int = 16
    outbox_stop_grace_seconds: float = 10.0
    sweeper_interval_seconds: float = 60.0
    # Dialog
    dialog_idle_minutes: int = 120
    validation_auto_close_business_days: int = 3
    duplicate_window_days: int = 7
    # Fairness: one sender's messages beyond this many per window get no dialog turn (recorded, told once)
    inbound_sender_max_messages: int = 20
    inbound_sender_window_seconds: float = 30.0
    # queue: webhooks store the message and answer, the worker runs the turn (intake/services/inbox.py);
    # inline: the webhook runs the turn itself before answering (slower under load; no worker needed).
    inbound_mode: str = "queue"
    inbound_concurrency: int = 4
    # `intake-bot worker` lowers its own CPU priority by this much (0–19): where it shares cores with the
    # web processes, a burst of webhooks is answered first and the turns follow (docs/performance.md).
    worker_nice: int = 10
    inbox_keep_days: int = 7  # accepted messages are deleted this long after their turn (transcript stays)
    # Twilio / WhatsApp
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_whatsapp_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    twilio_quick_reply_templates: dict[str, str] = field(default_factory=dict)
    twilio_notification_templates: dict[str, str] = field(default_factory=dict)
    whatsapp_media_max_bytes: int = 16 * 1024 * 1024
    # Hosts customers' media may come from (None: Twilio's API and media CDN); private addresses
    # are refused unless allowed (local development and tests only).
    twilio_media_hosts: tuple[str, ...] | None = None
    twilio_media_allow_private: bool = False
    # Telegram
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_base_url: str | None = None
    telegram_bot_username: str | None = None
    telegram_media_max_bytes: int = 20 * 1024 * 1024
    # E-mail
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    email_from: str = "soporte@example.com"
    # E-mail in (IMAP; issue 14): polled by `intake-bot mail poll` and by the worker when IMAP_HOST is set
    imap_host: str | None = None
    imap_port: int | None = None  # None: 993 with IMAP_SSL, else 143
    imap_user: str | None = None
    imap_password: str | None = field(default=None, repr=False)
    imap_folder: str = "INBOX"
    imap_ssl: bool = True
    imap_starttls: bool = False
    imap_max_failures: int = 3
    mail_poll_interval: float = 60.0
    # Agents
    supervisor_email: str | None = None
    agent_telegram_chat_id: str | None = None
    # Console
    ratelimit_storage_uri: str = "memory://"
    sign_in_rate_limit: str = "5/minute"

    @property
    def whatsapp_enabled(self) -> bool:
        """Whether Twilio credentials are configured."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def imap_enabled(self) -> bool:
        """Whether an IMAP mailbox is configured for inbound e-mail."""
        return bool(self.imap_host)

    @property
    def imap_security(self) -> str:
        """How the IMAP connection is secured: ssl, starttls or plain (loopback only)."""
        return "ssl" if self.imap_ssl else "starttls" if self.imap_starttls else "plain"

    @property
    def telegram_enabled(self) -> bool:
        """Whether a Telegram bot token is configured."""
        return bool(self.telegram_bot_token)


MIN_SECRET_KEY_LENGTH = 16
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - only accepted while nothing is public


def _check_production(s: Settings) -> None:
    if s.public_base_url and (s.secret_key == DEV_SECRET_KEY or len(s.secret_key) < MIN_SECRET_KEY_LENGTH):
        raise SettingsError(
            f"SECRET_KEY must be set (at least {MIN_SECRET_KEY_LENGTH} characters) when PUBLIC_BASE_URL is "
            "set: it signs the links providers use to fetch agents' files"
        )
    if not isinstance(logging.getLevelNamesMapping().get(s.log_level), int):
        raise SettingsError(
            f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {s.log_level!r}"
        )
    from sla.calendar_presets import BUILTIN_CALENDARS

    if s.default_calendar not in BUILTIN_CALENDARS:
        known = ", ".join(sorted(BUILTIN_CALENDARS))
        raise SettingsError(f"DEFAULT_CALENDAR must be one of {known}, got {s.default_calendar!r}")


def _check_pairs(s: Settings) -> None:
    if bool(s.twilio_account_sid) != bool(s.twilio_auth_token):
        raise SettingsError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together")
    if s.whatsapp_enabled and not (s.twilio_whatsapp_from or s.twilio_messaging_service_sid):
        raise SettingsError("TWILIO_WHATSAPP_FROM (or TWILIO_MESSAGING_SERVICE_SID) is required with Twilio")
    if s.telegram_enabled and not s.telegram_webhook_secret:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_BOT_TOKEN is set")
    if s.twilio_account_sid and not s.twilio_account_sid.startswith("AC"):
        raise SettingsError("TWILIO_ACCOUNT_SID must start with AC")
    if s.twilio_whatsapp_from and not s.twilio_whatsapp_from.startswith("whatsapp:+"):
        raise SettingsError(
            f"TWILIO_WHATSAPP_FROM must look like whatsapp:+14155238886, got {s.twilio_whatsapp_from!r}"
        )
    if "@" not in s.email_from:
        raise SettingsError(f"EMAIL_FROM must be an e-mail address, got {s.email_from!r}")
    _check_imap(s)


_LOOPBACK = re.compile(r"localhost|127(?:\.\d{1,3}){3}|::1")


def _check_imap(s: Settings) -> None:
    """IMAP settings come as a set: host, user and password together; TLS unless the host is loopback."""
    given = [bool(s.imap_host), bool(s.imap_user), bool(s.imap_password)]
    if any(given) and not all(given):
        raise SettingsError("IMAP_HOST, IMAP_USER and IMAP_PASSWORD must be set together")
    if s.imap_port is not None and not 0 < s.imap_port < 65536:
        raise SettingsError(f"IMAP_PORT must be a TCP port, got {s.imap_port}")
    if s.imap_ssl and s.imap_starttls:
        raise SettingsError("IMAP_SSL and IMAP_STARTTLS are exclusive: set IMAP_SSL=false to use STARTTLS")
    if s.imap_host and s.imap_security == "plain" and not _LOOPBACK.fullmatch(s.imap_host.lower()):
        raise SettingsError("IMAP without TLS (IMAP_SSL and IMAP_STARTTLS false) is only allowed on loopback")
    if s.mail_poll_interval <= 0:
        raise SettingsError(f"MAIL_POLL_INTERVAL must be positive, got {s.mail_poll_interval}")


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """Build Settings from the process environment, with `.env` values as fallback."""
    env: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        env.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    env.update(os.environ if environ is None else environ)
    data_dir = Path(env.get("DATA_DIR", "").strip() or "./var")
    database_url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'intake.db'}"
    if "://" not in database_url:
        raise SettingsError(f"DATABASE_URL must be a SQLAlchemy URL, got {database_url!r}")
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        attachments_dir=Path(env.get("ATTACHMENTS_DIR", "").strip() or data_dir / "attachments"),
        public_base_url=_url(env, "PUBLIC_BASE_URL"),
        trust_proxy_hops=_int(env, "TRUST_PROXY_HOPS", 0),
        secret_key=env.get("SECRET_KEY", "").strip() or DEV_SECRET_KEY,
        default_language=_language(env, "DEFAULT_LANGUAGE"),
        ticket_prefix=(env.get("TICKET_PREFIX", "").strip() or "LA").upper(),
        default_calendar=env.get("DEFAULT_CALENDAR", "").strip() or "default",
        log_level=(env.get("LOG_LEVEL", "").strip() or "INFO").upper(),
        outbox_max_attempts=_int(env, "OUTBOX_MAX_ATTEMPTS", 8, minimum=1),
        outbox_backoff_base_seconds=_float(env, "OUTBOX_BACKOFF_BASE_SECONDS", 2.0),
        outbox_backoff_max_seconds=_float(env, "OUTBOX_BACKOFF_MAX_SECONDS", 600.0),
        outbox_batch_size=_int(env, "OUTBOX_BATCH_SIZE", 20, minimum=1),
        worker_poll_seconds=_float(env, "WORKER_POLL_SECONDS", 1.0),
        outbox_lease_seconds=_float(env, "OUTBOX_LEASE_SECONDS", 15.0),
        outbox_concurrency=_int(env, "OUTBOX_CONCURRENCY", 16, minimum=1),
        outbox_stop_grace_seconds=_float(env, "OUTBOX_STOP_GRACE_SECONDS", 10.0),
        sweeper_interval_seconds=_float(env, "SWEEPER_INTERVAL_SECONDS", 60.0),
        dialog_idle_minutes=_int(env, "DIALOG_IDLE_MINUTES", 120, minimum=1),
        validation_auto_close_business_days=_int(env, "VALIDATION_AUTO_CLOSE_BUSINESS_DAYS", 3, 1),
        duplicate_window_days=_int(env, "DUPLICATE_WINDOW_DAYS", 7, minimum=0),
        inbound_sender_max_messages=_int(env, "INBOUND_SENDER_MAX_MESSAGES", 20, minimum=1),
        inbound_sender_window_seconds=_float(env, "INBOUND_SENDER_WINDOW_SECONDS", 30.0),
        inbound_mode=(env.get("INBOUND_MODE", "").strip().lower() or "queue"),
        inbound_concurrency=_int(env, "INBOUND_CONCURRENCY", 4, minimum=1),
        worker_nice=_nice(env),
        inbox_keep_days=_int(env, "INBOX_KEEP_DAYS", 7, minimum=1),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip() or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip() or None,
        twilio_whatsapp_from=env.get("TWILIO_WHATSAPP_FROM", "").strip() or None,
        twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", "").strip() or None,
        twilio_api_base_url=_url(env, "TWILIO_API_BASE_URL"),
        twilio_quick_reply_templates=_mapping(env, "TWILIO_QUICK_REPLY_TEMPLATES"),
        twilio_notification_templates=_mapping(env, "TWILIO_NOTIFICATION_TEMPLATES"),
        whatsapp_media_max_bytes=_int(env, "WHATSAPP_MEDIA_MAX_BYTES", 16 * 1024 * 1024, 1),
        twilio_media_hosts=_hosts(env, "TWILIO_MEDIA_HOSTS"),
        twilio_media_allow_private=_bool(env, "TWILIO_MEDIA_ALLOW_PRIVATE", False),
        telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None,
        telegram_api_base_url=_url(env, "TELEGRAM_API_BASE_URL"),
        telegram_bot_username=(env.get("TELEGRAM_BOT_USERNAME", "").strip().lstrip("@") or None),
        telegram_media_max_bytes=_int(env, "TELEGRAM_MEDIA_MAX_BYTES", 20 * 1024 * 1024, 1),
        smtp_host=env.get("SMTP_HOST", "").strip() or None,
        smtp_port=_int(env, "SMTP_PORT", 25, minimum=1),
        smtp_username=env.get("SMTP_USERNAME", "").strip() or None,
        smtp_password=env.get("SMTP_PASSWORD", "").strip() or None,
        smtp_starttls=_bool(env, "SMTP_STARTTLS", False),
        email_from=env.get("EMAIL_FROM", "").strip() or "soporte@example.com",
        imap_host=env.get("IMAP_HOST", "").strip() or None,
        imap_port=_int(env, "IMAP_PORT", 0, minimum=0) or None,
        imap_user=env.get("IMAP_USER", "").strip() or None,
        imap_password=env.get("IMAP_PASSWORD", "") or None,
        imap_folder=env.get("IMAP_FOLDER", "").strip() or "INBOX",
        imap_ssl=_bool(env, "IMAP_SSL", True),
        imap_starttls=_bool(env, "IMAP_STARTTLS", False),
        imap_max_failures=_int(env, "IMAP_MAX_FAILURES", 3, minimum=1),
        mail_poll_interval=_float(env, "MAIL_POLL_INTERVAL", 60.0),
        supervisor_email=env.get("SUPERVISOR_EMAIL", "").strip() or None,
        agent_telegram_chat_id=_chat_id(env, "AGENT_TELEGRAM_CHAT_ID"),
        ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://",
        sign_in_rate_limit=env.get("SIGN_IN_RATE_LIMIT", "").strip() or "5/minute",
    )
    _check_pairs(settings)
    _check_production(settings)
    _check_delivery(settings)
    return settings


def _check_delivery(s: Settings) -> None:
    """A lease too short to cover one send would let a second worker send the same message."""
    if s.outbox_lease_seconds < 1:
        raise SettingsError(f"OUTBOX_LEASE_SECONDS must be at least 1, got {s.outbox_lease_seconds}")
    if s.inbound_mode not in ("queue", "inline"):
        raise SettingsError(f"INBOUND_MODE must be 'queue' or 'inline', got {s.inbound_mode!r}")
    if s.inbound_sender_window_seconds <= 0:
        raise SettingsError(
            f"INBOUND_SENDER_WINDOW_SECONDS must be positive, got {s.inbound_sender_window_seconds}"
        )
