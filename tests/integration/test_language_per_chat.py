"""Issue 10, item 16: a language chosen in one chat stays in that chat."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from intake.cli.simulator import ChatSession
from intake.db.models import ChannelIdentity, Contact, Conversation
from tests.integration.service_harness import make_container, texts
from tests.support.clock import FakeClock

WHATSAPP = "+56911111111"  # the demo contact's WhatsApp identity
TELEGRAM = "734001"


def test_portuguese_on_whatsapp_does_not_switch_the_same_contacts_telegram_chat(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    with container.transaction() as session:
        maria = session.scalars(select(Contact).where(Contact.name == "María González")).one()
        session.add(ChannelIdentity(contact_id=maria.id, channel="telegram", address=TELEGRAM))
    telegram = ChatSession(container, TELEGRAM, simulated_channel="telegram")
    whatsapp = ChatSession(container, WHATSAPP)
    assert "María" in texts(telegram.say("hola"))
    telegram.say("cancelar")

    whatsapp.say("idioma")
    chosen = texts(whatsapp.say("Português"))
    assert "português" in chosen.lower(), chosen
    assert "Olá" in texts(whatsapp.say("oi"))

    answer = texts(telegram.say("hola"))
    assert "Hola" in answer or "Buen" in answer, answer  # still Spanish on Telegram
    assert "Olá" not in answer and "Você" not in answer
    with container.session_factory() as session:
        by_address = dict(session.execute(select(Conversation.address, Conversation.language)).all())
        contact = session.scalars(select(Contact).where(Contact.name == "María González")).one()
    assert by_address == {WHATSAPP: "pt", TELEGRAM: "es"}
    assert contact.language in (None, "es")  # the contact's default is untouched
    container.close()
