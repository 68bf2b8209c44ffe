"""The contact log's rules: households (their record, facts, closing), export and erasure,
the group's overdue threshold, and what the whole contact log shares (its error, its
limits, its calendar day). Every read and write of a household writes an audit entry (who,
what, when, on which household: never its content). Contacts, needs, phases, referents and
hand-overs live in `casework.py`; the listings, indicators and matching in `listing.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from forum import audit
from forum.accounts.models import User
from forum.contactlog.models import (
    CLOSE_REASONS,
    CONSENT_HOW,
    LIVING,
    Contact,
    ContactLogSettings,
    ContactPerson,
    Handover,
    Household,
    HouseholdReferent,
    Need,
    Phase,
)
from forum.db import utcnow
from forum.extensions import db
from forum.groups.models import Group, Membership, Role

PARIS = ZoneInfo("Europe/Paris")
PSEUDONYM_MAX = 60
LANGUAGES_MAX = 200
SUMMARY_MAX = 4000
AGREED_MAX = 2000
DETAILS_MAX = 500
NOTE_MAX = 4000


class ContactLogError(ValueError):
    """A rule refused the change: `message` for the person, on `field` when there is one."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def today() -> date:
    """Today in Paris: contacts happen on calendar days."""
    return utcnow().astimezone(PARIS).date()


def overdue_days(group: Group) -> int:
    """After how many days without a contact the group's households are overdue."""
    settings = db.session.get(ContactLogSettings, group.id)
    if settings is not None:
        return settings.overdue_days
    return int(current_app.config["CONTACTLOG_OVERDUE_DAYS"])


def set_overdue_days(actor: User, group: Group, days: int) -> None:
    """Change the group's threshold (audit-logged)."""
    if not 1 <= days <= 365:
        raise ContactLogError(_l("Give a number of days between 1 and 365."), "days")
    settings = db.session.get(ContactLogSettings, group.id)
    if settings is None:
        settings = ContactLogSettings(group_id=group.id, overdue_days=days)
        db.session.add(settings)
    else:
        settings.overdue_days = days
    db.session.flush()
    audit.record(actor, "contactlog.threshold", group, group=group, detail=str(days))


# --- Households -----------------------------------------------------------------------


@dataclass
class HouseholdData:
    pseudonym: str
    adults: int
    children: int
    languages: str = ""
    living: str = "unknown"
    children_in_school: int = 0
    consent: bool = False
    consent_on: date | None = None
    consent_how: str = ""
    referent_ids: list[int] = field(default_factory=list)


def _check_household(data: HouseholdData, *, new: bool) -> None:
    pseudonym = (data.pseudonym or "").strip()
    if not pseudonym:
        raise ContactLogError(_l("Give the household a pseudonym."), "pseudonym")
    if len(pseudonym) > PSEUDONYM_MAX:
        raise ContactLogError(_l("The pseudonym is too long."), "pseudonym")
    if data.living not in LIVING:
        raise ContactLogError(_l("Choose where the household lives now."), "living")
    if not 0 <= data.adults <= 30 or not 0 <= data.children <= 30:
        raise ContactLogError(_l("Give a number between 0 and 30."), "adults")
    if not 0 <= data.children_in_school <= data.children:
        raise ContactLogError(
            _l("Children in school cannot outnumber the children."), "children_in_school"
        )
    if new:
        if not data.consent or data.consent_on is None or data.consent_how not in CONSENT_HOW:
            raise ContactLogError(
                _l(
                    "Without the family's consent nothing is recorded: tick the box, with "
                    "the date and how it was given."
                ),
                "consent",
            )
        if data.consent_on > today():
            raise ContactLogError(_l("The consent cannot be dated in the future."), "consent_on")


def keepers_among(group: Group, user_ids: list[int]) -> list[int]:
    """The given ids that are keepers or coordinators of the group (others are dropped)."""
    if not user_ids:
        return []
    trusted = [Role.KEEPER.value, Role.COORDINATOR.value]
    return list(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.group_id == group.id,
                Membership.user_id.in_(user_ids),
                Membership.role.in_(trusted),
            )
        )
    )


def create_household(actor: User, group: Group, data: HouseholdData) -> Household:
    """Open a household's record; refused without the family's consent."""
    _check_household(data, new=True)
    household = Household(
        group_id=group.id,
        pseudonym=data.pseudonym.strip(),
        adults=data.adults,
        children=data.children,
        children_in_school=data.children_in_school,
        languages=(data.languages or "").strip(),
        living=data.living,
        consent_on=data.consent_on,
        consent_how=data.consent_how,
        consent_by_id=actor.id,
        created_by_id=actor.id,
    )
    db.session.add(household)
    db.session.flush()
    referents = keepers_among(group, data.referent_ids or [actor.id])
    for user_id in referents:
        db.session.add(HouseholdReferent(household_id=household.id, user_id=user_id))
    db.session.flush()
    audit.record(actor, "household.create", household, group=group)
    return household


