"""`intake-bot telegram ...`: register and inspect the Telegram webhook.

The commands read a TelegramConfig from ``ctx.obj["telegram_config"]``: either a TelegramConfig or
a zero-argument factory returning one (the composition root wires settings in).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from channels.base import PermanentSendError, TransientSendError
from channels.telegram.adapter import TelegramAdapter, TelegramConfig
from intake.cli.common import open_container
from intake.services.agent_actions import ActionError

ConfigSource = TelegramConfig | Callable[[], TelegramConfig]


def _config(ctx: click.Context) -> TelegramConfig:
    source: ConfigSource | None = (ctx.obj or {}).get("telegram_config")
    if source is None:
        raise click.ClickException("Telegram is not configured (no telegram_config in context)")
    try:
        return source if isinstance(source, TelegramConfig) else source()
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"Telegram configuration error: {exc}") from None


@click.group("telegram")
def telegram_group() -> None:
    """Telegram channel: webhook registration and status."""


@telegram_group.command("set-webhook")
@click.option("--url", default=None, help="Override the URL (default: public base URL + path).")
@click.option("--drop-pending-updates", is_flag=True, help="Discard updates queued at Telegram.")
@click.pass_context
def set_webhook(ctx: click.Context, url: str | None, drop_pending_updates: bool) -> None:
    """Point Telegram at /webhooks/telegram with the secret token and explicit allowed_updates."""
    config = _config(ctx)
    target = url or config.webhook_url
    if not target:
        raise click.ClickException("set the public base URL (or pass --url) first")
    if not target.startswith("https://"):
        click.echo("warning: Telegram only delivers webhooks to https:// URLs", err=True)
    with TelegramAdapter(config) as adapter:
        try:
            adapter.set_webhook(target, drop_pending_updates=drop_pending_updates)
        except (TransientSendError, PermanentSendError) as exc:
            raise click.ClickException(f"setWebhook failed: {exc}") from None
    click.echo(f"webhook set: {target}")
    click.echo(f"allowed_updates: {', '.join(config.allowed_updates)}")
    click.echo("secret token: configured (sent as X-Telegram-Bot-Api-Secret-Token)")


@telegram_group.command("link-agent")
@click.argument("email")
@click.argument("user_id")
@click.pass_context
def link_agent(ctx: click.Context, email: str, user_id: str) -> None:
    """Let the agent EMAIL act from Telegram as USER_ID (their numeric user id; 'none' unlinks)."""
    value = None if user_id.strip().lower() == "none" else user_id
    with open_container(ctx) as container:
        try:
            name = container.agent_chat.link(email, value)
        except ActionError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"{name}: Telegram user {value}" if value else f"{name}: no Telegram user (unlinked)")


@telegram_group.command("webhook-info")
@click.pass_context
def webhook_info(ctx: click.Context) -> None:
    """Show what Telegram reports about the webhook: URL, pending updates, last error."""
    config = _config(ctx)
    with TelegramAdapter(config) as adapter:
        try:
            info = adapter.webhook_info()
        except (TransientSendError, PermanentSendError) as exc:
            raise click.ClickException(f"getWebhookInfo failed: {exc}") from None
    for line in _describe(info, config):
        click.echo(line)


def _describe(info: dict[str, Any], config: TelegramConfig) -> list[str]:
    url = info.get("url") or "(none)"
    lines = [
        f"url: {url}",
        f"pending_update_count: {info.get('pending_update_count', 0)}",
        f"allowed_updates: {', '.join(info.get('allowed_updates') or ['(all default)'])}",
    ]
    for key in ("max_connections", "ip_address"):
        if info.get(key) is not None:
            lines.append(f"{key}: {info[key]}")
    if info.get("last_error_date"):
        when = datetime.fromtimestamp(int(info["last_error_date"]), UTC).isoformat()
        lines.append(f"last_error: {when} {info.get('last_error_message', '')}".rstrip())
    expected = config.webhook_url
    if expected and info.get("url") != expected:
        lines.append(f"note: expected {expected}; run `intake-bot telegram set-webhook`")
    return lines
