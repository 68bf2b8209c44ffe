"""Pledge rules: projects, making, changing and withdrawing a pledge, conditional pledges
and the coordinators' follow-through.

What the pages show is read in `figures`; the coordinators' list, export and mailing are
in `coordination`; the three-monthly "does it still stand?" in `checks`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from forum import audit
from forum.accounts.models import User
from forum.db import insert_ignoring_duplicate, utcnow
from forum.discussions.models import Thread
from forum.extensions import db
from forum.groups.models import Commune, Group
from forum.mail import queue_mail
from forum.markup import render_markdown
from forum.permissions import refusal
from forum.projects.models import (
    AVAILABILITY,
    FOLLOW_UP_STATUSES,
    HelpKind,
    Pledge,
    PledgeHelp,
    PledgeRevision,
    PledgeStatus,
    Project,
    ProjectGroup,
    ProjectStatus,
    counted_criteria,
    waiting_criteria,
)
from forum.projects.totals import refresh_totals
from forum.urls import absolute_url

# Bounds of a pledge: 200 hours a month is already more than a full-time job (151 h);
# anything above is a typing slip. A condition asks for 1 to 500 others: the whole
# territory's solidarity network is a few hundred people.
HOURS_MIN, HOURS_MAX = 0, 200
THRESHOLD_MIN, THRESHOLD_MAX = 1, 500
MESSAGE_MAX = 1000
# A member is asked every three months whether their pledge still stands.
CHECK_EVERY = timedelta(days=91)

THRESHOLD_MET = "pledge_threshold"  # the notification kind


class PledgeError(Exception):
    """A rule refused the pledge; `message` is for the member, `field` names the input."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)  # a lazy string: rendered in the user's language
        self.message = message
        self.field = field


@dataclass
class PledgeData:
    """What a member pledges, as plain values (the form parses them)."""

    help_kinds: list[str]
    hours_per_month: int
    commune: str  # INSEE code
    availability: list[str] = field(default_factory=list)
    message: str = ""
    show_name: bool = False
    threshold: int | None = None


# --- Projects -----------------------------------------------------------------------------


def create_project(
    *,
    title: str,
    slug: str,
    goal: str,
    description: str = "",
    groups: list[Group] = (),  # type: ignore[assignment]
    help_kinds: list[tuple[str, str]] = (),  # type: ignore[assignment]
    target_participants: int = 0,
    starts_on=None,
    ends_on=None,
    news_thread: Thread | None = None,
    status: ProjectStatus = ProjectStatus.OPEN,
) -> Project:
    """Add a project with the groups taking part and its list of forms of help."""
    project = Project(
        title=title,
        slug=slug,
        goal=goal,
        description=description,
        description_html=render_markdown(description).html if description else "",
        target_participants=target_participants,
        starts_on=starts_on,
        ends_on=ends_on,
        news_thread_id=news_thread.id if news_thread is not None else None,
        status=status.value,
    )
    for position, (key, label) in enumerate(help_kinds):
        project.help_kinds.append(HelpKind(key=key, label=label, position=position))
    db.session.add(project)
    db.session.flush()
    for group in groups:
        db.session.add(ProjectGroup(project_id=project.id, group_id=group.id))
    db.session.flush()
    db.session.expire(project, ["groups"])
    return project


def set_project_status(project: Project, status: ProjectStatus) -> None:
    """Open, close or finish a project (closed and finished ones take no new pledges)."""
    project.status = status.value
    db.session.flush()


def load_project(slug: str) -> Project | None:
    """The project with its groups and news thread: one statement."""
    return (
        db.session.scalars(
            select(Project)
            .options(joinedload(Project.groups), joinedload(Project.news_thread))
            .where(Project.slug == slug)
        )
        .unique()
        .one_or_none()
    )


# --- Pledging -----------------------------------------------------------------------------


def current_pledge(user: User | None, project: Project) -> Pledge | None:
    """The user's pledge to the project that is not withdrawn, if any."""
    if user is None:
        return None
    return db.session.scalars(
        select(Pledge)
        .options(selectinload(Pledge.help_kinds), joinedload(Pledge.commune))
        .where(
            Pledge.project_id == project.id,
            Pledge.user_id == user.id,
            Pledge.status != PledgeStatus.WITHDRAWN.value,
        )
    ).first()


def project_communes() -> list[Commune]:
    """The communes a pledger may choose from, by name."""
    return list(db.session.scalars(select(Commune).order_by(Commune.name)))


def _check(user: User, action: str, project: Project) -> None:
    refused = refusal(user, action, project)
    if refused:
        raise PledgeError(getattr(refused, "message", None) or _l("You cannot pledge here."))


def offered_help_kinds(project: Project, pledge: Pledge | None) -> list[HelpKind]:
    """The forms of help a pledge may choose: those not retired, and the retired ones it
    holds already (a pledge keeps what it chose)."""
    held = {k.id for k in pledge.help_kinds} if pledge is not None else set()
    return [k for k in project.help_kinds if not k.is_retired or k.id in held]


