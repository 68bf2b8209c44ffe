"""The audit log: who did what to which thing, and when. Never what it said."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db


class AuditEntry(db.Model):
    """One action, append-only: written in the transaction of the change it records.

    It names the actor, the action ("post.hide", "role.grant"…), the target by type and id,
    and the group it happened in, so that a group's coordinators read their own group's
    entries. It never holds content (a post's text, a household's notes): the log must be
    safe to show to whoever may read it, for as long as it is kept.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the command line or the system (a purge); the row outlives a deleted account.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None]
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    # A short code that qualifies the action (a role name, a hiding category), never text
    # someone typed.
    detail: Mapped[str | None] = mapped_column(String(40))

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_audit_entries_group", "group_id", "id"),
        Index("ix_audit_entries_target", "target_type", "target_id"),
    )


# Append-only in the database itself, not only by convention: an UPDATE or DELETE fails.
# (A group deleted later still sets group_id to NULL through its foreign key: that is
# allowed by letting the trigger pass changes of group_id alone.)
_SQLITE_GUARDS = [
    """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
    WHEN NEW.id IS NOT OLD.id OR NEW.actor_id IS NOT OLD.actor_id
      OR NEW.action IS NOT OLD.action OR NEW.target_type IS NOT OLD.target_type
      OR NEW.target_id IS NOT OLD.target_id OR NEW.created_at IS NOT OLD.created_at
      OR NEW.detail IS NOT OLD.detail
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
_POSTGRES_GUARDS = [
    """CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' OR (NEW.id, NEW.actor_id, NEW.action, NEW.target_type,
          NEW.target_id, NEW.created_at, NEW.detail)
          IS DISTINCT FROM (OLD.id, OLD.actor_id, OLD.action, OLD.target_type,
          OLD.target_id, OLD.created_at, OLD.detail) THEN
        RAISE EXCEPTION 'audit entries are append-only';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()""",
]
for _sql in _SQLITE_GUARDS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in _POSTGRES_GUARDS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
