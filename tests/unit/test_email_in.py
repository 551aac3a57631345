"""The inbound e-mail parser on hand-written MIME fixtures (tests/fixtures/email/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.email_in import html_to_text, parse_mail, reply_text, ticket_tag

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_multipart_mail_gives_plain_text_and_every_attachment_with_its_bytes() -> None:
    mail = parse_mail(load("multipart_attachments.eml"))
    assert mail.sender == "ana.perez@cliente.cl"
    assert mail.sender_name == "Ana Pérez"
    assert mail.subject == "No podemos emitir facturas desde esta mañana"
    assert mail.text.startswith("Hola,\n\nDesde las 9:00 el módulo de facturación da un error")
    assert "<div" not in mail.text
    assert [(f.filename, f.content_type) for f in mail.files] == [
        ("captura.png", "image/png"),
        ("facturacion.log", "text/plain"),
        ("herramienta.exe", "application/octet-stream"),
    ]
    assert mail.files[0].content.startswith(b"\x89PNG\r\n\x1a\n")
    assert mail.files[2].content.startswith(b"MZ")
    assert mail.message_id == "<CAJx7kQ1mFq2p9Lw3vZr8eXy5Ho0uN4tD6cB2aS1gK7iE9jR3mA@mail.gmail.com>"
    assert mail.automatic is None


def test_rfc2047_subject_in_two_charsets_and_a_latin1_body_are_decoded() -> None:
    mail = parse_mail(load("rfc2047_subject.eml"))
    assert mail.subject == "Erro no relatório de comissões: ação urgente"
    assert mail.sender == "joao.silva@cliente.com.br"  # lower-cased for matching
    assert mail.sender_name == "João Silva"
    assert "O relatório de comissões não abre desde ontem." in mail.text


def test_html_only_mail_becomes_readable_text_without_styles() -> None:
    mail = parse_mail(load("html_only.eml"))
    assert mail.text.splitlines()[0] == "Buenos días,"
    assert "quedaron bloqueados en el portal después del cambio de clave." in mail.text
    assert "mrojas" in mail.text and "Lucía" in mail.text
    assert "margin" not in mail.text and "<" not in mail.text


@pytest.mark.parametrize(
    ("name", "reason", "ooo"),
    [
        ("out_of_office.eml", "auto-submitted:auto-replied", True),
        ("bounce.eml", "bounce:report", False),
        ("mailing_list.eml", "list-unsubscribe", False),
        ("autoresponder.eml", "auto-submitted:auto-replied", True),
    ],
)
def test_automatic_mail_is_recognised_with_its_reason(name: str, reason: str, ooo: bool) -> None:
    mail = parse_mail(load(name))
    assert mail.automatic == reason
    assert mail.out_of_office is ooo


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-generated\n", "auto-submitted:auto-generated"),
        ("X-Autoreply: yes\n", "x-autoreply"),
        ("X-Auto-Response-Suppress: All\n", "x-auto-response-suppress"),
        ("Precedence: junk\n", "precedence:junk"),
        ("Return-Path: <>\n", "bounce:empty-return-path"),
        ("Auto-Submitted: no\n", None),
    ],
)
def test_each_loop_header_alone_marks_mail_automatic(headers: str, reason: str | None) -> None:
    raw = (
        "From: Pedro <pedro@cliente.cl>\nTo: soporte@consultora.cl\nSubject: hola\n"
        f"Message-ID: <x1@cliente.cl>\n{headers}\nTexto\n"
    ).encode()
    assert parse_mail(raw).automatic == reason


def test_mailer_daemon_sender_is_a_bounce() -> None:
    raw = b"From: MAILER-DAEMON@mx.cliente.cl\nSubject: failure\nMessage-ID: <b@x>\n\nfailed\n"
    assert parse_mail(raw).automatic == "bounce:daemon"


def test_a_message_without_message_id_gets_a_stable_one_from_its_bytes() -> None:
    raw = b"From: pedro@cliente.cl\nSubject: hola\n\nTexto\n"
    assert parse_mail(raw).message_id == parse_mail(raw).message_id
    assert parse_mail(raw).message_id != parse_mail(raw + b"mas\n").message_id


def test_html_to_text_drops_scripts_and_keeps_entities() -> None:
    assert html_to_text("<p>a&amp;b</p><script>alert(1)</script><p>c</p>") == "a&b\n\nc"


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("gmail_reply_es.eml", "Hola, un cuarto usuario (jperez) también quedó bloqueado."),
        ("outlook_reply_en.eml", "1 2\n\nThanks, Lucia"),
        ("outlook_reply_es.eml", "Les confirmo que el portal vuelve a pedir la clave anterior."),
        ("gmail_reply_pt.eml", "Impacto alto, urgência baixa."),
        ("gmail_reply_en.eml", "Yes, it works now. Thank you!"),
        (
            "outlook_reply_pt.eml",
            "Não, o erro continua igual para todos os usuários.\n\nAtenciosamente,\nLucia",
        ),
    ],
)
def test_quoted_text_is_stripped_from_gmail_and_outlook_replies(name: str, written: str) -> None:
    assert reply_text(parse_mail(load(name)).text) == written


def test_our_marker_cuts_a_reply_without_any_quote_header() -> None:
    body = "Listo, gracias\n— Responda sobre esta línea —\nRecibimos su correo"
    assert reply_text(body) == "Listo, gracias"
    assert reply_text("Done\n-- Reply above this line --\nold") == "Done"


def test_threading_headers_and_subject_tag() -> None:
    mail = parse_mail(load("gmail_reply_es.eml"))
    assert mail.in_reply_to == ("<placeholder@consultora.cl>",)
    assert mail.references == ("<placeholder@consultora.cl>",)
    assert ticket_tag("RE: [LA-000001] Usuarios bloqueados") == "LA-000001"
    assert ticket_tag("Su ticket LA-000001 fue registrado") is None


def test_threading_looks_at_the_most_recent_message_ids_only() -> None:
    chain = " ".join(f"<id{n}@example.org>" for n in range(50))
    headers = f"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\nReferences: {chain}\r\n"
    raw = (headers + "\r\nhola\r\n").encode()
    mail = parse_mail(raw)
    assert len(mail.references) == 20 and mail.references[-1] == "<id49@example.org>"


def test_a_message_over_the_size_limit_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("channels.email_in.MAX_MAIL_BYTES", 100)
    with pytest.raises(ValueError, match="over the 100-byte limit"):
        parse_mail(b"From: a@example.org\r\n\r\n" + b"x" * 200)
