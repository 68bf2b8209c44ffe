"""Communes, local groups and the members' role in each group."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import TimestampMixin
from forum.extensions import db


class Role(StrEnum):
    """A member's role in one group; each includes the ones before it."""

    MEMBER = "member"
    KEEPER = "keeper"
    COORDINATOR = "coordinator"

    @property
    def rank(self) -> int:
        return _RANKS[self]


# Looked up by every permission rule that asks a role (a member's thread page asks ~80).
_RANKS = {role: rank for rank, role in enumerate(Role)}
_ROLES = {role.value: role for role in Role}


class Commune(db.Model):
    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(primary_key=True)
    insee: Mapped[str] = mapped_column(String(5), unique=True)  # INSEE code, e.g. 92023
    name: Mapped[str] = mapped_column(String(120))
    department: Mapped[str] = mapped_column(String(3))  # e.g. 92
    # Archived: still shown, marked, no longer offered for new groups.
    archived_at: Mapped[datetime | None]

    groups: Mapped[list[Group]] = relationship(back_populates="commune", order_by="Group.name")

    __table_args__ = (CheckConstraint("length(insee) = 5", name="insee_length"),)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"


class Group(TimestampMixin, db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # None: a territory-wide group, attached to no single commune.
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Archived: read-only (permissions.py), still public, marked "archivé".
    archived_at: Mapped[datetime | None]

    commune: Mapped[Commune | None] = relationship(back_populates="groups")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )
    # Read-only: the group page loads them with the group, in the same statement.
    coordinator_users: Mapped[list[User]] = relationship(
        secondary=lambda: Membership.__table__,
        primaryjoin=lambda: and_(
            Group.id == Membership.group_id, Membership.role == Role.COORDINATOR.value
        ),
        secondaryjoin=lambda: Membership.user_id == User.id,
        order_by=lambda: (User.display_name, User.id),
        viewonly=True,
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class Membership(TimestampMixin, db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default=Role.MEMBER.value)

    user: Mapped[User] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship(back_populates="memberships")

    __table_args__ = (
        UniqueConstraint("user_id", "group_id"),
        CheckConstraint("role IN ('member', 'keeper', 'coordinator')", name="role_known"),
        # A group's members (counted from the index alone) and its coordinators (the group
        # page's few rows, found without reading the other members').
        Index("ix_memberships_group_role", "group_id", "role"),
    )

    @property
    def role_enum(self) -> Role:
        return _ROLES.get(self.role) or Role(self.role)
