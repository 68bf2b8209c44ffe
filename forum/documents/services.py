"""The docuthèque's rules: receiving a file (type from its content, checksum, limits),
documents and their versions, soft deletion and restoring, reading their text. (Lists:
listing.py; the storage following the transaction: listeners.py.)

A file is stored only once it passed every check, under a random key; if the transaction
that records it is rolled back, the stored file is removed (listeners.py), so no
failed upload leaves a file behind. Text extraction runs after the commit (`extract_due`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from forum import audit
from forum.accounts.models import User
from forum.db import utcnow
from forum.documents import detect, extract
from forum.documents.models import (
    INLINE_KINDS,
    Document,
    DocumentText,
    DocumentVersion,
    Kind,
    TextStatus,
)
from forum.documents.search import CARD_PAGE, index_card, stems_of
from forum.documents.storage import CHUNK, new_key, storage
from forum.extensions import db
from forum.groups.models import Group
from forum.markup import render_markdown

log = logging.getLogger(__name__)

FILENAME_MAX = 150
TAG_MAX = 30
TAGS_MAX = 8
EXTENSIONS = {k: k.value for k in Kind} | {Kind.JPEG: "jpg"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

REFUSALS = {
    "empty": _l("This file is empty: choose the file again."),
    "type": _l(
        "This kind of file is not accepted, whatever its name says: send a PDF, an ODT or "
        "ODS, a DOCX or XLSX, a PNG or a JPEG."
    ),
    "zip_bomb": _l("This file unpacks to far more than a document: it is refused."),
    "damaged": _l("This file is damaged or is not what its type says: it cannot be read."),
    "loop": _l("This PDF is malformed (its pages refer to each other in a loop): it is refused."),
    "too_many_pages": _l("This PDF has too many pages for the docuthèque."),
    "encrypted": _l("This PDF is protected by a password: send it without protection."),
    "timeout": _l("This file takes too long to read: it is refused."),
    "memory": _l("This file needs too much memory to read: it is refused."),
    "crashed": _l("This file could not be read: it is refused."),
    "name": _l(
        "The file's name holds a path or control characters: rename the file and choose it again."
    ),
    "missing": _l("Choose a file to send."),
}


class DocumentError(Exception):
    """A refusal to show on the form: `field` names the field, `message` says why."""

    def __init__(self, message, field: str = "file"):
        super().__init__(str(message))
        self.message = message
        self.field = field


@dataclass
class DocumentData:
    title: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    issued_on: date | None = None
    source: str = ""
    visibility: str = "group"


@dataclass
class Received:
    """A file that passed every check, in a temporary file until it is stored."""

    path: Path
    filename: str
    kind: Kind
    sha256: str
    size: int
    page_count: int | None


# --- Names and tags ------------------------------------------------------------------


def _path_trick(name: str) -> bool:
    """A folder separator, a leading dot ("..", hidden files; Werkzeug turns "..\\x" into
    "....x"), or a control or direction-changing character."""
    return "/" in name or "\\" in name or name.startswith(".") or bool(_CONTROL.search(name))


def clean_filename(raw: str | None, kind: Kind) -> str:
    """The name to offer on download: the uploader's name, NFC, with the extension of
    the kind found in the content. A path or a control character is refused."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if _path_trick(name):
        raise DocumentError(REFUSALS["name"])
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:FILENAME_MAX] or "document"
    return f"{stem}.{EXTENSIONS[kind]}"


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, lower-case, each once, in order."""
    tags: list[str] = []
    for raw in (text or "").split(","):
        tag = " ".join(unicodedata.normalize("NFC", raw).lower().split())
        if not tag:
            continue
        if len(tag) > TAG_MAX or _CONTROL.search(tag):
            raise DocumentError(
                _l("A tag has %(max)s characters at most.", max=TAG_MAX), field="tags"
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise DocumentError(_l("%(max)s tags at most.", max=TAGS_MAX), field="tags")
    return tags


def _framed(tags: list[str]) -> str:
    return "," + ",".join(tags) + "," if tags else ""


# --- Receiving a file ----------------------------------------------------------------


def max_bytes() -> int:
    return int(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024


def too_large(limit: int):
    return _l(
        "This file is larger than %(size)s MB, the most the docuthèque accepts.",
        size=limit // 1048576,
    )


def _limits() -> dict[str, int]:
    config = current_app.config
    return {
        "seconds": int(config["DOCUMENTS_READ_SECONDS"]),
        "memory_mb": int(config["DOCUMENTS_READ_MEMORY_MB"]),
    }


@contextlib.contextmanager
def receive(stream: BinaryIO | None, filename: str | None):
    """Copy an upload to a temporary file (hashing it on the way), decide its kind from
    the content and check its structure in the sandbox. Yields a Received; the temporary
    file is gone afterwards, whatever happened. Raises DocumentError."""
    if stream is None or not filename:
        raise DocumentError(REFUSALS["missing"])
    if _path_trick(filename):
        raise DocumentError(REFUSALS["name"])  # before reading anything
    limit = max_bytes()
    fd, temp = tempfile.mkstemp(prefix="forum-upload-")
    path = Path(temp)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise DocumentError(too_large(limit))
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise DocumentError(REFUSALS["empty"])
        try:
            kind = detect.detect(path)
        except detect.Refusal as refusal:
            raise DocumentError(REFUSALS[refusal.reason]) from None
        page_count = None
        if kind not in INLINE_KINDS:
            outcome = extract.run("check", kind.value, path, **_limits())
            if not outcome.ok:
                raise DocumentError(REFUSALS.get(outcome.reason, REFUSALS["damaged"]))
            page_count = outcome.page_count
        yield Received(
            path=path,
            filename=clean_filename(filename, kind),
            kind=kind,
            sha256=digest.hexdigest(),
            size=size,
            page_count=page_count,
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _store(received: Received) -> str:
    """Put the checked file into the storage; removed again if the transaction fails."""
    key = new_key()
    with received.path.open("rb") as source:
        storage().save(key, source)
    db.session.info.setdefault("documents_stored", []).append(key)
    return key


def _new_version(document: Document, received: Received, actor: User, number: int):
    version = DocumentVersion(
        document=document,
        number=number,
        storage_key=_store(received),
        sha256=received.sha256,
        size=received.size,
        kind=received.kind.value,
        filename=received.filename,
        page_count=received.page_count,
        uploaded_by_id=actor.id,
        text_status=(
            TextStatus.NONE.value if received.kind in INLINE_KINDS else TextStatus.PENDING.value
        ),
    )
    db.session.add(version)
    document.kind = received.kind.value
    document.size = received.size
    document.filename = received.filename
    document.version_count = number
    document.updated_at = utcnow()
    return version


def _due_for_text(version: DocumentVersion) -> None:
    if version.text_status == TextStatus.PENDING.value:
        db.session.flush()
        g.setdefault("documents_to_read", []).append(version.id)


# --- Documents -----------------------------------------------------------------------


def _apply(document: Document, data: DocumentData) -> None:
    document.title = data.title.strip()
    document.description = data.description or ""
    document.description_html = render_markdown(data.description).html if data.description else ""
    document.tags = _framed(data.tags)
    document.issued_on = data.issued_on
    document.source = (data.source or "").strip()
    document.visibility = data.visibility


def upload_document(
    actor: User, group: Group, data: DocumentData, stream: BinaryIO | None, filename: str | None
) -> Document:
    """Add a document to the group's docuthèque, its file checked and stored."""
    with receive(stream, filename) as received:
        document = Document(group=group, uploaded_by_id=actor.id)
        _apply(document, data)
        db.session.add(document)
        version = _new_version(document, received, actor, 1)
        db.session.flush()
    index_card(document, version.id)
    audit.record(actor, "document.upload", document, group=group)
    _due_for_text(version)
    return document


