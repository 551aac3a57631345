"""`intake-bot telegram set-webhook / webhook-info` through click against the fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from channels.telegram.adapter import TelegramConfig
from intake.cli.telegram import telegram_group
from tests.support.telegram_fake import DEFAULT_TOKEN, FakeBotApi

SECRET = "wh-secret_0123456789"
TOKEN_KEY = DEFAULT_TOKEN.partition(":")[2]


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


def config_for(api: FakeBotApi, public: str | None = "https://desk.example.com") -> TelegramConfig:
    return TelegramConfig(
        bot_token=DEFAULT_TOKEN,
        webhook_secret=SECRET,
        api_base_url=api.base_url,
        public_base_url=public,
    )


def run(args: list[str], obj: dict[str, object]) -> click.testing.Result:
    return CliRunner().invoke(telegram_group, args, obj=obj)


def test_set_webhook_sends_url_secret_and_allowed_updates(api: FakeBotApi) -> None:
    calls: list[int] = []

    def factory() -> TelegramConfig:
        calls.append(1)
        return config_for(api)

    result = run(["set-webhook"], {"telegram_config": factory})
    assert result.exit_code == 0, result.output
    [call] = api.calls_to("setWebhook")
    assert call.params["url"] == "https://desk.example.com/webhooks/telegram"
    assert call.params["secret_token"] == SECRET
    assert call.json_param("allowed_updates") == ["message", "edited_message", "callback_query"]
    assert call.params["drop_pending_updates"] == "false"
    assert "webhook set: https://desk.example.com/webhooks/telegram" in result.output
    assert SECRET not in result.output
    assert TOKEN_KEY not in result.output
    assert calls == [1]


def test_set_webhook_can_drop_pending_updates_and_override_the_url(api: FakeBotApi) -> None:
    result = run(
        ["set-webhook", "--url", "https://other.example/webhooks/telegram", "--drop-pending-updates"],
        {"telegram_config": config_for(api)},
    )
    assert result.exit_code == 0, result.output
    [call] = api.calls_to("setWebhook")
    assert call.params["url"] == "https://other.example/webhooks/telegram"
    assert call.params["drop_pending_updates"] == "true"


def test_set_webhook_needs_a_public_url(api: FakeBotApi) -> None:
    result = run(["set-webhook"], {"telegram_config": config_for(api, public=None)})
    assert result.exit_code != 0
    assert "public base URL" in result.output
    assert api.calls_to("setWebhook") == []


def test_plain_http_url_is_warned_about(api: FakeBotApi) -> None:
    result = CliRunner().invoke(
        telegram_group, ["set-webhook"], obj={"telegram_config": config_for(api, "http://x.test")}
    )
    assert result.exit_code == 0
    assert "https://" in result.stderr


def test_set_webhook_failure_is_a_clean_error(api: FakeBotApi) -> None:
    api.fail("setWebhook", 400, description="Bad Request: bad webhook: HTTPS url must be provided")
    result = run(["set-webhook"], {"telegram_config": config_for(api)})
    assert result.exit_code == 1
    assert "setWebhook failed" in result.output
    assert "https url must be provided" in result.output.lower()
    assert "Traceback" not in result.output


def test_webhook_info_after_set(api: FakeBotApi) -> None:
    obj: dict[str, object] = {"telegram_config": config_for(api)}
    assert run(["set-webhook"], obj).exit_code == 0
    result = run(["webhook-info"], obj)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "url: https://desk.example.com/webhooks/telegram" in lines
    assert "pending_update_count: 0" in lines
    assert "allowed_updates: message, edited_message, callback_query" in lines
    assert not any(line.startswith("note:") for line in lines)
    assert len(api.calls_to("getWebhookInfo")) == 1


def test_webhook_info_reports_last_error_and_mismatch(api: FakeBotApi) -> None:
    api.webhook = {
        "url": "https://old.example/hook",
        "pending_update_count": 12,
        "last_error_date": 1736942400,
        "last_error_message": "Wrong response from the webhook: 500 Internal Server Error",
    }
    result = run(["webhook-info"], {"telegram_config": config_for(api)})
    assert result.exit_code == 0, result.output
    assert "pending_update_count: 12" in result.output
    assert "last_error: 2025-01-15T12:00:00+00:00 Wrong response" in result.output
    assert "note: expected https://desk.example.com/webhooks/telegram" in result.output


def test_missing_configuration_is_reported() -> None:
    result = run(["webhook-info"], {})
    assert result.exit_code == 1
    assert "not configured" in result.output


def test_factory_errors_are_reported() -> None:
    def broken() -> TelegramConfig:
        return TelegramConfig(bot_token="", webhook_secret=SECRET)

    result = run(["webhook-info"], {"telegram_config": broken})
    assert result.exit_code == 1
    assert "configuration error" in result.output
