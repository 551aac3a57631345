"""The agents' console in headless Chromium against the real app, WhatsApp through the fake Twilio.

A ticket opened over WhatsApp (signed webhooks, tests/support/twilio_fake.py) appears in the queue by
itself (htmx polling); the agent takes it with the keyboard, replies (the reply leaves through the fake
Twilio once the outbox worker runs), asks for information (the badge turns grey: paused), proposes a
solution; the customer validates it in the chat and answers the survey; the page shows it closed with
the answer. A hand-off is answered from the console. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from channels.whatsapp.adapter import WhatsAppAdapter
from intake.bootstrap import build_container
from intake.config import load_settings
from intake.db.models import ChannelIdentity, Company, Contact, SupportPlan
from intake.services.accounts import Accounts
from intake.services.agent_actions import Registration
from intake.wiring import adapters_from_settings, whatsapp_config
from tests.e2e.test_whatsapp_e2e import CUSTOMER, SANDBOX, TOKEN, Env, WhatsApp, seed_customer
from tests.integration.test_email_send import Mailbox
from tests.support.browser import ARTIFACTS, LiveServer, screenshot
from tests.support.clock import FakeClock, Sleeps
from tests.support.twilio_fake import ACCOUNT, FakeTwilio
from web.services import PASSWORD_HASHER
from webhooks import create_app

AGENT = "ana@soporte.example"
OTHER_CUSTOMERS = (
    ("Distribuidora del Pacífico Ltda.", "Jorge Castillo"),
    ("Viña Santa Emilia S.A.", "Carolina Fuentes"),
    ("Ferretería Los Andes", "Luis Pérez"),
)
OTHER_TICKETS = (  # (contact, description, impact, urgency): the first one gets a question (paused)
    ("Luis Pérez", "El SII rechaza las guías de despacho", "alto", "media"),
    ("Jorge Castillo", "No se puede emitir ninguna factura en la sucursal centro", "alto", "alta"),
    ("Carolina Fuentes", "El cierre de inventario no cuadra con bodega", "alto", "media"),
    ("Luis Pérez", "Pedir un usuario nuevo para contabilidad", "bajo", "baja"),
)
PASSWORD = "correct horse battery"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@dataclass
class Desk:
    """The live app, the customer's WhatsApp and the browser."""

    env: Env
    customer: WhatsApp
    page: Page
    url: str

    def open(self, path: str) -> None:
        """Go to a console page."""
        self.page.goto(f"{self.url}{path}")

    def say(self, text: str) -> None:
        """The customer writes, a minute after the last thing that happened."""
        self.env.clock.advance(minutes=1)
        self.customer.say(text)

    def later(self, minutes: int = 1) -> None:
        """Let time pass (the app's clock is the fake one)."""
        self.env.clock.advance(minutes=minutes)

    def sent_to_customer(self) -> list[str]:
        """Run the outbox worker; the bodies the fake Twilio received for the customer since last time."""
        self.env.work()
        return [m.get("Body", "") for m in self.customer.new_messages()]


@pytest.fixture
def desk(
    database_url: str,
    tmp_path: Path,
    httpserver: HTTPServer,
    clock: FakeClock,
    live_server: LiveServer,
    page: Page,
) -> Iterator[Desk]:
    """The production-wired app with WhatsApp (fake Twilio) on a live server, an agent with a password."""
    twilio = FakeTwilio(httpserver, TOKEN)
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(tmp_path / "data"),
            "PUBLIC_BASE_URL": live_server.url,
            "SECRET_KEY": "browser-test-secret-key-0123456789",
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_WHATSAPP_FROM": SANDBOX,
            "TWILIO_API_BASE_URL": twilio.base_url,
        },
        env_file=None,
    )
    wired = adapters_from_settings(settings)
    wired["whatsapp"].close()  # type: ignore[attr-defined]
    adapters = {"whatsapp": WhatsAppAdapter(whatsapp_config(settings), clock=clock, sleep=Sleeps())}
    container = build_container(settings, clock=clock, adapters=adapters)
    app = create_app(container)
    app.config["CONSOLE_REFRESH_SECONDS"] = 1
    live_server.mount(app)
    env = Env(container, live_server.url, clock, twilio, Mailbox(), Sleeps())
    seed_customer(env)
    Accounts(container.session_factory, PASSWORD_HASHER, clock).add(AGENT, "Ana Soporte", PASSWORD)
    yield Desk(env, WhatsApp(env), page, live_server.url)
    container.close()


