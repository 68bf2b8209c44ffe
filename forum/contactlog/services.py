"""The contact log's rules: households, contacts and attempts, needs, phases, referents and
hand-overs, export and erasure. Every read and write of a household writes an audit entry
(who, what, when, on which household: never its content). The listings, indicators and
matching live in `listing.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from forum import audit
from forum.accounts.models import User
from forum.contactlog.models import (
    CHANNELS,
    CLOSE_REASONS,
    CONSENT_HOW,
    LIVING,
    NEEDS,
    OUTCOMES,
    PHASES,
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


def _keepers_among(group: Group, user_ids: list[int]) -> list[int]:
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
    referents = _keepers_among(group, data.referent_ids or [actor.id])
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


# --- Contacts, needs, phases ----------------------------------------------------------


@dataclass
class ContactData:
    happened_on: date
    channel: str
    outcome: str = "reached"
    summary: str = ""
    agreed: str = ""
    needs: list[str] = field(default_factory=list)
    next_contact_on: date | None = None
    participant_ids: list[int] = field(default_factory=list)


def log_contact(actor: User, household: Household, data: ContactData) -> Contact:
    """Log a contact or a failed attempt; keeps the household's dates and attempt count."""
    if data.happened_on > today():
        raise ContactLogError(_l("A contact cannot be in the future."), "happened_on")
    if data.next_contact_on is not None and data.next_contact_on < data.happened_on:
        raise ContactLogError(
            _l("The next contact cannot come before this one."), "next_contact_on"
        )
    if data.channel not in CHANNELS:
        raise ContactLogError(_l("Choose how the contact happened."), "channel")
    if data.outcome not in OUTCOMES:
        raise ContactLogError(_l("Choose whether the family was reached."), "outcome")
    unknown = [n for n in data.needs if n not in NEEDS]
    if unknown:
        raise ContactLogError(_l("Choose the needs from the list."), "needs")
    if len(data.summary) > SUMMARY_MAX or len(data.agreed) > AGREED_MAX:
        raise ContactLogError(_l("The text is too long."), "summary")
    contact = Contact(
        household_id=household.id,
        happened_on=data.happened_on,
        channel=data.channel,
        outcome=data.outcome,
        summary=data.summary.strip(),
        agreed=data.agreed.strip(),
        next_contact_on=data.next_contact_on,
        author_id=actor.id,
    )
    db.session.add(contact)
    db.session.flush()
    people = set(_keepers_among(household.group, data.participant_ids)) | {actor.id}
    for user_id in sorted(people):
        db.session.add(ContactPerson(contact_id=contact.id, user_id=user_id))
    reached = data.outcome == "reached"
    latest = household.last_contact_on is None or data.happened_on >= household.last_contact_on
    if reached:
        household.contact_count += 1
        if latest:
            household.last_contact_on = data.happened_on
            household.failed_attempts = 0
    elif latest:
        household.failed_attempts += 1
    if data.next_contact_on is not None:
        household.next_contact_on = data.next_contact_on
    elif reached and latest:
        household.next_contact_on = None
    household.updated_at = utcnow()
    if reached and data.needs:
        already = set(
            db.session.scalars(
                select(Need.kind).where(
                    Need.household_id == household.id, Need.resolved_on.is_(None)
                )
            )
        )
        for kind in dict.fromkeys(data.needs):
            if kind not in already:
                db.session.add(
                    Need(
                        household_id=household.id,
                        contact_id=contact.id,
                        kind=kind,
                        opened_on=data.happened_on,
                    )
                )
    db.session.flush()
    audit.record(
        actor,
        "household.contact" if reached else "household.attempt",
        household,
        group=household.group,
    )
    return contact


def add_need(actor: User, household: Household, kind: str, details: str = "") -> Need:
    """Open a need by hand (with an optional detail, encrypted)."""
    if kind not in NEEDS:
        raise ContactLogError(_l("Choose the needs from the list."), "kind")
    if len(details) > DETAILS_MAX:
        raise ContactLogError(_l("The text is too long."), "details")
    need = Need(household_id=household.id, kind=kind, details=details.strip(), opened_on=today())
    db.session.add(need)
    db.session.flush()
    audit.record(actor, "household.need_open", household, group=household.group, detail=kind)
    return need


