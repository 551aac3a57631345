"""Size and type limits for customers' files, shared by every channel."""

from __future__ import annotations

from dataclasses import dataclass

from channels.base import MediaRefusedError
from channels.evidence_types import sniff

# Executables and scripts are refused whatever the declared type says.
FORBIDDEN_EXTENSIONS = frozenset(
    {".exe", ".bat", ".cmd", ".com", ".msi", ".scr", ".ps1", ".vbs", ".js", ".jar", ".sh", ".apk", ".dll"}
)
FORBIDDEN_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-dosexec",
        "application/x-executable",
        "application/x-sh",
        "application/x-msdos-program",
        "application/java-archive",
        "application/vnd.android.package-archive",
    }
)
DEFAULT_ALLOWED_PREFIXES = (
    "image/",
    "audio/",
    "video/",
    "text/plain",
    "text/csv",
    "application/pdf",
    "application/zip",
    "application/xml",
    "text/xml",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.",
    "application/octet-stream",
)


@dataclass(frozen=True, slots=True)
class MediaPolicy:
    """Which files a channel accepts as evidence."""

    max_bytes: int = 16 * 1024 * 1024
    allowed_prefixes: tuple[str, ...] = DEFAULT_ALLOWED_PREFIXES

    def check(self, content_type: str | None, filename: str | None, size: int | None) -> None:
        """Raise MediaRefusedError with a reason code when the file must not be kept."""
        if size is not None and size > self.max_bytes:
            raise MediaRefusedError(f"file is {size} bytes, limit is {self.max_bytes}", "too_large")
        ctype = (content_type or "").split(";")[0].strip().lower()
        name = (filename or "").lower()
        if ctype in FORBIDDEN_TYPES or any(name.endswith(ext) for ext in FORBIDDEN_EXTENSIONS):
            raise MediaRefusedError("executable files are not accepted", "forbidden_type")
        if ctype and not ctype.startswith(self.allowed_prefixes):
            raise MediaRefusedError(f"file type {ctype} is not accepted", "forbidden_type")

    def check_content(self, content: bytes, content_type: str | None, filename: str | None) -> str:
        """Check a downloaded file by its bytes; return the type to keep (declared if it agrees).

        The bytes must be one of the evidence types (channels/evidence_types.py) and agree with the
        declared type's family: a script served as image/png or an SVG with a script is refused.
        """
        self.check(content_type, filename, len(content))
        if content[:2] == b"MZ" or content[:4] == b"\x7fELF":
            raise MediaRefusedError("executable files are not accepted", "forbidden_type")
        found = sniff(content)
        if found is None:
            raise MediaRefusedError("the file's content is not an accepted evidence type", "forbidden_type")
        if not found.accepts(content_type):
            raise MediaRefusedError(
                f"the file's content ({found.mime}) does not match its declared type", "forbidden_type"
            )
        return found.content_type(content_type)
