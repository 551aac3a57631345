"""Builds the production container: channel adapters for whatever the settings configure."""

from __future__ import annotations

from channels.base import ChannelAdapter
from intake.bootstrap import Container, build_container
from intake.config import Settings


def adapters_from_settings(settings: Settings) -> dict[str, ChannelAdapter]:
    """One adapter per configured channel, keyed by channel name."""
    adapters: dict[str, ChannelAdapter] = {}
    return adapters


def container_from_settings(settings: Settings) -> Container:
    """The container the CLI and the WSGI entry point use."""
    return build_container(settings, adapters=adapters_from_settings(settings))
