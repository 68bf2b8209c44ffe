"""What the docuthèque's lists show: a group's documents (filtered, paginated), the
group page's latest documents inside its one statement, the meeting minutes and the
deleted documents coordinators may restore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.db import json_list, json_rows
from forum.documents.models import DOCUMENTS_PER_PAGE, Document
from forum.documents.rules import visible_documents
from forum.extensions import db
from forum.groups.models import Group
from forum.pagination import PageOf, clamp_page
from forum.permissions import per_access

SORTS = ("added", "date")


def group_documents(
    group: Group, viewer: Any, page: int = 1, *, tag: str = "", kind: str = "", sort: str = ""
) -> PageOf:
    """One page of the group's documents the viewer may see, the latest added or changed
    first, or by the documents' own date (`sort="date"`, undated ones last): two statements
    (the count, the page with its uploaders) whatever the docuthèque's size."""
    where = [Document.group_id == group.id, *visible_documents(viewer)]
    if tag:
        where.append(Document.tags.contains(f",{tag.lower()},", autoescape=True))
    if kind:
        where.append(Document.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(Document).where(*where)) or 0
    page, _ = clamp_page(page, total, DOCUMENTS_PER_PAGE)
    items = db.session.scalars(
        select(Document)
        .options(joinedload(Document.uploaded_by))
        .where(*where)
        .order_by(
            *(
                (Document.issued_on.desc().nulls_last(), Document.id.desc())
                if sort == "date"
                else (Document.updated_at.desc(), Document.id.desc())
            )
        )
        .limit(DOCUMENTS_PER_PAGE)
        .offset((page - 1) * DOCUMENTS_PER_PAGE)
    ).all()
    return PageOf.build(list(items), page, total, DOCUMENTS_PER_PAGE)


@dataclass
class DocumentLine:
    """A document as a short list shows it (the group page), read from JSON."""

    id: int
    title: str
    kind: str
    size: int
    visibility: str
    issued_on: date | None
    source: str


LATEST = 5
_LINE = ("id", "title", "kind", "size", "visibility", "issued_on", "source")


def latest_documents_column(viewer: Any, limit: int = LATEST):
    """The group page's latest documents as one JSON value, a scalar subquery correlated
    to `groups`: it rides in the group page's one statement (groups.services.group_overview)
    instead of costing a statement of its own. Built once per kind of access (it cost
    0.2 ms)."""
    return _latest_documents(viewer, db.session.get_bind().dialect.name, limit)


@per_access()
def _latest_documents(viewer: Any, dialect: str, limit: int):
    latest = (
        select(*(getattr(Document, name) for name in _LINE), Document.updated_at)
        .where(Document.group_id == Group.id, *visible_documents(viewer))
        .order_by(Document.updated_at.desc(), Document.id.desc())
        .limit(limit)
        .correlate(Group)
    )
    return json_list(latest, _LINE, (("updated_at", True), ("id", True)), dialect)


def latest_documents(value: Any) -> list[DocumentLine]:
    """The lines from `latest_documents_column`'s value, newest first."""
    lines = []
    for item in json_rows(value, _LINE):
        if item["issued_on"]:
            item["issued_on"] = date.fromisoformat(str(item["issued_on"])[:10])
        lines.append(DocumentLine(**item))
    return lines


def meeting_minutes(group: Group, viewer: Any, limit: int = 10) -> list:
    """The group's latest meeting minutes the viewer may see: they belong in the
    docuthèque too (one statement)."""
    from forum.meetings.models import Meeting
    from forum.permissions import visible_meetings

    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.group_id == group.id,
                Meeting.minutes_at.is_not(None),
                *visible_meetings(viewer),
            )
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )


def deleted_documents(group: Group) -> list[Document]:
    """What coordinators can still restore."""
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.group_id == group.id, Document.deleted_at.is_not(None))
            .order_by(Document.deleted_at.desc())
        )
    )
