"""A ticket's e-mail as the customer receives it (real SMTP, aiosmtpd): both parts, threading headers,
signed Message-IDs, the `[LA-…]` subject and RFC 3834's Auto-Submitted per kind."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.messages import Channel
from channels.base import OutboundMessage
from channels.email import html_for
from channels.email_ids import signed_message_id, verified_ticket_id
from intake.bootstrap import Container
from intake.db.models import Ticket, TicketEvent
from tests.integration.mail_harness import smtp_desk
from tests.integration.test_email_send import Mailbox, content, html_of
from tests.support.clock import FakeClock

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"
OURS = "soporte@consultora.cl"
KEY = "k" * 40
LUCIA = "lucia.gomez@cliente.cl"
FIRST_ID = "<AM6PR05MB6120D3C1F0B2A4E5C6D7E8F9A0B1C@AM6PR05MB6120.eurprd05.prod.outlook.com>"
AGENT = "ana@latamadvisory.example"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock, mailbox: Mailbox) -> Iterator[Container]:
    with smtp_desk(
        database_url, tmp_path, clock, mailbox, PUBLIC_BASE_URL="https://soporte.consultora.cl"
    ) as built:
        yield built


def to_lucia(mailbox: Mailbox) -> list[EmailMessage]:
    return [mail for _sender, rcpt, mail in mailbox.received if rcpt == [LUCIA]]


def opened(container: Container) -> tuple[str, int]:
    outcome = container.make_mail_intake().ingest(load("html_only.eml"))
    assert outcome.number
    container.run_jobs_once()
    with container.transaction() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == outcome.number))
    assert ticket_id is not None
    return outcome.number, ticket_id


def test_the_acknowledgement_answers_the_customers_mail_with_both_parts_and_a_signed_id(
    container: Container, mailbox: Mailbox
) -> None:
    number, ticket_id = opened(container)
    [ack] = to_lucia(mailbox)
    assert ack["Subject"] == f"Re: [{number}] Usuarios bloqueados en el portal"
    assert ack["In-Reply-To"] == FIRST_ID and ack["References"] == FIRST_ID
    assert ack["Auto-Submitted"] == "auto-replied"
    assert verified_ticket_id(KEY, str(ack["Message-ID"])) == ticket_id
    assert ack.get_content_type() == "multipart/alternative"
    plain, rich = content(ack), html_of(ack)
    assert f"registramos el ticket {number}" in plain and "https://soporte.consultora.cl/t/" in plain
    link = plain.split("https://soporte.consultora.cl/t/", 1)[1].split()[0]
    url = f"https://soporte.consultora.cl/t/{link}"
    assert f'<a href="{url}">{url}</a>' in rich
    assert "— Responda sobre esta línea —" in rich and "Impacto: 1 alto" in rich


def test_notifications_are_auto_generated_and_an_agents_reply_is_a_plain_reply(
    container: Container, mailbox: Mailbox
) -> None:
    number, _ = opened(container)
    container.agent_actions.take(number, AGENT)
    container.run_jobs_once()
    taken = to_lucia(mailbox)[-1]
    assert taken["Auto-Submitted"] == "auto-generated"
    assert taken["Subject"] == f"Re: [{number}] Usuarios bloqueados en el portal"
    ack_id = str(to_lucia(mailbox)[0]["Message-ID"])
    reply = load("gmail_reply_es.eml").replace(b"<placeholder@consultora.cl>", ack_id.encode())
    container.make_mail_intake().ingest(reply)
    container.agent_actions.reply(number, AGENT, "Desbloqueamos a jperez; pruebe de nuevo <por favor>.")
    container.run_jobs_once()
    answer = to_lucia(mailbox)[-1]
    assert "Auto-Submitted" not in answer
    latest = "<CAK3pL9vGmailReplyEs0uN4tD6cB2aS1gK7iE9jR3mC@mail.gmail.com>"
    assert answer["In-Reply-To"] == latest, answer["In-Reply-To"]
    assert answer["References"] == f"{FIRST_ID} {latest}"
    assert "pruebe de nuevo <por favor>." in content(answer)
    assert "pruebe de nuevo &lt;por favor&gt;." in html_of(answer)


def test_a_reply_threads_by_our_signed_id_alone_and_a_forged_one_does_not(container: Container) -> None:
    number, ticket_id = opened(container)
    signed = signed_message_id(KEY, ticket_id, "consultora.cl")  # never recorded: only its signature counts
    stranger = load("gmail_reply_es.eml").replace(b"lucia.gomez@cliente.cl", b"jefe@cliente.cl")
    threaded = container.make_mail_intake().ingest(
        stranger.replace(b"<placeholder@consultora.cl>", signed.encode())
    )
    assert (threaded.result, threaded.number) == ("added", number)
    forged = signed_message_id("another-key-entirely", ticket_id, "consultora.cl")
    other = stranger.replace(b"<placeholder@consultora.cl>", forged.encode()).replace(
        b"<CAK3pL9v", b"<f-CAK3pL9v"
    )
    outcome = container.make_mail_intake().ingest(other)
    assert outcome.result == "opened" and outcome.number != number
    with container.transaction() as session:
        replies = session.scalars(
            select(TicketEvent.body).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "customer_reply"
            )
        ).all()
    assert len(replies) == 1


def test_signed_ids_verify_only_with_the_key_and_untouched() -> None:
    made = signed_message_id(KEY, 42, "consultora.cl")
    assert verified_ticket_id(KEY, made) == 42
    assert verified_ticket_id("other" * 8, made) is None
    assert verified_ticket_id(KEY, made.replace("<t42.", "<t43.")) is None
    assert verified_ticket_id(KEY, "<random@consultora.cl>") is None


def test_html_part_escapes_customer_text_and_links_only_http_urls() -> None:
    message = OutboundMessage(
        channel=Channel.EMAIL,
        recipient=LUCIA,
        text='<script>alert("x")</script> & más\nVer https://soporte.consultora.cl/t/abc?x=1&y=2.\njavascript:alert(1)',
    )
    rich = html_for(message)
    assert (
        "<script>" not in rich and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; más<br>" in rich
    )
    url = "https://soporte.consultora.cl/t/abc?x=1&amp;y=2"
    assert f'Ver <a href="{url}">{url}</a>.' in rich
    assert 'href="javascript' not in rich


@pytest.mark.parametrize(
    ("name", "sender", "lang", "words"),
    [
        ("new_mail_en.eml", "mark.taylor@northwind.example", "en", "We received your e-mail and registered"),
        ("rfc2047_subject.eml", "joao.silva@cliente.com.br", "pt", "Recebemos seu e-mail e registramos"),
        ("html_only.eml", LUCIA, "es", "Recibimos su correo y registramos"),
    ],
)
def test_a_new_ticket_speaks_the_language_of_the_mail(
    container: Container, mailbox: Mailbox, name: str, sender: str, lang: str, words: str
) -> None:
    outcome = container.make_mail_intake().ingest(load(name))
    container.run_jobs_once()
    with container.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == outcome.number))
        assert ticket is not None and ticket.language == lang
    [ack] = [mail for _s, rcpt, mail in mailbox.received if rcpt == [sender]]
    assert words in content(ack)
