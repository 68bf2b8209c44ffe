"""Meetings of a group: series (the repeat rule), occurrences, answers, minutes, decisions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import TimestampMixin, utcnow
from forum.extensions import db
from forum.groups.models import Group

PARIS = ZoneInfo("Europe/Paris")
MEETINGS_PER_PAGE = 20


class Visibility(StrEnum):
    """Who may see a meeting: everyone, or the group's members only (others get 404)."""

    PUBLIC = "public"
    MEMBERS = "members"


class Frequency(StrEnum):
    """How a series repeats."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"  # every two weeks
    MONTHLY = "monthly"  # the same weekday of the month: "the 2nd Tuesday"


class Answer(StrEnum):
    """A member's answer; WAITING is a "yes" past capacity, on the waiting list."""

    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"


class MeetingSeries(TimestampMixin, db.Model):
    """The rule of a repeating meeting; each occurrence is a Meeting row (its own answers
    and minutes). The iCalendar gives the series one VEVENT with RRULE and EXDATE, and an
    override VEVENT (RECURRENCE-ID) per moved or changed occurrence."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)  # random, never changes
    frequency: Mapped[str] = mapped_column(String(10))
    # The first occurrence and its length; the occurrences were generated from them.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    occurrence_count: Mapped[int]  # RRULE COUNT: the occurrences generated
    # What the series' VEVENT says (each occurrence holds its own copy, changed alone).
    title: Mapped[str] = mapped_column(String(150))
    location: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.PUBLIC.value)
    sequence: Mapped[int] = mapped_column(default=0)  # raised on each change (an EXDATE)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("frequency IN ('weekly', 'biweekly', 'monthly')", name="frequency_known"),
    )


class MeetingFacts:
    """What a meeting says of itself from its columns, for the Meeting rows and for the
    group page's ListedMeeting (forum/meetings/services.py), alike."""

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC.value


class Meeting(MeetingFacts, TimestampMixin, db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    # One-off meetings have their own UID; occurrences use their series' UID.
    uid: Mapped[str | None] = mapped_column(String(64), unique=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_series.id", ondelete="CASCADE"), index=True
    )
    recurrence_id: Mapped[datetime | None]  # the occurrence's original start (UTC)
    is_override: Mapped[bool] = mapped_column(default=False)  # moved or changed alone
    title: Mapped[str] = mapped_column(String(150))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None]
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.PUBLIC.value)
    cancelled_at: Mapped[datetime | None]
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Kept up to date by the services (under the meeting's row lock): no aggregate per page.
    yes_count: Mapped[int] = mapped_column(default=0)
    maybe_count: Mapped[int] = mapped_column(default=0)
    waiting_count: Mapped[int] = mapped_column(default=0)
    # The minutes, written after the meeting.
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_html: Mapped[str | None] = mapped_column(Text)
    minutes_at: Mapped[datetime | None]
    minutes_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    group: Mapped[Group] = relationship()
    series: Mapped[MeetingSeries | None] = relationship()

    __table_args__ = (
        Index("ix_meetings_group_start", "group_id", "starts_at"),
        Index("ix_meetings_start", "starts_at"),
        UniqueConstraint("series_id", "recurrence_id"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_positive"),
        CheckConstraint("visibility IN ('public', 'members')", name="visibility_known"),
    )

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def is_past(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or utcnow())

    def has_started(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or utcnow())

    @property
    def local_day(self) -> date:
        """The meeting's day in Europe/Paris."""
        return self.starts_at.astimezone(PARIS).date()

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.yes_count, 0)

    def __repr__(self) -> str:
        return f"<Meeting {self.id}>"


class MeetingAnswer(TimestampMixin, db.Model):
    """A member's answer to one meeting: yes, maybe, no, or waiting for a seat."""

    __tablename__ = "meeting_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    waiting_since: Mapped[datetime | None]  # the waiting list's order

    meeting: Mapped[Meeting] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        CheckConstraint("status IN ('yes', 'maybe', 'no', 'waiting')", name="status_known"),
    )


class Attendance(db.Model):
    """Who came, as the coordinators recorded it with the minutes."""

    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Decision(TimestampMixin, db.Model):
    """A decision taken at a meeting: what, who carries it, by when; open until done.

    Who carries it is a member of the group (`owner_id`) or, for an outside partner (the
    town hall, the prefecture…), free text (`partner`). A later cooperation-protocol
    tracker will let a decision become a partner's commitment: it will add a nullable
    `commitment_id` here, beside `partner`."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    partner: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[date]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship()
    group: Mapped[Group] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    __table_args__ = (
        Index("ix_decisions_group_open", "group_id", "done_at", "due_on"),
        Index("ix_decisions_meeting", "meeting_id"),
    )

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def carrier(self) -> str:
        """Who carries it, as shown: the member's name (or "compte supprimé"), else the partner."""
        if self.owner is not None:
            return self.owner.display_name
        return self.partner or ""


class ReminderSent(db.Model):
    """A reminder mailed once: (kind, subject, recipient) is unique, so two runs of
    `flask reminders`, one after the other or at once, never send it twice."""

    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "meeting" (the day before), "decision"
    subject_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("kind", "subject_id", "user_id"),)
