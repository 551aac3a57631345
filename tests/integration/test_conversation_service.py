"""The dialog through the real service and database: concurrency, replays, scoping, waiting, validation."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.messages import Channel, InboundMessage
from bot.state import DialogState
from intake.cli.simulator import ChatSession
from intake.db.models import (
    Attachment,
    Company,
    Contact,
    Conversation,
    Message,
    OutboxMessage,
    ProcessedMessage,
    Ticket,
    TicketEvent,
    TicketPause,
)
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock

DEMO = "+56911111111"


def _inbound(text: str, sender: str = DEMO, message_id: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel=Channel.CHAT,
        sender_id=sender,
        provider_message_id=message_id or uuid.uuid4().hex,
        received_at=FakeClock().current,
        text=text,
        raw={"simulated_channel": "whatsapp"},
    )


def test_two_messages_of_one_sender_processed_concurrently_are_both_kept(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def send(text: str) -> None:
        barrier.wait()
        try:
            container.inbound.handle_inbound(_inbound(text), now=clock())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(t,)) for t in ("hola", "tengo un problema")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with container.session_factory() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.version == 2
        DialogState.from_dict(conversation.state)  # still a valid state
        inbound = session.scalars(select(Message.text).where(Message.direction == "in")).all()
        assert sorted(inbound) == ["hola", "tengo un problema"]
        assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == 2
        # each message got its own turn: at least one reply each
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) >= 2
    container.close()


def test_a_replayed_message_is_processed_once(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    container = make_container(database_url, tmp_path, clock)
    message = _inbound("hola", message_id="wamid.same")
    outcomes = [container.inbound.handle_inbound(message, now=clock()) for _ in range(3)]
    assert [o.duplicate for o in outcomes] == [False, True, True]
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")) == 1
        replies = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert replies == 1
    container.close()


def test_status_never_shows_another_companys_ticket(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    with container.transaction() as session:
        other = session.scalar(select(Company).where(Company.name.like("Distribuidora%")))
        assert other is not None
        stranger = Contact(name="Pedro Soto", email="pedro@pacifico.cl", company_id=other.id)
        session.add(stranger)
        session.flush()
        from intake.db.models import ChannelIdentity

        session.add(ChannelIdentity(contact_id=stranger.id, channel="whatsapp", address="+56922222222"))
    theirs = open_ticket_through_chat(
        ChatSession(container, "+56922222222"), "No puedo emitir guías de despacho hoy"
    )
    mine_chat = ChatSession(container, DEMO)
    mine = open_ticket_through_chat(mine_chat, "El POS no imprime boletas desde la mañana")
    answer = texts(mine_chat.say(f"estado {theirs}"))
    assert theirs in answer and "Pedro" not in answer and "guías" not in answer
    listing = texts(mine_chat.say("mis tickets"))
    assert mine in listing and theirs not in listing
    container.close()


def test_reply_while_waiting_resumes_the_clock_and_keeps_the_file(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, DEMO)
    number = open_ticket_through_chat(
        chat, "Las facturas electrónicas quedan rechazadas por el SII", "2", "2"
    )
    chat.agent("take", number)
    asked = texts(chat.agent("info", number, "¿Puede enviar el XML rechazado?"))
    assert "¿Puede enviar el XML rechazado?" in asked
    with container.session_factory() as session:
        before = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        due_before = before.resolution_due
        assert before.status == "waiting_customer"
    clock.advance(hours=2)
    evidence = tmp_path / "rechazo.xml"
    evidence.write_text("<DTE>rechazado</DTE>")
    chat.say("Aquí va el XML que nos devolvió el SII", files=(evidence,))
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.status == "in_progress"
        assert ticket.resolution_due > due_before  # two paused business hours were given back
        pause = session.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket.id)).one()
        assert pause.ended_at == clock()
        attachment = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
        assert attachment.status == "stored" and attachment.size == evidence.stat().st_size
        assert (container.store.root / (attachment.storage_path or "")).read_bytes() == evidence.read_bytes()
        kinds = set(session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)))
        assert {"customer_reply", "agent_alert", "info_requested"} <= kinds
    container.close()


def test_validation_no_reopens_and_alerts_agents(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, DEMO)
    number = open_ticket_through_chat(chat, "El inventario muestra stock negativo en la bodega central")
    chat.agent("progress", number, "Revisando los movimientos")
    question = texts(chat.agent("solve", number, "Corregimos la valorización de la bodega"))
    assert "¿Se resolvió su problema?" in question
    chat.say("no")
    chat.say("Sigue mostrando stock negativo en dos productos")
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.status == "reopened" and ticket.resolved_at is None
        events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
        assert [e.kind for e in events].count("reopened") == 1
        comment = [e for e in events if e.kind == "customer_reply"]
        assert comment and "dos productos" in comment[-1].body
        assert any(e.kind == "agent_alert" and "REOPENED" in e.body for e in events)
        pauses = session.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket.id)).all()
        assert pauses and all(p.ended_at is not None for p in pauses)
    container.close()


def test_english_and_portuguese_customers_are_answered_in_their_language(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    english = ChatSession(container, "+15550001111", language="en")
    assert "name" in texts(english.say("hello")).lower()
    portuguese = ChatSession(container, "+5511999990000", language="pt")
    assert "nome" in texts(portuguese.say("olá")).lower()
    container.close()


def _identify_stranger(chat: ChatSession, name: str, company: str, email: str, confirm: bool) -> None:
    chat.say("hola")
    chat.say(name)
    chat.say(company)
    if confirm:
        chat.say("si")
    chat.say(email)


def test_claiming_a_known_e_mail_does_not_take_over_that_contact(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    number = open_ticket_through_chat(
        ChatSession(container, DEMO), "El POS no imprime boletas desde la mañana"
    )
    stranger = ChatSession(container, "+15550002222")
    _identify_stranger(stranger, "Pedro Gil", "Otra Empresa Ltda", "maria.gonzalez@comercialandes.cl", False)
    assert number not in texts(stranger.say("estado"))
    assert "POS" not in texts(stranger.say(f"estado {number}"))
    with container.session_factory() as session:
        owners = session.scalars(
            select(Contact).where(Contact.email == "maria.gonzalez@comercialandes.cl")
        ).all()
        assert [c.name for c in owners] == ["María González"]  # untouched, and the only one mailed there
        claimed = session.scalars(select(Contact).where(Contact.claimed_email.is_not(None))).one()
        assert claimed.name == "Pedro Gil" and claimed.self_identified and not claimed.verified
    container.close()


def test_naming_a_company_does_not_open_its_tickets(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    number = open_ticket_through_chat(
        ChatSession(container, DEMO), "El POS no imprime boletas desde la mañana"
    )
    stranger = ChatSession(container, "+15550001111")
    _identify_stranger(stranger, "Juan Pérez", "comercial andez", "juan@otro.cl", True)
    assert number not in texts(stranger.say("estado"))
    own = open_ticket_through_chat(stranger, "No puedo entrar al portal de clientes desde ayer")
    listing = texts(stranger.say("mis tickets"))
    assert own in listing and number not in listing
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == own)).one()
        company = session.get(Company, ticket.company_id)
        assert company is not None and company.name == "Comercial Andes SpA"  # still the company's SLA
    assert own not in texts(ChatSession(container, DEMO).say("mis tickets"))  # nor the other way round
    container.close()


# --- issue 10: business hours in the dialog, files right after an answer ---------------------------
SATURDAY_NIGHT = datetime(2026, 3, 8, 2, 30, tzinfo=UTC)  # Saturday 23:30 in Santiago (UTC-3)


def test_the_dialog_context_knows_whether_the_team_works_now(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    ChatSession(container, DEMO).say("hola")
    with container.session_factory() as session:
        conversation = session.scalars(select(Conversation)).one()
        service = container.conversations
        monday = service.context(session, conversation, clock())  # Monday 09:00 in Santiago
        assert monday.open_now and monday.back_at("es") is None
        saturday = service.context(session, conversation, SATURDAY_NIGHT)
        assert not saturday.open_now
        assert saturday.next_opening == datetime(2026, 3, 9, 11, 30, tzinfo=UTC)
        assert saturday.back_at("es") == "lunes 9 de marzo 08:30"
        assert saturday.back_at("en") == "Monday 9 March 08:30"
    container.close()


def test_out_of_hours_the_summary_and_the_registration_say_when_the_team_is_back(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = SATURDAY_NIGHT
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, DEMO)
    for said in ("hola", "1", "El ERP no abre en ninguna sucursal desde esta tarde", "omitir", "omitir", "1"):
        chat.say(said)
    summary = texts(chat.say("1"))
    assert "Prioridad: P1" in summary and "vuelve el lunes 9 de marzo 08:30" in summary
    registered = texts(chat.say("confirmar"))
    assert "Registramos su ticket" in registered
    assert "fuera de horario" in registered and "lunes 9 de marzo 08:30" in registered
    container.close()


def test_out_of_hours_handoff_answers_every_message_and_alerts_agents_with_it(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = SATURDAY_NIGHT
    container = make_container(database_url, tmp_path, clock, AGENT_TELEGRAM_CHAT_ID="-100200")
    chat = ChatSession(container, DEMO)
    chat.say("Buenas noches, tengo un problema con Odoo")
    started = texts(chat.say("agente"))
    assert "fuera de horario" in started and "lunes 9 de marzo 08:30" in started and "«nuevo»" in started
    waiting = texts(chat.say("Necesito que me llamen, no podemos facturar"))
    assert "guardado para el equipo" in waiting and "lunes 9 de marzo 08:30" in waiting
    with container.session_factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "agent_alert"))
        alerts = [o.payload for o in rows]
        assert any("tengo un problema con Odoo" in str(p) for p in alerts)  # the hand-off carries it
        assert any("Necesito que me llamen" in str(p) for p in alerts)
    again = texts(chat.say("nuevo"))  # a P1 can still be registered now
    assert "¿Qué necesita?" in again
    container.close()


def test_a_file_right_after_registration_is_attached_to_the_new_ticket(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, DEMO)
    number = open_ticket_through_chat(chat, "El POS no imprime boletas desde la mañana")
    clock.advance(minutes=1)
    evidence = tmp_path / "pos.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n fake screenshot")
    told = texts(chat.say(files=(evidence,)))
    assert f"agregamos su mensaje al ticket {number}" in told and "¿Qué necesita?" not in told
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        attachment = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
        assert attachment.size == evidence.stat().st_size
    clock.advance(minutes=30)  # long after: a file starts a conversation again
    later = texts(chat.say(files=(evidence,)))
    assert "Tiene tickets abiertos" in later
    container.close()


def test_a_burst_of_greetings_from_an_unknown_number_answers_no_question(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, "+56933334444")
    replies = [texts(chat.say("Hola"))]
    for said in ("buenas tardes", "Hola, necesito ayuda"):
        clock.advance(seconds=1)  # typed before the first reply could be read
        replies.append(texts(chat.say(said)))
    said = "\n".join(replies)
    assert "¿Cuál es su nombre?" in said
    assert "Buenas Tardes" not in said and "No encontramos" not in said
    clock.advance(seconds=20)
    assert "Gracias, Rosa Muñoz" in texts(chat.say("Rosa Muñoz"))
    with container.session_factory() as session:
        state = DialogState.from_dict(session.scalars(select(Conversation)).one().state)
        assert state.step == "ask_company" and state.answers["context"] == "Hola, necesito ayuda"
    container.close()
