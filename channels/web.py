"""The web form as a channel: what the bot "sends" is shown on the customer's page, files are uploads the
web layer already checked and stored under the attachments directory (refs are paths relative to it)."""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.messages import Channel, InboundMedia
from channels.base import DownloadedMedia, MediaRefusedError, OutboundMessage, SendResult
from channels.media_policy import MediaPolicy


class WebPageAdapter:
    """An `OutboundChannel` (the page shows the bot's replies; nothing to push) and a `MediaSource`."""

    def __init__(self, root: Path, policy: MediaPolicy | None = None) -> None:
        self.root = root
        self.policy = policy or MediaPolicy()
        self._ids = itertools.count(1)

    @property
    def channel(self) -> Channel:
        """This adapter's channel."""
        return Channel.WEB

    def send(self, message: OutboundMessage) -> SendResult:
        """Shown on the page already (the form and the tracking page read the transcript)."""
        return SendResult((f"web-{next(self._ids)}",))

    def download(self, media: InboundMedia) -> DownloadedMedia:
        """Read an uploaded file back from the store, checking its bytes again."""
        path = (self.root / media.ref).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            raise MediaRefusedError("the uploaded file is gone", "not_found")
        content = path.read_bytes()
        content_type = self.policy.check_content(content, media.content_type, media.filename)
        return DownloadedMedia(content=content, content_type=content_type, filename=media.filename)
