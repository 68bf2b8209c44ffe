"""Following threads and groups; notifications in the site, by e-mail at once or in a digest.

Who is told what, for one new post: the members following the group (a new thread) or the
thread (a reply), and the members it mentions. One notification per member and post (a mention
wins), never one to the author. A member chooses how mail reaches them (`User.notify_email`):
"immediate" (one mail per notification, queued in the same transaction), "daily" (one digest
a day, sent by `flask reminders`) or "never". `Notification.mailed_at` is set when the mail
that carries a notification is queued, so nothing is mailed twice.

Every mail has a one-click unsubscribe link (RFC 8058) with a signed token; see
`unsubscribe_url()`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.db import utcnow
from forum.discussions.models import Post, Thread
from forum.extensions import db
from forum.groups.models import Group
from forum.mail import queue_mail
from forum.markup import plain_text
from forum.notifications.models import GroupSubscription, Notification, ThreadSubscription
from forum.permissions import can
from forum.urls import absolute_url

log = logging.getLogger(__name__)

REPLY = "reply"
MENTION = "mention"
NEW_THREAD = "new_thread"

IMMEDIATE = "immediate"
DAILY = "daily"
NEVER = "never"
NOTIFY_CHOICES = (IMMEDIATE, DAILY, NEVER)

NOTIFICATIONS_PER_PAGE = 30
EXTRACT_LENGTH = 300
# A post naming more people than this notifies only the first ones (alphabetically): a
# mass-mention must not turn one post into hundreds of mails.
MAX_MENTIONS = 20
# A digest lists at most this many threads, and this many items per thread; the rest is
# counted and linked to the notification page (a member back from "never" may have hundreds).
DIGEST_MAX_THREADS = 20
DIGEST_ITEMS_PER_THREAD = 5
DIGEST_TIMEZONE = ZoneInfo("Europe/Paris")

UNSUBSCRIBE_SALT = "unsubscribe"
# Token scopes: stop mail for one thread, for one group's new threads, or all notification mail.
SCOPE_THREAD = "t"
SCOPE_GROUP = "g"
SCOPE_ALL = "a"


# --- Following -------------------------------------------------------------------------


def is_following_thread(user: Any, thread: Thread) -> bool:
    """True when the signed-in user follows the thread; no query for visitors."""
    if not _live(user):
        return False
    return bool(
        db.session.scalar(
            select(ThreadSubscription.active).where(
                ThreadSubscription.user_id == user.id, ThreadSubscription.thread_id == thread.id
            )
        )
    )


def is_following_group(user: Any, group: Group) -> bool:
    """True when the signed-in user follows the group's new threads; no query for visitors."""
    if not _live(user):
        return False
    return (
        db.session.scalar(
            select(GroupSubscription.user_id).where(
                GroupSubscription.user_id == user.id, GroupSubscription.group_id == group.id
            )
        )
        is not None
    )


def follow_thread(user: User, thread: Thread) -> None:
    """Follow a thread (again): its replies notify the user."""
    _set_thread_subscription(user.id, thread.id, active=True)


def unfollow_thread(user: User, thread: Thread) -> None:
    """Stop following a thread. The row stays, inactive: replying later won't re-follow."""
    _set_thread_subscription(user.id, thread.id, active=False)


def follow_group(user: User, group: Group) -> None:
    """Follow a group: each new thread in it notifies the user."""
    _insert_ignoring_duplicate(GroupSubscription, user_id=user.id, group_id=group.id)


def unfollow_group(user: User, group: Group) -> None:
    """Stop following a group's new threads."""
    subscription = db.session.get(GroupSubscription, (user.id, group.id))
    if subscription is not None:
        db.session.delete(subscription)
        db.session.flush()


def _set_thread_subscription(user_id: int, thread_id: int, *, active: bool) -> None:
    subscription = db.session.get(ThreadSubscription, (user_id, thread_id))
    if subscription is None:
        _insert_ignoring_duplicate(
            ThreadSubscription, user_id=user_id, thread_id=thread_id, active=active
        )
        subscription = db.session.get(ThreadSubscription, (user_id, thread_id))
    if subscription is not None and subscription.active != active:
        subscription.active = active
        db.session.flush()


