"""What projects hold about a person: their pledges and their history. Their part of the
export and of an account's erasure. Listeners of `forum.events`; they read the models only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from forum.accounts.models import User
from forum.extensions import db
from forum.groups.models import Commune
from forum.projects.models import Pledge, PledgeHelp, PledgeRevision, Project


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The user's pledges, withdrawn ones included, each with its history."""
    rows = db.session.execute(
        select(Pledge, Project.slug, Commune.insee)
        .join(Project, Project.id == Pledge.project_id)
        .join(Commune, Commune.id == Pledge.commune_id)
        .where(Pledge.user_id == user.id)
        .order_by(Pledge.id)
    ).all()
    history: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for rev in db.session.scalars(
            select(PledgeRevision)
            .join(Pledge, Pledge.id == PledgeRevision.pledge_id)
            .where(Pledge.user_id == user.id)
            .order_by(PledgeRevision.pledge_id, PledgeRevision.id)
        ):
            history.setdefault(rev.pledge_id, []).append(
                {"change": rev.change, "changed_at": iso(rev.changed_at), **rev.snapshot}
            )
    return {
        "pledges": [
            {
                "project": slug,
                "help_kinds": [k.key for k in pledge.help_kinds],
                "hours_per_month": pledge.hours_per_month,
                "commune": insee,
                "availability": pledge.availability,
                "message": pledge.message,
                "show_name": pledge.show_name,
                "threshold": pledge.threshold,
                "threshold_met_at": iso(pledge.threshold_met_at),
                "status": pledge.status,
                "created_at": iso(pledge.created_at),
                "updated_at": iso(pledge.updated_at),
                "withdrawn_at": iso(pledge.withdrawn_at),
                "confirmed_at": iso(pledge.confirmed_at),
                "history": history.get(pledge.id, []),
            }
            for pledge, slug, insee in rows
        ]
    }


def erase(user: User, **_: Any) -> None:
    """On deletion: the pledges go, with their forms of help and their history (the
    totals drop: no one is left to keep the promise). What others changed in them keeps
    no trace of this account either."""
    from forum.projects.services import lock_project
    from forum.projects.totals import refresh_totals

    mine = select(Pledge.id).where(Pledge.user_id == user.id)
    projects = sorted(
        set(db.session.scalars(select(Pledge.project_id).where(Pledge.user_id == user.id)))
    )
    for project_id in projects:  # in id order: two erasures at once lock alike
        lock_project(project_id)
    db.session.execute(delete(PledgeRevision).where(PledgeRevision.pledge_id.in_(mine)))
    db.session.execute(delete(PledgeHelp).where(PledgeHelp.pledge_id.in_(mine)))
    db.session.execute(delete(Pledge).where(Pledge.user_id == user.id))
    for project_id in projects:
        refresh_totals(project_id)
    # Revisions this account made to other people's pledges (as a coordinator) stay,
    # without its name.
    db.session.execute(
        update(PledgeRevision)
        .where(PledgeRevision.changed_by_id == user.id)
        .values(changed_by_id=None)
    )


def connect() -> None:
    """Listen to the account signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