def resolve_need(actor: User, household: Household, need_id: int) -> Need:
    """Mark one of the household's open needs resolved today."""
    need = db.session.get(Need, need_id)
    if need is None or need.household_id != household.id or need.resolved_on is not None:
        raise ContactLogError(_l("This need is not open any more."))
    need.resolved_on = today()
    db.session.flush()
    audit.record(
        actor, "household.need_resolve", household, group=household.group, detail=need.kind
    )
    return need


def add_phase(actor: User, household: Household, phase: str, started_on: date) -> Phase:
    """A new step of the household's path, from its date."""
    if phase not in PHASES:
        raise ContactLogError(_l("Choose a phase from the list."), "phase")
    if started_on > today():
        raise ContactLogError(_l("A phase cannot start in the future."), "started_on")
    row = Phase(household_id=household.id, phase=phase, started_on=started_on)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "household.phase", household, group=household.group, detail=phase)
    return row


# --- Referents and hand-over ----------------------------------------------------------


def reassign(
    actor: User, household: Household, *, referent_ids: list[int], note: str = ""
) -> list[int]:
    """Set the household's referents (keepers of its group); each new referent gets the
    hand-over note, read first on the household's page.

    A hand-over is from one referent to another: each new referent gets one row per
    referent removed (all of them, not only the first), or one row "from" nobody when
    nobody was removed. The rows of one reassignment share their moment and are shown
    and marked read as one note naming everyone it comes from."""
    if len(note) > NOTE_MAX:
        raise ContactLogError(_l("The text is too long."), "note")
    wanted = set(_keepers_among(household.group, referent_ids))
    if referent_ids and not wanted:
        raise ContactLogError(_l("Choose referents among the group's keepers."), "referents")
    current = set(
        db.session.scalars(
            select(HouseholdReferent.user_id).where(HouseholdReferent.household_id == household.id)
        )
    )
    leaving = sorted(current - wanted)
    arriving = sorted(wanted - current)
    if leaving:
        db.session.execute(
            delete(HouseholdReferent).where(
                HouseholdReferent.household_id == household.id,
                HouseholdReferent.user_id.in_(leaving),
            )
        )
    moment = utcnow()
    for user_id in arriving:
        db.session.add(HouseholdReferent(household_id=household.id, user_id=user_id))
        for from_id in leaving or [None]:
            db.session.add(
                Handover(
                    household_id=household.id,
                    from_user_id=from_id,
                    to_user_id=user_id,
                    by_id=actor.id,
                    note=note.strip(),
                    created_at=moment,
                )
            )
    db.session.flush()
    db.session.expire(household, ["referents"])
    audit.record(
        actor,
        "household.reassign",
        household,
        group=household.group,
        detail=f"+{len(arriving)} -{len(leaving)}",
    )
    return arriving


def mark_handover_read(actor: User, household: Household, handover_id: int) -> None:
    """The new referent has read the hand-over note (all the rows of its reassignment)."""
    row = db.session.get(Handover, handover_id)
    if row is None or row.household_id != household.id or row.to_user_id != actor.id:
        raise ContactLogError(_l("This note is not addressed to you."))
    db.session.execute(
        update(Handover)
        .where(
            Handover.household_id == household.id,
            Handover.to_user_id == actor.id,
            Handover.by_id == row.by_id if row.by_id is not None else Handover.by_id.is_(None),
            Handover.created_at == row.created_at,
            Handover.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    db.session.flush()
    audit.record(actor, "household.handover_read", household, group=household.group)


def withdraw_keeper_households(group: Group, user: User) -> int:
    """A volunteer lost the keeper role: they are no longer a referent of the group's
    households (the coordinators reassign them, with a hand-over note)."""
    ids = select(Household.id).where(Household.group_id == group.id)
    result = db.session.execute(
        delete(HouseholdReferent).where(
            HouseholdReferent.user_id == user.id, HouseholdReferent.household_id.in_(ids)
        )
    )
    return result.rowcount or 0


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
