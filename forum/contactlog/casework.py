"""The contact log's casework on one household: contacts and failed attempts, needs,
phases, referents and hand-overs. Like the rest of the contact log, every change writes an
audit entry (who, what, when, on which household: never its content). The household's own
record (creation, facts, closing, export, erasure) lives in `services.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from forum import audit
from forum.accounts.models import User
from forum.contactlog.models import (
    CHANNELS,
    NEEDS,
    OUTCOMES,
    PHASES,
    Contact,
    ContactPerson,
    Handover,
    Household,
    HouseholdReferent,
    Need,
    Phase,
)
from forum.contactlog.services import (
    AGREED_MAX,
    DETAILS_MAX,
    NOTE_MAX,
    SUMMARY_MAX,
    ContactLogError,
    keepers_among,
    today,
)
from forum.db import utcnow
from forum.extensions import db
from forum.groups.models import Group

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
    people = set(keepers_among(household.group, data.participant_ids)) | {actor.id}
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
    wanted = set(keepers_among(household.group, referent_ids))
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
