"""Projects and pledges: making, changing and withdrawing a pledge, conditional pledges,
the coordinators' follow-through, the figures the pages show, exports and reminders."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from forum import audit
from forum.accounts.models import User
from forum.db import insert_ignoring_duplicate, utcnow
from forum.discussions.models import Post, Thread
from forum.extensions import db
from forum.groups.models import Commune, Group
from forum.mail import queue_mail
from forum.markup import render_markdown
from forum.pagination import PageOf, clamp_page
from forum.permissions import refusal, visible_posts
from forum.projects.models import (
    AVAILABILITY,
    COUNTED_STATUSES,
    FOLLOW_UP_STATUSES,
    HelpKind,
    Pledge,
    PledgeHelp,
    PledgeRevision,
    PledgeStatus,
    Project,
    ProjectGroup,
    ProjectStatus,
)
from forum.urls import absolute_url

# Bounds of a pledge: 200 hours a month is already more than a full-time job (151 h);
# anything above is a typing slip. A condition asks for 1 to 500 others: the whole
# territory's solidarity network is a few hundred people.
HOURS_MIN, HOURS_MAX = 0, 200
THRESHOLD_MIN, THRESHOLD_MAX = 1, 500
MESSAGE_MAX = 1000
# A member is asked every three months whether their pledge still stands.
CHECK_EVERY = timedelta(days=91)
CHECK_LINK_LIFETIME = timedelta(days=45)
CHECK_SALT = "pledge-check"
CHECKS_PER_RUN = 500
PLEDGES_PER_PAGE = 50
NAMES_SHOWN = 100
# Hours are shown only as a sum of at least this many pledges: a commune with one pledger
# would otherwise show that person's hours to everyone.
HOURS_MIN_PLEDGES = 3
NEWS_POSTS = 3
PARIS = ZoneInfo("Europe/Paris")

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


# --- Criteria -----------------------------------------------------------------------------


def counted_criteria():
    """Pledges that count in the totals: standing, and unconditional or with their
    condition met."""
    return and_(
        Pledge.status.in_([s.value for s in COUNTED_STATUSES]),
        or_(Pledge.threshold.is_(None), Pledge.threshold_met_at.is_not(None)),
    )


def waiting_criteria():
    """Conditional pledges still waiting for enough others."""
    return and_(
        Pledge.status.in_([s.value for s in COUNTED_STATUSES]),
        Pledge.threshold.is_not(None),
        Pledge.threshold_met_at.is_(None),
    )


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


@dataclass
class KindTotal:
    key: str
    label: str
    count: int


@dataclass
class CommuneTotal:
    name: str
    count: int
    hours: int | None  # None: too few pledges to show a sum (HOURS_MIN_PLEDGES)
    waiting: int


@dataclass
class ProjectFigures:
    """What everyone may see of a project's pledges: totals only."""

    by_kind: list[KindTotal]
    by_commune: list[CommuneTotal]
    count: int
    hours: int | None  # None: too few pledges to show a sum
    waiting: int
    names: list[str]
    target: int

    @property
    def percent(self) -> int:
        if not self.target:
            return 0
        return min(100, round(100 * self.count / self.target))


