"""What the contact log holds about a volunteer, and its retention rule.

A volunteer's account export says which groups' logs they keep and how many contacts they
logged: never a household's pseudonym or a note (those are the families' data, exported
per household by the keepers). On deletion, the volunteer stops being a referent and their
name leaves the contacts. `flask purge` erases households closed for longer than
CONTACTLOG_RETENTION_MONTHS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update

from forum.accounts.models import User
from forum.contactlog.models import Contact, ContactPerson, Handover, Household, HouseholdReferent
from forum.extensions import db
from forum.groups.models import Group, Membership, Role


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """Counts only: no household data."""
    kept = db.session.scalars(
        select(Group.slug)
        .join(Membership, Membership.group_id == Group.id)
        .where(
            Membership.user_id == user.id,
            Membership.role.in_((Role.KEEPER.value, Role.COORDINATOR.value)),
        )
        .order_by(Group.slug)
    ).all()
    logged = db.session.scalar(
        select(func.count()).select_from(Contact).where(Contact.author_id == user.id)
    )
    referent = db.session.scalar(
        select(func.count())
        .select_from(HouseholdReferent)
        .where(HouseholdReferent.user_id == user.id)
    )
    return {
        "contact_log": {
            "keeper_of_groups": list(kept),
            "contacts_logged": logged or 0,
            "households_as_referent": referent or 0,
        }
    }


def erase(user: User, **_: Any) -> None:
    """The volunteer leaves the households they followed; the families' records stay."""
    db.session.execute(delete(HouseholdReferent).where(HouseholdReferent.user_id == user.id))
    db.session.execute(delete(ContactPerson).where(ContactPerson.user_id == user.id))
    db.session.execute(update(Contact).where(Contact.author_id == user.id).values(author_id=None))
    for column in (Household.consent_by_id, Household.created_by_id):
        db.session.execute(update(Household).where(column == user.id).values({column: None}))
    for column in (Handover.from_user_id, Handover.to_user_id, Handover.by_id):
        db.session.execute(update(Handover).where(column == user.id).values({column: None}))


def _months_before(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 - months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month, day=day)


def purge(_sender: Any, *, now: datetime, **_: Any) -> dict[str, int]:
    """Households closed more than CONTACTLOG_RETENTION_MONTHS ago are erased (each with
    its content-free audit entry)."""
    from forum.contactlog.services import erase_household

    cutoff = _months_before(now, int(current_app.config["CONTACTLOG_RETENTION_MONTHS"]))
    old = db.session.scalars(
        select(Household).where(Household.status == "closed", Household.closed_at < cutoff)
    ).all()
    for household in old:
        erase_household(None, household, why="retention")
    return {"closed households": len(old)}


def connect() -> None:
    """Listen to the account and retention signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
    events.purging.connect(purge)
