"""The customer pages with Flask's test client: the form's steps, CSRF, the honeypot, the tracking page's 404
(identical for a wrong, revoked or unknown link), its headers, and its POSTs."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from intake.db.models import Attachment, Contact, Ticket
from intake.delivery.tracking_links import current_token
from intake.services.demo import DEMO_EMAIL
from intake.services.tracking import TrackingPages
from tests.web.conftest import Console, chat, open_ticket

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pages(console: Console) -> TrackingPages:
    """The tracking use cases the app uses."""
    found: TrackingPages = console.app.extensions["public"].tracking
    return found


def token_of(client: FlaskClient, path: str) -> str:
    """The CSRF token on a page."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def tracked(desk: Console) -> tuple[str, str]:
    """A ticket opened in the demo contact's WhatsApp chat and its tracking path (number, token)."""
    number = open_ticket(desk, "La impresora fiscal no responde")
    with desk.container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        token = current_token(session, ticket, desk.container.settings.secret_key, now=desk.container.clock())
    return number, token


def answer(client: FlaskClient, data: dict[str, object]) -> str:
    """Submit one form step and return the next page's text."""
    data = {"csrf_token": token_of(client, "/soporte"), **data}
    response = client.post("/soporte", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get("/soporte").get_data(as_text=True)


def test_the_form_runs_the_chat_dialog_to_a_ticket_and_its_link(desk: Console) -> None:
    client = desk.app.test_client()
    first = client.get("/soporte", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert first.status_code == 200
    assert '<html lang="en">' in first.get_data(as_text=True)  # Accept-Language chose English
    client.get("/soporte?lang=es")
    client.post("/soporte/nueva", data={"csrf_token": token_of(client, "/soporte")})
    page = client.get("/soporte").get_data(as_text=True)
    assert "¿Cuál es su nombre?" in page
    assert 'for="text"' in page and 'id="text"' in page
    answer(client, {"text": "Pedro Soto"})
    page = answer(client, {"text": "Comercial Andes"})
    assert "confirm_company:yes" in page
    answer(client, {"choice": "confirm_company:yes"})
    page = answer(client, {"text": DEMO_EMAIL})
    assert "ask_type:incident" in page
    answer(client, {"choice": "ask_type:incident"})
    answer(client, {"text": "No se puede emitir boletas desde el punto de venta"})
    page = answer(client, {"choice": "ask_module:unknown"})
    assert 'type="file"' in page and "multiple" in page
    page = answer(client, {"files": [(io.BytesIO(PNG), "pantalla.png", "image/png")]})
    answer(client, {"choice": "ask_evidence:done"})
    answer(client, {"choice": "ask_impact:high"})
    page = answer(client, {"choice": "ask_urgency:high"})
    assert "P1" in page and "confirm_summary:confirm" in page
    page = answer(client, {"choice": "confirm_summary:confirm"})
    number = re.search(r'id="ticket-number">([^<]+)<', page)
    link = re.search(r'id="tracking-link" href="([^"]+)"', page)
    assert number and link, page
    tracking = client.get(link.group(1).replace("&amp;", "&"))
    assert tracking.status_code == 200 and number.group(1) in tracking.get_data(as_text=True)
    with desk.container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number.group(1))).one()
        assert ticket.channel == "web" and ticket.needs_verification
        contact = session.get(Contact, ticket.contact_id)
        assert contact is not None and contact.self_identified
        assert contact.claimed_email == DEMO_EMAIL  # a known e-mail: flagged
        assert session.scalars(select(Attachment.filename)).all() == ["pantalla.png"]


def test_a_form_post_without_csrf_is_refused(desk: Console) -> None:
    client = desk.app.test_client()
    client.get("/soporte")
    assert client.post("/soporte", data={"text": "hola"}).status_code == 400


def test_the_honeypot_records_nothing(desk: Console) -> None:
    client = desk.app.test_client()
    before = client.get("/soporte").get_data(as_text=True)
    page = answer(client, {"text": "Spam Bot", "website": "http://spam.example"})
    assert page.count("¿Cuál es su nombre?") == before.count("¿Cuál es su nombre?")
    assert "Gracias, Spam Bot" not in page