def project_figures(project: Project) -> ProjectFigures:
    """The totals by form of help and by commune, and the names shown: three statements
    whatever the number of pledges."""
    counted = counted_criteria()
    kinds = db.session.execute(
        select(HelpKind.key, HelpKind.label, func.count(Pledge.id))
        .outerjoin(PledgeHelp, PledgeHelp.help_kind_id == HelpKind.id)
        .outerjoin(Pledge, and_(Pledge.id == PledgeHelp.pledge_id, counted))
        .where(HelpKind.project_id == project.id)
        .group_by(HelpKind.id, HelpKind.key, HelpKind.label, HelpKind.position)
        .order_by(HelpKind.position, HelpKind.id)
    ).all()
    communes = db.session.execute(
        select(
            Commune.name,
            func.count(case((counted, 1))),
            func.coalesce(func.sum(case((counted, Pledge.hours_per_month), else_=0)), 0),
            func.count(case((waiting_criteria(), 1))),
        )
        .join(Pledge, Pledge.commune_id == Commune.id)
        .where(
            Pledge.project_id == project.id,
            Pledge.status.in_([s.value for s in COUNTED_STATUSES]),
        )
        .group_by(Commune.id, Commune.name)
        .order_by(Commune.name)
    ).all()
    names = db.session.scalars(
        select(User.display_name)
        .join(Pledge, Pledge.user_id == User.id)
        .where(
            Pledge.project_id == project.id,
            counted,
            Pledge.show_name.is_(True),
            User.deleted_at.is_(None),
        )
        .order_by(Pledge.created_at, Pledge.id)
        .limit(NAMES_SHOWN)
    ).all()
    count = sum(c for _n, c, _h, _w in communes)
    hours = sum(int(h or 0) for _n, _c, h, _w in communes)
    return ProjectFigures(
        by_kind=[KindTotal(k, label, c) for k, label, c in kinds],
        by_commune=[
            CommuneTotal(n, c, _sum_shown(c, int(h or 0)), w) for n, c, h, w in communes if c or w
        ],
        count=count,
        hours=_sum_shown(count, hours),
        waiting=sum(w for _n, _c, _h, w in communes),
        names=list(names),
        target=project.target_participants,
    )


def _sum_shown(count: int, hours: int) -> int | None:
    return hours if count >= HOURS_MIN_PLEDGES else None


def latest_news(project: Project, viewer: User | None) -> list[Post]:
    """The latest posts of the project's news thread that the viewer may read."""
    if project.news_thread_id is None:
        return []
    return list(
        db.session.scalars(
            select(Post)
            .join(Thread, Thread.id == Post.thread_id)
            .options(joinedload(Post.author))
            .where(Post.thread_id == project.news_thread_id, *visible_posts(viewer))
            .order_by(Post.number.desc())
            .limit(NEWS_POSTS)
        )
    )


@dataclass
class ProjectCard:
    """A project's progress, for the home and group pages."""

    project: Project
    count: int

    @property
    def percent(self) -> int:
        target = self.project.target_participants
        return min(100, round(100 * self.count / target)) if target else 0


def project_cards(group: Group | None = None) -> list[ProjectCard]:
    """The projects (open first; those a group takes part in), each with its number of
    counted pledges: one statement, whatever the number of projects."""
    count = (
        select(func.count())
        .select_from(Pledge)
        .where(Pledge.project_id == Project.id, counted_criteria())
        .scalar_subquery()
    )
    query = select(Project, count.label("pledges")).order_by(
        case((Project.status == ProjectStatus.OPEN.value, 0), else_=1), Project.title
    )
    if group is not None:
        query = query.where(
            exists().where(ProjectGroup.project_id == Project.id, ProjectGroup.group_id == group.id)
        )
    return [ProjectCard(project, pledges or 0) for project, pledges in db.session.execute(query)]


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


def _validated(project: Project, data: PledgeData) -> tuple[list[HelpKind], Commune]:
    """The project's forms of help and the commune the data names; PledgeError otherwise."""
    if not data.help_kinds:
        raise PledgeError(_l("Choose at least one form of help."), "help_kinds")
    kinds = {k.key: k for k in project.help_kinds}
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


def _lock_project(project: Project) -> None:
    """Pledges to one project queue here (a row lock on PostgreSQL; SQLite has one writer):
    two pledges arriving together both see each other when thresholds are settled."""
    db.session.execute(select(Project.id).where(Project.id == project.id).with_for_update()).first()


def save_pledge(user: User, project: Project, data: PledgeData) -> tuple[Pledge, bool]:
    """Make the user's pledge, or change the one they have; returns (pledge, created).

    A revision row keeps each version; a confirmation mail goes through the outbox;
    conditional pledges whose threshold this one reaches start to count."""
    _check(user, "project.pledge", project)
    kinds, commune = _validated(project, data)
    _lock_project(project)
    pledge = current_pledge(user, project)
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
    _revise(pledge, user, "created" if created else "changed", kinds=kinds)
    _mail_pledge_saved(user, project, pledge, kinds, created=created)
    settle_thresholds(project, actor=user)
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