def _insert_ignoring_duplicate(model, **values) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a double click or a concurrent request is no error."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    values.setdefault("created_at", utcnow())
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def _follow_automatically(user: User, thread: Thread) -> None:
    """Authors and repliers follow the thread, unless they once chose to stop."""
    if db.session.get(ThreadSubscription, (user.id, thread.id)) is None:
        _insert_ignoring_duplicate(ThreadSubscription, user_id=user.id, thread_id=thread.id)


# --- Notifying -------------------------------------------------------------------------


def on_new_post(post: Post, *, new_thread: bool, mentions: set[str]) -> None:
    """Follow the thread for the author; notify followers and mentioned members."""
    thread = post.thread
    _follow_automatically(post.author, thread)
    kinds: dict[int, str] = {}
    if new_thread:
        followers = select(GroupSubscription.user_id).where(
            GroupSubscription.group_id == thread.group_id
        )
        kinds.update(dict.fromkeys(db.session.scalars(followers), NEW_THREAD))
    else:
        followers = select(ThreadSubscription.user_id).where(
            ThreadSubscription.thread_id == thread.id, ThreadSubscription.active.is_(True)
        )
        kinds.update(dict.fromkeys(db.session.scalars(followers), REPLY))
    kinds.update(dict.fromkeys(_mentioned_ids(mentions), MENTION))  # a mention wins
    _notify(post, kinds)


def on_edited_post(post: Post, *, new_mentions: set[str]) -> None:
    """Notify members newly mentioned by an edit (never twice for one post and member)."""
    if not new_mentions or post.is_deleted or post.is_hidden:
        return
    ids = _mentioned_ids(new_mentions)
    if not ids:
        return
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.post_id == post.id, Notification.user_id.in_(ids)
            )
        )
    )
    _notify(post, {user_id: MENTION for user_id in ids if user_id not in already})


def _mentioned_ids(mentions: set[str]) -> list[int]:
    handles = sorted(h.lower() for h in mentions)[:MAX_MENTIONS]
    if not handles:
        return []
    return list(
        db.session.scalars(
            select(User.id).where(User.username.in_(handles), User.deleted_at.is_(None))
        )
    )


def _notify(post: Post, kinds: dict[int, str]) -> None:
    """Write one notification per member (never the author), mail those who want it now."""
    kinds.pop(post.author_id, None)
    if not kinds:
        return
    thread = post.thread
    recipients = db.session.scalars(
        select(User).where(User.id.in_(list(kinds)), User.deleted_at.is_(None)).order_by(User.id)
    ).all()
    # Who stopped following this thread: a mention still reaches their notification list,
    # but no mail (the unsubscribe link promised "no more mail about this thread"). Only
    # mentions can reach them: replies go to active followers, a new thread has none yet.
    mentioned = [user_id for user_id, kind in kinds.items() if kind == MENTION]
    muted = set()
    if mentioned:
        muted = set(
            db.session.scalars(
                select(ThreadSubscription.user_id).where(
                    ThreadSubscription.thread_id == thread.id,
                    ThreadSubscription.active.is_(False),
                    ThreadSubscription.user_id.in_(mentioned),
                )
            )
        )
    created: list[tuple[Notification, User]] = []
    for user in recipients:
        if not can("thread.view", thread, user=user):
            continue  # a hidden thread: only its moderators hear of it
        notification = Notification(
            user_id=user.id,
            kind=kinds[user.id],
            thread_id=thread.id,
            post_id=post.id,
            actor_id=post.author_id,
        )
        db.session.add(notification)
        created.append((notification, user))
    db.session.flush()
    now = utcnow()
    for notification, user in created:
        if user.notify_email == IMMEDIATE and _can_receive_mail(user) and user.id not in muted:
            _queue_notification_mail(notification, user, post)
            notification.mailed_at = now
    db.session.flush()


def _live(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and not user.is_deleted)