def test_the_form_is_rate_limited_per_address(desk: Console) -> None:
    desk.app.config["PUBLIC_RATE_LIMIT"] = "3/minute"
    client = desk.app.test_client()
    token = token_of(client, "/soporte")
    codes = [client.post("/soporte", data={"csrf_token": token, "text": "x"}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]


def test_wrong_revoked_and_unknown_links_are_the_same_404(desk: Console) -> None:
    number, token = tracked(desk)
    client = desk.app.test_client()
    good = client.get(f"/t/{number}?k={token}")
    assert good.status_code == 200
    assert good.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in good.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex' in good.get_data(as_text=True)
    wrong = client.get(f"/t/{number}?k={token[:-2]}xx")
    unknown = client.get(f"/t/LA-999999?k={token}")
    missing = client.get(f"/t/{number}")
    pages(desk).revoke(number)
    revoked = client.get(f"/t/{number}?k={token}")
    bodies = {r.get_data() for r in (wrong, unknown, missing, revoked)}
    assert {r.status_code for r in (wrong, unknown, missing, revoked)} == {404}
    assert len(bodies) == 1
    assert number.encode() not in bodies.pop()
    assert revoked.headers["Referrer-Policy"] == "no-referrer"


def test_the_tracking_pages_posts_need_csrf_and_the_token(desk: Console) -> None:
    number, token = tracked(desk)
    client = desk.app.test_client()
    assert client.post(f"/t/{number}/reply", data={"k": token, "body": "hola"}).status_code == 400
    csrf = token_of(client, f"/t/{number}?k={token}")
    wrong = client.post(f"/t/{number}/reply", data={"csrf_token": csrf, "k": "nope", "body": "hola"})
    assert wrong.status_code == 404
    sent = client.post(
        f"/t/{number}/reply",
        data={
            "csrf_token": csrf,
            "k": token,
            "body": "Adjunto la foto",
            "files": [(io.BytesIO(PNG), "foto.png", "image/png")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    page = client.get(f"/t/{number}?k={token}").get_data(as_text=True)
    assert "Adjunto la foto" in page and "Su mensaje fue enviado." in page
    file_link = re.search(r'href="(/t/[^"]+/files/\d+\?k=[^"]+)"', page)
    assert file_link
    served = client.get(file_link.group(1).replace("&amp;", "&"))
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    no_token = client.get(file_link.group(1).split("?")[0])
    assert no_token.status_code == 404


def test_validating_and_rating_from_the_page(desk: Console) -> None:
    number, token = tracked(desk)
    session_chat = chat(desk)
    session_chat.agent("take", number)
    session_chat.agent("solve", number, "Se reinició el servicio de impresión")
    client = desk.app.test_client()
    csrf = token_of(client, f"/t/{number}?k={token}")
    client.post(f"/t/{number}/validate", data={"csrf_token": csrf, "k": token, "answer": "yes"})
    page = client.get(f"/t/{number}?k={token}").get_data(as_text=True)
    assert 'id="status">cerrado<' in page and 'id="survey"' in page
    client.post(
        f"/t/{number}/survey", data={"csrf_token": csrf, "k": token, "rating": "5", "comment": "Excelente"}
    )
    page = client.get(f"/t/{number}?k={token}").get_data(as_text=True)
    assert 'id="rated"' in page and "5/5" in page


def test_a_file_larger_than_the_webhooks_2mb_cap_is_taken_on_the_tracking_page(desk: Console) -> None:
    """The customer pages take files up to 16 MB (the provider webhooks keep the app's 2 MB body cap)."""
    number, token = tracked(desk)
    client = desk.app.test_client()
    csrf = token_of(client, f"/t/{number}?k={token}")
    big = PNG + b"\x00" * (3 * 1024 * 1024)
    builder = EnvironBuilder(
        path=f"/t/{number}/reply",
        method="POST",
        data={
            "csrf_token": csrf,
            "k": token,
            "body": "La captura grande",
            "files": [(io.BytesIO(big), "grande.png", "image/png")],
        },
    )
    environ = builder.get_environ()
    try:  # the builder spools a large body to a temporary file: close it here, not at garbage collection
        status = client.open(environ).status_code
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert status == 302
    with desk.container.session_factory() as session:
        sizes = session.scalars(select(Attachment.size).where(Attachment.filename == "grande.png")).all()
    assert sizes == [len(big)]


def test_an_e_mail_ticket_answers_its_triage_on_the_page(desk: Console) -> None:
    """Opened by e-mail at the default P3, the two questions are answered on the page (the reply's logic)."""
    raw = (Path(__file__).parent.parent / "fixtures" / "email" / "html_only.eml").read_bytes()
    number = desk.container.make_mail_intake().ingest(raw).number
    assert number
    with desk.container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        token = current_token(session, ticket, desk.container.settings.secret_key, now=desk.container.clock())
    client = desk.app.test_client()
    page = client.get(f"/t/{number}?k={token}").get_data(as_text=True)
    assert 'id="triage"' in page and 'for="impact-alto"' in page and 'id="priority">P3<' in page
    csrf = token_of(client, f"/t/{number}?k={token}")
    bad = {"csrf_token": csrf, "k": token, "impact": "enorme", "urgency": "alta"}
    client.post(f"/t/{number}/triage", data=bad)
    assert 'id="priority">P3<' in client.get(f"/t/{number}?k={token}").get_data(as_text=True)
    good = {"csrf_token": csrf, "k": token, "impact": "alto", "urgency": "alta"}
    assert client.post(f"/t/{number}/triage", data=good).status_code == 302
    page = client.get(f"/t/{number}?k={token}").get_data(as_text=True)
    assert 'id="priority">P1<' in page and 'id="triage"' not in page
    with desk.container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.impact, ticket.urgency, ticket.priority) == ("alto", "alta", "P1")
    assert not pages(desk).triage(number, token, "bajo", "baja")  # answered once: the page no longer asks
    assert not pages(desk).triage(number, "wrong-token", "alto", "alta")
