"""Telegram on python-telegram-bot: the adapter, update parsing, message shaping, rate limits, the loop."""
