"""The e-mail adapter sends through smtplib to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from bot.messages import Channel, Option
from channels.base import (
    InboundChannel,
    MediaSource,
    OutboundChannel,
    OutboundMessage,
    PermanentSendError,
    TransientSendError,
)
from channels.email import EmailAdapter, EmailConfig, body_for, subject_for
from intake.db import unit_of_work
from intake.db.models import Attachment
from intake.db.storage import FileStore
from intake.jobs.media import MediaDownloadJob
from tests.support.clock import FakeClock

NOW = datetime(2026, 3, 2, 15, 4, 5, tzinfo=UTC)
SENDER = "Mesa de Ayuda <soporte@consultora.cl>"
CUSTOMER = "ana.perez@cliente.cl"
USER = "mesa@consultora.cl"
PASSWORD = "s3cr3t-Passw0rd!"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def content(part: EmailMessage) -> str:
    """A received mail's plain-text part with SMTP's CRLF line ends turned back into newlines."""
    plain = part.get_body(preferencelist=("plain",)) if part.is_multipart() else part
    assert isinstance(plain, EmailMessage)
    return str(plain.get_content()).replace("\r\n", "\n")


def html_of(mail: EmailMessage) -> str:
    """A received mail's HTML alternative."""
    part = mail.get_body(preferencelist=("html",))
    assert isinstance(part, EmailMessage) and part.get_content_type() == "text/html"
    return str(part.get_content()).replace("\r\n", "\n")


