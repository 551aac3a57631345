"""Evidence storage: files named by content hash, outside any served path, written atomically."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where a file landed and what it is."""

    path: Path
    sha256: str
    size: int


class FileStore:
    """Content-addressed file store rooted at one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, content: bytes, content_type: str | None = None, filename: str | None = None) -> StoredFile:
        """Store bytes under their SHA-256 (same content, same file) and return where."""
        digest = hashlib.sha256(content).hexdigest()
        path = self.root / digest[:2] / (digest + _extension(content_type, filename))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        return StoredFile(path=path, sha256=digest, size=len(content))

    def open(self, relative: str) -> bytes:
        """Read a stored file by its path relative to the root, refusing paths that escape it."""
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("path escapes the attachment store")
        return path.read_bytes()

    def relative(self, stored: StoredFile) -> str:
        """The stored file's path relative to the root (what the database keeps)."""
        return str(stored.path.relative_to(self.root))


def _extension(content_type: str | None, filename: str | None) -> str:
    if filename and "." in filename:
        ext = "." + filename.rsplit(".", 1)[1].lower()
        if ext.isascii() and ext[1:].isalnum() and len(ext) <= 8:
            return ext
    guessed = mimetypes.guess_extension((content_type or "").split(";")[0].strip()) if content_type else None
    return guessed or ".bin"
