"""How the providers authenticate the webhooks they send us, written from their docs (not our code).

Twilio signs with HMAC-SHA1 over the URL it called followed by every form field (name then value)
in name order, keyed with the account's auth token, base64-encoded in `X-Twilio-Signature`.
Telegram sends the `secret_token` given to setWebhook back in `X-Telegram-Bot-Api-Secret-Token`.
The header names are spelled here, not imported from the adapters, so a typo there fails a test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def twilio_signature(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send for `form` POSTed to `url` (its documented recipe)."""
    payload = url + "".join(f"{key}{form[key]}" for key in sorted(form))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_headers(auth_token: str, url: str, form: Mapping[str, str]) -> dict[str, str]:
    """The headers of a Twilio webhook request: just its signature."""
    return {TWILIO_SIGNATURE_HEADER: twilio_signature(auth_token, url, form)}


def telegram_headers(secret: str | None) -> dict[str, str]:
    """The headers of a Telegram webhook request carrying `secret` (none when `secret` is None)."""
    return {TELEGRAM_SECRET_HEADER: secret} if secret is not None else {}
