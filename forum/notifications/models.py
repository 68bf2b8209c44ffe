"""Following threads and groups, and the notifications that come of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import TimestampMixin
from forum.extensions import db

# How notification mail reaches a member (`User.notify_email`):
DEFAULT = "default"  # mentions and what answers them at once, the rest in the daily digest
IMMEDIATE = "immediate"  # everything at once (one mail per thread until they come back)
DAILY = "daily"  # one digest a day
NEVER = "never"  # the site only
NOTIFY_CHOICES = (DEFAULT, IMMEDIATE, DAILY, NEVER)


class ThreadSubscription(TimestampMixin, db.Model):
    """A member follows a thread (active) or chose to stop (inactive: never re-followed
    automatically when they reply again)."""

    __tablename__ = "thread_subscriptions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    active: Mapped[bool] = mapped_column(default=True)


class GroupSubscription(TimestampMixin, db.Model):
    """A member follows every new thread of a group."""

    __tablename__ = "group_subscriptions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Notification(TimestampMixin, db.Model):
    """Something a member should know about a subject: a post (a reply, a mention), a
    thread (moved, locked), a report; later a meeting, a pledge, a document.

    `subject_type`/`subject_id` name the subject without a foreign key, so that a feature
    adds kinds without a schema change (see `kinds.py`). `thread_id` ties forum
    notifications to their thread: the list groups them by it, reading the thread marks
    them read, one mail per thread until then. `post_id` keeps the forum post, whose
    deletion takes its notifications along.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # a registered kind: "reply", "mention", …
    subject_type: Mapped[str] = mapped_column(String(20))  # "post", "thread", "flag", …
    subject_id: Mapped[int]
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    read_at: Mapped[datetime | None]
    # Settled: set when the mail that carries it is queued (at once, or in a digest), or
    # when it is decided that no mail will ever carry it (a thread the member stopped
    # following). Never mailed twice.
    mailed_at: Mapped[datetime | None]
    # A mail of its own carried it (not a digest): while such a one is unread, its thread
    # sends no other mail at once.
    mailed_at_once: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_unmailed", "mailed_at", "user_id"),
        Index("ix_notifications_subject", "subject_type", "subject_id"),
    )