def update_household(actor: User, household: Household, data: HouseholdData) -> None:
    """Change the household's facts (not its consent, which stays as given)."""
    _check_household(data, new=False)
    household.pseudonym = data.pseudonym.strip()
    household.adults = data.adults
    household.children = data.children
    household.children_in_school = data.children_in_school
    household.languages = (data.languages or "").strip()
    household.living = data.living
    household.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "household.update", household, group=household.group)


def close_household(actor: User, household: Household, reason: str) -> None:
    """End the follow-up, with a reason; the record is purged after the retention period."""
    if reason not in CLOSE_REASONS:
        raise ContactLogError(_l("Choose why the follow-up ends."), "reason")
    household.status = "closed"
    household.closed_reason = reason
    household.closed_at = utcnow()
    household.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "household.close", household, group=household.group, detail=reason)


def reopen_household(actor: User, household: Household) -> None:
    """Follow the household again."""
    household.status = "followed"
    household.closed_reason = None
    household.closed_at = None
    household.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "household.reopen", household, group=household.group)


def load_household(public_id: str) -> Household | None:
    """The household of a public_id (with its group), or None."""
    if not public_id or len(public_id) > 24:
        return None
    return db.session.scalar(
        select(Household)
        .options(joinedload(Household.group))
        .where(Household.public_id == public_id)
    )


def record_view(actor: User, household: Household) -> None:
    """A keeper opened the household's page."""
    audit.record(actor, "household.view", household, group=household.group)


# --- The whole record: export and erasure ----------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_household(actor: User, household: Household) -> dict[str, Any]:
    """The household's whole record, JSON-ready (audit-logged)."""
    hid = household.id
    contacts = db.session.scalars(
        select(Contact)
        .options(selectinload(Contact.participants))
        .where(Contact.household_id == hid)
        .order_by(Contact.happened_on, Contact.id)
    ).all()
    needs = db.session.scalars(select(Need).where(Need.household_id == hid).order_by(Need.id))
    phases = db.session.scalars(
        select(Phase).where(Phase.household_id == hid).order_by(Phase.started_on, Phase.id)
    )
    handed_from, handed_to = aliased(User), aliased(User)
    handovers = db.session.execute(
        select(Handover, handed_from.display_name, handed_to.display_name)
        .outerjoin(handed_from, handed_from.id == Handover.from_user_id)
        .outerjoin(handed_to, handed_to.id == Handover.to_user_id)
        .where(Handover.household_id == hid)
        .order_by(Handover.id)
    )
    record = {
        "public_id": household.public_id,
        "group": household.group.slug,
        "pseudonym": household.pseudonym,
        "adults": household.adults,
        "children": household.children,
        "children_in_school": household.children_in_school,
        "languages": household.languages,
        "living": household.living,
        "status": household.status,
        "closed_reason": household.closed_reason,
        "closed_at": _iso(household.closed_at),
        "created_at": _iso(household.created_at),
        "consent": {
            "on": _iso(household.consent_on),
            "how": household.consent_how,
            "collected_by": household.consent_by.display_name if household.consent_by else None,
        },
        "referents": [u.display_name for u in household.referents],
        "contacts": [
            {
                "happened_on": _iso(c.happened_on),
                "channel": c.channel,
                "outcome": c.outcome,
                "summary": c.summary,
                "agreed": c.agreed,
                "next_contact_on": _iso(c.next_contact_on),
                "volunteers": [u.display_name for u in c.participants],
            }
            for c in contacts
        ],
        "needs": [
            {
                "kind": n.kind,
                "details": n.details,
                "opened_on": _iso(n.opened_on),
                "resolved_on": _iso(n.resolved_on),
            }
            for n in needs
        ],
        "phases": [{"phase": p.phase, "started_on": _iso(p.started_on)} for p in phases],
        "handovers": [
            {
                "at": _iso(h.created_at),
                "from": from_name,
                "to": to_name,
                "note": h.note,
                "read_at": _iso(h.read_at),
            }
            for h, from_name, to_name in handovers
        ],
    }
    audit.record(actor, "household.export", household, group=household.group)
    return record


def erase_household(actor: User | None, household: Household, *, why: str = "request") -> None:
    """Remove the household and everything recorded about it; the audit keeps only the
    content-free entries (who did what, when, to household #id)."""
    audit.record(actor, "household.erase", household, group=household.group, detail=why)
    hid = household.id
    contact_ids = select(Contact.id).where(Contact.household_id == hid)
    # Explicit deletes, children first: SQLite enforces no cascade without its pragma.
    db.session.execute(delete(ContactPerson).where(ContactPerson.contact_id.in_(contact_ids)))
    for model in (Need, Phase, Handover, HouseholdReferent, Contact):
        db.session.execute(delete(model).where(model.household_id == hid))
    db.session.execute(delete(Household).where(Household.id == hid))
    db.session.expunge(household)
