"""The daily digest: once a Paris day, what no mail has carried yet, grouped per thread.

Every member who gets mail has one ("default", "immediate" and "daily"; see
`delivery.py`): it carries their unread notifications that waited (all of them for "daily",
the digest kinds and the held-back ones for the others). Notifications read on the site in
the meantime are settled without mail. Sent by `flask reminders`.
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
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.db import utcnow
from forum.discussions.models import Thread
from forum.extensions import db
from forum.mail import queue_mail
from forum.notifications import kinds
from forum.notifications.delivery import can_receive_mail
from forum.notifications.models import DAILY, DEFAULT, IMMEDIATE, Notification
from forum.notifications.unsubscribe import (
    SCOPE_ALL,
    SCOPE_THREAD,
    list_headers,
    unsubscribe_url,
)
from forum.urls import absolute_url

log = logging.getLogger(__name__)

# A digest lists at most this many threads, and this many items per thread; the rest is
# counted and linked to the notification page (a member back from "never" may have hundreds).
DIGEST_MAX_THREADS = 20
DIGEST_ITEMS_PER_THREAD = 5
DIGEST_EXTRACT_LENGTH = 200
DIGEST_TIMEZONE = ZoneInfo("Europe/Paris")
WITH_DIGEST = (DEFAULT, IMMEDIATE, DAILY)


@dataclass
class DigestItem:
    text: Any
    extract: str | None
    url: str


@dataclass
class DigestSection:
    thread: Thread | None  # None: the section of what belongs to no thread
    stops: dict[str, Any] = field(default_factory=dict)  # unsubscribe URL -> label
    items: list[DigestItem] = field(default_factory=list)
    more: int = 0
    latest: int = 0  # the newest notification's id, to put the liveliest threads first


@dataclass
class DigestRun:
    due: bool
    day: date | None
    users: int = 0  # members whose day was due
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


def _due(day: date) -> list:
    return [
        User.notify_email.in_(WITH_DIGEST),
        User.deleted_at.is_(None),
        or_(User.last_digest_on.is_(None), User.last_digest_on < day),
    ]


def _waiting():
    """A notification no mail has carried and the member has not read."""
    return exists().where(
        Notification.user_id == User.id,
        Notification.mailed_at.is_(None),
        Notification.read_at.is_(None),
    )


def send_digests(now: datetime | None = None) -> DigestRun:
    """Queue today's digest for each member who has not had it yet.

    Once per Paris day, at or after DIGEST_HOUR. Each member's day is claimed with a
    conditional UPDATE of `last_digest_on`; only the run whose UPDATE matched sends, so two
    runs at once never send twice. A day with nothing to say sends nothing but is used all
    the same: what comes later waits for the next day's digest at the fixed hour (else,
    with `reminders` run every few minutes, digests would go out at any hour). Those days
    are claimed with one UPDATE for everyone at once.

    Commits after each member, like the outbox sender: a member's claim, mail and
    `mailed_at` marks are one unit of work, a failure loses nobody else's digest, and no
    lock is held for the length of the run.
    """
    now = now or utcnow()
    day = digest_day(now)
    run = DigestRun(due=day is not None, day=day)
    if day is None:
        return run
    # What was read on the site needs no mail any more.
    db.session.execute(
        update(Notification)
        .where(Notification.mailed_at.is_(None), Notification.read_at.is_not(None))
        .values(mailed_at=now)
        .execution_options(synchronize_session=False)
    )
    empty = db.session.execute(
        update(User)
        .where(*_due(day), ~_waiting())
        .values(last_digest_on=day)
        .execution_options(synchronize_session=False)
    )
    run.users += empty.rowcount or 0
    db.session.commit()
    due_ids = db.session.scalars(select(User.id).where(*_due(day)).order_by(User.id)).all()
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
        .where(User.id == user_id, *_due(day))
        .values(last_digest_on=day)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None or not can_receive_mail(user):
        return 0  # the notifications wait on the site (and in the digest once verified)
    return _queue_digest(user, now, subject=None)


def send_pending_now(user: User) -> int:
    """Mail at once, as one summary, what a member's digest still owed them."""
    if not can_receive_mail(user):
        return 0
    return _queue_digest(user, utcnow(), subject=_l("Notifications since your last digest"))


def notify_email_changed(user: User, old: str, new: str) -> None:
    """A member changed how mail reaches them.

    To "immediate" from a choice with a digest: what the next digest would have carried
    goes out now, as one summary, rather than never. Other changes need nothing: the next
    digest carries what waits, and a "never" member's notifications stay on the site (and
    go in the first digest if they choose one).
    """
    if new == IMMEDIATE and old in (DAILY, DEFAULT):
        send_pending_now(user)


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
    """Queue one mail with the member's unread unmailed notifications, grouped per thread."""
    pending = _pending(user)
    if not pending:
        return 0
    subjects = kinds.load_subjects(pending)
    threads = {
        t.id: t
        for t in db.session.scalars(
            select(Thread)
            .options(joinedload(Thread.group))
            .where(Thread.id.in_({n.thread_id for n in pending if n.thread_id is not None}))
        )
    }
    sections: dict[int, DigestSection] = {}
    shown = 0
    for n in pending:
        # Marked even when left out: a post since deleted or hidden is settled, not retried.
        n.mailed_at = now
        spec = kinds.get(n.kind)
        item_subject = subjects.get((n.subject_type, n.subject_id))
        if n.read_at is not None or spec is None or item_subject is None:
            continue
        if not spec.visible(user, item_subject):
            continue
        thread = threads.get(n.thread_id) if n.thread_id is not None else None
        section = sections.get(thread.id if thread else 0)
        if section is None:
            section = sections[thread.id if thread else 0] = DigestSection(thread=thread)
            if thread is not None:
                stop_thread = unsubscribe_url(user, SCOPE_THREAD, thread.id)
                section.stops[stop_thread] = _l("Stop e-mails about this thread")
        stop = spec.stop(n, item_subject) if spec.stop else None
        if stop is not None:
            scope, target_id, label = stop
            section.stops.setdefault(unsubscribe_url(user, scope, target_id), label)
        if len(section.items) >= DIGEST_ITEMS_PER_THREAD:
            section.more += 1
        else:
            section.items.append(
                DigestItem(
                    text=spec.wording("digest_line", n, item_subject),
                    extract=spec.excerpt(item_subject, DIGEST_EXTRACT_LENGTH)
                    if spec.excerpt
                    else None,
                    url=spec.url(item_subject, absolute=True),
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
        headers=list_headers(stop_all_url),
        user=user,
        sections=ordered[:DIGEST_MAX_THREADS],
        more_threads=more_threads,
        total=shown,
        list_url=absolute_url("notifications.list_notifications"),
        stop_all_url=stop_all_url,
        settings_url=absolute_url("accounts.settings"),
    )
    return shown
