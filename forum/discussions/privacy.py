"""What discussions hold about a person: their part of the export, of an account's erasure
and of the retention rules. Listeners of `forum.events`; they read the models only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from forum.accounts.models import User
from forum.discussions.models import (
    DRAFT_LIFETIME,
    Draft,
    Flag,
    Post,
    PostRevision,
    PostSubmission,
    ReadState,
    Thread,
)
from forum.extensions import db
from forum.groups.models import Group


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The user's threads, posts with their earlier versions, reports, drafts, read marks."""
    threads = db.session.execute(
        select(Thread, Group.slug)
        .join(Group, Group.id == Thread.group_id)
        .where(Thread.author_id == user.id)
        .order_by(Thread.id)
    ).all()
    posts = db.session.scalars(
        select(Post).where(Post.author_id == user.id).order_by(Post.id)
    ).all()
    revisions: dict[int, list[dict[str, Any]]] = {}
    if posts:
        for rev in db.session.scalars(
            select(PostRevision)
            .join(Post, Post.id == PostRevision.post_id)
            .where(Post.author_id == user.id)
            .order_by(PostRevision.post_id, PostRevision.id)
        ):
            revisions.setdefault(rev.post_id, []).append(
                {
                    "body": rev.body,
                    "written_at": iso(rev.written_at),
                    "replaced_at": iso(rev.replaced_at),
                }
            )
    flags = db.session.scalars(select(Flag).where(Flag.user_id == user.id).order_by(Flag.id))
    drafts = db.session.scalars(select(Draft).where(Draft.user_id == user.id).order_by(Draft.id))
    reads = db.session.scalars(
        select(ReadState).where(ReadState.user_id == user.id).order_by(ReadState.thread_id)
    )
    return {
        "threads_started": [
            {
                "id": t.id,
                "group": slug,
                "title": t.title,
                "created_at": iso(t.created_at),
            }
            for t, slug in threads
        ],
        "posts": [
            {
                "id": p.id,
                "thread_id": p.thread_id,
                "number": p.number,
                "body": p.body,
                "created_at": iso(p.created_at),
                "edited_at": iso(p.edited_at),
                "deleted_at": iso(p.deleted_at),
                "hidden_at": iso(p.hidden_at),
                "earlier_versions": revisions.get(p.id, []),
            }
            for p in posts
        ],
        "reports": [
            {
                "post_id": f.post_id,
                "reason": f.reason,
                "created_at": iso(f.created_at),
                "resolved_at": iso(f.resolved_at),
                "outcome": f.outcome,
            }
            for f in flags
        ],
        "drafts": [
            {
                "title": d.title,
                "body": d.body,
                "group_id": d.group_id,
                "thread_id": d.thread_id,
                "post_id": d.post_id,
                "created_at": iso(d.created_at),
            }
            for d in drafts
        ],
        "read_marks": [
            {"thread_id": r.thread_id, "last_read_number": r.last_read_number} for r in reads
        ],
    }


def erase(user: User, **_: Any) -> None:
    """On deletion: drafts and read marks go; a report keeps its row for the moderation
    history but loses its text. Posts stay, shown under the deleted account's name."""
    db.session.execute(delete(Draft).where(Draft.user_id == user.id))
    db.session.execute(delete(ReadState).where(ReadState.user_id == user.id))
    db.session.execute(update(Flag).where(Flag.user_id == user.id).values(reason=""))
    db.session.execute(delete(PostSubmission).where(PostSubmission.user_id == user.id))


def purge(_sender: Any, *, now: datetime, **_: Any) -> dict[str, int]:
    """Drafts and reply forms' one-time keys past their lifetime."""
    drafts = db.session.execute(delete(Draft).where(Draft.created_at < now - DRAFT_LIFETIME))
    keys = db.session.execute(
        delete(PostSubmission).where(PostSubmission.created_at < now - DRAFT_LIFETIME)
    )
    return {"drafts": drafts.rowcount or 0, "form keys": keys.rowcount or 0}


def connect() -> None:
    """Listen to the account and retention signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
    events.purging.connect(purge)