def sign_in(desk: Desk) -> None:
    desk.open("/console/")
    desk.page.fill("input[name=email]", AGENT)
    desk.page.fill("input[name=password]", PASSWORD)
    desk.page.click("#sign-in button[type=submit]")
    expect(desk.page.locator(".agent-name")).to_have_text("Ana Soporte")


def png(width: int, height: int) -> bytes:
    """A real PNG image (grey pixels), so the browser can show it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def open_ticket_over_whatsapp(desk: Desk, description: str) -> str:
    """The customer's intake dialog over WhatsApp, with a screenshot as evidence; the new ticket's number."""
    for text in ("hola", "1", description, "omitir"):
        desk.say(text)
    url = desk.env.twilio.serve_media("ME0a1b2c3d4e5f60718293a4b5c6d7e8f9", png(64, 40), "image/png")
    desk.later()
    desk.customer.send_files("Así aparece el error", (url, "image/png"))
    for text in ("listo", "1", "1"):
        desk.say(text)
    desk.later()
    confirmation = " ".join(m.get("Body", "") for m in desk.customer.say("confirmar"))
    assert "Registramos su ticket" in confirmation, confirmation
    return confirmation.split("ticket ", 1)[1].split(".", 1)[0].split()[0]


def other_customers_tickets(desk: Desk) -> None:
    """Other customers phoned ~40 minutes earlier: one ticket breached, one at risk, one paused, one fine."""
    container = desk.env.container
    with container.transaction() as session:
        plan = session.scalars(select(SupportPlan)).one()
        for index, (company, person) in enumerate(OTHER_CUSTOMERS):
            contact = Contact(name=person, company=Company(name=company, plan=plan))
            session.add(contact)
            session.add(ChannelIdentity(contact=contact, channel="whatsapp", address=f"+5698888000{index}"))
    with container.session_factory() as session:
        ids = {name: contact_id for name, contact_id in session.execute(select(Contact.name, Contact.id))}
    register = container.agent_actions.register
    paused = ""
    for person, description, impact, urgency in OTHER_TICKETS:
        number = register(AGENT, Registration(ids[person], "incident", description, impact, urgency)).number
        paused = paused or number
    container.agent_actions.ask(paused, AGENT, "¿Nos envía el archivo XML rechazado?")
    desk.later(minutes=30)  # with the WhatsApp dialog below, ~40 minutes before the queue is looked at
    desk.env.work()


def test_a_whatsapp_ticket_is_worked_from_the_console_until_the_customer_closes_it(desk: Desk) -> None:
    page = desk.page
    other_customers_tickets(desk)
    sign_in(desk)
    desk.open("/console/?view=open")
    expect(page.locator("tr.row")).to_have_count(4)

    number = open_ticket_over_whatsapp(desk, "No podemos emitir facturas electrónicas desde la mañana")
    row = page.locator(f'tr.row[data-number="{number}"]')
    expect(row).to_be_visible(timeout=15_000)  # no reload: the polled partial brought it in
    expect(row).to_contain_text("Comercial Andes SpA")
    expect(row).to_contain_text("whatsapp")
    expect(row.locator(".badge.sla")).to_have_attribute("data-tone", "ok")
    tones = page.locator("tr.row .badge.sla")
    assert sorted(tones.evaluate_all("els => els.map(e => e.dataset.tone)")) == [
        "amber",
        "grey",
        "ok",
        "ok",
        "red",
    ]
    screenshot(page, "console-queue")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: rows become cards, nothing overflows
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "console-queue-phone", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    position = page.locator("tr.row").evaluate_all("rows => rows.map(r => r.dataset.number)").index(number)
    for _ in range(position + 1):
        page.keyboard.press("j")
    expect(row).to_have_class("row selected")
    desk.later()
    page.keyboard.press("t")  # take
    page.wait_for_url(f"{desk.url}/console/tickets/{number}")
    expect(page.locator(".flash-success")).to_contain_text("Ticket tomado")
    expect(page.locator("#assignee")).to_have_text("Ana Soporte")
    expect(page.locator("#window")).to_contain_text("Ventana de WhatsApp abierta hasta")
    evidence = page.locator("#evidence figure.attachment img")  # the customer's screenshot, previewed
    expect(evidence).to_have_count(1)
    evidence.scroll_into_view_if_needed()  # previews load lazily
    page.wait_for_function("() => document.querySelector('#evidence img').complete")
    assert evidence.evaluate("img => img.naturalWidth") == 64  # served to the signed-in agent, decoded
    page.evaluate("window.scrollTo(0, 0)")
    assert any("Ana Soporte" in body for body in desk.sent_to_customer())  # "taken by …" notice

    desk.later()
    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("Hola, ya estamos revisando el servicio de facturación.")
    page.click("#reply button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Respuesta en cola")
    assert any("ya estamos revisando el servicio de facturación" in b for b in desk.sent_to_customer())
    expect(page.locator('li.entry.agent[data-event="agent_reply"]')).to_contain_text("ya estamos revisando")

    desk.later()
    page.fill("#ask-text", "¿Qué mensaje de error muestra el SII?")
    page.click("#ask-form button[type=submit]")
    expect(page.locator("#sla-badge")).to_have_attribute("data-tone", "grey")
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "waiting_customer")
    assert any("¿Qué mensaje de error muestra el SII?" in b for b in desk.sent_to_customer())
    desk.say("Dice: CAF vencido")
    desk.env.work()
    desk.later()

    page.reload()
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "in_progress")
    expect(page.locator("li.entry.customer").last).to_contain_text("CAF vencido")
    page.fill("#note-text", "Hay que cargar un CAF nuevo desde el portal del SII")
    page.click("#note button[type=submit]")
    expect(page.locator("li.entry.note")).to_contain_text("CAF nuevo")
    desk.later(minutes=20)
    page.fill("#solve-text", "Cargamos un CAF nuevo; ya puede emitir facturas.")
    page.click("#solve-form button[type=submit]")
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "solution_proposed")
    asked = desk.sent_to_customer()
    assert any("Cargamos un CAF nuevo" in b for b in asked), asked
    screenshot(page, "console-ticket", full_page=False)
    screenshot(page, "console-ticket-full")

    desk.say("1")  # the solution works
    desk.say("5")  # survey rating
    desk.env.work()
    page.reload()
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "closed")
    expect(page.locator("#survey")).to_contain_text("5/5")
    expect(page.locator("#actions")).to_have_count(0)
    screenshot(page, "console-ticket-closed")
    _publish("console-queue", "console-ticket")


def test_a_hand_off_is_answered_from_the_console(desk: Desk) -> None:
    page = desk.page
    sign_in(desk)
    desk.open("/console/?view=handoffs")
    desk.say("hola")
    desk.say("quiero hablar con un agente")
    desk.say("no puedo entrar al ERP")
    desk.env.work()
    desk.customer.new_messages()
    link = page.locator("table.handoffs a").first
    expect(link).to_contain_text("Valentina Muñoz", timeout=15_000)  # the queue refreshed by itself
    expect(page.locator('.tab[data-view="handoffs"] .count')).to_have_text("1")
    link.click()
    expect(page.locator("#handoff-state")).to_have_attribute("data-requested", "true")
    expect(page.locator("#chat")).to_contain_text("no puedo entrar al ERP")
    desk.later()
    page.fill("#reply-text", "Hola Valentina, soy Ana. ¿Qué error ve?")
    page.click("#reply button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    assert "Ana Soporte (soporte): Hola Valentina, soy Ana. ¿Qué error ve?" in desk.sent_to_customer()
    screenshot(page, "console-handoff")
    page.click("#end-handoff button")
    page.wait_for_url(f"{desk.url}/console/?view=handoffs")
    expect(page.locator(".flash-success")).to_contain_text("Derivación terminada")
    expect(page.locator('.tab[data-view="handoffs"] .count')).to_have_text("0")
    assert desk.sent_to_customer()  # the customer is told the bot is back
    assert CUSTOMER


def _publish(*names: str) -> None:
    """Copy screenshots to docs/img/ when asked (UPDATE_DOCS_IMG=1), for the README."""
    import os

    if os.environ.get("UPDATE_DOCS_IMG") != "1":
        return
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(ARTIFACTS / f"{name}.png", DOCS_IMG / f"{name}.png")
