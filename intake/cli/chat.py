"""`intake-bot chat`: a customer's chat in the terminal, driving the real service on the real database."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from channels.base import OutboundMessage
from intake.cli.common import container_or_fail
from intake.cli.simulator import ChatSession, render
from intake.config import Settings

HELP = """Type as the customer would. Extra commands:
  /file PATH [PATH...]            send files (photos, PDFs, voice notes) as evidence
  /button ID                      press a button by its id
  /agent ACTION LA-000001 [TEXT]  act as an agent: take, info, progress, escalate, solve
  /quit                           leave"""


def run_chat(settings: Settings, address: str, channel: str, lang: str | None) -> None:
    """Read lines from the terminal and print the bot's replies until /quit or end of input."""

    container = container_or_fail(settings, migrated=True)
    container.adapters.pop("whatsapp", None)  # replies go to this terminal, never to a provider
    container.adapters.pop("telegram", None)
    session = ChatSession(container, address, simulated_channel=channel, language=lang)
    click.echo(f"Chat as {address} ({channel}). {HELP}\n")
    try:
        while True:
            try:
                line = click.prompt("tú", prompt_suffix="> ", default="", show_default=False)
            except (EOFError, click.Abort):
                break
            if line.strip() in {"/quit", "/salir", "/exit"}:
                break
            _show(_dispatch(session, line))
    finally:
        container.close()


def _dispatch(session: ChatSession, line: str) -> list[str]:
    try:
        words = shlex.split(line) if line.startswith("/") else []
        return [render(m) for m in _run_line(session, line, words)]
    except ValueError as exc:
        return [f"(error: {exc})"]


def _run_line(session: ChatSession, line: str, words: list[str]) -> list[OutboundMessage]:
    if not words:
        return session.say(line)
    command, args = words[0], words[1:]
    if command == "/file" and args:
        return session.say(files=tuple(Path(a).expanduser() for a in args))
    if command == "/button" and args:
        return session.say(button=args[0])
    if command == "/agent" and len(args) >= 2:
        return session.agent(args[0], args[1], " ".join(args[2:]))
    raise ValueError(f"unknown command {command}\n{HELP}")


def _show(texts: list[str]) -> None:
    for body in texts:
        click.echo(click.style("bot> ", fg="green") + body.replace("\n", "\n     ") + "\n")