def _can_receive_mail(user: User) -> bool:
    """Verified, not suspended, not deleted: the others see notifications on the site only."""
    return user.is_verified and not user.is_suspended and not user.is_deleted


# --- Mail ------------------------------------------------------------------------------


def extract(post: Post, length: int = EXTRACT_LENGTH) -> str:
    """A short plain-text extract of a post, cut at a word."""
    text = plain_text(post.body_html)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] or text[:length]
    return cut.rstrip(" ,;:.") + "…"


def unsubscribe_url(user: User, scope: str, target_id: int = 0) -> str:
    """An absolute link that stops mail for one thread, one group, or all notifications.

    The signed token never expires: an old mail's link must still work, and all it can do
    is send less mail to its owner.
    """
    return absolute_url(
        "notifications.unsubscribe", token=unsubscribe_token(user, scope, target_id)
    )


def unsubscribe_token(user: User, scope: str, target_id: int = 0) -> str:
    """The signed token of an unsubscribe link (short: it goes into a mail header)."""
    return _serializer().dumps([user.id, scope, target_id])


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def _list_headers(stop_url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients show an "Unsubscribe" button that POSTs here."""
    return {
        "List-Unsubscribe": f"<{stop_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",  # no vacation auto-replies to the outbox
    }


def _queue_notification_mail(notification: Notification, user: User, post: Post) -> None:
    thread = post.thread
    group = thread.group
    author = post.author
    subjects = {
        REPLY: _l("New reply in “%(title)s”", title=thread.title),
        MENTION: _l(
            "%(name)s mentioned you in “%(title)s”", name=author.display_name, title=thread.title
        ),
        NEW_THREAD: _l("New thread in %(group)s: %(title)s", group=group.name, title=thread.title),
    }
    if notification.kind == NEW_THREAD:  # it came from following the group
        stop_url = unsubscribe_url(user, SCOPE_GROUP, group.id)
    else:
        stop_url = unsubscribe_url(user, SCOPE_THREAD, thread.id)
    queue_mail(
        user.email,
        "notify",
        subject=subjects[notification.kind],
        locale=user.locale,
        headers=_list_headers(stop_url),
        user=user,
        kind=notification.kind,
        thread=thread,
        group=group,
        author_name=author.display_name,
        extract=extract(post),
        post_url=absolute_url("discussions.permalink", post_id=post.id),
        stop_url=stop_url,
        stop_all_url=unsubscribe_url(user, SCOPE_ALL),
        settings_url=absolute_url("accounts.settings"),
    )


# --- Daily digest ----------------------------------------------------------------------


@dataclass
class DigestItem:
    kind: str
    actor_name: str
    extract: str
    url: str


@dataclass
class DigestSection:
    thread: Thread
    group: Group
    stop_url: str
    group_stop_url: str | None = None
    items: list[DigestItem] = field(default_factory=list)
    more: int = 0
    latest: int = 0  # the newest notification's id, to put the liveliest threads first


@dataclass
class DigestRun:
    due: bool
    day: date | None
    users: int = 0  # daily-digest members whose day was due
    sent: int = 0  # digests queued
    notifications: int = 0  # notifications they carry
    failed: int = 0

    def summary(self) -> str:
        if not self.due:
            hour = current_app.config["DIGEST_HOUR"]
            return f"not due before {hour:02d}:00 Europe/Paris"
        text = f"{self.sent} sent ({self.notifications} notifications) to {self.users} due"
        return text + (f", {self.failed} failed" if self.failed else "")


def digest_day(now: datetime) -> date | None:
    """The Paris day whose digest is due at `now`, or None before DIGEST_HOUR."""
    local = now.astimezone(DIGEST_TIMEZONE)
    if local.hour < current_app.config["DIGEST_HOUR"]:
        return None
    return local.date()


def send_digests(now: datetime | None = None) -> DigestRun:
    """Queue today's digest for each "daily" member who has not had it yet.

    Once per Paris day, at or after DIGEST_HOUR. Each member's day is claimed with a
    conditional UPDATE of `last_digest_on`; only the run whose UPDATE matched sends, so two
    runs at once never send twice. A day with nothing to say sends nothing but is used all
    the same: what comes later waits for the next day's digest at the fixed hour (else,
    with `reminders` run every few minutes, digests would go out at any hour).

    Commits after each member, like the outbox sender: a member's claim, mail and
    `mailed_at` marks are one unit of work, a failure loses nobody else's digest, and no
    lock is held for the length of the run.
    """
    now = now or utcnow()
    day = digest_day(now)
    run = DigestRun(due=day is not None, day=day)
    if day is None:
        return run
    due_ids = db.session.scalars(
        select(User.id)
        .where(
            User.notify_email == DAILY,
            User.deleted_at.is_(None),
            or_(User.last_digest_on.is_(None), User.last_digest_on < day),
        )
        .order_by(User.id)
    ).all()
    for user_id in due_ids:
        try:
            carried = _send_digest(user_id, day, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("digest for user %s failed; the next run tries again", user_id)
            run.failed += 1
            continue
        if carried is None:
            continue  # another run claimed this member's day
        run.users += 1
        if carried:
            run.sent += 1
            run.notifications += carried
    return run


def _send_digest(user_id: int, day: date, now: datetime) -> int | None:
    """Claim the member's day and queue their digest: None if another run had claimed it,
    else the number of notifications mailed (0: nothing to send)."""
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user_id,
            User.notify_email == DAILY,
            or_(User.last_digest_on.is_(None), User.last_digest_on < day),
        )
        .values(last_digest_on=day)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None or not _can_receive_mail(user):
        return 0  # the notifications wait on the site (and in the digest once verified)
    return _queue_digest(user, now, subject=None)


def send_pending_now(user: User) -> int:
    """Mail at once, as one summary, what a member's digest still owed them."""
    if not _can_receive_mail(user):
        return 0
    return _queue_digest(user, utcnow(), subject=_l("Notifications since your last digest"))


