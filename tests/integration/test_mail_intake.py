"""`mail ingest` through the service: tickets from e-mail, loop safety, the acknowledgement over real SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import func, select

from channels.email import EmailAdapter, EmailConfig
from intake.bootstrap import Container
from intake.cli import cli
from intake.db.models import Attachment, Contact, OutboxMessage, ProcessedMessage, Ticket, TicketEvent
from intake.services.demo import DEMO_EMAIL
from intake.services.mail_intake import RATE_LIMIT, MailIntake
from tests.integration.service_harness import make_container
from tests.integration.test_email_send import Mailbox, free_port
from tests.support.clock import FakeClock

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"
OURS = "soporte@consultora.cl"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


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


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock, smtp_port: int) -> Iterator[Container]:
    built = make_container(
        database_url,
        tmp_path,
        clock,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        EMAIL_FROM=f"Mesa de Ayuda <{OURS}>",
        PUBLIC_BASE_URL="https://soporte.consultora.cl",
        SECRET_KEY="k" * 40,
    )
    built.adapters["email"] = EmailAdapter(
        EmailConfig(host="127.0.0.1", port=smtp_port, sender=f"Mesa de Ayuda <{OURS}>", timeout=5.0)
    )
    yield built
    built.close()


def to_customer(mailbox: Mailbox, customer: str = "lucia.gomez@cliente.cl") -> list[EmailMessage]:
    """What reached the customer (agents' alerts go by e-mail too in the demo data)."""
    return [mail for _sender, rcpt, mail in mailbox.received if rcpt == [customer]]


def intake_of(container: Container) -> MailIntake:
    return MailIntake(container.session_factory, container.tickets, container.store, container.clock, (OURS,))


def outbox_count(container: Container) -> int:
    with container.transaction() as session:
        return int(session.scalar(select(func.count(OutboxMessage.id))) or 0)


def test_multipart_mail_opens_a_p3_triage_pending_ticket_with_checked_files_and_the_raw_message(
    container: Container,
) -> None:
    outcome = intake_of(container).ingest(load("multipart_attachments.eml"))
    assert outcome.result == "opened" and outcome.number
    assert outcome.refused == (("herramienta.exe", "forbidden_type"),)
    with container.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == outcome.number))
        assert ticket is not None
        assert ticket.channel == "email" and ticket.priority == "P3"
        assert ticket.title == "No podemos emitir facturas desde esta mañana"
        assert "error de timeout al enviar al SII" in ticket.description
        assert ticket.needs_verification  # an unknown sender
        contact = session.get(Contact, ticket.contact_id)
        assert contact is not None and contact.self_identified and contact.email == "ana.perez@cliente.cl"
        files = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
        by_name = {f.filename: f for f in files}
        assert set(by_name) == {"captura.png", "facturacion.log", "message.eml"}
        assert all(f.status == "stored" and f.storage_path for f in files)
        raw = by_name["message.eml"]
        assert raw.mime_type == "message/rfc822"
        assert container.store.open(raw.storage_path or "") == load("multipart_attachments.eml")
        notes = session.scalars(select(TicketEvent.data).where(TicketEvent.ticket_id == ticket.id)).all()
        assert any((d or {}).get("triage") == "pending" for d in notes)


def test_known_contact_is_matched_by_address_case_insensitively(container: Container) -> None:
    raw = load("rfc2047_subject.eml").replace(b"Joao.Silva@Cliente.com.br", DEMO_EMAIL.upper().encode())
    outcome = intake_of(container).ingest(raw)
    with container.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == outcome.number))
        assert ticket is not None and ticket.contact is not None
        assert ticket.contact.email == DEMO_EMAIL and not ticket.needs_verification
        assert ticket.title == "Erro no relatório de comissões: ação urgente"
        assert ticket.company_id is not None


