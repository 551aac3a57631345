"""A real IMAP server on loopback for tests: pymap's in-memory `dict` backend in a subprocess.

`ImapServer.start()` runs `pymap --host 127.0.0.1 --port N --no-tls dict` with one user and waits until it
accepts logins; `append`, `flags` and `clear` talk to it with the stdlib's imaplib, as a mail client would.
"""

from __future__ import annotations

import imaplib
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

USER = "soporte"
PASSWORD = "clave-imap-secreta"  # a throwaway test server's password


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pymap() -> str:
    """The pymap script next to this interpreter (the project's venv), else on PATH."""
    local = Path(sys.executable).parent / "pymap"
    found = str(local) if local.exists() else shutil.which("pymap")
    if not found:
        raise RuntimeError("pymap is not installed: pip install -e '.[dev]'")
    return found


@dataclass
class ImapServer:
    """One pymap process; stop() ends it."""

    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> ImapServer:
        """Start the server and wait until a login succeeds."""
        command = [_pymap(), "--host", self.host, "--port", str(self.port), "--no-tls", "dict"]
        command += ["--demo-user", USER, "--demo-password", PASSWORD]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client().logout()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("pymap did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """End the server process."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def client(self) -> imaplib.IMAP4:
        """A logged-in client with INBOX selected."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(USER, PASSWORD)
        client.select("INBOX")
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> str:
        """Deliver one message (unseen); returns its UID."""
        client = self.client()
        try:
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
            found = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            assert found, data
            return found.group(1).decode()
        finally:
            client.logout()

    def flags(self, uid: str) -> set[str]:
        """The flags of one message."""
        client = self.client()
        try:
            status, data = client.uid("FETCH", uid, "(FLAGS)")
            assert status == "OK" and data and isinstance(data[0], bytes), data
            found = re.search(rb"FLAGS \(([^)]*)\)", data[0])
            return set(found.group(1).decode().split()) if found else set()
        finally:
            client.logout()

    def clear(self) -> None:
        """Delete every message in INBOX."""
        client = self.client()
        try:
            client.store("1:*", "+FLAGS", r"(\Deleted)")
            client.expunge()
        except imaplib.IMAP4.error:
            pass  # an empty mailbox
        finally:
            client.logout()
