"""What a file is, decided from its content, never from its name or the browser's claim:
a maintained detector (`filetype`) reads the magic numbers, then a structural check says
the file is whole: a PDF that pypdf opens and whose page tree ends, an office file whose
zip holds the right parts (and does not unpack to more than is sane).

HTML, SVG (with or without script), executables and anything else get a refusal; so does
a file that claims to be one kind and is not.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import filetype

from forum.documents.models import Kind

# A zip whose parts unpack beyond this, or beyond this ratio, is a bomb, not a document.
ZIP_MAX_UNPACKED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 150
ZIP_MAX_ENTRIES = 5000

ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": Kind.ODT,
    "application/vnd.oasis.opendocument.spreadsheet": Kind.ODS,
}
ZIP_GUESSES = {"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"}


class Refusal(Exception):
    """Why the file is refused: `reason` is a key of services.REFUSALS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def detect(path: Path) -> Kind:
    """The file's kind, or Refusal("type") / Refusal("zip_bomb") / Refusal("damaged")."""
    with path.open("rb") as f:
        head = f.read(8192)
    if not head:
        raise Refusal("empty")
    guess = filetype.guess(head)
    extension = guess.extension if guess else None
    if extension == "pdf":
        return Kind.PDF
    if extension == "png":
        return Kind.PNG
    if extension == "jpg":
        return Kind.JPEG
    if extension in ZIP_GUESSES:
        return _office_kind(path)
    raise Refusal("type")


def _office_kind(path: Path) -> Kind:
    """Which office file the zip is, from its parts; a bomb or a plain zip is refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > ZIP_MAX_ENTRIES:
                raise Refusal("zip_bomb")
            unpacked = 0
            for info in infos:
                unpacked += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if unpacked > ZIP_MAX_UNPACKED or (
                    info.file_size > 1_000_000 and ratio > ZIP_MAX_RATIO
                ):
                    raise Refusal("zip_bomb")
            names = {info.filename for info in infos}
            if "mimetype" in names and "content.xml" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in ODF_TYPES:
                    return ODF_TYPES[declared]
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return Kind.DOCX
                if "xl/workbook.xml" in names:
                    return Kind.XLSX
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise Refusal("damaged") from exc
    raise Refusal("type")