def _pending(user: User) -> list[Notification]:
    # FOR UPDATE: a concurrent digest or preference change waits, then sees them mailed.
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.mailed_at.is_(None))
            .order_by(Notification.id)
            .with_for_update()
        )
    )


def _queue_digest(user: User, now: datetime, *, subject) -> int:
    """Queue one mail with the member's unmailed notifications, grouped per thread."""
    pending = _pending(user)
    if not pending:
        return 0
    threads = {
        t.id: t
        for t in db.session.scalars(
            select(Thread)
            .options(joinedload(Thread.group))
            .where(Thread.id.in_({n.thread_id for n in pending}))
        )
    }
    post_ids = {n.post_id for n in pending if n.post_id is not None}
    posts = {
        p.id: p
        for p in db.session.scalars(
            select(Post).options(joinedload(Post.author)).where(Post.id.in_(post_ids))
        )
    }
    sections: dict[int, DigestSection] = {}
    shown = 0
    for n in pending:
        # Marked even when left out: a post since deleted or hidden is settled, not retried.
        n.mailed_at = now
        thread = threads.get(n.thread_id)
        post = posts.get(n.post_id) if n.post_id is not None else None
        if thread is None or post is None or not _still_visible(user, post):
            continue
        section = sections.get(thread.id)
        if section is None:
            section = sections[thread.id] = DigestSection(
                thread=thread,
                group=thread.group,
                stop_url=unsubscribe_url(user, SCOPE_THREAD, thread.id),
            )
        if n.kind == NEW_THREAD and section.group_stop_url is None:
            section.group_stop_url = unsubscribe_url(user, SCOPE_GROUP, thread.group_id)
        if len(section.items) >= DIGEST_ITEMS_PER_THREAD:
            section.more += 1
        else:
            section.items.append(
                DigestItem(
                    kind=n.kind,
                    actor_name=post.author.display_name,
                    extract=extract(post, 200),
                    url=absolute_url("discussions.permalink", post_id=post.id),
                )
            )
        section.latest = n.id
        shown += 1
    db.session.flush()
    if not shown:
        return 0  # never an empty digest
    ordered = sorted(sections.values(), key=lambda s: s.latest, reverse=True)
    more_threads = max(len(ordered) - DIGEST_MAX_THREADS, 0)
    stop_all_url = unsubscribe_url(user, SCOPE_ALL)
    queue_mail(
        user.email,
        "digest",
        subject=subject
        if subject is not None
        else lazy_ngettext(
            "Your daily digest: %(num)s new notification",
            "Your daily digest: %(num)s new notifications",
            shown,
        ),
        locale=user.locale,
        headers=_list_headers(stop_all_url),
        user=user,
        sections=ordered[:DIGEST_MAX_THREADS],
        more_threads=more_threads,
        total=shown,
        list_url=absolute_url("notifications.list_notifications"),
        stop_all_url=stop_all_url,
        settings_url=absolute_url("accounts.settings"),
    )
    return shown


