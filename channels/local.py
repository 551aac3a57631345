"""An in-process channel for the terminal simulator and the demo: outbound messages land in a list."""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path

from bot.messages import Channel, InboundMedia
from channels.base import DownloadedMedia, MediaRefusedError, OutboundMessage, SendResult
from channels.media_policy import MediaPolicy


class LocalChatAdapter:
    """Keeps what the bot sends, per recipient, until the simulator shows it; files are local paths.

    An `OutboundChannel` and a `MediaSource`; nothing reaches it over HTTP, so no webhook side.
    """

    def __init__(self, channel: Channel = Channel.CHAT, policy: MediaPolicy | None = None) -> None:
        self.channel = channel
        self.policy = policy or MediaPolicy()
        self._sent: list[OutboundMessage] = []
        self._lock = threading.Lock()

    def send(self, message: OutboundMessage) -> SendResult:
        """Keep the message for the simulator."""
        with self._lock:
            self._sent.append(message)
            return SendResult((f"local-{len(self._sent)}",))

    def take(self, recipient: str | None = None) -> list[OutboundMessage]:
        """Remove and return what was sent (to one recipient, or to everybody)."""
        with self._lock:
            mine = [m for m in self._sent if recipient is None or m.recipient == recipient]
            self._sent = [m for m in self._sent if m not in mine]
            return mine

    def download(self, media: InboundMedia) -> DownloadedMedia:
        """Read a local file the simulator's user attached, applying the media policy."""
        path = Path(media.ref)
        if not path.is_file():
            raise MediaRefusedError(f"{path.name} does not exist", "not_found")
        content_type = media.content_type or mimetypes.guess_type(path.name)[0]
        self.policy.check(content_type, path.name, path.stat().st_size)
        content = path.read_bytes()
        content_type = self.policy.check_content(content, content_type, path.name)
        return DownloadedMedia(content=content, content_type=content_type, filename=path.name)
