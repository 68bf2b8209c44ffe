"""What the contact log pages show: the group's households by days since the last contact
(overdue first), open needs by kind, the evaluation indicators, a household's page, and the
pledgers who could help with a need. Each runs a fixed number of statements whatever the
number of households and contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from forum.accounts.models import User
from forum.contactlog.models import (
    Contact,
    Handover,
    Household,
    HouseholdReferent,
    Need,
    Phase,
)
from forum.contactlog.services import CONTACTS_SHOWN, overdue_days, today
from forum.extensions import db
from forum.groups.models import Group
from forum.pagination import PageOf, clamp_page

HOUSEHOLDS_PER_PAGE = 50
# Published figures under this are shown as "moins de 5": fifteen families are easy to
# re-identify.
PUBLISH_MIN = 5
SHELTERED = ("shelter", "hotel", "insertion")
HOUSED = ("housing",)

# A need of a household, and the forms of help (a project's HelpKind keys) that answer it.
NEED_HELP = {
    "housing": ("shelter",),
    "health": ("translation", "health"),
    "school": ("school",),
    "papers": ("paperwork", "translation"),
    "work": ("work",),
    "food": ("gifts",),
    "legal": ("paperwork",),
    "other": ("transport", "gifts"),
}


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


@dataclass
class HouseholdList:
    page: PageOf
    threshold: int
    today: date
    overdue: int
    without_referent: int
    mine: bool


def households_page(
    group: Group, viewer: User, page: int, *, mine: bool = False, closed: bool = False
) -> HouseholdList:
    """One page of the group's households: overdue ones first, then by days since the last
    contact (the longest first). `mine`: the viewer's own households only."""
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
    rows = db.session.scalars(
        select(Household)
        .options(selectinload(Household.referents))
        .where(*where)
        .order_by(
            case((overdue, 0), else_=1),
            func.coalesce(Household.last_contact_on, Household.consent_on),
            Household.id,
        )
        .limit(HOUSEHOLDS_PER_PAGE)
        .offset((page - 1) * HOUSEHOLDS_PER_PAGE)
    ).all()
    return HouseholdList(
        page=PageOf.build(list(rows), page, total, HOUSEHOLDS_PER_PAGE),
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
class HouseholdPage:
    household: Household
    contacts: list[Contact]
    more_contacts: bool
    needs: list[Need]
    phases: list[Phase]
    handovers: list[Handover]  # unread, addressed to the viewer: shown first
    threshold: int
    today: date


def household_page(household: Household, viewer: User) -> HouseholdPage:
    """The household with its newest contacts, needs, phases and the viewer's unread
    hand-over notes: a fixed number of statements."""
    contacts = db.session.scalars(
        select(Contact)
        .options(selectinload(Contact.participants))
        .where(Contact.household_id == household.id)
        .order_by(Contact.happened_on.desc(), Contact.id.desc())
        .limit(CONTACTS_SHOWN + 1)
    ).all()
    needs = db.session.scalars(
        select(Need)
        .where(Need.household_id == household.id)
        .order_by(Need.resolved_on.is_not(None), Need.opened_on.desc(), Need.id)
    ).all()
    phases = db.session.scalars(
        select(Phase).where(Phase.household_id == household.id).order_by(Phase.started_on, Phase.id)
    ).all()
    handovers = db.session.scalars(
        select(Handover)
        .where(
            Handover.household_id == household.id,
            Handover.to_user_id == viewer.id,
            Handover.read_at.is_(None),
        )
        .order_by(Handover.id)
    ).all()
    # Referents, loaded once for the page.
    _ = household.referents
    return HouseholdPage(
        household=household,
        contacts=list(contacts[:CONTACTS_SHOWN]),
        more_contacts=len(contacts) > CONTACTS_SHOWN,
        needs=list(needs),
        phases=list(phases),
        handovers=list(handovers),
        threshold=overdue_days(household.group),
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


# --- Matching a need with the pledgers who offered that help ---------------------------


@dataclass
class Helper:
    pledge_id: int
    name: str
    helps: list[str]  # the labels of the matching forms of help
    availability: list[str]
    commune: str


def helpers_for(household: Household, need_kind: str) -> list[Helper]:
    """The members whose standing pledge to a project the household's group takes part in
    offers a form of help that answers the need, with their availability. Never their
    e-mail: the keeper writes to them through the site."""
    from forum.projects.models import HelpKind, Pledge, PledgeHelp, ProjectGroup, counted_criteria

    keys = NEED_HELP.get(need_kind, ())
    if not keys:
        return []
    pledges = db.session.scalars(
        select(Pledge)
        .options(
            joinedload(Pledge.user), joinedload(Pledge.commune), selectinload(Pledge.help_kinds)
        )
        .join(User, User.id == Pledge.user_id)
        .where(
            Pledge.project_id.in_(
                select(ProjectGroup.project_id).where(ProjectGroup.group_id == household.group_id)
            ),
            counted_criteria(),
            User.deleted_at.is_(None),
            User.suspended_at.is_(None),
            Pledge.id.in_(
                select(PledgeHelp.pledge_id)
                .join(HelpKind, HelpKind.id == PledgeHelp.help_kind_id)
                .where(HelpKind.key.in_(keys))
            ),
        )
        .order_by(Pledge.created_at, Pledge.id)
        .limit(50)
    ).all()
    return [
        Helper(
            pledge_id=p.id,
            name=p.user.display_name,
            helps=[k.label for k in p.help_kinds if k.key in keys],
            availability=p.availability,
            commune=p.commune.name,
        )
        for p in pledges
    ]


def write_to_helper(
    actor: User, household: Household, need_kind: str, pledge_id: int, *, body: str
) -> bool:
    """Write to a pledger who could help, through the outbox: they read the keeper's
    words and name (and reply to the keeper's address); the keeper never sees theirs. The
    mail names neither the household nor the need's details."""
    from forum import audit
    from forum.mail import queue_mail
    from forum.notifications.delivery import can_receive_mail
    from forum.urls import absolute_url

    allowed = {h.pledge_id for h in helpers_for(household, need_kind)}
    if pledge_id not in allowed:
        return False
    from forum.projects.models import Pledge

    pledge = db.session.get(Pledge, pledge_id)
    user = pledge.user
    if not can_receive_mail(user):
        return False
    from flask_babel import lazy_gettext as _l

    queue_mail(
        user.email,
        "contactlog_helper",
        subject=_l("%(name)s asks whether you could help", name=actor.display_name),
        locale=user.locale,
        headers={"Reply-To": actor.email} if actor.email else None,
        user=user,
        sender=actor,
        group=household.group,
        body=body.replace("\x00", ""),
        url=absolute_url("projects.show_project", slug=pledge.project.slug),
    )
    audit.record(
        actor, "household.helper_message", household, group=household.group, detail=need_kind
    )
    return True