def _still_visible(user: User, post: Post) -> bool:
    return not post.is_deleted and can("post.view", post, user=user)


def notify_email_changed(user: User, old: str, new: str) -> None:
    """A member changed how mail reaches them.

    From "daily" to "immediate": what the next digest would have carried goes out now, as one
    summary, rather than never. Other changes need nothing: pending notifications of a
    "never" member stay on the site (and go in the first digest if they choose "daily").
    """
    if old == DAILY and new == IMMEDIATE:
        send_pending_now(user)


# --- One-click unsubscribe -------------------------------------------------------------


@dataclass
class Unsubscribe:
    """What a valid unsubscribe token asks for."""

    user: User
    scope: str
    thread: Thread | None = None
    group: Group | None = None


def read_unsubscribe_token(token: str) -> Unsubscribe | None:
    """The request signed in an unsubscribe link, or None when forged or stale."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not (
        isinstance(data, list)
        and len(data) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in (data[0], data[2]))
        and data[1] in (SCOPE_THREAD, SCOPE_GROUP, SCOPE_ALL)
    ):
        return None
    user_id, scope, target_id = data
    user = db.session.get(User, user_id)
    if user is None or user.is_deleted:
        return None
    if scope == SCOPE_THREAD:
        thread = db.session.get(Thread, target_id)
        return Unsubscribe(user, scope, thread=thread) if thread is not None else None
    if scope == SCOPE_GROUP:
        group = db.session.get(Group, target_id)
        return Unsubscribe(user, scope, group=group) if group is not None else None
    return Unsubscribe(user, scope)


def unsubscribe(asked: Unsubscribe) -> None:
    """Do what an unsubscribe link asks; doing it twice changes nothing."""
    if asked.scope == SCOPE_THREAD and asked.thread is not None:
        unfollow_thread(asked.user, asked.thread)
    elif asked.scope == SCOPE_GROUP and asked.group is not None:
        unfollow_group(asked.user, asked.group)
    elif asked.scope == SCOPE_ALL:
        asked.user.notify_email = NEVER


# --- The notification list -------------------------------------------------------------


@dataclass
class NotificationRow:
    notification: Notification
    thread: Thread


def unread_count(user: Any) -> int:
    """The member's unread notifications: one COUNT on an index; no query for visitors."""
    if not _live(user):
        return 0
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def notifications_page(user: User, page: int):
    """One page of the member's notifications, newest first."""
    from forum.discussions.services import PageOf

    total = (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user.id)
        )
        or 0
    )
    pages = max((total - 1) // NOTIFICATIONS_PER_PAGE + 1, 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(Notification, Thread)
        .join(Thread, Thread.id == Notification.thread_id)
        .options(joinedload(Notification.actor), joinedload(Thread.group))
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(NOTIFICATIONS_PER_PAGE)
        .offset((page - 1) * NOTIFICATIONS_PER_PAGE)
    ).all()
    return PageOf([NotificationRow(n, t) for n, t in rows], page, pages, total)


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the member as read."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def open_notification(user: User, notification_id: int) -> Notification | None:
    """The member's notification, marked read; None if it is not theirs."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification
