"""`intake-bot chat`: a customer's chat in the terminal, driving the real service on the real database."""

from __future__ import annotations

import shlex
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.engine import BURST_WINDOW
from channels.base import OutboundMessage
from intake.cli.common import container_or_fail
from intake.cli.simulator import ChatSession, SimulatedClock, parse_offset, render
from intake.config import Settings

HELP = """Type as the customer would. Extra commands:
  /file PATH [PATH...]            send files (photos, PDFs, voice notes) as evidence
  /button ID                      press a button by its id
  /agent ACTION LA-000001 [TEXT]  act as an agent: take, info, progress, escalate, solve
  /clock [+30m|+2h|+3d]           show the simulated time, or move it forward (the sweeper runs)
  /quit                           leave"""

TIME_FORMAT = "%Y-%m-%d %H:%M"


def run_chat(
    settings: Settings,
    address: str,
    channel: str,
    lang: str | None,
    *,
    at: str | None = None,
    poll_seconds: float = 2.0,
) -> None:
    """Read lines from the terminal and print the bot's replies until /quit or end of input.

    `at` ("2026-12-04 16:00", in the customer's time zone) starts the simulated clock there; messages
    that arrive meanwhile (an agent acting from another terminal) are polled for and shown at once.
    """
    clock = SimulatedClock()
    container = container_or_fail(settings, migrated=True, clock=clock)
    container.adapters.pop("whatsapp", None)  # replies go to this terminal, never to a provider
    container.adapters.pop("telegram", None)
    tz = container.sla.default_calendar.tz
    if at is not None:
        try:
            clock.offset = _parse_at(at, tz) - clock.real()
        except click.BadParameter:
            container.close()
            raise
    session = ChatSession(
        container, address, simulated_channel=channel, language=lang, delivery_clock=clock.latest
    )
    click.echo(f"Chat as {address} ({channel}), {_now(clock, tz)}. {HELP}\n")
    poller = _Poller(session, poll_seconds) if poll_seconds > 0 else None
    interactive = sys.stdin.isatty()
    last_line: datetime | None = None
    try:
        while True:
            try:
                line = click.prompt("tú", prompt_suffix="> ", default="", show_default=False)
            except (EOFError, click.Abort):
                break
            if line.strip() in {"/quit", "/salir", "/exit"}:
                break
            customer_line = not line.startswith("/") or line.startswith(("/file", "/button"))
            if customer_line and not interactive:
                _read_before_answering(clock, last_line)
            _show(_dispatch(session, line, clock, tz))
            if customer_line:
                last_line = clock()
    finally:
        if poller is not None:
            poller.stop()
        container.close()


READING_PAUSE = BURST_WINDOW + timedelta(seconds=2)


class _Poller:
    """Shows, between prompts, what reached this chat without the customer typing (agents' actions
    from another terminal, reminders): the same flush the prompt uses, under the session's lock."""

    def __init__(self, session: ChatSession, seconds: float) -> None:
        self.session = session
        self.seconds = seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="chat-poller", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.seconds):
            try:
                arrived = [render(m) for m in self.session.flush()]
            except Exception as exc:  # a poll must never kill the chat
                arrived = [f"(poll failed: {exc})"]
            if arrived:
                click.echo()
                _show(arrived)

    def stop(self) -> None:
        """Stop polling (waits for a poll in progress)."""
        self.stopped.set()
        self.thread.join(timeout=10)


def _read_before_answering(clock: SimulatedClock, last_line: datetime | None) -> None:
    """Piped input arrives all at once; a person reads the reply first. Space the lines so that the
    dialog does not read them as one burst (bot.engine.BURST_WINDOW)."""
    if last_line is None:
        return
    gap = clock() - last_line
    if gap < READING_PAUSE:
        clock.advance(READING_PAUSE - gap)


def _parse_at(value: str, tz: ZoneInfo) -> datetime:
    """ "2026-12-04 16:00" as an aware instant in the customer's time zone."""
    try:
        return datetime.strptime(value.strip(), TIME_FORMAT).replace(tzinfo=tz)
    except ValueError:
        hint = f"{value!r}: use YYYY-MM-DD HH:MM (the customer's time)"
        raise click.BadParameter(hint, param_hint="--at") from None


def _now(clock: SimulatedClock, tz: ZoneInfo) -> str:
    return f"{clock().astimezone(tz).strftime(TIME_FORMAT)} ({tz.key})"


def _dispatch(session: ChatSession, line: str, clock: SimulatedClock, tz: ZoneInfo) -> list[str]:
    try:
        words = shlex.split(line) if line.startswith("/") else []
        if words and words[0] == "/clock":
            return _clock(session, words[1:], clock, tz)
        return [render(m) for m in _run_line(session, line, words)]
    except ValueError as exc:
        return [f"(error: {exc})"]


def _clock(session: ChatSession, args: list[str], clock: SimulatedClock, tz: ZoneInfo) -> list[str]:
    """`/clock` shows the simulated time; `/clock +2h` moves it and runs the background jobs then."""
    if not args:
        return [f"(clock: {_now(clock, tz)})"]
    with session.lock:
        clock.advance(parse_offset("".join(args)))
        arrived = [render(m) for m in session.flush()]
    return [f"(clock: {_now(clock, tz)})", *arrived]


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
