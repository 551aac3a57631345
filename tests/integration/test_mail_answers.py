"""The solution is validated (or the ticket reopened) and the survey answered by replying to our e-mails,
through the chats' own use cases; real SMTP (aiosmtpd) carries our side, es/en/pt."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.bootstrap import Container
from intake.db.models import SurveyAnswer, Ticket, TicketEvent
from tests.integration.mail_harness import smtp_desk
from tests.integration.test_email_send import Mailbox, content
from tests.support.clock import FakeClock

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"
OURS = "soporte@consultora.cl"
KEY = "k" * 40
AGENT = "ana@latamadvisory.example"
CUSTOMERS = {
    "es": ("html_only.eml", "lucia.gomez@cliente.cl"),
    "en": ("new_mail_en.eml", "mark.taylor@northwind.example"),
    "pt": ("rfc2047_subject.eml", "joao.silva@cliente.com.br"),
}
HINTS = {
    "es": ("con «sí» si se resolvió", "un número del 1 al 5"),
    "en": ("with \u201cyes\u201d if it is solved", "a number from 1 to 5"),
    "pt": ("com «sim» se foi resolvido", "um número de 1 a 5"),
}


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def container(database_url: str, tmp_path: Path, clock: FakeClock, mailbox: Mailbox) -> Iterator[Container]:
    with smtp_desk(
        database_url, tmp_path, clock, mailbox, PUBLIC_BASE_URL="https://soporte.consultora.cl"
    ) as built:
        yield built


def drain(container: Container) -> None:
    """Deliver everything queued (one message per chat leaves per pass, in order)."""
    for _ in range(20):
        if not container.run_jobs_once():
            return


def last_to(mailbox: Mailbox, address: str) -> EmailMessage:
    return [mail for _s, rcpt, mail in mailbox.received if rcpt == [address]][-1]


def reply(address: str, ours: EmailMessage, text: str) -> bytes:
    """A customer's reply above our quoted message, as a mail client writes it."""
    mail = EmailMessage()
    mail["From"] = address
    mail["To"] = OURS
    mail["Subject"] = f"Re: {ours['Subject']}"
    mail["Message-ID"] = make_msgid(domain="cliente.example")
    mail["In-Reply-To"] = str(ours["Message-ID"])
    mail["References"] = str(ours["Message-ID"])
    quoted = "\n".join(f"> {line}" for line in content(ours).splitlines())
    mail.set_content(f"{text}\n\nOn Thu, Mar 5, 2026 at 10:58 AM Mesa de Ayuda <{OURS}> wrote:\n{quoted}\n")
    return mail.as_bytes()


def solved(container: Container, mailbox: Mailbox, lang: str) -> tuple[str, str, EmailMessage]:
    """A new e-mail ticket in `lang`, taken and solved by an agent; returns number, address, solution mail."""
    name, address = CUSTOMERS[lang]
    outcome = container.make_mail_intake().ingest((FIXTURES / name).read_bytes())
    assert outcome.number
    container.agent_actions.take(outcome.number, AGENT)
    container.agent_actions.solve(outcome.number, AGENT, "Reiniciamos la secuencia.")
    drain(container)
    return outcome.number, address, last_to(mailbox, address)


def ticket(container: Container, number: str) -> Ticket:
    with container.transaction() as session:
        found = session.scalar(select(Ticket).where(Ticket.number == number))
        assert found is not None
        session.expunge(found)
        return found


@pytest.mark.parametrize(
    ("lang", "yes", "rating"), [("es", "Sí, gracias", "5"), ("en", "Yes", "4/5"), ("pt", "sim", "excelente")]
)
def test_yes_by_reply_closes_and_the_survey_is_answered_by_reply(
    container: Container, mailbox: Mailbox, lang: str, yes: str, rating: str
) -> None:
    number, address, solution = solved(container, mailbox, lang)
    body = content(solution)
    assert "Reiniciamos la secuencia." in body and HINTS[lang][0] in body
    assert "https://soporte.consultora.cl/t/" in body
    assert body.index("—") < body.index("Reiniciamos")  # our reply marker sits above the question
    assert body.index("Reiniciamos") < body.index("1. ") < body.index(HINTS[lang][0])  # options, then how
    assert body.rstrip().splitlines()[-1].startswith(("Seguimiento", "Tracking", "Acompanhamento"))
    outcome = container.make_mail_intake().ingest(reply(address, solution, yes))
    assert (outcome.result, outcome.number) == ("validated", number)
    assert ticket(container, number).status == "closed"
    drain(container)
    survey = last_to(mailbox, address)
    assert HINTS[lang][1] in content(survey) and "https://soporte.consultora.cl/t/" in content(survey)
    assert survey["Auto-Submitted"] == "auto-generated"
    rated = container.make_mail_intake().ingest(reply(address, survey, f"{rating}\n\nSaludos"))
    assert (rated.result, rated.number) == ("rated", number)
    with container.transaction() as session:
        answer = session.scalar(select(SurveyAnswer).join(Ticket).where(Ticket.number == number))
        assert answer is not None and answer.rating == {"5": 5, "4/5": 4, "excelente": 5}[rating]
        tickets = session.scalars(select(Ticket.number)).all()
    assert tickets == [number]  # answering the closed ticket's survey opened nothing new


@pytest.mark.parametrize(
    ("lang", "no"),
    [
        ("es", "No, sigue igual con jperez"),
        ("en", "No - it still fails for jperez"),
        ("pt", "Não, continua com erro"),
    ],
)
def test_no_by_reply_reopens_with_the_comment(
    container: Container, mailbox: Mailbox, lang: str, no: str
) -> None:
    number, address, solution = solved(container, mailbox, lang)
    outcome = container.make_mail_intake().ingest(reply(address, solution, no))
    assert (outcome.result, outcome.number) == ("reopened", number)
    assert ticket(container, number).status == "reopened"
    with container.transaction() as session:
        bodies = session.scalars(
            select(TicketEvent.body)
            .join(Ticket)
            .where(Ticket.number == number, TicketEvent.kind == "reopened")
        ).all()
    assert bodies == [no.split(" ", 1)[1].lstrip("- ")]


def test_a_reply_that_is_no_answer_is_added_as_text_and_validation_still_waits(
    container: Container, mailbox: Mailbox
) -> None:
    number, address, solution = solved(container, mailbox, "es")
    outcome = container.make_mail_intake().ingest(
        reply(address, solution, "Lo reviso mañana con el equipo de ventas y le aviso")
    )
    assert (outcome.result, outcome.number) == ("added", number)
    assert ticket(container, number).status == "solution_proposed"


def test_a_rating_after_the_survey_was_answered_opens_a_new_ticket(
    container: Container, mailbox: Mailbox
) -> None:
    number, address, solution = solved(container, mailbox, "es")
    container.make_mail_intake().ingest(reply(address, solution, "si"))
    drain(container)
    survey = last_to(mailbox, address)
    assert container.make_mail_intake().ingest(reply(address, survey, "5")).result == "rated"
    again = container.make_mail_intake().ingest(reply(address, survey, "4"))
    assert again.result == "opened" and again.number != number


def test_someone_outside_the_customer_cannot_validate_by_reply(
    container: Container, mailbox: Mailbox
) -> None:
    number, _address, solution = solved(container, mailbox, "es")
    outcome = container.make_mail_intake().ingest(reply("curioso@otra-empresa.example", solution, "Sí"))
    assert (outcome.result, outcome.number) == ("added", number)  # threaded by our signed id, but no answer
    assert ticket(container, number).status == "solution_proposed"