def test_the_same_message_id_twice_opens_one_ticket(container: Container) -> None:
    intake = intake_of(container)
    first = intake.ingest(load("html_only.eml"))
    again = intake.ingest(load("html_only.eml"))
    assert first.result == "opened" and again.result == "duplicate"
    with container.transaction() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("out_of_office.eml", "auto-submitted:auto-replied"),
        ("bounce.eml", "bounce:report"),
        ("mailing_list.eml", "list-unsubscribe"),
        ("autoresponder.eml", "auto-submitted:auto-replied"),
    ],
)
def test_automatic_mail_opens_nothing_and_is_not_answered(
    container: Container, name: str, reason: str
) -> None:
    before = outbox_count(container)
    outcome = intake_of(container).ingest(load(name))
    assert (outcome.result, outcome.reason) == ("ignored", reason)
    assert outbox_count(container) == before
    with container.transaction() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 0
        assert session.scalar(
            select(func.count(ProcessedMessage.id)).where(ProcessedMessage.channel == "email")
        )


def test_mail_from_our_own_address_is_ignored(container: Container) -> None:
    raw = load("html_only.eml").replace(
        b"From: Lucia Gomez <lucia.gomez@cliente.cl>", f"From: {OURS}".encode()
    )
    assert intake_of(container).ingest(raw).reason == "own-address"


def test_a_sender_over_the_rate_limit_opens_no_more_tickets(container: Container) -> None:
    intake = intake_of(container)
    base = load("html_only.eml")
    results = [
        intake.ingest(base.replace(b"<AM6PR05", f"<n{i}-AM6PR05".encode())) for i in range(RATE_LIMIT + 1)
    ]
    assert [r.result for r in results] == ["opened"] * RATE_LIMIT + ["ignored"]
    assert results[-1].reason == "rate-limit"


