"""Builds the production container: channel adapters for whatever the settings configure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from channels.base import OutboundChannel
from channels.email import EmailAdapter, EmailConfig
from channels.email_imap import ImapConfig
from channels.media_policy import MediaPolicy
from channels.telegram.adapter import TelegramAdapter, TelegramConfig
from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig
from channels.whatsapp.media import DEFAULT_MEDIA_HOSTS
from intake.bootstrap import Container, build_container
from intake.config import Settings, SettingsError


def whatsapp_config(settings: Settings) -> WhatsAppConfig:
    """The Twilio adapter's configuration from settings."""
    status_url = f"{settings.public_base_url}/webhooks/whatsapp/status" if settings.public_base_url else None
    try:
        return WhatsAppConfig(
            account_sid=settings.twilio_account_sid or "",
            auth_token=settings.twilio_auth_token or "",
            from_number=settings.twilio_whatsapp_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_base_url=settings.twilio_api_base_url,
            status_callback_url=status_url,
            quick_reply_templates=settings.twilio_quick_reply_templates,
            notification_templates=settings.twilio_notification_templates,
            media_policy=MediaPolicy(max_bytes=settings.whatsapp_media_max_bytes),
            media_hosts=settings.twilio_media_hosts or DEFAULT_MEDIA_HOSTS,
            media_allow_private=settings.twilio_media_allow_private,
        )
    except ValueError as exc:
        raise SettingsError(f"TWILIO_* settings: {exc}") from None


def telegram_config(settings: Settings) -> TelegramConfig:
    """The Telegram adapter's configuration from settings."""
    limit = settings.telegram_media_max_bytes
    try:
        return TelegramConfig(
            bot_token=settings.telegram_bot_token or "",
            webhook_secret=settings.telegram_webhook_secret or "",
            api_base_url=settings.telegram_api_base_url,
            public_base_url=settings.public_base_url,
            bot_username=settings.telegram_bot_username,
            media_policy=MediaPolicy(max_bytes=limit),
            download_limit_bytes=min(limit, 20 * 1024 * 1024),
        )
    except ValueError as exc:
        raise SettingsError(f"TELEGRAM_* settings: {exc}") from None


def email_config(settings: Settings) -> EmailConfig:
    """The SMTP adapter's configuration from settings."""
    try:
        return EmailConfig(
            host=settings.smtp_host or "",
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            sender=settings.email_from,
            signing_key=settings.secret_key,
        )
    except ValueError as exc:
        raise SettingsError(f"SMTP_* settings: {exc}") from None


def imap_config(settings: Settings) -> ImapConfig | None:
    """The IMAP poller's configuration from settings (None when IMAP_HOST is not set)."""
    if not settings.imap_enabled:
        return None
    security = settings.imap_security
    port = settings.imap_port or (993 if security == "ssl" else 143)
    try:
        return ImapConfig(
            host=settings.imap_host or "",
            username=settings.imap_user or "",
            password=settings.imap_password or "",
            port=port,
            folder=settings.imap_folder,
            security="ssl" if security == "ssl" else "starttls" if security == "starttls" else "plain",
            max_failures=settings.imap_max_failures,
            poll_seconds=settings.mail_poll_interval,
        )
    except ValueError as exc:
        raise SettingsError(f"IMAP_* settings: {exc}") from None


def adapters_from_settings(settings: Settings) -> dict[str, OutboundChannel]:
    """One adapter per configured channel, keyed by channel name."""
    adapters: dict[str, OutboundChannel] = {}
    if settings.whatsapp_enabled:
        adapters["whatsapp"] = WhatsAppAdapter(whatsapp_config(settings))
    if settings.telegram_enabled:
        adapters["telegram"] = TelegramAdapter(telegram_config(settings))
    if settings.smtp_host:
        adapters["email"] = EmailAdapter(email_config(settings))
    return adapters


def container_from_settings(settings: Settings, clock: Callable[[], datetime] | None = None) -> Container:
    """The container the CLI and the WSGI entry point use (on the real clock unless one is given)."""
    adapters, imap = adapters_from_settings(settings), imap_config(settings)
    if clock is None:
        return build_container(settings, adapters=adapters, imap=imap)
    return build_container(settings, clock=clock, adapters=adapters, imap=imap)
