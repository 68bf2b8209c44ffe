"""What the guide holds about a person: the changes they proposed, the ones they decided,
the entries they checked. Their part of the export and of an account's erasure.

An entry describes a public service, not a person: it stays when its proposer leaves. What
the person wrote for the reviewers (a proposal's note) goes, and so do the proposals still
waiting (nobody is left to answer for them); decided ones stay, shown as from a deleted
account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from forum.accounts.models import User
from forum.extensions import db
from forum.groups.models import Commune
from forum.guide.models import Change, Proposal, Status


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The user's proposals (with their words), the changes they made or proposed."""
    proposals = db.session.execute(
        select(Proposal, Commune.insee)
        .join(Commune, Commune.id == Proposal.commune_id)
        .where(Proposal.proposer_id == user.id)
        .order_by(Proposal.id)
    ).all()
    changes = db.session.execute(
        select(Change, Commune.insee)
        .join(Commune, Commune.id == Change.commune_id)
        .where(or_(Change.changed_by_id == user.id, Change.proposed_by_id == user.id))
        .order_by(Change.id)
    ).all()
    return {
        "guide_proposals": [
            {
                "commune": insee,
                "entry_id": p.resource_id,
                "action": p.action,
                "changes": p.changes,
                "note": p.note,
                "status": p.status,
                "reason": p.reason,
                "created_at": _iso(p.created_at),
                "decided_at": _iso(p.decided_at),
            }
            for p, insee in proposals
        ],
        "guide_changes": [
            {
                "commune": insee,
                "entry_id": c.resource_id,
                "action": c.action,
                "changed_at": _iso(c.changed_at),
                "made_by_you": c.changed_by_id == user.id,
                "proposed_by_you": c.proposed_by_id == user.id,
                "diff": c.diff,
            }
            for c, insee in changes
        ],
    }


def erase(user: User, **_: Any) -> None:
    """Pending proposals go (and their notifications); decided ones lose their note."""
    from forum.notifications.models import Notification

    pending = select(Proposal.id).where(
        Proposal.proposer_id == user.id, Proposal.status == Status.PENDING.value
    )
    db.session.execute(
        delete(Notification).where(
            Notification.subject_type == "guide_proposal", Notification.subject_id.in_(pending)
        )
    )
    db.session.execute(
        delete(Proposal).where(
            Proposal.proposer_id == user.id, Proposal.status == Status.PENDING.value
        )
    )
    db.session.execute(update(Proposal).where(Proposal.proposer_id == user.id).values(note=""))


def connect() -> None:
    """Listen to the account signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