def replace_file(
    actor: User, document: Document, stream: BinaryIO | None, filename: str | None
) -> DocumentVersion:
    """A new version of the file; the earlier ones stay downloadable."""
    with receive(stream, filename) as received:
        locked = db.session.scalar(
            select(Document).where(Document.id == document.id).with_for_update()
        )
        version = _new_version(locked, received, actor, locked.version_count + 1)
        db.session.flush()
    audit.record(actor, "document.replace", document, group=document.group)
    _due_for_text(version)
    return version


def edit_document(actor: User, document: Document, data: DocumentData) -> None:
    """Change the title, description, tags, date, source or visibility."""
    _apply(document, data)
    document.updated_at = utcnow()
    db.session.flush()
    index_card(document, version_of(document, None).id)
    audit.record(actor, "document.edit", document, group=document.group)


def delete_document(actor: User, document: Document) -> None:
    """Soft delete: gone from lists and search, restorable by coordinators for 30 days."""
    if document.deleted_at is None:
        document.deleted_at = utcnow()
        document.deleted_by_id = actor.id
        audit.record(actor, "document.delete", document, group=document.group)


def restore_document(actor: User, document: Document) -> None:
    """Bring a deleted document back, before the purge."""
    if document.deleted_at is not None:
        document.deleted_at = None
        document.deleted_by_id = None
        audit.record(actor, "document.restore", document, group=document.group)


