"""What reactions hold about a person: their part of the export and of an account's
erasure. Listeners of `forum.events`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from forum.accounts.models import User
from forum.extensions import db
from forum.reactions.models import Reaction


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The reactions the user gave."""
    rows = db.session.scalars(
        select(Reaction).where(Reaction.user_id == user.id).order_by(Reaction.created_at)
    )
    return {
        "reactions": [
            {"post_id": r.post_id, "kind": r.kind, "created_at": r.created_at.isoformat()}
            for r in rows
        ]
    }


def erase(user: User, **_: Any) -> None:
    """On deletion, the account's reactions go: the counts no longer include them."""
    db.session.execute(delete(Reaction).where(Reaction.user_id == user.id))


def connect() -> None:
    """Listen to the account signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
