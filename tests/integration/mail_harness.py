"""A desk container whose e-mail goes to a real SMTP server on loopback (aiosmtpd), for the mail tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

from channels.email import EmailAdapter, EmailConfig
from intake.bootstrap import Container
from tests.integration.service_harness import make_container
from tests.integration.test_email_send import Mailbox, free_port
from tests.support.clock import FakeClock

OURS = "soporte@consultora.cl"
KEY = "k" * 40


@contextmanager
def smtp_desk(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    mailbox: Mailbox,
    *,
    signing_key: str | None = KEY,
    **env: str,
) -> Iterator[Container]:
    """The demo desk with SMTP to `mailbox`; our Message-IDs signed with `signing_key` (None: unsigned)."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    sender = f"Mesa de Ayuda <{OURS}>"
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "EMAIL_FROM": sender, "SECRET_KEY": KEY}
    built = make_container(database_url, tmp_path, clock, **{**settings, **env})
    config = EmailConfig(host="127.0.0.1", port=port, sender=sender, timeout=5.0, signing_key=signing_key)
    built.adapters["email"] = EmailAdapter(config)
    try:
        yield built
    finally:
        built.close()
        controller.stop()
