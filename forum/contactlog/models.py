"""The contact log of a group: households (pseudonymous), their referents, contacts and
failed attempts, needs from open to resolved, phases, hand-over notes.

Every free text (pseudonym, languages, summaries, what was agreed, needs' details,
hand-over notes) is an `EncryptedText` column: the database holds Fernet tokens only. Lists
sort by dates and counts kept on the household row, never by an encrypted value.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.contactlog.crypto import EncryptedText
from forum.db import TimestampMixin, utcnow
from forum.extensions import db
from forum.groups.models import Group

LIVING = ("camp", "shelter", "hotel", "insertion", "housing", "unknown")
CLOSE_REASONS = ("housed", "moved_away", "declined", "no_contact", "other")
CHANNELS = ("visit", "phone", "message", "meeting", "accompaniment")
# A contact reached the family; the others are failed attempts.
OUTCOMES = ("reached", "no_answer", "number_changed", "moved")
NEEDS = ("housing", "health", "school", "papers", "work", "food", "legal", "other")
PHASES = ("diagnosis", "orientation", "shelter", "insertion", "housing", "ended")
CONSENT_HOW = ("written", "oral", "interpreter")
# Three failed attempts in a row: "contact perdu".
LOST_AFTER = 3
DEFAULT_OVERDUE_DAYS = 30


def _sql_list(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def new_public_id() -> str:
    """A random identifier for URLs (16 characters, 96 bits): never the row number."""
    return secrets.token_urlsafe(12)


class Household(TimestampMixin, db.Model):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_id)
    pseudonym: Mapped[str] = mapped_column(EncryptedText)
    adults: Mapped[int] = mapped_column(default=1)
    children: Mapped[int] = mapped_column(default=0)
    children_in_school: Mapped[int] = mapped_column(default=0)
    languages: Mapped[str] = mapped_column(EncryptedText, default="")
    living: Mapped[str] = mapped_column(String(20), default="unknown")
    status: Mapped[str] = mapped_column(String(10), default="followed")
    closed_reason: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None]
    # Consent: without it nothing is saved.
    consent_on: Mapped[date]
    consent_how: Mapped[str] = mapped_column(String(20))
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept by the services with each contact, so that lists need no aggregate per row.
    last_contact_on: Mapped[date | None]
    next_contact_on: Mapped[date | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)  # in a row, since the last contact
    contact_count: Mapped[int] = mapped_column(default=0)

    group: Mapped[Group] = relationship()
    consent_by: Mapped[User | None] = relationship(foreign_keys=[consent_by_id])
    referents: Mapped[list[User]] = relationship(
        secondary="household_referents",
        order_by=lambda: (User.display_name, User.id),
        viewonly=True,
    )

    __table_args__ = (
        Index("ix_households_group_status", "group_id", "status"),
        CheckConstraint("adults BETWEEN 0 AND 30", name="adults_bounded"),
        CheckConstraint("children BETWEEN 0 AND 30", name="children_bounded"),
        CheckConstraint("children_in_school BETWEEN 0 AND 30", name="school_bounded"),
        CheckConstraint(f"living IN ({_sql_list(LIVING)})", name="living_known"),
        CheckConstraint("status IN ('followed', 'closed')", name="status_known"),
        CheckConstraint(f"consent_how IN ({_sql_list(CONSENT_HOW)})", name="consent_known"),
    )

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def contact_lost(self) -> bool:
        return self.failed_attempts >= LOST_AFTER

    def days_since_contact(self, today: date) -> int | None:
        return (today - self.last_contact_on).days if self.last_contact_on else None

    def is_overdue(self, today: date, threshold: int) -> bool:
        if self.is_closed:
            return False
        if self.next_contact_on is not None and self.next_contact_on < today:
            return True
        start = self.last_contact_on or self.consent_on
        return (today - start).days > threshold

    def __repr__(self) -> str:  # never the pseudonym: reprs end up in logs
        return f"<Household {self.id}>"


class HouseholdReferent(db.Model):
    __tablename__ = "household_referents"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(TimestampMixin, db.Model):
    """A contact with the family, or a failed attempt (`outcome` other than reached)."""

    __tablename__ = "household_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    happened_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20), default="reached")
    summary: Mapped[str] = mapped_column(EncryptedText, default="")
    agreed: Mapped[str] = mapped_column(EncryptedText, default="")
    next_contact_on: Mapped[date | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    participants: Mapped[list[User]] = relationship(
        secondary="household_contact_people",
        order_by=lambda: (User.display_name, User.id),
        viewonly=True,
    )

    __table_args__ = (
        Index("ix_household_contacts_household_day", "household_id", "happened_on"),
        CheckConstraint(f"channel IN ({_sql_list(CHANNELS)})", name="channel_known"),
        CheckConstraint(f"outcome IN ({_sql_list(OUTCOMES)})", name="outcome_known"),
    )

    @property
    def is_attempt(self) -> bool:
        return self.outcome != "reached"


class ContactPerson(db.Model):
    """A volunteer who took part in a contact."""

    __tablename__ = "household_contact_people"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("household_contacts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Need(TimestampMixin, db.Model):
    __tablename__ = "household_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_contacts.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(EncryptedText, default="")
    opened_on: Mapped[date]
    resolved_on: Mapped[date | None]

    __table_args__ = (CheckConstraint(f"kind IN ({_sql_list(NEEDS)})", name="kind_known"),)

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


class Phase(TimestampMixin, db.Model):
    """A step of the household's path, from its date."""

    __tablename__ = "household_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date]

    __table_args__ = (CheckConstraint(f"phase IN ({_sql_list(PHASES)})", name="phase_known"),)


class Handover(TimestampMixin, db.Model):
    """A hand-over note from a coordinator to the new referent, read first."""

    __tablename__ = "household_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    read_at: Mapped[datetime | None]


class ContactLogSettings(db.Model):
    """A group's contact-log settings: after how many days without contact a household is
    overdue."""

    __tablename__ = "contactlog_settings"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    overdue_days: Mapped[int] = mapped_column(default=DEFAULT_OVERDUE_DAYS)

    __table_args__ = (CheckConstraint("overdue_days BETWEEN 1 AND 365", name="days_bounded"),)
