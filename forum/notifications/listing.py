"""The member's notifications on the site: the list, grouped per thread, and read marks."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, literal, or_, select, union_all, update
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.memo import request_memo
from forum.notifications import kinds
from forum.notifications.following import live
from forum.notifications.models import Notification
from forum.pagination import PageOf, clamp_page

NOTIFICATIONS_PER_PAGE = 30
LIST_EXTRACT_LENGTH = 160


# --- The unread count -------------------------------------------------------------------


@functools.cache
def _unread_count():
    """The statement of the header's count, built once (every signed-in page)."""
    return select(func.count(Notification.id)).where(
        Notification.user_id == bindparam("user"), Notification.read_at.is_(None)
    )


def unread_count(user: Any) -> int:
    """The member's unread notifications: one COUNT on an index; no query for visitors.

    Remembered for the rest of the request (the page's header asked; the read mark that
    follows the page then knows whether there is anything to mark).
    """
    if not live(user):
        return 0
    known = _known_counts()
    if user.id not in known:
        known[user.id] = db.session.scalar(_unread_count(), {"user": user.id}) or 0
    return known[user.id]


def unread_count_column(user_id):
    """The count as a column of another statement: the signed-in request's own (the user's
    loader, forum.accounts.services), so that the header's count costs no round trip."""
    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def remember_unread_count(user: Any, count: int) -> None:
    """The count read with the user, at the start of the request: what unread_count gives
    until a change of notifications forgets it."""
    _known_counts()[user.id] = count


def _known_counts() -> dict[int, int]:
    # Only inside a request (request_memo keeps nothing outside one): a command or a shell
    # lives longer than the counts stay true.
    return request_memo("notifications_unread")


def forget_unread_counts() -> None:
    """Notifications changed: counts read earlier in this request are stale."""
    request_memo("notifications_unread").clear()


# --- Read marks -------------------------------------------------------------------------


def mark_read_up_to(user: User, thread: Any, number: int) -> None:
    """The member read the thread up to post `number`: what it notified them of is read.

    One UPDATE, and none at all when the page just counted no unread notification for them
    (a member's thread page writes nothing more than its read mark).
    """
    from forum.discussions.models import Post

    if _known_counts().get(user.id) == 0:
        return
    read_posts = select(Post.id).where(Post.thread_id == thread.id, Post.number <= number)
    db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.thread_id == thread.id,
            Notification.read_at.is_(None),
            or_(Notification.post_id.is_(None), Notification.post_id.in_(read_posts)),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    forget_unread_counts()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the member as read."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    forget_unread_counts()
    return result.rowcount or 0


def open_notification(user: User, notification_id: int) -> Notification | None:
    """The member's notification, marked read; None if it is not theirs."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
        forget_unread_counts()
    return notification


def target_url(user: User, notification: Notification) -> str | None:
    """Where the notification leads, or None when its subject is gone or out of sight."""
    spec = kinds.get(notification.kind)
    subject = kinds.load_subjects([notification]).get(
        (notification.subject_type, notification.subject_id)
    )
    if spec is None or subject is None or not spec.visible(user, subject):
        return None
    return spec.url(subject)


# --- The list ---------------------------------------------------------------------------


@dataclass
class NotificationRow:
    """One line of the list: a notification, or several of one thread (`count`)."""

    notification: Notification
    count: int
    unread: bool
    latest_at: Any  # the newest of the line's notifications
    text: Any = None
    excerpt: str | None = None
    visible: bool = False


def notifications_page(user: User, page: int) -> PageOf:
    """One page of the member's notifications, newest first; the replies of one thread
    are one line ("3 new replies in …", at the first unread), read ones another."""
    keys = _row_keys(user.id)
    total = db.session.scalar(select(func.count()).select_from(keys)) or 0
    page, _ = clamp_page(page, total, NOTIFICATIONS_PER_PAGE)
    rows = db.session.execute(
        select(keys.c.key, keys.c.shown, keys.c.n, keys.c.unread, keys.c.latest_at)
        .order_by(keys.c.key.desc())
        .limit(NOTIFICATIONS_PER_PAGE)
        .offset((page - 1) * NOTIFICATIONS_PER_PAGE)
    ).all()
    loaded = {
        n.id: n
        for n in db.session.scalars(
            select(Notification)
            .options(joinedload(Notification.actor))
            .where(Notification.id.in_([row.shown for row in rows]))
        )
    }
    items = [
        NotificationRow(loaded[row.shown], row.n, bool(row.unread), row.latest_at)
        for row in rows
        if row.shown in loaded
    ]
    _describe(user, items)
    return PageOf.build(items, page, total, NOTIFICATIONS_PER_PAGE)


def _row_keys(user_id: int):
    """(key, shown, n, unread, latest_at) per line: a line's key orders the list (its newest id);
    `shown` is the notification it opens (a group's first unread, or its newest read)."""
    grouped = kinds.grouped_kinds()
    unread = case((Notification.read_at.is_(None), 1), else_=0)
    groups = (
        select(
            func.max(Notification.id).label("key"),
            case(
                (func.max(unread) == 1, func.min(Notification.id)), else_=func.max(Notification.id)
            ).label("shown"),
            func.count(Notification.id).label("n"),
            func.max(unread).label("unread"),
            func.max(Notification.created_at).label("latest_at"),
        )
        .where(
            Notification.user_id == user_id,
            Notification.kind.in_(grouped),
            Notification.thread_id.is_not(None),
        )
        .group_by(Notification.thread_id, Notification.kind, unread)
    )
    singles = select(
        Notification.id.label("key"),
        Notification.id.label("shown"),
        literal(1).label("n"),
        unread.label("unread"),
        Notification.created_at.label("latest_at"),
    ).where(
        Notification.user_id == user_id,
        or_(Notification.kind.not_in(grouped), Notification.thread_id.is_(None)),
    )
    return union_all(groups, singles).subquery()


def _describe(user: User, rows: list[NotificationRow]) -> None:
    """Word each line with its kind, its subject loaded with the others'."""
    subjects = kinds.load_subjects(row.notification for row in rows)
    for row in rows:
        n = row.notification
        spec = kinds.get(n.kind)
        subject = subjects.get((n.subject_type, n.subject_id))
        if spec is None or subject is None or not spec.visible(user, subject):
            row.text = _l("Something that is no longer visible.")
            continue
        row.visible = True
        if row.count > 1 and spec.group_line is not None:
            row.text = spec.group_line(row.count, subject, row.unread)
        else:
            row.text = spec.line(n, subject)
        if row.unread and spec.excerpt is not None:
            row.excerpt = spec.excerpt(subject, LIST_EXTRACT_LENGTH)
