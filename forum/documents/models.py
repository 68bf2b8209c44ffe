"""The docuthèque: a group's documents, each file version kept, the text found in them.

A Document carries what the list shows (title, kind, size, date, tags) so that a page of
a thousand documents is one statement; its files are DocumentVersion rows (the newest is
the current one), stored under random keys in the storage (storage.py), never under the
name the uploader gave. DocumentText holds the words of a version, one row per PDF page
(or one for a whole office file), for the search.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import TimestampMixin, utcnow
from forum.extensions import db
from forum.groups.models import Group

DOCUMENTS_PER_PAGE = 25
RESTORE_DAYS = 30  # a deleted document can be restored this long, then `flask purge` ends it


class Visibility(StrEnum):
    """Who may see a document: everyone, any signed-in account, or the group's members."""

    PUBLIC = "public"
    SITE = "site"
    GROUP = "group"


class Kind(StrEnum):
    """The types accepted, decided from the content (detect.py)."""

    PDF = "pdf"
    ODT = "odt"
    ODS = "ods"
    DOCX = "docx"
    XLSX = "xlsx"
    PNG = "png"
    JPEG = "jpeg"


MIMETYPES = {
    Kind.PDF: "application/pdf",
    Kind.ODT: "application/vnd.oasis.opendocument.text",
    Kind.ODS: "application/vnd.oasis.opendocument.spreadsheet",
    Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Kind.PNG: "image/png",
    Kind.JPEG: "image/jpeg",
}
# Shown in the browser (no script runs in them); everything else is an attachment.
INLINE_KINDS = frozenset({Kind.PNG, Kind.JPEG})


class TextStatus(StrEnum):
    PENDING = "pending"  # extraction runs after the upload's commit
    DONE = "done"
    FAILED = "failed"  # too slow, too big or unreadable: the file is still served
    NONE = "none"  # images: no text


class Document(TimestampMixin, db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    # Normalised, comma-separated and framed (",rapport,logement,"): a tag filter is one LIKE.
    tags: Mapped[str] = mapped_column(String(300), default="")
    issued_on: Mapped[date | None]  # the document's own date (a report's publication)
    source: Mapped[str] = mapped_column(String(200), default="")
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.GROUP.value)
    # The current version, copied here for the list: kind, size, file name, count.
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200))
    version_count: Mapped[int] = mapped_column(default=1)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    group: Mapped[Group] = relationship()
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])

    __table_args__ = (
        Index("ix_documents_group_updated", "group_id", "updated_at"),
        CheckConstraint("visibility IN ('public', 'site', 'group')", name="visibility_known"),
        CheckConstraint(
            "kind IN ('pdf', 'odt', 'ods', 'docx', 'xlsx', 'png', 'jpeg')", name="kind_known"
        ),
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def purge_after(self) -> datetime | None:
        return self.deleted_at + timedelta(days=RESTORE_DAYS) if self.deleted_at else None

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def mimetype(self) -> str:
        return MIMETYPES[Kind(self.kind)]


class DocumentVersion(TimestampMixin, db.Model):
    """One file of a document: replacing the file adds a version, the earlier ones stay."""

    __tablename__ = "document_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, … within the document
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)  # random
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))  # cleaned, for Content-Disposition
    page_count: Mapped[int | None]
    text_status: Mapped[str] = mapped_column(String(10), default=TextStatus.PENDING.value)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("document_id", "number"),)

    @property
    def mimetype(self) -> str:
        return MIMETYPES[Kind(self.kind)]


class DocumentText(db.Model):
    """The words of one page of a PDF (page from 1), or of a whole office file (page None),
    of a document's current version. `stems` holds the Snowball stems framed by spaces,
    the same analysis as the forum's search, so a word is found the same way."""

    __tablename__ = "document_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    page: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    stems: Mapped[str] = mapped_column(Text)