def test_acknowledgement_arrives_by_smtp_auto_replied_with_number_link_and_triage_questions(
    container: Container, mailbox: Mailbox
) -> None:
    outcome = intake_of(container).ingest(load("html_only.eml"))
    container.run_jobs_once()
    acks = to_customer(mailbox)
    assert len(acks) == 1
    ack = acks[0]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert outcome.number and outcome.number in str(ack["Subject"])
    body = str(ack.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert f"registramos el ticket {outcome.number}" in body
    assert "https://soporte.consultora.cl/t/" in body
    assert "Impacto: 1 alto" in body and "Urgencia: 1 alta" in body


def test_two_auto_responders_stop_at_once(container: Container, mailbox: Mailbox) -> None:
    """A person writes; we acknowledge (auto-replied); their robot answers our ack: nothing more is sent."""
    intake = intake_of(container)
    intake.ingest(load("html_only.eml"))
    container.run_jobs_once()
    assert len(to_customer(mailbox)) == 1
    ours = str(to_customer(mailbox)[0]["Message-ID"])
    robot = load("autoresponder.eml").replace(b"<placeholder@consultora.cl>", ours.encode())
    robot = robot.replace(b"helpdesk@otro-proveedor.com", b"lucia.gomez@cliente.cl")
    assert intake.ingest(robot).result == "ignored"
    sent = len(mailbox.received)
    container.run_jobs_once()
    assert len(mailbox.received) == sent
    assert len(to_customer(mailbox)) == 1
    with container.transaction() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1


def test_cli_mail_ingest_reads_stdin(container: Container, database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path), "EMAIL_FROM": f"Mesa <{OURS}>"}
    result = CliRunner().invoke(cli, ["mail", "ingest"], input=load("rfc2047_subject.eml"), env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("opened: LA-")
    again = CliRunner().invoke(cli, ["mail", "ingest"], input=load("mailing_list.eml"), env=env)
    assert again.output.strip() == "ignored: list-unsubscribe"


def opened_and_acknowledged(container: Container, mailbox: Mailbox) -> tuple[str, str]:
    """Lucía's first mail opens a ticket; returns its number and our acknowledgement's Message-ID."""
    outcome = intake_of(container).ingest(load("html_only.eml"))
    container.run_jobs_once()
    assert outcome.number
    return outcome.number, str(to_customer(mailbox)[-1]["Message-ID"])


def answering(name: str, message_id: str) -> bytes:
    return load(name).replace(b"<placeholder@consultora.cl>", message_id.encode())


def events(container: Container, number: str, kind: str) -> list[TicketEvent]:
    with container.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
        return list(session.scalars(query.order_by(TicketEvent.id)))


def ticket_of(container: Container, number: str) -> Ticket:
    with container.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def test_a_gmail_reply_to_our_ack_adds_its_own_text_to_the_ticket(
    container: Container, mailbox: Mailbox
) -> None:
    number, ack_id = opened_and_acknowledged(container, mailbox)
    outcome = intake_of(container).ingest(answering("gmail_reply_es.eml", ack_id))
    assert (outcome.result, outcome.number) == ("added", number)
    replies = events(container, number, "customer_reply")
    assert [e.body for e in replies] == ["Hola, un cuarto usuario (jperez) también quedó bloqueado."]
    with container.transaction() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1


def test_an_outlook_reply_1_2_answers_triage_and_sets_p2(container: Container, mailbox: Mailbox) -> None:
    number, ack_id = opened_and_acknowledged(container, mailbox)
    intake_of(container).ingest(answering("outlook_reply_en.eml", ack_id))
    ticket = ticket_of(container, number)
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("alto", "media", "P2")
    assert events(container, number, "priority_changed")[0].body.startswith("P3 → P2: triage by e-mail")


def test_a_portuguese_reply_in_words_answers_triage_once(container: Container, mailbox: Mailbox) -> None:
    number, ack_id = opened_and_acknowledged(container, mailbox)
    intake = intake_of(container)
    intake.ingest(answering("gmail_reply_pt.eml", ack_id))
    ticket = ticket_of(container, number)
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("alto", "baja", "P3")
    later = answering("outlook_reply_en.eml", ack_id)  # "1 2" once triage is answered is only text
    intake.ingest(later)
    assert ticket_of(container, number).priority == "P3"


def test_subject_tag_is_accepted_from_the_tickets_contact_only(
    container: Container, mailbox: Mailbox
) -> None:
    number, _ack_id = opened_and_acknowledged(container, mailbox)
    tagged = load("outlook_reply_es.eml").replace(b"[LA-000001]", f"[{number}]".encode())
    assert intake_of(container).ingest(tagged).number == number
    stranger = tagged.replace(b"lucia.gomez@cliente.cl", b"intruso@otro.cl").replace(
        b"<AM6PR05", b"<x-AM6PR05"
    )
    outcome = intake_of(container).ingest(stranger)
    assert outcome.result == "opened" and outcome.number != number


def test_a_reply_to_an_information_request_resumes_the_clock(container: Container, mailbox: Mailbox) -> None:
    number, _ack_id = opened_and_acknowledged(container, mailbox)
    container.agent_actions.take(number, "ana@latamadvisory.example")
    container.agent_actions.ask(number, "ana@latamadvisory.example", "¿Desde qué hora?")
    assert ticket_of(container, number).status == "waiting_customer"
    container.run_jobs_once()
    question_id = str(to_customer(mailbox)[-1]["Message-ID"])
    intake_of(container).ingest(answering("gmail_reply_es.eml", question_id))
    assert ticket_of(container, number).status == "in_progress"


def test_an_out_of_office_on_a_ticket_is_logged_and_changes_nothing(
    container: Container, mailbox: Mailbox
) -> None:
    number, ack_id = opened_and_acknowledged(container, mailbox)
    sent = len(mailbox.received)
    ooo = load("out_of_office.eml").replace(b"ana.perez@cliente.cl", b"lucia.gomez@cliente.cl")
    ooo = ooo.replace(
        b"Auto-Submitted: auto-replied", f"In-Reply-To: {ack_id}\nAuto-Submitted: auto-replied".encode()
    )
    outcome = intake_of(container).ingest(ooo)
    assert (outcome.result, outcome.number) == ("ignored", number)
    assert ticket_of(container, number).status == "new"
    assert events(container, number, "customer_reply") == []
    notes = [e.body for e in events(container, number, "note")]
    assert any(body.startswith("Out-of-office reply from lucia.gomez@cliente.cl") for body in notes)
    container.run_jobs_once()
    assert len(mailbox.received) == sent


def test_the_rate_limit_counts_new_tickets_not_replies(container: Container, mailbox: Mailbox) -> None:
    number, ack_id = opened_and_acknowledged(container, mailbox)
    intake = intake_of(container)
    base = load("html_only.eml")
    for i in range(RATE_LIMIT - 1):
        assert intake.ingest(base.replace(b"<AM6PR05", f"<n{i}-AM6PR05".encode())).result == "opened"
    assert intake.ingest(base.replace(b"<AM6PR05", b"<over-AM6PR05")).reason == "rate-limit"
    assert intake.ingest(answering("gmail_reply_es.eml", ack_id)).number == number
