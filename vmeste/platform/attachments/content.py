"""What a file is, read from its bytes: the client's ``Content-Type`` and file name are
never trusted, since a browser names a file by its extension and anyone can send any
header.

Images are told by their signatures (JPEG, PNG, WebP); documents by theirs (PDF) or, for
office files, by the ZIP container's own declaration of what it holds (an OOXML
``[Content_Types].xml`` naming the main part, an ODF ``mimetype`` entry), so a renamed
archive is not taken for a document. HEIC is not taken: Pillow cannot decode it without
a plugin this platform does not ship, and a photo we cannot re-encode would keep its
GPS position.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    #: The name settings use (``VMESTE_ATTACHMENT_TYPES``).
    name: str
    content_type: str
    #: Re-encoded through Pillow (metadata stripped, a thumbnail made).
    image: bool = False


JPEG = FileType("jpeg", "image/jpeg", image=True)
PNG = FileType("png", "image/png", image=True)
WEBP = FileType("webp", "image/webp", image=True)
PDF = FileType("pdf", "application/pdf")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ODT = FileType("odt", "application/vnd.oasis.opendocument.text")
ODS = FileType("ods", "application/vnd.oasis.opendocument.spreadsheet")

TYPES: dict[str, FileType] = {t.name: t for t in (JPEG, PNG, WEBP, PDF, DOCX, XLSX, ODT, ODS)}
#: The main part an OOXML package declares, by the type it makes the package.
_OOXML_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_ODF = {ODT.content_type.encode(): ODT, ODS.content_type.encode(): ODS}
#: The most of a declaration entry read: a real one is a few kilobytes, and a larger
#: one (a compressed bomb) is not a document.
_DECLARATION_MAX = 1 << 20


def detect(data: bytes) -> FileType | None:
    """The type of ``data`` by its content, or None for anything not taken."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return None


def _office(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return _ODF.get(_entry(archive, "mimetype").strip())
            if "[Content_Types].xml" in names:
                declared = _entry(archive, "[Content_Types].xml")
                return next((t for main, t in _OOXML_MAIN.items() if main in declared), None)
    # A corrupt deflate stream is zlib.error, a truncated entry EOFError.
    except (zipfile.BadZipFile, KeyError, ValueError, RuntimeError, NotImplementedError,
            zlib.error, EOFError):
        return None
    return None


def _entry(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > _DECLARATION_MAX:
        return b""
    with archive.open(name) as entry:
        return entry.read(_DECLARATION_MAX)
