"""Mobilisation projects (a MOUS), the groups taking part, their forms of help, and the
members' pledges with their history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import TimestampMixin, utcnow
from forum.discussions.models import Thread
from forum.extensions import db
from forum.groups.models import Commune, Group


class ProjectStatus(StrEnum):
    """A project takes pledges while open; closed or finished, it only shows its figures."""

    OPEN = "open"
    CLOSED = "closed"
    FINISHED = "finished"


class PledgeStatus(StrEnum):
    """Where a pledge stands: made by the member, then followed through by the coordinators
    (active, fulfilled or lapsed); withdrawn by its member."""

    PLEDGED = "pledged"
    ACTIVE = "active"
    FULFILLED = "fulfilled"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


# The statuses coordinators may set (follow-through), and those counted in the totals.
FOLLOW_UP_STATUSES = (PledgeStatus.ACTIVE, PledgeStatus.FULFILLED, PledgeStatus.LAPSED)
COUNTED_STATUSES = (PledgeStatus.PLEDGED, PledgeStatus.ACTIVE, PledgeStatus.FULFILLED)

# When a member can help; stored as three flags so that coordinators filter on them.
AVAILABILITY = ("weekdays", "evenings", "weekends")


class ProjectFacts:
    """What a project says of itself from its columns, for the Project rows and for the
    group page's ListedProject (forum/projects/figures.py), alike."""

    @property
    def is_open(self) -> bool:
        return self.status == ProjectStatus.OPEN.value


class Project(ProjectFacts, TimestampMixin, db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    goal: Mapped[str] = mapped_column(String(200))  # e.g. "reloger 15 familles"
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown as typed
    description_html: Mapped[str] = mapped_column(Text, default="")  # sanitized on write
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.OPEN.value)
    # Calendar days (not instants): the project's first and last day, in Paris.
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    target_participants: Mapped[int] = mapped_column(default=0)
    # The forum thread that carries the project's news.
    news_thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL")
    )

    news_thread: Mapped[Thread | None] = relationship()
    groups: Mapped[list[Group]] = relationship(
        secondary="project_groups", order_by="Group.name", viewonly=True
    )
    help_kinds: Mapped[list[HelpKind]] = relationship(
        back_populates="project", order_by="HelpKind.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'finished')", name="status_known"),
        CheckConstraint("target_participants >= 0", name="target_positive"),
    )

    @property
    def status_enum(self) -> ProjectStatus:
        return ProjectStatus(self.status)

    def __repr__(self) -> str:
        return f"<Project {self.slug}>"


