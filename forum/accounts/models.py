"""The user account."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import TimestampMixin, utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.groups.models import Membership


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; the unique constraint is the guard against duplicates.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    # The @handle used in mentions: unique, lower-case letters, digits and hyphens.
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    # Mail for notifications: "default" (what concerns them at once, the rest in the daily
    # digest), "immediate", "daily" digest, or "never" (see forum/notifications/delivery.py).
    notify_email: Mapped[str] = mapped_column(String(10), default="default")
    last_digest_on: Mapped[date | None]  # the Paris day of the last digest sent
    is_admin: Mapped[bool] = mapped_column(default=False)
    email_verified_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    # The site admin's words, shown to the suspended member (never a reporter's).
    suspension_reason: Mapped[str | None] = mapped_column(String(500))
    # When the @handle last changed: at most once every HANDLE_CHANGE_DAYS.
    username_changed_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The key of the sign-in this request runs under (set by the loader or at sign-in; never
    # stored: the table keeps its hash). Not a column.
    login_key = None  # str | None

    def get_id(self) -> str:
        """What the session and remember-me cookies hold: "<id>:<key of this sign-in>"."""
        return f"{self.id}:{self.login_key or ''}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login
        return self.deleted_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id}>"


# What a name needs where a page lists people (forum.templating.person: the @handle, the
# display name, whether the account is deleted), for `joinedload(...).load_only(*NAME)`:
# a group page shows 60 names, and the rest of each row (seven dates among them) cost more
# to read than the names themselves.
NAME = (User.username, User.display_name, User.deleted_at)


class Name:
    """A member's name read from the `NAME` columns of a plain row, where a list needs no
    User object (the thread lists: loading 60 users cost more than writing their names)."""

    __slots__ = ("username", "display_name", "deleted_at")

    def __init__(self, username: str, display_name: str, deleted_at) -> None:
        self.username, self.display_name, self.deleted_at = username, display_name, deleted_at

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @classmethod
    def columns(cls, user) -> tuple:
        """The `NAME` columns of `user`, the User entity or an alias of it."""
        return tuple(getattr(user, column.key) for column in NAME)

    @classmethod
    def of(cls, values) -> Name | None:
        """The name from the values of `columns()`, None for an outer join's empty side."""
        return None if values[0] is None else cls(*values)


def hash_login_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class UsernameHistory(db.Model):
    """A handle a member used before: old mentions and links keep leading to them, and no
    one else may take it (unique across users and history, lower-case)."""

    __tablename__ = "username_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginSession(TimestampMixin, db.Model):
    """One sign-in: its cookies work while the row is live (not revoked, not expired)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the random key the cookies carry: a copy of the table signs no one in.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(200))