def load_document(document_id: int) -> Document | None:
    return db.session.scalar(
        select(Document)
        .options(joinedload(Document.group), joinedload(Document.uploaded_by))
        .where(Document.id == document_id)
    )


def versions_of(document: Document) -> list[DocumentVersion]:
    return list(
        db.session.scalars(
            select(DocumentVersion)
            .options(joinedload(DocumentVersion.uploaded_by))
            .where(DocumentVersion.document_id == document.id)
            .order_by(DocumentVersion.number.desc())
        )
    )


def version_of(document: Document, number: int | None) -> DocumentVersion | None:
    """The version asked for, or the current one (None)."""
    query = select(DocumentVersion).where(DocumentVersion.document_id == document.id)
    if number is None:
        query = query.order_by(DocumentVersion.number.desc()).limit(1)
    else:
        query = query.where(DocumentVersion.number == number)
    return db.session.scalar(query)


# --- Text, after the commit ----------------------------------------------------------


def read_text(version_id: int) -> str:
    """Extract a version's text in the sandbox and store it for the search; commits."""
    version = db.session.get(DocumentVersion, version_id)
    if version is None or version.text_status != TextStatus.PENDING.value:
        return "skipped"
    with storage().local_copy(version.storage_key) as path:
        outcome = extract.run("text", version.kind, path, **_limits())
    current = version_of(version.document, None)
    if not outcome.ok:
        version.text_status = TextStatus.FAILED.value
        log.warning("document version %s: no text (%s)", version.id, outcome.reason)
    else:
        version.text_status = TextStatus.DONE.value
        if current is not None and current.id == version.id:
            db.session.execute(
                delete(DocumentText).where(
                    DocumentText.document_id == version.document_id,
                    or_(DocumentText.page.is_(None), DocumentText.page != CARD_PAGE),
                )
            )
            db.session.add_all(
                DocumentText(
                    document_id=version.document_id,
                    version_id=version.id,
                    page=page,
                    text=text,
                    stems=stems_of(text),
                )
                for page, text in outcome.pages or []
            )
    db.session.commit()
    return version.text_status


def extract_due(version_ids: list[int] | None = None) -> int:
    """Read the text of the given versions (default: every pending one); returns how many."""
    if version_ids is None:
        version_ids = list(
            db.session.scalars(
                select(DocumentVersion.id).where(
                    DocumentVersion.text_status == TextStatus.PENDING.value
                )
            )
        )
    for version_id in version_ids:
        read_text(version_id)
    return len(version_ids)
