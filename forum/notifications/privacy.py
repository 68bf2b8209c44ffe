"""What notifications hold about a person: their part of the export, of an account's
erasure and of the retention rules. Listeners of `forum.events`; they read the models only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from forum.accounts.models import User
from forum.extensions import db
from forum.groups.models import Group
from forum.notifications.models import GroupSubscription, Notification, ThreadSubscription


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The user's notifications and what they follow."""
    notifications = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    threads = db.session.scalars(
        select(ThreadSubscription)
        .where(ThreadSubscription.user_id == user.id)
        .order_by(ThreadSubscription.thread_id)
    )
    groups = db.session.execute(
        select(GroupSubscription, Group.slug)
        .join(Group, Group.id == GroupSubscription.group_id)
        .where(GroupSubscription.user_id == user.id)
        .order_by(Group.slug)
    ).all()
    return {
        "notifications": [
            {
                "kind": n.kind,
                "thread_id": n.thread_id,
                "post_id": n.post_id,
                "created_at": iso(n.created_at),
                "read_at": iso(n.read_at),
                "mailed_at": iso(n.mailed_at),
            }
            for n in notifications
        ],
        "followed_threads": [
            {"thread_id": s.thread_id, "active": s.active, "since": iso(s.created_at)}
            for s in threads
        ],
        "followed_groups": [{"group": slug, "since": iso(s.created_at)} for s, slug in groups],
    }


def erase(user: User, **_: Any) -> None:
    """On deletion: the account's notifications and follows go."""
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(ThreadSubscription).where(ThreadSubscription.user_id == user.id))
    db.session.execute(delete(GroupSubscription).where(GroupSubscription.user_id == user.id))


def purge(_sender: Any, *, now: datetime, **_: Any) -> dict[str, int]:
    """Read notifications older than NOTIFICATION_RETENTION_DAYS (unread ones stay)."""
    cutoff = now - timedelta(days=current_app.config["NOTIFICATION_RETENTION_DAYS"])
    result = db.session.execute(
        delete(Notification).where(
            Notification.read_at.is_not(None), Notification.created_at < cutoff
        )
    )
    return {"read notifications": result.rowcount or 0}


def connect() -> None:
    """Listen to the account and retention signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
    events.purging.connect(purge)
