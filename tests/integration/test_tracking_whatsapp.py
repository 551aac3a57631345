"""A ticket opened on WhatsApp (fake Twilio, the real signed webhook): its messages quote the tracking
link, and with the 24-hour window closed and no template, the e-mail copy carries the link. (Followed in
Chromium: tests/web/test_public_whatsapp.py, where the browser fixtures live.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.integration.test_whatsapp_webhook import (
    PUBLIC,
    Env,
    MailRecorder,
    build_env,
    post_fast,
    seed_customer,
    text_form,
)
from tests.support.clock import FakeClock

LINK = re.compile(r"Seguimiento: (https://\S+)")
STEPS = ("Hola", "1", "El módulo de ventas no confirma pedidos", "omitir", "omitir", "1", "1", "confirmar")


@pytest.fixture
def env(database_url: str, tmp_path: Path, httpserver: HTTPServer, clock: FakeClock) -> Iterator[Env]:
    """The production-wired app (WhatsApp via fake Twilio, e-mail recorded) with a public base URL."""
    built = build_env(database_url, tmp_path / "data", httpserver, clock)
    seed_customer(built)
    yield built
    built.container.close()


def open_on_whatsapp(env: Env) -> tuple[str, str]:
    """The customer's dialog through the signed webhook; the ticket number and its tracking path."""
    for index, body in enumerate(STEPS):
        post_fast(env, text_form(f"SM{index:032d}", body))
        env.work()
    bodies = [call.get("Body") or "" for call in env.twilio.calls]
    links = [match.group(1) for body in bodies if (match := LINK.search(body))]
    assert links, bodies[-2:]
    path = links[0].removeprefix(PUBLIC)
    number = re.search(r"/t/([A-Z]+-\d+)\?", path)
    assert number is not None
    return number.group(1), path


def test_with_the_window_closed_and_no_template_the_email_copy_carries_the_link(env: Env) -> None:
    number, path = open_on_whatsapp(env)
    env.clock.advance(hours=25)
    env.container.agent_actions.take(number, "ana@soporte.example")
    env.container.agent_actions.solve(number, "ana@soporte.example", "Se corrigió la regla de precios")
    env.work()
    mail = env.container.adapters["email"]
    assert isinstance(mail, MailRecorder)
    assert mail.sent, "no e-mail copy was sent"
    for copy in mail.sent:
        assert f"Seguimiento: {PUBLIC}{path}" in copy.text, copy.text