def _validated(
    project: Project, data: PledgeData, pledge: Pledge | None = None
) -> tuple[list[HelpKind], Commune]:
    """The project's forms of help and the commune the data names; PledgeError otherwise."""
    if not data.help_kinds:
        raise PledgeError(_l("Choose at least one form of help."), "help_kinds")
    kinds = {k.key: k for k in offered_help_kinds(project, pledge)}
    if any(key not in kinds for key in data.help_kinds):
        raise PledgeError(_l("Choose forms of help from this project's list."), "help_kinds")
    if not HOURS_MIN <= data.hours_per_month <= HOURS_MAX:
        raise PledgeError(
            _l("Give between %(min)s and %(max)s hours a month.", min=HOURS_MIN, max=HOURS_MAX),
            "hours_per_month",
        )
    if data.threshold is not None and not THRESHOLD_MIN <= data.threshold <= THRESHOLD_MAX:
        raise PledgeError(
            _l(
                "The condition counts between %(min)s and %(max)s other people.",
                min=THRESHOLD_MIN,
                max=THRESHOLD_MAX,
            ),
            "threshold",
        )
    if any(a not in AVAILABILITY for a in data.availability):
        raise PledgeError(_l("Choose your availability from the list."), "availability")
    if len(data.message) > MESSAGE_MAX:
        raise PledgeError(_l("The message is too long."), "message")
    commune = db.session.scalar(select(Commune).where(Commune.insee == data.commune))
    if commune is None:
        raise PledgeError(_l("Choose your commune from the list."), "commune")
    chosen = [kinds[key] for key in dict.fromkeys(data.help_kinds)]
    return chosen, commune


def lock_project(project: Project | int) -> None:
    """Pledges to one project queue here (a row lock on PostgreSQL; SQLite has one writer):
    two pledges arriving together both see each other when thresholds are settled and
    the totals refreshed."""
    project_id = project if isinstance(project, int) else project.id
    db.session.execute(select(Project.id).where(Project.id == project_id).with_for_update()).first()


def save_pledge(user: User, project: Project, data: PledgeData) -> tuple[Pledge, bool]:
    """Make the user's pledge, or change the one they have; returns (pledge, created).

    A revision row keeps each version; a confirmation mail goes through the outbox;
    conditional pledges whose threshold this one reaches start to count."""
    _check(user, "project.pledge", project)
    lock_project(project)
    pledge = current_pledge(user, project)
    kinds, commune = _validated(project, data, pledge)
    created = pledge is None
    now = utcnow()
    if pledge is None:
        pledge = Pledge(
            project_id=project.id,
            user_id=user.id,
            status=PledgeStatus.PLEDGED.value,
            created_at=now,
            next_check_at=now + CHECK_EVERY,
        )
        try:
            with db.session.begin_nested():
                _fill(pledge, data, commune, now)
                db.session.add(pledge)
                db.session.flush()
        except IntegrityError:
            # A second click raced the first: change the pledge it made.
            created = False
            pledge = current_pledge(user, project)
            if pledge is None:
                raise
            _fill(pledge, data, commune, now)
    else:
        if pledge.threshold != data.threshold:
            pledge.threshold_met_at = None  # a new condition is settled anew
        _fill(pledge, data, commune, now)
    _set_help_kinds(pledge, kinds)
    db.session.flush()
    revise(pledge, user, "created" if created else "changed", kinds=kinds)
    _mail_pledge_saved(user, project, pledge, kinds, created=created)
    settle_thresholds(project, actor=user)
    refresh_totals(project)
    return pledge, created


def _fill(pledge: Pledge, data: PledgeData, commune: Commune, now: datetime) -> None:
    pledge.commune_id = commune.id
    pledge.hours_per_month = data.hours_per_month
    for name in AVAILABILITY:
        setattr(pledge, f"available_{name}", name in data.availability)
    pledge.message = data.message.replace("\x00", "").strip()
    pledge.show_name = bool(data.show_name)
    pledge.threshold = data.threshold
    pledge.updated_at = now


def _set_help_kinds(pledge: Pledge, kinds: list[HelpKind]) -> None:
    wanted = {k.id for k in kinds}
    held = set(
        db.session.scalars(select(PledgeHelp.help_kind_id).where(PledgeHelp.pledge_id == pledge.id))
    )
    for kind_id in held - wanted:
        db.session.execute(
            PledgeHelp.__table__.delete().where(
                PledgeHelp.pledge_id == pledge.id, PledgeHelp.help_kind_id == kind_id
            )
        )
    for kind_id in sorted(wanted - held):
        # A second click may have added it meanwhile: the row is there either way.
        insert_ignoring_duplicate(PledgeHelp, pledge_id=pledge.id, help_kind_id=kind_id)
    db.session.expire(pledge, ["help_kinds"])


