"""The console in headless Chromium: an agent signs in and sees the queue."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.support.browser import LiveServer, screenshot
from tests.web.conftest import PASSWORD, Console


def test_an_agent_signs_in_with_the_browser(console: Console, live_server: LiveServer, page: Page) -> None:
    console.agent("ana@soporte.example", "Ana Soporte")
    live_server.mount(console.app)
    page.goto(f"{live_server.url}/console/")
    assert "/console/sign-in" in page.url
    page.fill("input[name=email]", "ana@soporte.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in button[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/")
    assert page.locator(".agent-name").inner_text() == "Ana Soporte"
    screenshot(page, "console-signed-in")