class ProjectGroup(db.Model):
    """A group taking part in a project: its coordinators see the project's pledges."""

    __tablename__ = "project_groups"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class HelpKind(db.Model):
    """A form of help a project asks for (its own list): "transport", "translation"…"""

    __tablename__ = "project_help_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    # Retired: no longer offered to new pledges; the pledges that chose it keep it.
    retired_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(back_populates="help_kinds")

    __table_args__ = (UniqueConstraint("project_id", "key"),)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class PledgeHelp(db.Model):
    """One form of help a pledge offers."""

    __tablename__ = "pledge_help_kinds"

    pledge_id: Mapped[int] = mapped_column(
        ForeignKey("pledges.id", ondelete="CASCADE"), primary_key=True
    )
    help_kind_id: Mapped[int] = mapped_column(
        ForeignKey("project_help_kinds.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Pledge(TimestampMixin, db.Model):
    """A member's promise to take part in a project, and how.

    One pledge that is not withdrawn per member and project (a partial unique index: two
    clicks at once make one); withdrawn, it stays as history and a new pledge is a new row.
    A conditional pledge ("I take part if 10 others do") counts once `threshold_met_at` is
    set, which happens once (see services.settle_thresholds).
    """

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    hours_per_month: Mapped[int] = mapped_column(default=0)
    available_weekdays: Mapped[bool] = mapped_column(default=False)
    available_evenings: Mapped[bool] = mapped_column(default=False)
    available_weekends: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(Text, default="")  # for the coordinators only
    show_name: Mapped[bool] = mapped_column(default=False)
    threshold: Mapped[int | None]  # counts once this many others pledge too
    threshold_met_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=PledgeStatus.PLEDGED.value)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]  # the member said it still stands
    # When to ask next whether it still stands (every three months, `flask reminders`).
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    project: Mapped[Project] = relationship()
    user: Mapped[User] = relationship()
    commune: Mapped[Commune] = relationship()
    help_kinds: Mapped[list[HelpKind]] = relationship(
        secondary="pledge_help_kinds", order_by="HelpKind.position", viewonly=True
    )

    __table_args__ = (
        # The totals' refresh and the names shown read one project's standing pledges.
        Index("ix_pledges_project_status", "project_id", "status"),
        Index(
            "uq_pledges_current",
            "project_id",
            "user_id",
            unique=True,
            sqlite_where=text("status <> 'withdrawn'"),
            postgresql_where=text("status <> 'withdrawn'"),
        ),
        CheckConstraint(
            "status IN ('pledged', 'active', 'fulfilled', 'lapsed', 'withdrawn')",
            name="status_known",
        ),
        CheckConstraint("hours_per_month BETWEEN 0 AND 200", name="hours_bounded"),
        CheckConstraint(
            "threshold IS NULL OR threshold BETWEEN 1 AND 500", name="threshold_bounded"
        ),
    )

    @property
    def status_enum(self) -> PledgeStatus:
        return PledgeStatus(self.status)

    @property
    def is_withdrawn(self) -> bool:
        return self.status == PledgeStatus.WITHDRAWN.value

    @property
    def is_counted(self) -> bool:
        return self.status in COUNTED_STATUSES and (
            self.threshold is None or self.threshold_met_at is not None
        )

    @property
    def is_waiting(self) -> bool:
        """A conditional pledge whose threshold is not met yet."""
        return (
            self.status in COUNTED_STATUSES
            and self.threshold is not None
            and self.threshold_met_at is None
        )

    @property
    def availability(self) -> list[str]:
        return [a for a in AVAILABILITY if getattr(self, f"available_{a}")]

    def __repr__(self) -> str:
        return f"<Pledge {self.id}>"


class PledgeRevision(db.Model):
    """A pledge as it stood after each change: made, changed, withdrawn, marked, confirmed."""

    __tablename__ = "pledge_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who changed it: its member, or a coordinator (None: the command line, a mailed link).
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    change: Mapped[str] = mapped_column(String(20))
    snapshot: Mapped[dict] = mapped_column(JSON)


class ProjectKindTotal(db.Model):
    """How many counted pledges offer a form of help: kept by `totals.refresh_totals` in
    the transaction of every change to the project's pledges, so that a page reads them
    instead of counting."""

    __tablename__ = "project_kind_totals"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    help_kind_id: Mapped[int] = mapped_column(
        ForeignKey("project_help_kinds.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    pledges: Mapped[int] = mapped_column(default=0)


class ProjectCommuneTotal(db.Model):
    """A commune's counted pledges, their hours a month, and the conditional ones still
    waiting: kept as `ProjectKindTotal` is."""

    __tablename__ = "project_commune_totals"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("communes.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    pledges: Mapped[int] = mapped_column(default=0)
    hours: Mapped[int] = mapped_column(default=0)
    waiting: Mapped[int] = mapped_column(default=0)


# --- Criteria, for every query that counts pledges ----------------------------------------


def counted_criteria():
    """Pledges that count in the totals: standing, and unconditional or with their
    condition met."""
    return and_(
        Pledge.status.in_([s.value for s in COUNTED_STATUSES]),
        or_(Pledge.threshold.is_(None), Pledge.threshold_met_at.is_not(None)),
    )


def waiting_criteria():
    """Conditional pledges still waiting for enough others."""
    return and_(
        Pledge.status.in_([s.value for s in COUNTED_STATUSES]),
        Pledge.threshold.is_not(None),
        Pledge.threshold_met_at.is_(None),
    )
