"""The solidarity guide: its entries (resources), the changes members propose to them,
and the history of every change made."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import TimestampMixin, utcnow
from forum.extensions import db
from forum.groups.models import Commune


class Kind(StrEnum):
    """What an entry offers, in the order the guide shows them."""

    FOOD = "food"
    SHELTER = "shelter"
    HEALTH = "health"
    LEGAL = "legal"
    CANTEEN = "canteen"
    HYGIENE = "hygiene"
    FRENCH = "french"
    OTHER = "other"


class Action(StrEnum):
    """What a proposal asks for."""

    CREATE = "create"
    EDIT = "edit"
    REMOVE = "remove"


class Status(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


# The fields of an entry a proposal may set, in the order forms, exports and diffs show them.
FIELDS = ("kind", "name", "address", "opening_hours", "phone", "languages", "conditions")
KIND_ORDER = [k.value for k in Kind]


def _known(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Resource(TimestampMixin, db.Model):
    """One service of a commune's guide. Removed entries stay (`removed_at`) so that their
    history keeps its subject; the guide shows only the others."""

    __tablename__ = "guide_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(150))
    address: Mapped[str] = mapped_column(String(300), default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(30), default="")  # normalised: "01 23 45 67 89"
    languages: Mapped[str] = mapped_column(String(200), default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    # When someone last made sure the entry is right, and who (None: never, or unknown).
    checked_at: Mapped[datetime | None]
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    commune: Mapped[Commune] = relationship()
    checked_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(_known("kind", Kind), name="kind_known"),
        Index("ix_guide_resources_commune", "commune_id", "removed_at"),
    )

    def values(self) -> dict[str, str]:
        """The entry's fields a proposal may change, as plain values."""
        return {name: getattr(self, name) for name in FIELDS}

    def is_stale(self, cutoff: datetime) -> bool:
        """Not checked since `cutoff` (or never checked): the guide marks it."""
        return self.checked_at is None or self.checked_at < cutoff


class Proposal(TimestampMixin, db.Model):
    """A member's proposed change to a commune's guide: a new entry, new values for an
    entry, or its removal; pending until a coordinator of the commune decides."""

    __tablename__ = "guide_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"))
    # None for a new entry until it is accepted (then: the entry it created).
    resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("guide_resources.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(10))
    # The proposed values of the fields it changes ({} for a removal), and what those fields
    # held when it was made (an edit): accepting checks nobody changed them in between.
    changes: Mapped[dict] = mapped_column(JSON)
    base: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")  # why, for the reviewers
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=Status.PENDING.value)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")  # a refusal's reason, for the proposer

    commune: Mapped[Commune] = relationship()
    resource: Mapped[Resource | None] = relationship()
    proposer: Mapped[User | None] = relationship(foreign_keys=[proposer_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        CheckConstraint(_known("action", Action), name="action_known"),
        CheckConstraint(_known("status", Status), name="status_known"),
        Index("ix_guide_proposals_commune_status", "commune_id", "status"),
        Index("ix_guide_proposals_proposer", "proposer_id"),
    )

    @property
    def is_pending(self) -> bool:
        return self.status == Status.PENDING


class Change(db.Model):
    """One change made to an entry, kept for good: who made it (and who proposed it),
    when, and each field's old and new value."""

    __tablename__ = "guide_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("guide_resources.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("guide_proposals.id", ondelete="SET NULL")
    )
    # "created", "edited", "removed" or "checked".
    action: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # {field: [old, new]} for the fields that changed.
    diff: Mapped[dict] = mapped_column(JSON)

    resource: Mapped[Resource] = relationship()
    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])

    __table_args__ = (
        CheckConstraint(
            "action IN ('created', 'edited', 'removed', 'checked')", name="action_known"
        ),
        Index("ix_guide_changes_commune", "commune_id", "id"),
        Index("ix_guide_changes_resource", "resource_id"),
    )
