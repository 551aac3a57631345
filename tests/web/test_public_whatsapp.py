"""A ticket opened on WhatsApp (fake Twilio, the real signed webhook) followed on its tracking page in
headless Chromium: the link comes with the registration notice, a reply from the page resumes the clock."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.integration.test_tracking_whatsapp import env, open_on_whatsapp
from tests.integration.test_whatsapp_webhook import Env
from tests.support.browser import LiveServer, screenshot

__all__ = ["env"]
LINK_IN = "Seguimiento: "


def test_the_whatsapp_registration_links_to_the_tracking_page(
    env: Env, live_server: LiveServer, page: Page
) -> None:
    number, path = open_on_whatsapp(env)
    live_server.mount(env.client.application)
    page.goto(live_server.url + path)
    assert page.locator("#number").inner_text() == number
    assert page.locator("#status").inner_text() == "nuevo"
    assert page.locator("#priority").inner_text() == "P1"  # impact high × urgency high
    screenshot(page, "public-tracking-whatsapp")
    env.container.agent_actions.ask(number, "ana@soporte.example", "¿Qué pedido falla?")
    env.work()
    assert LINK_IN in (env.twilio.calls[-1].get("Body") or ""), "the information request quotes the link"
    page.reload()
    assert "esperamos su respuesta" in page.locator("#resolution").inner_text()
    page.fill("#reply-body", "El pedido S00042")
    with page.expect_navigation():
        page.click("#reply button[type=submit]")
    assert page.locator("#status").inner_text() == "en curso"
    assert "S00042" in page.locator("#timeline").inner_text()
