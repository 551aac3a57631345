"""What a customer's file really is, judged by its bytes (magic numbers), against the evidence allowlist.

Accepted: images (JPEG, PNG, GIF, WebP, HEIC), PDF, office documents (OOXML and OpenDocument zips
without macros, legacy OLE), plain text and CSV, audio (Ogg/Opus, MP3, M4A, AMR) and video (MP4,
3GP, QuickTime), and XML data such as a rejected electronic invoice (DTE) — but never markup a
browser runs: SVG, HTML/XHTML, anything with a script, a DOCTYPE/ENTITY or a stylesheet. Anything
else is refused whatever its name or declared type says: a shell script, an executable, a generic zip.
"""

from __future__ import annotations

from dataclasses import dataclass

_HEAD = 4096
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_M4A_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
     b"M4VH", b"M4VP", b"qt  ", b"dash", b"MSNV", b"mmp4", b"f4v "}
)
_TEXT_TYPES = ("text/plain", "text/csv", "application/csv", "text/comma-separated-values", "text/x-log")
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_XML_TYPES = ("application/xml", "text/xml", "text/plain")
# Markup that renders or runs in a browser, or that makes XML parsers fetch and expand things.
_ACTIVE_MARKUP = (b"<script", b"<svg", b"<html", b"<!doctype", b"<!entity", b"<?xml-stylesheet", b"<iframe",
                  b"javascript:", b"<body", b"<object", b"<embed", b"xmlns=\"http://www.w3.org/1999/xhtml")
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The type a file's bytes show, and the declared types compatible with it (prefixes)."""

    mime: str
    families: tuple[str, ...]

    def accepts(self, declared: str | None) -> bool:
        """True when the declared type is generic or of the same family as the bytes."""
        ctype = (declared or "").split(";")[0].strip().lower()
        return ctype in _GENERIC_TYPES or ctype.startswith(self.families)

    def content_type(self, declared: str | None) -> str:
        """The declared type when it agrees with the bytes (it may be more precise), else the sniffed one."""
        ctype = (declared or "").split(";")[0].strip().lower()
        return ctype if ctype not in _GENERIC_TYPES and ctype.startswith(self.families) else self.mime


def sniff(content: bytes) -> Sniffed | None:
    """The allowlisted evidence type the bytes are, or None when they are none of them."""
    head = content[:_HEAD]
    for check in (_image, _container, _document, _audio):
        found = check(head, content)
        if found is not None:
            return found
    return _text(content)


def _image(head: bytes, _content: bytes) -> Sniffed | None:
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", ("image/",))
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", ("image/",))
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image/gif", ("image/",))
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Sniffed("image/webp", ("image/",))
    return None


def _container(head: bytes, _content: bytes) -> Sniffed | None:
    """ISO base media files (ftyp box): HEIC images, M4A audio, MP4/3GP/QuickTime video."""
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _HEIC_BRANDS:
        return Sniffed("image/heic", ("image/",))
    if brand in _M4A_BRANDS:
        return Sniffed("audio/mp4", ("audio/",))
    if brand.startswith((b"3gp", b"3g2")):
        return Sniffed("video/3gpp", ("video/", "audio/"))
    if brand in _MP4_BRANDS:
        return Sniffed("video/mp4", ("video/", "audio/"))
    return None


def _document(head: bytes, content: bytes) -> Sniffed | None:
    if b"%PDF-" in head[:1024]:
        return Sniffed("application/pdf", ("application/pdf",))
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Sniffed("application/vnd.ms-office", ("application/msword", "application/vnd.ms-"))
    if head.startswith(b"PK\x03\x04") and b"vbaProject.bin" not in content:
        if head[30:38] == b"mimetype" and b"application/vnd.oasis.opendocument." in head[38:120]:
            return Sniffed("application/vnd.oasis.opendocument", ("application/vnd.oasis.opendocument.",))
        if b"[Content_Types].xml" in content:
            return Sniffed(_ooxml_type(content), ("application/vnd.openxmlformats-officedocument.",))
    return None


def _ooxml_type(content: bytes) -> str:
    base = "application/vnd.openxmlformats-officedocument."
    if b"word/" in content:
        return base + "wordprocessingml.document"
    if b"xl/" in content:
        return base + "spreadsheetml.sheet"
    return base + "presentationml.presentation"


def _audio(head: bytes, _content: bytes) -> Sniffed | None:
    if head.startswith(b"OggS"):
        return Sniffed("audio/ogg", ("audio/", "application/ogg"))
    if head.startswith(b"#!AMR"):
        return Sniffed("audio/amr", ("audio/",))
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Sniffed("audio/mpeg", ("audio/",))
    return None


def _text(content: bytes) -> Sniffed | None:
    """Plain text or CSV (UTF-8 or Windows-1252), not markup, not a script, no control characters."""
    body = content.removeprefix(b"\xef\xbb\xbf")
    if not body.strip() or any(byte in _CONTROL for byte in body[:_HEAD * 16]):
        return None
    if body.lstrip().startswith(b"#!") or not _decodes(body):
        return None
    lowered = body.lower()
    if any(marker in lowered for marker in _ACTIVE_MARKUP):
        return None
    if body.lstrip().startswith(b"<"):
        return Sniffed("application/xml", _XML_TYPES)
    return Sniffed("text/plain", _TEXT_TYPES)


def _decodes(body: bytes) -> bool:
    """True for UTF-8 text, or Windows-1252 (CSV exported by spreadsheets on Windows)."""
    for encoding in ("utf-8", "cp1252"):
        try:
            body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False
