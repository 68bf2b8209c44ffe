"""What the contact log pages show: the group's households by days since the last contact
(overdue first), open needs by kind, the evaluation indicators, a household's page, and the
pledgers who could help with a need. Each runs a fixed number of statements whatever the
number of households and contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.support import NullTranslations
from flask import current_app, has_request_context
from flask_babel import get_translations
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from forum.accounts.models import User
from forum.contactlog.models import (
    LOST_AFTER,
    Contact,
    ContactLogSettings,
    ContactPerson,
    Handover,
    Household,
    HouseholdReferent,
    Need,
    Phase,
)
from forum.contactlog.services import overdue_days, today
from forum.extensions import db
from forum.groups.models import Group
from forum.pagination import PageOf, clamp_page

HOUSEHOLDS_PER_PAGE = 50
CONTACTS_PER_PAGE = 20  # a household page's contacts, newest first; the export has them all
# Published figures under this are shown as "moins de 5": fifteen families are easy to
# re-identify.
PUBLISH_MIN = 5
SHELTERED = ("shelter", "hotel", "insertion")
HOUSED = ("housing",)


def overdue_criterion(on: date, threshold: int):
    """Criteria on Household: followed, and past its next-contact date or the threshold."""
    limit = on - timedelta(days=threshold)
    return and_(
        Household.status == "followed",
        or_(
            Household.next_contact_on < on,
            func.coalesce(Household.last_contact_on, Household.consent_on) < limit,
        ),
    )


@dataclass(slots=True)
class HouseholdRow:
    """A line of the group's list, everything it says worked out once in Python (the
    template only prints: method calls from Jinja cost a 50-row page milliseconds)."""

    public_id: str
    pseudonym: str
    late: bool
    lost: bool
    last_contact: str  # "Last contact 3 days ago", translated
    next_contact_on: date | None
    referents: list[str]


@dataclass
class HouseholdList:
    page: PageOf  # of HouseholdRow
    threshold: int
    today: date
    overdue: int
    without_referent: int
    mine: bool


def _names_by(column, ids: list[int], user_column) -> dict[int, list[str]]:
    """{id: [display names]} for the rows of an association table (household referents,
    contact participants), by name: one statement of plain tuples, no User entities."""
    owner = column.class_
    rows = db.session.execute(
        select(column, User.display_name)
        .select_from(owner)
        .join(User, User.id == user_column)
        .where(column.in_(ids))
        .order_by(User.display_name, User.id)
    )
    names: dict[int, list[str]] = {}
    for owner_id, name in rows:
        names.setdefault(owner_id, []).append(name)
    return names


class _LastContact:
    """ "Last contact 3 days ago", translated once per number of days on a page."""

    def __init__(self) -> None:
        # Outside a request (a command, a test of the service) the words stay English.
        self.translations = get_translations() if has_request_context() else NullTranslations()
        self.said: dict[int | None, str] = {}

    def __call__(self, days: int | None) -> str:
        text = self.said.get(days)
        if text is None:
            if days is None:
                text = self.translations.gettext("No contact yet")
            else:
                text = self.translations.ngettext(
                    "Last contact %(num)s day ago", "Last contact %(num)s days ago", days
                ) % {"num": days}
            self.said[days] = text
        return text


def households_page(
    group: Group, viewer: User, page: int, *, mine: bool = False, closed: bool = False
) -> HouseholdList:
    """One page of the group's households: overdue ones first, then by days since the last
    contact (the longest first). `mine`: the viewer's own households only. Only the
    columns a line shows are read (and only the pseudonym decrypted)."""
    threshold = overdue_days(group)
    on = today()
    overdue = overdue_criterion(on, threshold)
    where = [
        Household.group_id == group.id,
        Household.status == ("closed" if closed else "followed"),
    ]
    if mine:
        where.append(
            Household.id.in_(
                select(HouseholdReferent.household_id).where(HouseholdReferent.user_id == viewer.id)
            )
        )
    no_referent = (
        ~select(HouseholdReferent.household_id)
        .where(HouseholdReferent.household_id == Household.id)
        .exists()
    )
    counts = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
            func.coalesce(func.sum(case((no_referent, 1), else_=0)), 0),
        )
        .select_from(Household)
        .where(*where)
    ).one()
    total = counts[0] or 0
    page, _pages = clamp_page(page, total, HOUSEHOLDS_PER_PAGE)
    first = case((overdue, 0), else_=1)  # 0: overdue, listed first
    rows = db.session.execute(
        select(
            Household.id,
            Household.public_id,
            Household.pseudonym,
            first,
            Household.failed_attempts,
            Household.last_contact_on,
            Household.next_contact_on,
        )
        .where(*where)
        .order_by(
            first,
            func.coalesce(Household.last_contact_on, Household.consent_on),
            Household.id,
        )
        .limit(HOUSEHOLDS_PER_PAGE)
        .offset((page - 1) * HOUSEHOLDS_PER_PAGE)
    ).all()
    referents = _names_by(
        HouseholdReferent.household_id, [r[0] for r in rows], HouseholdReferent.user_id
    )
    said = _LastContact()
    items = [
        HouseholdRow(
            public_id=public_id,
            pseudonym=pseudonym,
            late=rank == 0,
            lost=failed >= LOST_AFTER,
            last_contact=said((on - last_on).days if last_on else None),
            next_contact_on=next_on,
            referents=referents.get(hid, []),
        )
        for hid, public_id, pseudonym, rank, failed, last_on, next_on in rows
    ]
    return HouseholdList(
        page=PageOf.build(items, page, total, HOUSEHOLDS_PER_PAGE),
        threshold=threshold,
        today=on,
        overdue=int(counts[1] or 0),
        without_referent=int(counts[2] or 0),
        mine=mine,
    )


def open_needs_by_kind(group: Group) -> list[tuple[str, int]]:
    """How many followed households have each kind of need open."""
    rows = db.session.execute(
        select(Need.kind, func.count(func.distinct(Need.household_id)))
        .join(Household, Household.id == Need.household_id)
        .where(
            Household.group_id == group.id,
            Household.status == "followed",
            Need.resolved_on.is_(None),
        )
        .group_by(Need.kind)
        .order_by(Need.kind)
    ).all()
    return [(kind, count) for kind, count in rows]


def overdue_count(group_ids: list[int], on: date, threshold_of: dict[int, int]) -> dict[int, int]:
    """Overdue households per group (for the weekly digest): one statement."""
    if not group_ids:
        return {}
    from forum.contactlog.models import DEFAULT_OVERDUE_DAYS, ContactLogSettings

    days = func.coalesce(ContactLogSettings.overdue_days, DEFAULT_OVERDUE_DAYS)
    rows = db.session.execute(
        select(
            Household.group_id,
            Household.status,
            Household.next_contact_on,
            Household.last_contact_on,
            Household.consent_on,
            days,
        )
        .outerjoin(ContactLogSettings, ContactLogSettings.group_id == Household.group_id)
        .where(Household.group_id.in_(group_ids), Household.status == "followed")
    ).all()
    result: dict[int, int] = {}
    for group_id, _status, next_on, last_on, consent_on, threshold in rows:
        threshold = threshold_of.get(group_id, threshold)
        late = (next_on is not None and next_on < on) or (
            (on - (last_on or consent_on)).days > threshold
        )
        if late:
            result[group_id] = result.get(group_id, 0) + 1
    return result


# --- Indicators -------------------------------------------------------------------------


@dataclass
class Indicators:
    followed: int
    sheltered: int
    housed: int
    children_in_school: int
    contacts_month: int
    contacts_year: int


# Its own alias of households, never correlated with the outer query's rows; made once
# (building an alias per call cost the project page 4 ms of statement building).
_CONTACTED_HOUSEHOLD = aliased(Household, name="contacted_household")


def indicators(group_ids) -> Indicators:
    """The programmes' evaluation figures, computed from the log, in one statement.
    `group_ids`: a list of group ids, or a subquery selecting them."""
    if isinstance(group_ids, list | tuple | set) and not group_ids:
        return Indicators(0, 0, 0, 0, 0, 0)
    on = today()
    followed = Household.status == "followed"
    in_groups = Household.group_id.in_(group_ids)

    def contacts_since(day: date):
        other = _CONTACTED_HOUSEHOLD
        return (
            select(func.count())
            .select_from(Contact)
            .join(other, other.id == Contact.household_id)
            .where(
                other.group_id.in_(group_ids),
                Contact.outcome == "reached",
                Contact.happened_on >= day,
            )
            .scalar_subquery()
        )

    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((followed, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((and_(followed, Household.living.in_(SHELTERED)), 1), else_=0)), 0
            ),
            func.coalesce(func.sum(case((Household.living.in_(HOUSED), 1), else_=0)), 0),
            func.coalesce(func.sum(case((followed, Household.children_in_school), else_=0)), 0),
            contacts_since(on.replace(day=1)),
            contacts_since(on.replace(month=1, day=1)),
        ).where(in_groups)
    ).one()
    return Indicators(*(int(v or 0) for v in row))


def published(value: int) -> int | None:
    """A figure as it may be published: None when under PUBLISH_MIN ("moins de 5")."""
    return value if value >= PUBLISH_MIN else None


# --- One household's page ---------------------------------------------------------------


@dataclass
class HandoverNote:
    """One hand-over to the viewer: the rows one reassignment wrote for them (one per
    referent removed), shown and marked read together."""

    id: int  # the first row's: the "I have read it" form names it
    note: str
    from_names: list[str]
    by_name: str | None
    at: datetime


@dataclass
class HouseholdPage:
    household: Household
    contacts: PageOf  # of Contact, newest first
    participants: dict[int, list[str]]  # contact id -> the volunteers' names
    needs: list[Need]
    phases: list[Phase]
    handovers: list[HandoverNote]  # unread, addressed to the viewer: shown first
    threshold: int
    today: date

    def participant_names(self, contact: Contact) -> list[str]:
        return self.participants.get(contact.id, [])


_FROM = aliased(User, name="handed_from")
_BY = aliased(User, name="handed_by")


def unread_handovers(household: Household, viewer: User) -> list[HandoverNote]:
    """The viewer's unread hand-overs of the household, oldest first, the rows of one
    reassignment (same coordinator, same moment) folded into one note: one statement."""
    rows = db.session.execute(
        select(Handover, _FROM.display_name, _BY.display_name)
        .outerjoin(_FROM, _FROM.id == Handover.from_user_id)
        .outerjoin(_BY, _BY.id == Handover.by_id)
        .where(
            Handover.household_id == household.id,
            Handover.to_user_id == viewer.id,
            Handover.read_at.is_(None),
        )
        .order_by(Handover.id)
    ).all()
    notes: dict[tuple, HandoverNote] = {}
    for row, from_name, by_name in rows:
        key = (row.by_id, row.created_at)
        note = notes.get(key)
        if note is None:
            note = notes[key] = HandoverNote(row.id, row.note, [], by_name, row.created_at)
        if from_name and from_name not in note.from_names:
            note.from_names.append(from_name)
    return list(notes.values())


def household_page(household: Household, viewer: User, page: int = 1) -> HouseholdPage:
    """The household with one page of its contacts (newest first), its needs, phases and
    the viewer's unread hand-over notes: a fixed number of statements on any page."""
    # The number of contacts, and the group's own threshold if it set one, in one statement.
    own_threshold = (
        select(ContactLogSettings.overdue_days)
        .where(ContactLogSettings.group_id == household.group_id)
        .scalar_subquery()
    )
    total, threshold = db.session.execute(
        select(func.count(), own_threshold)
        .select_from(Contact)
        .where(Contact.household_id == household.id)
    ).one()
    total = total or 0
    if threshold is None:
        threshold = int(current_app.config["CONTACTLOG_OVERDUE_DAYS"])
    page, _pages = clamp_page(page, total, CONTACTS_PER_PAGE)
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.household_id == household.id)
        .order_by(Contact.happened_on.desc(), Contact.id.desc())
        .limit(CONTACTS_PER_PAGE)
        .offset((page - 1) * CONTACTS_PER_PAGE)
    ).all()
    participants = _names_by(
        ContactPerson.contact_id, [c.id for c in contacts], ContactPerson.user_id
    )
    needs = db.session.scalars(
        select(Need)
        .where(Need.household_id == household.id)
        .order_by(Need.resolved_on.is_not(None), Need.opened_on.desc(), Need.id)
    ).all()
    phases = db.session.scalars(
        select(Phase).where(Phase.household_id == household.id).order_by(Phase.started_on, Phase.id)
    ).all()
    # Referents, loaded once for the page.
    _ = household.referents
    return HouseholdPage(
        household=household,
        contacts=PageOf.build(list(contacts), page, total, CONTACTS_PER_PAGE),
        participants=participants,
        needs=list(needs),
        phases=list(phases),
        handovers=unread_handovers(household, viewer),
        threshold=threshold,
        today=today(),
    )


def group_keepers(group: Group) -> list[User]:
    """The group's keepers and coordinators, by name (referents are chosen among them)."""
    from forum.groups.models import Membership

    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.group_id == group.id,
                Membership.role.in_(("keeper", "coordinator")),
                User.deleted_at.is_(None),
            )
            .order_by(User.display_name, User.id)
        )
    )


def group_members(group: Group) -> list[tuple[User, str]]:
    """The group's members with their role, by name (for granting the keeper role)."""
    from forum.groups.models import Membership

    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id, User.deleted_at.is_(None))
        .order_by(User.display_name, User.id)
    ).all()
    return [(user, role) for user, role in rows]
