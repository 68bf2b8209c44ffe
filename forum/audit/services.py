"""Writing and reading the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.audit.models import AuditEntry
from forum.extensions import db
from forum.pagination import PageOf, clamp_page

ENTRIES_PER_PAGE = 50


def record(
    actor: Any | None,
    action: str,
    target: Any,
    *,
    group: Any | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Add an entry for `actor` doing `action` to `target` (a model row), in the caller's
    transaction. `target_type` is the row's table name, e.g. "posts" -> "post"."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=_type_of(target),
        target_id=getattr(target, "id", None),
        group_id=getattr(group, "id", None),
        detail=detail,
    )
    db.session.add(entry)
    return entry


def _type_of(target: Any) -> str:
    name = getattr(target, "__tablename__", type(target).__name__.lower())
    return name[:-1] if name.endswith("s") else name


def entries(page: int, *, group: Any | None = None) -> PageOf:
    """One page of the log, newest first: a group's entries, or all of them (group=None)."""
    where = [AuditEntry.group_id == group.id] if group is not None else []
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    page, _pages = clamp_page(page, total, ENTRIES_PER_PAGE)
    rows = db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .where(*where)
        .order_by(AuditEntry.id.desc())
        .limit(ENTRIES_PER_PAGE)
        .offset((page - 1) * ENTRIES_PER_PAGE)
    ).all()
    return PageOf.build(list(rows), page, total, ENTRIES_PER_PAGE)
