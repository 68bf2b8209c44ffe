"""Telling members: one notification each, and a mail at once when their choice says so.

`notify()` is the API every feature calls (after registering its kinds, see `kinds.py`).
Who gets a mail at once (`User.notify_email`):
- "default": the kinds that concern the member themselves (a mention, a reply in a thread
  they started, a report to moderate, a moderation notice) at once; the rest (replies in
  threads they follow, new threads of groups they follow) in the daily digest;
- "immediate": everything at once; "daily": everything in the digest; "never": no mail.
Even at once, a thread sends one mail until the member comes back: while they have an
unread notification in it that had its own mail, the next ones wait for the digest (or the
site).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.mail import queue_mail
from forum.notifications import kinds
from forum.notifications.following import stopped_following
from forum.notifications.listing import forget_unread_counts
from forum.notifications.models import DAILY, DEFAULT, IMMEDIATE, Notification
from forum.notifications.unsubscribe import SCOPE_ALL, list_headers, unsubscribe_url
from forum.urls import absolute_url

EXTRACT_LENGTH = 300


def notify(
    recipients: Iterable[Any],
    kind: str,
    subject: Any,
    *,
    actor: User | None = None,
    thread: Any = None,
    post: Any = None,
) -> list[Notification]:
    """Tell each recipient (users or ids; never the actor) of `subject`, as `kind`.

    `thread` ties the notification to a forum thread (grouping, read marks, one mail per
    thread); `post` to a forum post (its deletion removes the notification). Those who may
    not see the subject are skipped. Returns the notifications written.
    """
    spec = kinds.get(kind)
    if spec is None:
        raise KeyError(f"unknown notification kind {kind!r}")
    ids = {r if isinstance(r, int) else r.id for r in recipients}
    if actor is not None:
        ids.discard(actor.id)
    if not ids:
        return []
    if post is None and spec.subject_type == "post":
        post = subject
    users = db.session.scalars(
        select(User).where(User.id.in_(ids), User.deleted_at.is_(None)).order_by(User.id)
    ).all()
    created: list[tuple[Notification, User]] = []
    for user in users:
        if not spec.visible(user, subject):
            continue  # e.g. a hidden thread: only its moderators hear of it
        notification = Notification(
            user_id=user.id,
            kind=kind,
            subject_type=spec.subject_type,
            subject_id=subject.id,
            thread_id=thread.id if thread is not None else None,
            post_id=post.id if post is not None else None,
            actor_id=actor.id if actor is not None else None,
        )
        db.session.add(notification)
        created.append((notification, user))
    if not created:
        return []
    db.session.flush()
    forget_unread_counts()
    _mail_at_once(spec, subject, thread, created)
    return [n for n, _ in created]


def _mail_at_once(spec: kinds.Kind, subject, thread, created) -> None:
    """Queue the mails due now; settle those that no mail may ever carry."""
    now = utcnow()
    thread_id = thread.id if thread is not None else None
    # The unsubscribe link promised "no more mail about this thread": a mention still
    # reaches the list, never the mailbox (nor the digest).
    muted = stopped_following([u.id for _, u in created], thread_id) if thread_id else set()
    wanted = []
    for notification, user in created:
        if user.id in muted:
            notification.mailed_at = now
        elif can_receive_mail(user) and _wants_now(spec, notification, user, subject):
            wanted.append((notification, user))
    if wanted and thread_id is not None and spec.once_per_visit:
        waiting = _waiting_in_thread([u.id for _, u in wanted], thread_id)
        wanted = [(n, u) for n, u in wanted if u.id not in waiting]
    for notification, user in wanted:
        _queue_notification_mail(spec, notification, user, subject)
        notification.mailed_at = now
        notification.mailed_at_once = True
    db.session.flush()


def _wants_now(spec: kinds.Kind, notification, user: User, subject) -> bool:
    if spec.digest_only:
        return False
    if user.notify_email == IMMEDIATE:
        return True
    if user.notify_email == DEFAULT:
        return spec.urgent(notification, user, subject)
    return False  # daily, never, or a value this code does not know: no mail at once


def _waiting_in_thread(user_ids: list[int], thread_id: int) -> set[int]:
    """Those who have an unread notification of the thread that a mail of its own carried
    (a digest does not count: it is where what waits goes)."""
    return set(
        db.session.scalars(
            select(Notification.user_id)
            .where(
                Notification.user_id.in_(user_ids),
                Notification.thread_id == thread_id,
                Notification.read_at.is_(None),
                Notification.mailed_at_once.is_(True),
            )
            .distinct()
        )
    )


def can_receive_mail(user: User) -> bool:
    """Verified, not suspended, not deleted: the others see notifications on the site only."""
    return user.is_verified and not user.is_suspended and not user.is_deleted


def uses_digest(mode: str) -> bool:
    """Whether a member's choice sends them a daily digest of what was not mailed at once."""
    return mode in (DEFAULT, IMMEDIATE, DAILY)


def _queue_notification_mail(spec: kinds.Kind, notification, user: User, subject) -> None:
    stop_all_url = unsubscribe_url(user, SCOPE_ALL)
    stop = spec.stop(notification, subject) if spec.stop else None
    stop_url = stop_label = None
    if stop is not None:
        scope, target_id, stop_label = stop
        stop_url = unsubscribe_url(user, scope, target_id)
    queue_mail(
        user.email,
        "notify",
        subject=spec.mail_subject(notification, subject),
        locale=user.locale,
        headers=list_headers(stop_url or stop_all_url),
        user=user,
        intro=spec.wording("mail_line", notification, subject),
        extract=spec.excerpt(subject, EXTRACT_LENGTH) if spec.excerpt else None,
        url=spec.url(subject, absolute=True),
        link_label=spec.link_label,
        stop_url=stop_url,
        stop_label=stop_label,
        stop_all_url=stop_all_url,
        settings_url=absolute_url("accounts.settings"),
    )
