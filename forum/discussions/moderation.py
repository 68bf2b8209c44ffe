"""Moderation rules: reports, hiding, locking, pinning, moving; each action audit-logged."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from forum import audit, events
from forum.accounts.models import User
from forum.db import insert_ignoring_duplicate, utcnow
from forum.discussions.models import REPORT_CATEGORIES, Flag, Post, Thread
from forum.discussions.services import REASON_MAX, PostingError, storable
from forum.extensions import db
from forum.groups.models import Group
from forum.permissions import is_moderator

HIDING_REASONS = REPORT_CATEGORIES  # what the moderator may give as the public reason


def hide_post(moderator: User, post: Post, *, category: str, note: str = "") -> None:
    """Hide a post. Its place shows the moderator's reason: a category from the short list
    and an optional text of theirs (never a reporter's words). Open reports are resolved."""
    if category not in HIDING_REASONS:
        raise PostingError(_l("Choose a reason from the list."))
    post.hidden_at = utcnow()
    post.hidden_category = category
    post.hidden_reason = storable(note or "").strip()[:REASON_MAX] or None
    post.hidden_by_id = moderator.id
    _resolve_flags(moderator, post, "hidden")
    audit.record(moderator, "post.hide", post, group=post.thread.group, detail=category)
    events.post_removed.send(post, actor=moderator, how="hidden")


def restore_post(moderator: User, post: Post) -> None:
    """Show a hidden post again."""
    post.hidden_at = None
    post.hidden_category = None
    post.hidden_reason = None
    post.hidden_by_id = None
    audit.record(moderator, "post.restore", post, group=post.thread.group)
    events.post_restored.send(post, actor=moderator)


def dismiss_flags(moderator: User, post: Post) -> None:
    """Close the reports on a post without hiding it."""
    _resolve_flags(moderator, post, "dismissed")
    audit.record(moderator, "flags.dismiss", post, group=post.thread.group)


def _resolve_flags(moderator: User, post: Post, outcome: str) -> None:
    db.session.execute(
        update(Flag)
        .where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=moderator.id, outcome=outcome)
        .execution_options(synchronize_session=False)
    )


def set_locked(moderator: User, thread: Thread, locked: bool) -> None:
    """Lock a thread (no new replies but the moderators') or unlock it."""
    if thread.is_locked == locked:
        return
    thread.locked_at = utcnow() if locked else None
    change = "locked" if locked else "unlocked"
    audit.record(
        moderator, "thread.lock" if locked else "thread.unlock", thread, group=thread.group
    )
    events.thread_changed.send(thread, actor=moderator, change=change)


def set_pinned(moderator: User, thread: Thread, pinned: bool) -> None:
    """Pin a thread at the top of its group, or unpin it."""
    if thread.is_pinned == pinned:
        return
    thread.is_pinned = pinned
    audit.record(moderator, "thread.pin" if pinned else "thread.unpin", thread, group=thread.group)


def set_thread_hidden(moderator: User, thread: Thread, hidden: bool, reason: str = "") -> None:
    """Hide a whole thread from everyone but the group's moderators, or show it again."""
    thread.hidden_at = utcnow() if hidden else None
    thread.hidden_reason = reason.strip()[:REASON_MAX] if hidden else None
    audit.record(moderator, "thread.hide" if hidden else "thread.show", thread, group=thread.group)
    events.thread_changed.send(thread, actor=moderator, change="hidden" if hidden else "shown")


def move_thread(moderator: User, thread: Thread, target: Group) -> None:
    """Move a thread to another group the moderator also moderates."""
    if not is_moderator(moderator, target):
        raise PostingError(_l("You can only move a thread to a group you coordinate."))
    source = thread.group
    thread.group = target
    thread.group_id = target.id
    db.session.flush()
    # Both groups' coordinators read it in their log.
    audit.record(moderator, "thread.move", thread, group=source, detail=f"to:{target.slug}"[:40])
    audit.record(moderator, "thread.move", thread, group=target, detail=f"from:{source.slug}"[:40])
    events.thread_changed.send(thread, actor=moderator, change="moved")


def flag_post(user: User, post: Post, *, category: str, reason: str = "") -> Flag | None:
    """Report a post to the group's moderators; each report is its own row.

    A member has one open report per post: a second one while it waits (or six sent at
    once) changes nothing and returns None. The reason is for the moderators only."""
    if category not in REPORT_CATEGORIES:
        raise PostingError(_l("Choose a reason from the list."))
    inserted = insert_ignoring_duplicate(
        Flag,
        post_id=post.id,
        user_id=user.id,
        category=category,
        reason=storable(reason or "").strip()[:REASON_MAX],
    )
    if not inserted:
        return None
    flag = db.session.scalar(
        select(Flag).where(
            Flag.post_id == post.id, Flag.user_id == user.id, Flag.resolved_at.is_(None)
        )
    )
    events.post_flagged.send(flag)
    return flag


def open_flags(group: Group | None, *, limit: int | None = None) -> list[Flag]:
    """The moderation queue: unresolved reports on the group's posts (every group's, for
    the site admins: group=None), oldest first."""
    where = [Flag.resolved_at.is_(None)]
    if group is not None:
        where.append(Thread.group_id == group.id)
    query = (
        select(Flag)
        .join(Post, Flag.post_id == Post.id)
        .join(Thread, Post.thread_id == Thread.id)
        .options(
            joinedload(Flag.post).joinedload(Post.author),
            joinedload(Flag.post).joinedload(Post.thread).joinedload(Thread.group),
            joinedload(Flag.user),
        )
        .where(*where)
        .order_by(Flag.created_at, Flag.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def open_flag_count(group: Group) -> int:
    """How many reports wait in the group (for its moderators' link)."""
    return (
        db.session.scalar(
            select(func.count(Flag.id))
            .join(Post, Flag.post_id == Post.id)
            .join(Thread, Post.thread_id == Thread.id)
            .where(Thread.group_id == group.id, Flag.resolved_at.is_(None))
        )
        or 0
    )