def snapshot(pledge: Pledge, kinds: list[HelpKind] | None = None) -> dict:
    """The pledge as it stands, JSON-ready (for its history and the member's export)."""
    kinds = pledge.help_kinds if kinds is None else kinds
    return {
        "help_kinds": [k.key for k in kinds],
        "hours_per_month": pledge.hours_per_month,
        "commune_id": pledge.commune_id,
        "availability": pledge.availability,
        "message": pledge.message,
        "show_name": pledge.show_name,
        "threshold": pledge.threshold,
        "status": pledge.status,
    }


def revise(pledge: Pledge, actor: User | None, change: str, kinds=None) -> None:
    """Keep the pledge as it now stands in its history."""
    db.session.add(
        PledgeRevision(
            pledge_id=pledge.id,
            changed_by_id=getattr(actor, "id", None),
            change=change,
            snapshot=snapshot(pledge, kinds),
        )
    )


def _mail_pledge_saved(user, project, pledge, kinds, *, created: bool) -> None:
    from forum.notifications.delivery import can_receive_mail

    if not can_receive_mail(user):
        return
    queue_mail(
        user.email,
        "pledge_saved",
        subject=_l("Your pledge to “%(title)s”", title=project.title)
        if created
        else _l("Your pledge to “%(title)s” was changed", title=project.title),
        locale=user.locale,
        user=user,
        project=project,
        pledge=pledge,
        kinds=kinds,
        created=created,
        url=absolute_url("projects.pledge", slug=project.slug),
    )


def withdraw_pledge(user: User, project: Project) -> Pledge | None:
    """Withdraw the user's pledge (kept in its history); None when they had none."""
    lock_project(project)
    pledge = current_pledge(user, project)
    if pledge is None:
        return None
    now = utcnow()
    pledge.status = PledgeStatus.WITHDRAWN.value
    pledge.withdrawn_at = now
    pledge.updated_at = now
    db.session.flush()
    revise(pledge, user, "withdrawn")
    refresh_totals(project)
    return pledge


def settle_thresholds(project: Project, actor: User | None = None) -> list[int]:
    """Conditional pledges whose condition is now met start to count; each of their members
    is told once. Returns the ids of the pledges met now.

    The largest set of waiting pledges that can all count together: sorted by threshold,
    the first j of them are met when the j-th asks for no more than the pledges counted
    already plus the j - 1 others of the set. Marking is one UPDATE on the rows still
    unmet, so a concurrent run (or a second call) never tells anyone twice."""
    counted = (
        db.session.scalar(
            select(func.count())
            .select_from(Pledge)
            .where(Pledge.project_id == project.id, counted_criteria())
        )
        or 0
    )
    waiting = db.session.execute(
        select(Pledge.id, Pledge.threshold)
        .where(Pledge.project_id == project.id, waiting_criteria())
        .order_by(Pledge.threshold, Pledge.id)
    ).all()
    met: list[int] = []
    for j, (_pledge_id, threshold) in enumerate(waiting, start=1):
        if threshold <= counted + j - 1:
            met = [pid for pid, _t in waiting[:j]]
    if not met:
        return []
    now = utcnow()
    newly = db.session.execute(
        update(Pledge)
        .where(Pledge.id.in_(met), Pledge.threshold_met_at.is_(None))
        .values(threshold_met_at=now)
        .returning(Pledge.id, Pledge.user_id)
        .execution_options(synchronize_session=False)
    ).all()
    if not newly:
        return []
    for pledge in db.session.scalars(
        select(Pledge)
        .where(Pledge.id.in_([r[0] for r in newly]))
        .execution_options(populate_existing=True)
    ):
        revise(pledge, None, "threshold_met")
    from forum.notifications.delivery import notify

    # The member whose own pledge just met its condition sees it on the page: no notice.
    notify([user_id for _id, user_id in newly], THRESHOLD_MET, project, actor=actor)
    return [pid for pid, _uid in newly]


# --- Follow-through -------------------------------------------------------------------------


def mark_pledge(actor: User, pledge: Pledge, status: PledgeStatus) -> Pledge:
    """A coordinator records whether a pledge really helps: active, fulfilled or lapsed."""
    if status not in FOLLOW_UP_STATUSES:
        raise PledgeError(_l("Choose a status from the list."), "status")
    if pledge.is_withdrawn:
        raise PledgeError(_l("This pledge was withdrawn by its member."))
    if pledge.status == status.value:
        return pledge
    lock_project(pledge.project)
    pledge.status = status.value
    pledge.updated_at = utcnow()
    db.session.flush()
    revise(pledge, actor, f"marked_{status.value}")
    audit.record(
        actor,
        f"pledge.{status.value}",
        pledge,
        group=audit_group(actor, pledge.project),
    )
    settle_thresholds(pledge.project)
    refresh_totals(pledge.project)
    return pledge


def audit_group(actor: User, project: Project) -> Group | None:
    """The taking-part group through which the actor acts (None: a site admin elsewhere)."""
    from forum.permissions import moderated_group_ids

    moderated = moderated_group_ids(actor)
    for group in project.groups:
        if moderated is None or group.id in moderated:
            return group
    return None
