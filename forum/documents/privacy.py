"""What the docuthèque holds about a person, and its retention rule.

Export: the documents and versions the user uploaded. Erasure: the documents stay in
their group's library (they are the group's, like posts), signed by "compte supprimé"
as the deleted account's name reads. Purge: a document deleted more than 30 days ago
goes, its versions' files with it (removed from the storage once the purge committed).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from forum.accounts.models import User
from forum.documents.models import RESTORE_DAYS, Document, DocumentText, DocumentVersion
from forum.extensions import db
from forum.groups.models import Group


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The versions the user uploaded, with their document's title and group."""
    rows = db.session.execute(
        select(DocumentVersion, Document, Group.slug)
        .join(Document, Document.id == DocumentVersion.document_id)
        .join(Group, Group.id == Document.group_id)
        .where(DocumentVersion.uploaded_by_id == user.id)
        .order_by(DocumentVersion.id)
    ).all()
    return {
        "documents_uploaded": [
            {
                "document_id": d.id,
                "group": slug,
                "title": d.title,
                "version": v.number,
                "filename": v.filename,
                "size": v.size,
                "sha256": v.sha256,
                "uploaded_at": _iso(v.created_at),
                "deleted_at": _iso(d.deleted_at),
            }
            for v, d, slug in rows
        ]
    }


def erase(user: User, **_: Any) -> None:
    """Nothing to remove: the group keeps its documents (see the module's docstring)."""


ORPHAN_AGE = timedelta(hours=6)  # older than any upload still in its transaction


def purge(_sender: Any, *, now: datetime, **_: Any) -> dict[str, int]:
    """Documents deleted more than RESTORE_DAYS ago, their versions and their files; and
    stored files that no version names (a worker killed between storing and rolling back)."""
    from forum.documents.storage import storage

    cutoff = now - timedelta(days=RESTORE_DAYS)
    ids = list(
        db.session.scalars(
            select(Document.id).where(
                Document.deleted_at.is_not(None), Document.deleted_at <= cutoff
            )
        )
    )
    keys: list[str] = []
    if ids:
        keys = list(
            db.session.scalars(
                select(DocumentVersion.storage_key).where(DocumentVersion.document_id.in_(ids))
            )
        )
        db.session.execute(delete(DocumentText).where(DocumentText.document_id.in_(ids)))
        db.session.execute(delete(DocumentVersion).where(DocumentVersion.document_id.in_(ids)))
        db.session.execute(delete(Document).where(Document.id.in_(ids)))
    known = set(db.session.scalars(select(DocumentVersion.storage_key))) | set(keys)
    keys += [key for key in storage().keys(older_than=now - ORPHAN_AGE) if key not in known]
    # The files go once the rows' removal is committed (services' session hooks).
    db.session.info.setdefault("documents_unstored", []).extend(keys)
    return {"deleted documents": len(ids), "document files": len(keys)}


def connect() -> None:
    """Listen to the account and retention signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
    events.purging.connect(purge)
