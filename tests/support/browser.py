"""Headless Chromium (Debian's `chromium`, driven by playwright's sync API) and a live server for the console.

No pytest-playwright (its plugin raises a deprecation warning this suite turns into an error) and never a
browser download: `executable_path` is the system's chromium, started with flags that keep it off the
network (no background requests, no component updates, no sync). The browser is a subprocess, outside
the in-process network guard; these flags and loopback-only URLs are what keep it local.

`LiveServer` serves the real Flask app with werkzeug's `make_server` on 127.0.0.1 (a free port) in a
thread; the app is mounted after the server starts, because the app's settings need the server's URL.
Screenshots go to tests/artifacts/ (gitignored; CI keeps them as artifacts).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--dns-prefetch-disable",
)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def chromium_path() -> str:
    """The system chromium, or a clear failure (the Makefile and .ci/run install it with apt)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (make test does it as root)")
    return path


class LiveServer:
    """A werkzeug server on a free loopback port in a daemon thread; mount the app once it is built."""

    def __init__(self) -> None:
        self._app: WSGIApp | None = None
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's base URL (no trailing slash)."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def mount(self, app: WSGIApp) -> None:
        """Serve this WSGI app from now on."""
        self._app = app

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app mounted yet"]
        return self._app(environ, start_response)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver for the whole session (sync API)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """One headless system Chromium for the session, kept off the network by its flags."""
    launched = playwright_driver.chromium.launch(
        executable_path=chromium_path(), headless=True, args=list(CHROMIUM_FLAGS)
    )
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (own cookies) and page per test, phone-or-laptop sized by the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CL")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """A live server for one test; mount the app on it."""
    server = LiveServer()
    yield server
    server.stop()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
