"""Each channel adapter implements exactly the narrow Protocols its channel supports."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.messages import Channel, InboundMedia
from channels.base import InboundChannel, MediaRefusedError, MediaSource, OutboundChannel
from channels.email import EmailAdapter, EmailConfig
from channels.local import LocalChatAdapter
from channels.telegram.adapter import TelegramAdapter, TelegramConfig
from channels.whatsapp.adapter import WhatsAppAdapter, WhatsAppConfig

PROTOCOLS = (InboundChannel, OutboundChannel, MediaSource)


def capabilities(adapter: object) -> set[str]:
    """The names of the Protocols an adapter satisfies at run time."""
    return {protocol.__name__ for protocol in PROTOCOLS if isinstance(adapter, protocol)}


def test_whatsapp_and_telegram_do_all_three() -> None:
    whatsapp = WhatsAppAdapter(
        WhatsAppConfig(account_sid="AC" + "0" * 32, auth_token="t", from_number="whatsapp:+14155238886")
    )
    telegram = TelegramAdapter(TelegramConfig(bot_token="123:abc", webhook_secret="secret"))
    try:
        everything = {"InboundChannel", "OutboundChannel", "MediaSource"}
        assert capabilities(whatsapp) == everything
        assert capabilities(telegram) == everything
        # Statically too: mypy checks these assignments against the Protocols' signatures.
        inbound: list[InboundChannel] = [whatsapp, telegram]
        sources: list[MediaSource] = [whatsapp, telegram]
        assert [a.channel for a in inbound] == [a.channel for a in sources] == [
            Channel.WHATSAPP,
            Channel.TELEGRAM,
        ]
    finally:
        whatsapp.close()
        telegram.close()


def test_email_only_sends() -> None:
    email = EmailAdapter(EmailConfig(host="127.0.0.1"))
    outbound: OutboundChannel = email
    assert outbound.channel is Channel.EMAIL
    assert capabilities(email) == {"OutboundChannel"}


def test_local_chat_sends_and_reads_local_files_but_takes_no_webhooks(tmp_path: Path) -> None:
    local = LocalChatAdapter()
    source: MediaSource = local
    assert capabilities(local) == {"OutboundChannel", "MediaSource"}
    with pytest.raises(MediaRefusedError):
        source.download(InboundMedia(ref=str(tmp_path / "missing.png")))
