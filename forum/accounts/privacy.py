"""What accounts and the outbox hold about a person beyond the account row: sign-ins and
mails. Their part of the export, of an account's erasure and of the retention rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select

from forum.accounts.models import LoginSession, User, UsernameHistory
from forum.extensions import db
from forum.mail import OutboxMail


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The user's sign-ins (devices), earlier @handles and the mails the site sent or will
    send them."""
    sessions = db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.id)
    )
    mails = db.session.scalars(
        select(OutboxMail).where(OutboxMail.recipient == user.email).order_by(OutboxMail.id)
    )
    handles = db.session.scalars(
        select(UsernameHistory)
        .where(UsernameHistory.user_id == user.id)
        .order_by(UsernameHistory.changed_at, UsernameHistory.id)
    )
    return {
        "handle_history": [{"handle": h.username, "left_at": iso(h.changed_at)} for h in handles],
        "sign_ins": [
            {
                "created_at": iso(s.created_at),
                "expires_at": iso(s.expires_at),
                "revoked_at": iso(s.revoked_at),
                "user_agent": s.user_agent,
            }
            for s in sessions
        ],
        "mails": [
            {
                "template": m.template,
                "subject": m.subject,
                "created_at": iso(m.created_at),
                "sent_at": iso(m.sent_at),
            }
            for m in mails
        ],
    }


def erase(user: User, **_: Any) -> None:
    """On deletion (before the address is replaced): sign-ins, earlier handles (old
    mentions of them become plain names) and mails to the address go."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.session.execute(delete(UsernameHistory).where(UsernameHistory.user_id == user.id))
    db.session.execute(delete(OutboxMail).where(OutboxMail.recipient == user.email))


def purge(_sender: Any, *, now: datetime, **_: Any) -> dict[str, int]:
    """Ended sign-ins (signed out, revoked or expired) and mails sent or abandoned more than
    OUTBOX_RETENTION_DAYS ago."""
    sessions = db.session.execute(
        delete(LoginSession).where(
            or_(LoginSession.revoked_at.is_not(None), LoginSession.expires_at <= now)
        )
    )
    cutoff = now - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    mails = db.session.execute(
        delete(OutboxMail).where(or_(OutboxMail.sent_at < cutoff, OutboxMail.failed_at < cutoff))
    )
    return {"ended sign-ins": sessions.rowcount or 0, "old mails": mails.rowcount or 0}


def connect() -> None:
    """Listen to the account and retention signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
    events.purging.connect(purge)
