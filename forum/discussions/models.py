"""Threads, posts, their earlier versions, flags, read positions and drafts."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import TimestampMixin, utcnow
from forum.extensions import db
from forum.groups.models import Group
from forum.pagination import page_count, page_of_number

POSTS_PER_PAGE = 20
# A draft kept when a session ended, or a form's one-time key, lives this long.
DRAFT_LIFETIME = timedelta(days=2)
THREADS_PER_PAGE = 30


class ThreadFacts:
    """What a thread says of itself from its columns, for the Thread rows and for the
    lighter ListedThread of the lists (forum/discussions/activity.py), alike."""

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    @property
    def page_count(self) -> int:
        return page_count(self.last_number, POSTS_PER_PAGE)


class Thread(ThreadFacts, TimestampMixin, db.Model):
    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    is_pinned: Mapped[bool] = mapped_column(default=False)
    locked_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    # Kept up to date by the services so that lists need no aggregate query.
    post_count: Mapped[int] = mapped_column(default=0)  # every post, the first included
    last_number: Mapped[int] = mapped_column(default=0)  # highest post number given
    last_posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_poster_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    group: Mapped[Group] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])
    posts: WriteOnlyMapped[Post] = relationship(
        back_populates="thread", order_by="Post.number", passive_deletes=True
    )

    __table_args__ = (
        # The group page: pinned first, then by last activity; an index-only walk. The
        # trailing hidden_at lets visitors' pages skip hidden threads and count the visible
        # ones from the index alone, without reading a thread row.
        Index(
            "ix_threads_group_activity",
            "group_id",
            "is_pinned",
            "last_posted_at",
            "id",
            "hidden_at",
        ),
        # The home page's latest activity across the groups: a walk from the newest end.
        Index("ix_threads_activity", "last_posted_at", "id"),
    )

    def __repr__(self) -> str:
        return f"<Thread {self.id}>"


class PostFacts:
    """What a post says of itself from its columns, for the Post rows and for the lighter
    ListedPost of a thread page (forum/discussions/services.py), alike."""

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def public_hidden_reason(self):
        """The reason shown for a hidden post: the moderator's category, and their words
        (a lazy string: it is read in the reader's language, mails included)."""
        label = HIDING_LABELS.get(self.hidden_category or "other", HIDING_LABELS["other"])
        if not self.hidden_reason:
            return label
        return _l("%(label)s · %(note)s", label=label, note=self.hidden_reason)

    @property
    def deleted_by_moderation(self) -> bool:
        return self.is_deleted and self.deleted_by_id not in (None, self.author_id)

    @property
    def page(self) -> int:
        return page_of_number(self.number, POSTS_PER_PAGE)


class Post(PostFacts, TimestampMixin, db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Position in the thread, from 1; never reused, so pages and permalinks stay stable.
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)  # Markdown as typed
    body_html: Mapped[str] = mapped_column(Text)  # sanitized once, on write
    edited_at: Mapped[datetime | None]
    edit_count: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[datetime | None]
    # Who deleted it: its author, or a moderator (the page says which).
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None]
    # Why, as the moderator chose it: one of HIDING_REASONS, and an optional text of theirs.
    # Never a reporter's words (those are for the moderators only).
    hidden_category: Mapped[str | None] = mapped_column(String(20))
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    thread: Mapped[Thread] = relationship(back_populates="posts")
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    __table_args__ = (UniqueConstraint("thread_id", "number"),)

    def __repr__(self) -> str:
        return f"<Post {self.id}>"


class PostRevision(db.Model):
    """An earlier version of a post, kept when it is edited."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]  # when this version was written
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # who replaced it

    editor: Mapped[User] = relationship()


# Why a post is reported, or hidden: the same short list for members and moderators.
REPORT_CATEGORIES = ("spam", "off_topic", "personal_data", "abusive", "other")
# How a hiding's category reads in place of the post and in its author's notification.
HIDING_LABELS = {
    "spam": _l("spam or advertising"),
    "off_topic": _l("off topic"),
    "personal_data": _l("personal data"),
    "abusive": _l("abusive or hateful"),
    "other": _l("other"),
}


class Flag(TimestampMixin, db.Model):
    """A member's report of a post to the group's moderators: one row per report.

    A member has at most one open report per post (a partial unique index: six clicks at
    once make one); once the moderators resolve it, a new report is a new row. The reason
    is for the moderators only: it is never shown on the post, nor copied to its hiding.
    """

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(20), default="other")
    reason: Mapped[str] = mapped_column(String(500), default="")
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))  # "hidden" or "dismissed"

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        Index(
            "uq_flags_open",
            "post_id",
            "user_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )


class PostSubmission(db.Model):
    """The one-time key of a reply form: the same form sent five times posts once."""

    __tablename__ = "post_submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReadState(db.Model):
    """How far a member has read a thread: the unread marker and the first-unread landing."""

    __tablename__ = "read_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_number: Mapped[int] = mapped_column(default=0)


class Draft(TimestampMixin, db.Model):
    """Text saved when a session ended while writing; given back after signing in."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    # An edit of this post (else a reply to thread_id, or a new thread in group_id).
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