@dataclass
class Mailbox:
    """An aiosmtpd handler that stores messages or answers a scripted SMTP code."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


@dataclass
class Authenticator:
    """Accepts USER/PASSWORD; a wrong password is refused with a reply that echoes it."""

    echo: bool = False
    seen: list[tuple[bytes, bytes]] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.seen.append((data.login, data.password))
        if data.login == USER.encode() and data.password == PASSWORD.encode() and not self.echo:
            return AuthResult(success=True)
        leaked = data.password.decode("utf-8", "replace")
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad credentials {leaked}")


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp_port(mailbox: Mailbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def adapter_for(port: int, **overrides: Any) -> EmailAdapter:
    settings: dict[str, Any] = {"host": "127.0.0.1", "port": port, "sender": SENDER, "timeout": 5.0}
    settings.update(overrides)
    return EmailAdapter(EmailConfig(**settings), clock=lambda: NOW)


def message(**fields: Any) -> OutboundMessage:
    values: dict[str, Any] = {"channel": Channel.EMAIL, "recipient": CUSTOMER}
    values.update(fields)
    return OutboundMessage(**values)


def test_plain_text_mail_arrives_with_headers_and_accents(mailbox: Mailbox, smtp_port: int) -> None:
    text = (
        "✅ Registramos su ticket LA-000123.\nPrioridad: P2 — atención en menos de 45 minutos.\n"
        "¿Algo más? Ñandú"
    )
    result = adapter_for(smtp_port).send(
        message(text=text, kind="registration", template_variables={"number": "LA-000123"})
    )
    [(mail_from, rcpt_tos, received)] = mailbox.received
    assert mail_from == "soporte@consultora.cl" and rcpt_tos == [CUSTOMER]
    assert received["From"] == SENDER
    assert received["To"] == CUSTOMER
    assert received["Subject"] == "Su ticket LA-000123 fue registrado"
    assert received["Date"] == "Mon, 02 Mar 2026 15:04:05 +0000"
    assert received.get_content_type() == "multipart/alternative"
    plain, rich = received.iter_parts()
    assert plain.get_content_type() == "text/plain" and rich.get_content_type() == "text/html"
    assert plain.get_content_charset() == "utf-8" and rich.get_content_charset() == "utf-8"
    assert content(received) == text + "\n"
    assert "Registramos su ticket LA-000123.<br>" in html_of(received) and "Ñandú" in html_of(received)
    assert result.provider_message_ids == (received["Message-ID"],)
    assert received["Message-ID"].endswith("@consultora.cl>")
    assert result.status == "sent"


def test_options_become_numbered_lines_and_subject_falls_back_to_first_line(
    mailbox: Mailbox, smtp_port: int
) -> None:
    options = (Option("yes", "Sí, se resolvió"), Option("no", "No, sigue igual"))
    adapter_for(smtp_port).send(message(text="\n¿Se resolvió su problema?\nGracias.", options=options))
    [(_, _, received)] = mailbox.received
    assert received["Subject"] == "¿Se resolvió su problema?"
    expected = "¿Se resolvió su problema?\nGracias.\n\n1. Sí, se resolvió\n2. No, sigue igual\n"
    assert content(received) == expected


def test_agent_file_travels_as_attachment(mailbox: Mailbox, smtp_port: int, tmp_path: Path) -> None:
    report = tmp_path / "informe.pdf"
    report.write_bytes(b"%PDF-1.7 informe")
    adapter_for(smtp_port).send(
        message(
            text="Adjunto el informe.",
            media_path=str(report),
            media_content_type="application/pdf",
            media_filename="Informe técnico.pdf",
        )
    )
    [(_, _, received)] = mailbox.received
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Informe técnico.pdf"
    assert attachment.get_content() == b"%PDF-1.7 informe"
    body = received.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage) and content(body) == "Adjunto el informe.\n"


def test_missing_attachment_is_permanent(smtp_port: int, tmp_path: Path) -> None:
    with pytest.raises(PermanentSendError) as caught:
        adapter_for(smtp_port).send(message(text="x", media_path=str(tmp_path / "gone.pdf")))
    assert caught.value.code == "media_missing"


def test_recipient_refused_with_451_is_transient(mailbox: Mailbox, smtp_port: int) -> None:
    mailbox.rcpt_reply = "451 4.3.0 Mailbox temporarily unavailable"
    with pytest.raises(TransientSendError) as caught:
        adapter_for(smtp_port).send(message(text="Hola"))
    assert "451" in caught.value.reason and "temporarily unavailable" in caught.value.reason
    assert mailbox.received == []


def test_recipient_refused_with_550_is_permanent_with_code(mailbox: Mailbox, smtp_port: int) -> None:
    mailbox.rcpt_reply = "550 5.1.1 No such user here"
    with pytest.raises(PermanentSendError) as caught:
        adapter_for(smtp_port).send(message(text="Hola"))
    assert caught.value.code == "550"
    assert "No such user" in caught.value.reason


def test_data_refused_with_451_is_transient_and_554_permanent(mailbox: Mailbox, smtp_port: int) -> None:
    mailbox.data_reply = "451 4.7.1 Greylisted, try later"
    with pytest.raises(TransientSendError):
        adapter_for(smtp_port).send(message(text="Hola"))
    mailbox.data_reply = "554 5.7.1 Rejected as spam"
    with pytest.raises(PermanentSendError) as caught:
        adapter_for(smtp_port).send(message(text="Hola"))
    assert caught.value.code == "554"


def test_nobody_listening_is_transient() -> None:
    with pytest.raises(TransientSendError) as caught:
        adapter_for(free_port(), timeout=2.0).send(message(text="Hola"))
    assert "ConnectionRefusedError" in caught.value.reason


def test_invalid_recipient_is_permanent_without_connecting() -> None:
    adapter = adapter_for(free_port())
    for bad in ("", "no-at-sign", "a@b.cl\r\nBcc: x@y.cl", "a@b.cl, c@d.cl"):
        with pytest.raises(PermanentSendError) as caught:
            adapter.send(message(text="Hola", recipient=bad))
        assert caught.value.code == "invalid_recipient"


@pytest.fixture
def auth_server(mailbox: Mailbox) -> Iterator[tuple[int, Authenticator]]:
    port = free_port()
    authenticator = Authenticator()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    yield port, authenticator
    controller.stop()


def test_login_then_send(mailbox: Mailbox, auth_server: tuple[int, Authenticator]) -> None:
    port, authenticator = auth_server
    adapter_for(port, username=USER, password=PASSWORD).send(message(text="Hola"))
    assert authenticator.seen == [(USER.encode(), PASSWORD.encode())]
    assert len(mailbox.received) == 1


def test_password_never_appears_in_errors_logs_or_reprs(
    mailbox: Mailbox, auth_server: tuple[int, Authenticator], caplog: pytest.LogCaptureFixture
) -> None:
    port, authenticator = auth_server
    authenticator.echo = True  # a hostile or buggy server echoes the password back
    config = EmailConfig(host="127.0.0.1", port=port, username=USER, password=PASSWORD, sender=SENDER)
    adapter = EmailAdapter(config)
    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentSendError) as caught:
        adapter.send(message(text="Hola"))
    assert caught.value.code == "535" and "bad credentials ***" in caught.value.reason
    assert mailbox.received == []
    # Our own log lines (the test server's mail.log echoes its own reply, which is the point).
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert "email send failed: SMTP 535" in ours
    exc = caught.value
    for text in (str(exc), repr(exc), exc.reason, ours, repr(config), repr(adapter)):
        assert PASSWORD not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_starttls_unsupported_by_server_is_permanent(smtp_port: int) -> None:
    with pytest.raises(PermanentSendError) as caught:
        adapter_for(smtp_port, starttls=True).send(message(text="Hola"))
    assert caught.value.code == "starttls"


def test_email_is_an_outbound_channel_only(smtp_port: int) -> None:
    adapter = adapter_for(smtp_port)
    outbound: OutboundChannel = adapter
    assert outbound.channel is Channel.EMAIL
    assert isinstance(adapter, OutboundChannel)
    assert not isinstance(adapter, InboundChannel)  # inbound e-mail is a later issue
    assert not isinstance(adapter, MediaSource)


def test_subjects_per_kind_and_ticket_variable() -> None:
    def subject(**fields: Any) -> str:
        return subject_for(message(**fields))

    progress = subject(kind="progress", template_variables={"number": "LA-000007"})
    assert progress == "Avance en su ticket LA-000007"
    survey = subject(kind="survey", template_variables={"ticket": "LA-9"})
    assert survey == "Encuesta de satisfacción de su ticket LA-9"
    assert subject(kind="other", template_variables={"number": "LA-1"}) == "Su ticket LA-1"
    assert subject(text="") == "Mesa de ayuda"
    long = subject(text="x" * 200)
    assert len(long) == 78 and long.endswith("…")
    assert (
        body_for(message(text="Vea el archivo", media_url="https://desk/f/1"))
        == "Vea el archivo\n\nhttps://desk/f/1\n"
    )


def test_config_refuses_nonsense() -> None:
    for bad in (
        {"host": ""},
        {"port": 0},
        {"timeout": 0},
        {"sender": "nobody"},
        {"password": "x"},
        {"username": "u", "password": "contraseña"},
    ):
        with pytest.raises(ValueError):
            EmailConfig(**{"host": "smtp.example.cl", **bad})  # type: ignore[arg-type]


# --- subjects in the customer's language --------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "Your ticket LA-000123 was registered"),
        ("pt", "Seu chamado LA-000123 foi registrado"),
        ("es", "Su ticket LA-000123 fue registrado"),
        (None, "Su ticket LA-000123 fue registrado"),
    ],
)
def test_subject_arrives_in_the_customers_language(
    mailbox: Mailbox, smtp_port: int, language: str | None, subject: str
) -> None:
    adapter_for(smtp_port).send(
        message(
            text="✅ Registered",
            kind="registration",
            language=language,
            template_variables={"number": "LA-000123"},
        )
    )
    [(_, _, received)] = mailbox.received
    assert received["Subject"] == subject


def test_portuguese_solution_with_options_keeps_the_body_and_words_the_subject(
    mailbox: Mailbox, smtp_port: int
) -> None:
    options = (Option("yes", "Sim"), Option("no", "Não"))
    adapter_for(smtp_port).send(
        message(
            text="Seu problema foi resolvido?",
            kind="solution",
            language="pt",
            options=options,
            template_variables={"ticket": "LA-42"},
        )
    )
    [(_, _, received)] = mailbox.received
    assert received["Subject"] == "Solução proposta para seu chamado LA-42"
    assert content(received) == "Seu problema foi resolvido?\n\n1. Sim\n2. Não\n"


@pytest.mark.parametrize(
    ("language", "kind", "variables", "subject"),
    [
        ("en", "progress", {"number": "LA-7"}, "Update on your ticket LA-7"),
        ("en", "survey", {"ticket": "LA-9"}, "Satisfaction survey for your ticket LA-9"),
        ("en", "contingency", {"number": "LA-1"}, "Your ticket LA-1"),
        ("pt", "escalation", {"number": "LA-3"}, "Seu chamado LA-3 foi escalado"),
        ("pt", "info_request", {"number": "LA-4"}, "Seu chamado LA-4: precisamos de mais informações"),
        ("pt", "other", {"number": "LA-5"}, "Seu chamado LA-5"),
        ("pt-BR", "progress", {"number": "LA-6"}, "Andamento do seu chamado LA-6"),
        ("fr", "progress", {"number": "LA-8"}, "Avance en su ticket LA-8"),
        ("en", None, {}, "Help desk"),
        ("pt", None, {}, "Central de atendimento"),
    ],
)
def test_subjects_per_language_kind_and_fallbacks(
    language: str, kind: str | None, variables: dict[str, str], subject: str
) -> None:
    assert subject_for(message(kind=kind, language=language, template_variables=variables)) == subject


def test_the_media_job_refuses_files_from_a_channel_that_cannot_download(
    smtp_port: int, session_factory: sessionmaker[OrmSession], clock: FakeClock, tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as session:
        row = Attachment(origin="email", provider_ref="imap://inbox/7/2", next_attempt_at=clock())
        session.add(row)
        session.flush()
        row_id = row.id
    job = MediaDownloadJob(
        session_factory, {"email": adapter_for(smtp_port)}, FileStore(tmp_path / "files"), clock=clock
    )
    assert job.run_once() == 1
    with session_factory() as session:
        stored = session.get(Attachment, row_id)
        assert stored is not None
        assert (stored.status, stored.refusal_reason) == ("refused", "unsupported: not supported")
