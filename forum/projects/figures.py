"""What everyone may see of a project: totals only, a fixed number of statements whatever
the number of pledges; the progress cards of the home and group pages."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.db import Listed, json_list, json_rows
from forum.discussions.models import Post, Thread
from forum.extensions import db
from forum.groups.models import Commune, Group
from forum.permissions import visible_posts
from forum.projects.models import (
    HelpKind,
    Pledge,
    Project,
    ProjectCommuneTotal,
    ProjectFacts,
    ProjectGroup,
    ProjectKindTotal,
    ProjectStatus,
    counted_criteria,
)

NAMES_SHOWN = 100
# Hours are shown only as a sum of at least this many pledges: a commune with one pledger
# would otherwise show that person's hours to everyone.
HOURS_MIN_PLEDGES = 3
NEWS_POSTS = 3


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
    that read the kept totals (`totals.refresh_totals`), whatever the number of pledges."""
    kinds = db.session.execute(
        select(
            HelpKind.key,
            HelpKind.label,
            HelpKind.retired_at,
            func.coalesce(ProjectKindTotal.pledges, 0),
        )
        .outerjoin(
            ProjectKindTotal,
            and_(
                ProjectKindTotal.help_kind_id == HelpKind.id,
                ProjectKindTotal.project_id == HelpKind.project_id,
            ),
        )
        .where(HelpKind.project_id == project.id)
        .order_by(HelpKind.position, HelpKind.id)
    ).all()
    communes = db.session.execute(
        select(
            Commune.name,
            ProjectCommuneTotal.pledges,
            ProjectCommuneTotal.hours,
            ProjectCommuneTotal.waiting,
        )
        .join(Commune, Commune.id == ProjectCommuneTotal.commune_id)
        .where(ProjectCommuneTotal.project_id == project.id)
        .order_by(Commune.name)
    ).all()
    names = db.session.scalars(
        select(User.display_name)
        .join(Pledge, Pledge.user_id == User.id)
        .where(
            Pledge.project_id == project.id,
            counted_criteria(),
            Pledge.show_name.is_(True),
            User.deleted_at.is_(None),
        )
        .order_by(Pledge.created_at, Pledge.id)
        .limit(NAMES_SHOWN)
    ).all()
    count = sum(c for _n, c, _h, _w in communes)
    hours = sum(h for _n, _c, h, _w in communes)
    return ProjectFigures(
        # A retired form of help still shows the pledges that chose it, and only then.
        by_kind=[KindTotal(k, label, c) for k, label, retired, c in kinds if retired is None or c],
        by_commune=[CommuneTotal(n, c, _sum_shown(c, h), w) for n, c, h, w in communes if c or w],
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

    project: Project | ListedProject  # the group page's is read from JSON
    count: int

    @property
    def percent(self) -> int:
        target = self.project.target_participants
        return min(100, round(100 * self.count / target)) if target else 0


def _pledges_counted():
    """A project's counted pledges, correlated to `projects`."""
    return (
        select(func.coalesce(func.sum(ProjectCommuneTotal.pledges), 0))
        .where(ProjectCommuneTotal.project_id == Project.id)
        .scalar_subquery()
    )


_OPEN_FIRST = case((Project.status == ProjectStatus.OPEN.value, 0), else_=1)


@functools.cache
def _project_cards():
    """The statement of `project_cards`, built once (the home page runs it)."""
    return select(Project, _pledges_counted().label("pledges")).order_by(_OPEN_FIRST, Project.title)


def project_cards() -> list[ProjectCard]:
    """Every project (open first), each with its number of counted pledges, for the home
    page: one statement, whatever the number of projects. A group page's ride in its own
    statement (`project_cards_column`)."""
    return [
        ProjectCard(project, pledges or 0)
        for project, pledges in db.session.execute(_project_cards())
    ]


_LISTED_PROJECT = ("id", "slug", "title", "goal", "status", "target_participants")


class ListedProject(ProjectFacts, Listed):
    """A project as a group page's progress card shows it, read from JSON."""

    FIELDS = _LISTED_PROJECT
    __slots__ = FIELDS


def project_cards_column():
    """The projects a group takes part in (open first), each with its counted pledges, as
    a JSON column correlated to `groups`, for the group page's one statement
    (groups.services.group_overview); `listed_project_cards` reads it."""
    return _project_cards_column(db.session.get_bind().dialect.name)


@functools.cache
def _project_cards_column(dialect: str):
    fields = (*_LISTED_PROJECT, "pledges")
    query = (
        select(
            *(getattr(Project, name) for name in _LISTED_PROJECT),
            _pledges_counted().label("pledges"),
            _OPEN_FIRST.label("open_first"),
        )
        .where(
            select(ProjectGroup.project_id)
            .where(ProjectGroup.project_id == Project.id, ProjectGroup.group_id == Group.id)
            .correlate(Project, Group)
            .exists()
        )
        .order_by(_OPEN_FIRST, Project.title)
        .correlate(Group)
    )
    return json_list(query, fields, (("open_first", False), ("title", False)), dialect)


def listed_project_cards(value) -> list[ProjectCard]:
    """The cards of a `project_cards_column` value, open projects first."""
    fields = (*_LISTED_PROJECT, "pledges")
    return [
        ProjectCard(ListedProject(tuple(item.values())[:-1]), item["pledges"] or 0)
        for item in json_rows(value, fields)
    ]


@dataclass
class FamilyTotals:
    """The contact log's indicators over the groups taking part, as they may be published:
    totals only, each None when under 5 (shown "moins de 5")."""

    followed: int | None
    sheltered: int | None
    housed: int | None
    children_in_school: int | None
    contacts_year: int | None


def family_totals(project: Project) -> FamilyTotals | None:
    """The families' follow-up in figures, for everyone; None while no group follows any
    household. One statement."""
    from forum.contactlog.listing import indicators, published

    figures = indicators(select(ProjectGroup.group_id).where(ProjectGroup.project_id == project.id))
    if not figures.followed and not figures.housed:
        return None
    return FamilyTotals(
        followed=published(figures.followed),
        sheltered=published(figures.sheltered),
        housed=published(figures.housed),
        children_in_school=published(figures.children_in_school),
        contacts_year=published(figures.contacts_year),
    )
