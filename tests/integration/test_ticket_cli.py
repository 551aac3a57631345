"""`intake-bot ticket`: agents act from a terminal through the same use cases; mistakes get clean errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from intake.cli import cli
from intake.cli.simulator import ChatSession
from intake.db.models import PriorityChange, Ticket
from tests.integration.service_harness import make_container, open_ticket_through_chat, texts
from tests.support.clock import FakeClock

ANA = "ana@latamadvisory.example"


def test_an_agent_works_a_ticket_from_the_terminal(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = datetime.now(UTC)
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, "No se puede confirmar la nómina de este mes", "2", "2")
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), env=env, obj={}, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        clock.current = datetime.now(UTC) + timedelta(seconds=1)  # the CLI runs on the real clock
        return result.output

    assert number in run("ticket", "list")
    assert f"{number}: taken" in run("ticket", "take", number, "--agent", ANA)
    assert "Ana Soporte" in texts(chat.flush())
    run("ticket", "ask", number, "¿Qué empleado falla?", "--agent", ANA)
    assert "¿Qué empleado falla?" in texts(chat.flush())
    run("ticket", "priority", number, "p2", "--reason", "afecta a toda la planta", "--agent", ANA)
    assert "Motivo: afecta a toda la planta" in texts(chat.flush())  # told (issue 10, item 3)
    manual = tmp_path / "regla-salarial.pdf"
    manual.write_bytes(b"%PDF-1.4 regla")
    run("ticket", "send-file", number, str(manual), "--caption", "La regla corregida", "--agent", ANA)
    (sent_file,) = chat.flush()
    assert sent_file.text == "La regla corregida" and sent_file.media_filename == "regla-salarial.pdf"
    assert Path(sent_file.media_path or "").read_bytes() == b"%PDF-1.4 regla"
    run("ticket", "solve", number, "Corregimos la regla salarial", "--agent", ANA)
    assert "¿Se resolvió su problema?" in texts(chat.flush())
    shown = run("ticket", "show", number)
    assert "solution_proposed" in shown and "afecta a toda la planta" in shown
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.priority == "P2" and ticket.status == "solution_proposed"
        change = session.scalars(select(PriorityChange).where(PriorityChange.old_priority == "P3")).one()
        assert change.new_priority == "P2" and change.agent_id is not None
    container.close()


def test_mistakes_are_clean_errors_and_change_nothing(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    number = open_ticket_through_chat(
        ChatSession(container, "+56911111111"), "El módulo de compras no abre hoy"
    )
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    cases = [
        (["ticket", "take", "LA-999999", "--agent", ANA], "no ticket LA-999999"),
        (["ticket", "take", number, "--agent", "nadie@example.com"], "no active agent"),
        (
            ["ticket", "solve", number, "Listo", "--agent", ANA],
            "cannot move a ticket from new to solution_proposed",
        ),
        (["ticket", "priority", number, "P9", "--reason", "x", "--agent", ANA], "P9"),
        (["ticket", "priority", number, "P1", "--reason", " ", "--agent", ANA], "needs a reason"),
        (["ticket", "take", number], "--agent"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, args, env=env, obj={})
        assert result.exit_code != 0 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.status, ticket.priority, ticket.assigned_agent_id) == ("new", "P1", None)
    container.close()


def test_an_agent_verifies_a_self_identified_contact(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    container = make_container(database_url, tmp_path, clock)
    maria = open_ticket_through_chat(ChatSession(container, "+56911111111"), "El POS no imprime boletas hoy")
    juan = ChatSession(container, "+15550001111")
    for line in ("hola", "Juan Pérez", "comercial andez", "si", "juan@andes.example"):
        juan.say(line)
    own = open_ticket_through_chat(juan, "No puedo entrar al portal de clientes desde ayer")
    assert maria not in texts(juan.say("mis tickets"))
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    listed = runner.invoke(cli, ["contact", "list", "--unverified"], env=env, obj={})
    assert listed.exit_code == 0 and "Juan Pérez" in listed.output and "María" not in listed.output
    with container.session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == own)).one()
        assert ticket.needs_verification
        contact_id = ticket.contact_id
    bad = runner.invoke(cli, ["contact", "verify", str(contact_id), "--company", "Nope SpA"], env=env, obj={})
    assert bad.exit_code != 0 and "no company named" in bad.output
    done = runner.invoke(cli, ["contact", "verify", str(contact_id)], env=env, obj={})
    assert done.exit_code == 0, done.output
    assert maria in texts(juan.say("mis tickets"))  # vouched for: the company's tickets are shared now
    with container.session_factory() as session:
        assert not session.scalars(select(Ticket).where(Ticket.number == own)).one().needs_verification
    container.close()


# --- issue 16: customer text printed on an agent's terminal carries no control sequences ------------

HOSTILE = (
    "Factura\x1b[2J\x1b[H rechazada\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07 hoy"
    "\x1b]0;título falso\x1b\\ \x9b31m\x1bPq#0;2;0;0;0\x1b\\ fin\rOK\x08\x07\u202eevil"
)


def test_ticket_show_and_list_print_customer_text_without_terminal_sequences(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.current = datetime.now(UTC)
    container = make_container(database_url, tmp_path, clock)
    chat = ChatSession(container, "+56911111111")
    number = open_ticket_through_chat(chat, HOSTILE, "2", "2")
    chat.say("Más datos:\x1b[31m rojo\x1b[0m\x1b]52;c;cm0gLXJmIH4=\x1b\\ listo")
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    shown = runner.invoke(cli, ["ticket", "show", number], env=env, obj={}, catch_exceptions=False).output
    listed = runner.invoke(cli, ["ticket", "list"], env=env, obj={}, catch_exceptions=False).output
    for output in (shown, listed):
        assert number in output and "rechazada" in output
        controls = [c for c in output if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
        assert controls == [] and "\u202e" not in output
        assert "52;" not in output and "Y3Vyb" not in output and "[2J" not in output
    assert "Factura rechazada hoy" in shown
    container.close()


def test_the_chat_simulator_renders_messages_without_terminal_sequences() -> None:
    from bot.messages import Channel, Option
    from channels.base import OutboundMessage
    from intake.cli.simulator import render

    text, option = "Hola\x1b]52;c;ZXZpbA==\x07 Camila\x1b[2J", Option("a", "Sí\x1b[5m\nya")
    message = OutboundMessage(Channel.CHAT, "+1", text=text, options=(option,))
    assert render(message) == "Hola Camila\n  1. Sí ya"
