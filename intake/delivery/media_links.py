"""Signed, expiring links to stored files, so a provider (Twilio) can fetch an agent's file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "intake-bot.media"
DEFAULT_MAX_AGE = 24 * 3600


class MediaLinks:
    """Signs (attachment id, issue time) into URLs and checks them back against the injected clock."""

    def __init__(self, secret_key: str, public_base_url: str | None, clock: Callable[[], datetime]) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)
        self._base = public_base_url
        self._clock = clock

    def token_for(self, attachment_id: int) -> str:
        """A token naming the attachment, stamped with the current time."""
        return str(self._serializer.dumps([attachment_id, int(self._clock().timestamp())]))

    def url_for(self, attachment_id: int) -> str | None:
        """The public URL of an attachment (None without a public base URL)."""
        if not self._base:
            return None
        return f"{self._base}/media/{self.token_for(attachment_id)}"

    def attachment_id(self, token: str, max_age: int = DEFAULT_MAX_AGE) -> int | None:
        """The attachment a token names, or None when it is forged or older than max_age seconds."""
        try:
            value = self._serializer.loads(token)
        except BadSignature:
            return None
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
            return None
        attachment_id, issued = value
        return attachment_id if self._clock().timestamp() - issued <= max_age else None