def _revise(pledge: Pledge, actor: User | None, change: str, kinds=None) -> None:
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
    pledge = current_pledge(user, project)
    if pledge is None:
        return None
    now = utcnow()
    pledge.status = PledgeStatus.WITHDRAWN.value
    pledge.withdrawn_at = now
    pledge.updated_at = now
    db.session.flush()
    _revise(pledge, user, "withdrawn")
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
        _revise(pledge, None, "threshold_met")
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
    pledge.status = status.value
    pledge.updated_at = utcnow()
    db.session.flush()
    _revise(pledge, actor, f"marked_{status.value}")
    audit.record(
        actor,
        f"pledge.{status.value}",
        pledge,
        group=_audit_group(actor, pledge.project),
    )
    settle_thresholds(pledge.project)
    return pledge


def _audit_group(actor: User, project: Project) -> Group | None:
    """The taking-part group through which the actor acts (None: a site admin elsewhere)."""
    from forum.permissions import moderated_group_ids

    moderated = moderated_group_ids(actor)
    for group in project.groups:
        if moderated is None or group.id in moderated:
            return group
    return None


# --- Coordinators' list, export and mailing ----------------------------------------------------


@dataclass
class PledgeFilters:
    help_kind: str = ""  # a key of the project's list
    commune: str = ""  # an INSEE code
    availability: str = ""  # one of AVAILABILITY

    def criteria(self, project: Project) -> list:
        where = [Pledge.project_id == project.id, Pledge.status != PledgeStatus.WITHDRAWN.value]
        if self.help_kind:
            where.append(
                exists().where(
                    PledgeHelp.pledge_id == Pledge.id,
                    PledgeHelp.help_kind_id == HelpKind.id,
                    HelpKind.project_id == project.id,
                    HelpKind.key == self.help_kind,
                )
            )
        if self.commune:
            where.append(
                Pledge.commune_id.in_(select(Commune.id).where(Commune.insee == self.commune))
            )
        if self.availability in AVAILABILITY:
            where.append(getattr(Pledge, f"available_{self.availability}").is_(True))
        return where

    def args(self) -> dict[str, str]:
        """The filters as query arguments (only those set)."""
        return {
            k: v
            for k, v in (
                ("help", self.help_kind),
                ("commune", self.commune),
                ("availability", self.availability),
            )
            if v
        }


def _pledges_query(project: Project, filters: PledgeFilters):
    return (
        select(Pledge)
        .options(
            joinedload(Pledge.user),
            joinedload(Pledge.commune),
            selectinload(Pledge.help_kinds),
        )
        .where(*filters.criteria(project))
        .order_by(Pledge.created_at, Pledge.id)
    )


def pledges_page(project: Project, filters: PledgeFilters, page: int) -> PageOf:
    """One page of the project's standing pledges, in detail, oldest first."""
    total = (
        db.session.scalar(
            select(func.count()).select_from(Pledge).where(*filters.criteria(project))
        )
        or 0
    )
    page, _pages = clamp_page(page, total, PLEDGES_PER_PAGE)
    rows = db.session.scalars(
        _pledges_query(project, filters)
        .limit(PLEDGES_PER_PAGE)
        .offset((page - 1) * PLEDGES_PER_PAGE)
    ).all()
    return PageOf.build(list(rows), page, total, PLEDGES_PER_PAGE)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as typed: text that could start a formula gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def paris_day(value: datetime | None) -> str:
    """JJ/MM/AAAA in Europe/Paris, as a French spreadsheet reads a date."""
    return value.astimezone(PARIS).strftime("%d/%m/%Y") if value else ""


