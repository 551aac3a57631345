"""The sweeper's dialog jobs: validation reminder and auto-close, the survey's one reminder, idle intakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from intake.db.models import Conversation, SurveyAnswer, Ticket, TicketEvent
from sla.calendar_presets import get_calendar
from sla.followup import validation_action
from tests.integration.service_harness import open_ticket_through_chat
from tests.integration.test_sweeper_sla import Desk, local
from tests.support.clock import FakeClock


def test_validation_reminder_after_one_business_day_then_auto_close_after_three_then_survey(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = local(2026, 3, 6, 9, 0)  # Friday
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "El reporte de ventas por vendedor sale vacío", "3", "3")
    clock.current = local(2026, 3, 6, 10, 0)
    desk.chat.agent("take", number)
    asked = "\n".join(m.text for m in desk.chat.agent("solve", number, "Reindexamos el reporte de ventas"))
    assert "¿Se resolvió su problema?" in asked
    for instant in (local(2026, 3, 6, 18, 0), local(2026, 3, 7, 10, 0), local(2026, 3, 8, 10, 0)):
        assert desk.sweep_at(instant)[2] == []  # not in the evening, not on the weekend
    assert desk.sweep_at(local(2026, 3, 9, 9, 59))[2] == []
    reminder = desk.sweep_at(local(2026, 3, 9, 10, 0))[2]
    assert reminder == [
        f"Recordatorio: propusimos una solución para su ticket {number}:\n\n"
        "Reindexamos el reporte de ventas\n\n"
        "¿Se resolvió su problema? Si no recibimos respuesta, el ticket se cerrará automáticamente "
        "el miércoles 11 de marzo 10:00."  # the date it closes, in the customer's time zone
    ]
    assert desk.ticket(number).validation_reminded_at == local(2026, 3, 9, 10, 0)
    for instant in (local(2026, 3, 9, 16, 0), local(2026, 3, 10, 12, 0), local(2026, 3, 11, 9, 59)):
        assert desk.sweep_at(instant)[2] == []  # one reminder only, and no close before 3 business days
    assert desk.ticket(number).status == "solution_proposed"
    closed = desk.sweep_at(local(2026, 3, 11, 10, 0))[2]  # Wednesday: 3 business days after Friday 10:00
    assert closed[0] == (
        f"Cerramos su ticket {number} porque no recibimos respuesta a la solución propuesta. "
        "Si el problema continúa, escríbanos."
    )
    assert (
        len(closed) == 2 and number in closed[1] and "de 1 (muy mala) a 5" in closed[1]
    )  # the survey question
    ticket = desk.ticket(number)
    assert ticket.status == "closed"
    assert ticket.closed_at == ticket.survey_sent_at == local(2026, 3, 11, 10, 0)
    assert ticket.sla_next_check_at is None
    with desk.container.session_factory() as session:
        kinds = list(session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)))
    assert kinds.count("auto_closed") == 1 and "validated" not in kinds
    # the survey still works after an automatic close
    thanks = "\n".join(m.text for m in desk.chat.say("5"))
    assert "comentario" in thanks.lower() or "gracias" in thanks.lower()
    with desk.container.session_factory() as session:
        answer = session.scalars(select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket.id)).one()
    assert answer.rating == 5
    desk.container.close()


def test_the_survey_gets_exactly_one_reminder(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "No se sincronizan los pedidos de la tienda web", "3", "3")
    clock.current = local(2026, 3, 2, 11, 0)
    desk.chat.agent("take", number)
    desk.chat.agent("solve", number, "Reconfiguramos el conector de la tienda")
    survey = "\n".join(m.text for m in desk.chat.say("sí"))
    assert "de 1 (muy mala) a 5 (excelente)" in survey
    assert desk.sweep_at(local(2026, 3, 3, 10, 59))[2] == []
    reminded = desk.sweep_at(local(2026, 3, 3, 11, 0))[2]
    assert reminded == [f"¿Nos regala un momento? Califique la atención de su ticket {number} de 1 a 5."]
    assert desk.ticket(number).survey_reminded_at == local(2026, 3, 3, 11, 0)
    for days in (1, 2, 7):
        assert desk.sweep_at(local(2026, 3, 3, 11, 0) + timedelta(days=days))[2] == []
    desk.container.close()


def test_an_answered_survey_gets_no_reminder(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "Los cheques no se concilian automáticamente", "3", "3")
    desk.chat.agent("take", number)
    desk.chat.agent("solve", number, "Ajustamos la regla de conciliación")
    desk.chat.say("sí")
    desk.chat.say("4")
    assert desk.sweep_at(local(2026, 3, 4, 12, 0))[2] == []
    assert desk.ticket(number).survey_reminded_at is None
    desk.container.close()


def test_a_half_done_intake_expires_after_the_idle_time_with_a_friendly_message(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock, DIALOG_IDLE_MINUTES="30")
    desk.chat.say("hola")
    desk.chat.say("1")  # incident: now asked for the description
    started = clock()
    assert desk.sweep_at(started + timedelta(minutes=29, seconds=59))[2] == []
    expired = desk.sweep_at(started + timedelta(minutes=30))[2]
    assert expired == [
        "Su solicitud quedó sin terminar por un buen rato, así que la cerramos. Cuando quiera, escríbanos "
        "y empezamos de nuevo."
    ]
    with desk.container.session_factory() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.step is None
    assert desk.sweep_at(started + timedelta(hours=3))[2] == []  # told once
    desk.container.close()


def test_an_idle_conversation_without_a_dialog_is_left_alone(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock)
    number = open_ticket_through_chat(desk.chat, "La impresora fiscal no responde en la caja 2", "3", "3")
    assert desk.sweep_at(clock() + timedelta(hours=5))[2] == []
    with desk.container.session_factory() as session:
        assert session.scalars(select(Ticket.number)).one() == number
    desk.container.close()


def test_validation_timing_rules_on_the_business_calendar() -> None:
    cal = get_calendar("default")
    proposed = local(2026, 3, 6, 16, 0)  # Friday
    monday, wednesday = local(2026, 3, 9, 16, 0), local(2026, 3, 11, 16, 0)
    assert validation_action(cal, proposed, None, monday - timedelta(seconds=1), 3) is None
    assert validation_action(cal, proposed, None, monday, 3) == "remind"
    assert validation_action(cal, proposed, None, wednesday, 3) == "remind"  # never close unreminded
    assert validation_action(cal, proposed, monday, wednesday - timedelta(seconds=1), 3) is None
    assert validation_action(cal, proposed, monday, wednesday, 3) == "close"
    # With a one-day setting the reminder and the close fall together: the close waits a business day.
    assert validation_action(cal, proposed, monday, monday, 1) is None
    assert validation_action(cal, proposed, monday, local(2026, 3, 10, 16, 0), 1) == "close"
    # 18 and 19 September (Chilean holidays) are not business days
    assert validation_action(cal, local(2026, 9, 17, 10, 0), None, local(2026, 9, 18, 10, 0), 3) is None
    assert validation_action(cal, local(2026, 9, 17, 10, 0), None, local(2026, 9, 21, 10, 0), 3) == "remind"


def test_the_auto_close_delay_follows_the_setting(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    desk = Desk(database_url, tmp_path, clock, VALIDATION_AUTO_CLOSE_BUSINESS_DAYS="2")
    number = open_ticket_through_chat(desk.chat, "No se actualiza el tipo de cambio del dólar", "3", "3")
    desk.chat.agent("take", number)
    desk.chat.agent("solve", number, "Reactivamos la tarea programada")  # Monday 09:00
    assert len(desk.sweep_at(local(2026, 3, 3, 9, 0))[2]) == 1  # reminder on Tuesday
    assert desk.sweep_at(local(2026, 3, 4, 8, 59))[2] == []
    assert "Cerramos su ticket" in desk.sweep_at(local(2026, 3, 4, 9, 0))[2][0]  # closed on Wednesday
    assert desk.ticket(number).status == "closed"
    desk.container.close()
