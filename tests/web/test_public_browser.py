"""The customer pages in headless Chromium: the whole form by keyboard alone (plus one upload), every field
labelled, then the tracking page: replying, validating and rating from it."""

from __future__ import annotations

import re

from playwright.sync_api import Page
from sqlalchemy import select

from intake.db.models import Ticket
from intake.delivery.tracking_links import current_token
from tests.support.browser import LiveServer, screenshot
from tests.web.conftest import Console, chat, open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select')]
  .filter(el => el.type !== 'hidden' && !el.closest('[aria-hidden=true]'))
  .filter(el => !el.id || !document.querySelector(`label[for="${el.id}"]`))
  .map(el => el.outerHTML)"""


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focused element matches the selector."""
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def labelled(page: Page) -> None:
    """Every visible field of the page has a <label for>."""
    assert page.evaluate(UNLABELLED) == []


def submit(page: Page) -> None:
    """Press Enter on the focused control and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_answer(page: Page, text: str) -> None:
    """Type into the answer field and submit with the keyboard."""
    tab_to(page, "#text")
    page.keyboard.type(text)
    tab_to(page, "#continue")
    submit(page)


def choose(page: Page, position: int) -> None:
    """Pick the n-th option with Space and the arrow keys, then submit with Enter."""
    tab_to(page, "input[name=choice]")
    page.keyboard.press("Space")
    for _ in range(position - 1):
        page.keyboard.press("ArrowDown")
    tab_to(page, "#continue")
    submit(page)


def test_the_form_by_keyboard_with_an_upload_then_the_tracking_page(
    desk: Console, live_server: LiveServer, page: Page
) -> None:
    live_server.mount(desk.app)
    page.goto(f"{live_server.url}/soporte?lang=es")
    assert "¿Cuál es su nombre?" in page.content()
    labelled(page)
    screenshot(page, "public-form-start")
    type_answer(page, "Pedro Soto")
    type_answer(page, "Comercial Andes")
    labelled(page)
    choose(page, 1)  # yes, Comercial Andes SpA
    type_answer(page, "pedro@andes.example")
    choose(page, 1)  # a failure
    type_answer(page, "El punto de venta no emite boletas desde las 9:00")
    choose(page, 8)  # module: I do not know
    labelled(page)
    page.set_input_files("#files", files=[{"name": "pantalla.png", "mimeType": "image/png", "buffer": PNG}])
    screenshot(page, "public-form-evidence")
    tab_to(page, "#continue")
    submit(page)
    choose(page, 1)  # done sending files
    choose(page, 1)  # impact: the whole operation
    choose(page, 1)  # urgency: today
    assert "P1" in page.content()
    labelled(page)
    screenshot(page, "public-form-summary")
    choose(page, 1)  # confirm
    number = page.locator("#ticket-number").inner_text()
    assert re.fullmatch(r"LA-\d{6}", number)
    screenshot(page, "public-form-registered")
    desk.container.run_jobs_once()  # the media job files the upload
    tab_to(page, "#tracking-link")
    submit(page)
    page.wait_for_url(re.compile(rf".*/t/{number}\?k=.+"))
    assert page.locator("#status").inner_text() == "nuevo"
    assert page.locator("#evidence").inner_text().startswith("pantalla.png")
    labelled(page)
    screenshot(page, "public-tracking-new")


def test_replying_validating_and_rating_from_the_tracking_page(
    desk: Console, live_server: LiveServer, page: Page
) -> None:
    """A ticket opened in the (simulated) WhatsApp chat, followed on its tracking page."""
    live_server.mount(desk.app)
    customer = chat(desk)
    number = open_ticket(desk, "No puedo timbrar facturas electrónicas")
    # no PUBLIC_BASE_URL in this app, so no URL in the chat: the token the notifications would quote
    assert desk.app.extensions["public"].tracking.link(number) is None
    with desk.container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        token = current_token(session, ticket, desk.container.settings.secret_key, now=desk.container.clock())
    customer.agent("take", number)
    customer.agent("info", number, "¿Qué error muestra el SII?")
    page.goto(f"{live_server.url}/t/{number}?k={token}")
    assert "esperamos su respuesta" in page.locator("#resolution").inner_text()
    labelled(page)
    screenshot(page, "public-tracking-waiting")
    page.fill("#reply-body", "Dice: CAF vencido")
    with page.expect_navigation():
        page.click("#reply button[type=submit]")
    assert page.locator("#status").inner_text() == "en curso"
    assert "CAF vencido" in page.locator("#timeline").inner_text()
    customer.agent("solve", number, "Cargamos un CAF nuevo")
    page.reload()
    page.check("#answer-no")
    page.fill("#validate-comment", "Sigue el error")
    with page.expect_navigation():
        page.click("#validate button[type=submit]")
    assert page.locator("#status").inner_text() == "reabierto"
    customer.agent("solve", number, "Ahora sí, CAF cargado en producción")
    page.reload()
    page.check("#answer-yes")
    with page.expect_navigation():
        page.click("#validate button[type=submit]")
    assert page.locator("#status").inner_text() == "cerrado"
    page.check("#rating-5")
    page.fill("#survey-comment", "Muy rápidos")
    with page.expect_navigation():
        page.click("#survey button[type=submit]")
    assert "5/5" in page.locator("#rated").inner_text()
    screenshot(page, "public-tracking-rated")


def test_a_wrong_or_revoked_link_is_the_same_404_in_the_browser(
    desk: Console, live_server: LiveServer, page: Page
) -> None:
    """A guessed token and a revoked one show the same 'not found' page, naming nothing of the ticket."""
    live_server.mount(desk.app)
    number = open_ticket(desk, "El POS no imprime boletas desde la mañana")
    with desk.container.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        token = current_token(session, ticket, desk.container.settings.secret_key, now=desk.container.clock())
    opened = page.goto(f"{live_server.url}/t/{number}?k={token}")
    assert opened is not None and opened.status == 200
    assert "POS" in page.content()
    wrong = page.goto(f"{live_server.url}/t/{number}?k={token[:-2]}xx")
    assert wrong is not None and wrong.status == 404
    wrong_body = page.locator("body").inner_text()
    desk.app.extensions["public"].tracking.revoke(number)
    revoked = page.goto(f"{live_server.url}/t/{number}?k={token}")
    assert revoked is not None and revoked.status == 404
    assert page.locator("body").inner_text() == wrong_body
    for leak in (number, "POS", "boletas", "Comercial Andes"):
        assert leak not in page.content()
    screenshot(page, "public-tracking-404")
