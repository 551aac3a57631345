"""Issue 16: one intake keeps a bounded description and a bounded number of files, telling the customer."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from intake.cli.simulator import ChatSession
from intake.db.models import Attachment, Ticket
from intake.services.inbound_limits import MAX_FILES_PER_INTAKE, MAX_TEXT_CHARS
from tests.integration.service_harness import make_container, texts
from tests.support.clock import FakeClock

DEMO = "+56911111111"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def finish(chat: ChatSession) -> str:
    """Leave the evidence step and confirm; return the registration text."""
    chat.say("listo")
    chat.say("2")  # impact
    chat.say("2")  # urgency
    return texts(chat.say("confirmar"))


def test_a_huge_description_is_clipped_and_the_customer_told(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, DEMO)
    chat.say("hola")
    chat.say("1")
    answer = texts(chat.say("El sistema de facturación rechaza todos los documentos. " * 300))  # 17 KB
    assert "guardamos los primeros 4.000 caracteres" in answer
    chat.say("omitir")  # module
    for _ in range(5):  # notes added while at the evidence step grow the description, up to the limit
        chat.say("Más detalles sobre el error que vemos en pantalla. " * 100)
    assert "Registramos su ticket" in finish(chat)
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket)).one()
    assert len(ticket.description) <= MAX_TEXT_CHARS
    assert ticket.description.startswith("El sistema de facturación rechaza")
    container.close()


def test_files_past_the_intakes_maximum_are_not_kept_and_the_customer_told(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, DEMO)
    files = []
    for index in range(MAX_FILES_PER_INTAKE + 5):
        path = tmp_path / f"captura-{index:02d}.png"
        path.write_bytes(PNG + index.to_bytes(4, "big"))
        files.append(path)
    chat.say("hola")
    chat.say("1")
    chat.say("No puedo emitir facturas desde la mañana, el sistema muestra un error")
    chat.say("omitir")  # module
    chat.say("Adjunto capturas", files=tuple(files[:15]))
    answer = texts(chat.say("Más capturas", files=tuple(files[15:])))
    assert "máximo de 20 archivos" in answer and "no guardamos los 5 último(s)" in answer
    only_over = texts(chat.say(files=(files[0],)))
    assert "máximo de 20 archivos" in only_over
    assert "Registramos su ticket" in finish(chat)
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket)).one()
        kept = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert len(kept) == MAX_FILES_PER_INTAKE
    container.close()