def pledges_csv(project: Project, filters: PledgeFilters, headers: list[str], labels) -> str:
    """The filtered pledges as CSV for a French spreadsheet: UTF-8 with a BOM, `;`, dates
    JJ/MM/AAAA. `headers` and `labels` (status and availability words) are translated by
    the caller."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    for pledge in db.session.scalars(_pledges_query(project, filters)):
        user = pledge.user
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    user.display_name,
                    user.email if not user.is_deleted else "",
                    pledge.commune.name,
                    ", ".join(k.label for k in pledge.help_kinds),
                    pledge.hours_per_month,
                    ", ".join(str(labels[a]) for a in pledge.availability),
                    pledge.threshold or "",
                    str(labels[pledge.status]),
                    pledge.message,
                    paris_day(pledge.created_at),
                    paris_day(pledge.updated_at),
                    paris_day(pledge.confirmed_at),
                )
            ]
        )
    return out.getvalue()


def message_pledgers(
    actor: User, project: Project, filters: PledgeFilters, *, subject: str, body: str
) -> int:
    """Write to every pledger in the filter through the outbox, each mail with its
    unsubscribe link; the audit log keeps the count, never the addresses."""
    from forum.notifications.delivery import can_receive_mail
    from forum.notifications.models import NEVER
    from forum.notifications.unsubscribe import SCOPE_ALL, list_headers, unsubscribe_url

    count = 0
    for pledge in db.session.scalars(_pledges_query(project, filters)):
        user = pledge.user
        if not can_receive_mail(user) or user.notify_email == NEVER:
            continue
        stop_url = unsubscribe_url(user, SCOPE_ALL)
        queue_mail(
            user.email,
            "pledge_message",
            subject=f"{project.title} : {subject}",
            locale=user.locale,
            headers=list_headers(stop_url),
            user=user,
            project=project,
            sender=actor,
            body=body.replace("\x00", ""),
            url=absolute_url("projects.show_project", slug=project.slug),
            stop_url=stop_url,
        )
        count += 1
    audit.record(
        actor,
        "pledge.message",
        project,
        group=_audit_group(actor, project),
        detail=str(count),  # how many, never who
    )
    return count


# --- Does it still stand? ---------------------------------------------------------------------


def _check_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CHECK_SALT)


def check_token(pledge: Pledge) -> str:
    """The signed token of a "my pledge still stands" link (valid CHECK_LINK_LIFETIME)."""
    return _check_serializer().dumps([pledge.id, pledge.user_id])


def read_check_token(token: str, slug: str) -> Pledge | None:
    """The standing pledge a check link names, or None (forged, expired, withdrawn, or a
    pledge of another project)."""
    try:
        data = _check_serializer().loads(token, max_age=int(CHECK_LINK_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not (
        isinstance(data, list)
        and len(data) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in data)
    ):
        return None
    pledge = db.session.get(Pledge, data[0])
    if (
        pledge is None
        or pledge.user_id != data[1]
        or pledge.project.slug != slug
        or pledge.is_withdrawn
        or pledge.user.is_deleted
    ):
        return None
    return pledge


def confirm_pledge(pledge: Pledge, actor: User | None = None) -> None:
    """The member says their pledge still stands: asked again in three months."""
    now = utcnow()
    pledge.confirmed_at = now
    pledge.next_check_at = now + CHECK_EVERY
    db.session.flush()
    _revise(pledge, actor, "confirmed")


def send_pledge_checks(now: datetime) -> str:
    """Ask the members whose pledge is due for a check whether it still stands: one mail
    each. Each pledge is claimed by an UPDATE that moves its next check three months on,
    so a second run, or two at once, sends nothing twice."""
    from forum.notifications.delivery import can_receive_mail

    due = db.session.scalars(
        select(Pledge.id)
        .where(
            Pledge.status.in_([PledgeStatus.PLEDGED.value, PledgeStatus.ACTIVE.value]),
            Pledge.next_check_at <= now,
        )
        .order_by(Pledge.next_check_at, Pledge.id)
        .limit(CHECKS_PER_RUN)
    ).all()
    sent = 0
    for pledge_id in due:
        claimed = db.session.execute(
            update(Pledge)
            .where(Pledge.id == pledge_id, Pledge.next_check_at <= now)
            .values(next_check_at=now + CHECK_EVERY)
            .returning(Pledge.id)
            .execution_options(synchronize_session=False)
        ).first()
        if claimed is None:
            continue
        pledge = db.session.get(Pledge, pledge_id, populate_existing=True)
        user, project = pledge.user, pledge.project
        if not can_receive_mail(user):
            continue
        queue_mail(
            user.email,
            "pledge_check",
            subject=_l("Does your pledge to “%(title)s” still stand?", title=project.title),
            locale=user.locale,
            user=user,
            project=project,
            pledge=pledge,
            confirm_url=absolute_url(
                "projects.confirm_pledge", slug=project.slug, token=check_token(pledge)
            ),
            pledge_url=absolute_url("projects.pledge", slug=project.slug),
        )
        sent += 1
    return f"{sent} sent"
