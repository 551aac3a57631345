"""Agents' files reach the customer: stored on the ticket, sent with a signed, expiring public link."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from intake.cli.simulator import ChatSession
from intake.db.models import Agent, Attachment, Ticket
from tests.integration.service_harness import make_container, open_ticket_through_chat
from tests.support.clock import FakeClock
from webhooks import create_app


def test_agent_file_is_sent_with_a_link_only_the_signature_opens(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(
        database_url, tmp_path, clock, PUBLIC_BASE_URL="https://support.example.com", SECRET_KEY="k" * 32
    )
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "Necesitamos el manual de cierre contable de fin de mes")
    content = b"%PDF-1.4 manual de cierre"
    stored = container.store.put(content, "application/pdf", "manual.pdf")
    with container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        agent = session.scalars(select(Agent)).first()
        assert agent is not None
        container.tickets.send_file(
            session,
            ticket,
            agent,
            stored,
            container.store.relative(stored),
            filename="manual.pdf",
            content_type="application/pdf",
            caption="Le envío el manual",
            now=clock(),
        )
    (sent,) = chat.flush()
    assert sent.text == "Le envío el manual" and sent.media_filename == "manual.pdf"
    assert sent.media_url is not None and sent.media_url.startswith("https://support.example.com/media/")
    assert Path(sent.media_path or "").read_bytes() == content
    client = create_app(container).test_client()
    token = sent.media_url.rsplit("/", 1)[1]
    response = client.get(f"/media/{token}")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == "application/pdf"
    assert client.get(f"/media/{token[:-2]}xx").status_code == 404  # forged
    with container.transaction() as session:
        customer_file = Attachment(
            origin="whatsapp",
            provider_ref="https://api.twilio.com/x",
            status="stored",
            storage_path=container.store.relative(stored),
            created_at=clock(),
        )
        session.add(customer_file)
        session.flush()
        customer_token = container.media_links.token_for(customer_file.id)
    assert client.get(f"/media/{customer_token}").status_code == 404  # customers' evidence is never public
    clock.advance(hours=25)
    assert client.get(f"/media/{token}").status_code == 404  # links expire after a day
    container.close()


def test_download_names_cannot_break_the_header() -> None:
    from webhooks import _attachment_header

    header = _attachment_header('informe "final"\nñ.pdf')
    assert "\n" not in header and header.count('"') == 2
    assert header.endswith("filename*=UTF-8''informe%20%22final%22%0A%C3%B1.pdf")
