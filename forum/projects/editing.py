"""Creating and editing projects: site admins set everything; the coordinators of a
taking-part group edit the project's text and its forms of help (`project.edit_text`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from forum import audit
from forum.accounts.models import User
from forum.db import utcnow
from forum.discussions.models import Thread
from forum.extensions import db
from forum.groups.models import Group
from forum.markup import render_markdown
from forum.projects.models import HelpKind, Project, ProjectGroup, ProjectStatus
from forum.projects.services import PledgeError, audit_group

TITLE_MAX, GOAL_MAX, SLUG_MAX, LABEL_MAX, KEY_MAX = 150, 200, 60, 120, 40
DESCRIPTION_MAX = 20_000
TARGET_MAX = 100_000
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

ProjectEditError = PledgeError  # the same shape: a message for the user, the field it names


@dataclass
class HelpKindEdit:
    """One row of the forms of help: an existing one (its id) or a new one (None)."""

    id: int | None
    label: str
    retired: bool = False


@dataclass
class ProjectText:
    """What the coordinators may change: the goal, the description, the forms of help."""

    goal: str
    description: str
    help_kinds: list[HelpKindEdit] = field(default_factory=list)


@dataclass
class ProjectData(ProjectText):
    """Everything a site admin sets."""

    title: str = ""
    slug: str = ""
    status: str = ProjectStatus.OPEN.value
    starts_on: date | None = None
    ends_on: date | None = None
    target_participants: int = 0
    group_ids: list[int] = field(default_factory=list)
    news_thread_id: int | None = None


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Lower-case ASCII letters, digits and hyphens: "Aide à l'école" -> "aide-a-l-ecole"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-")


def create_project_as(actor: User, data: ProjectData) -> Project:
    """A site admin creates a project with its groups and forms of help (audit-logged)."""
    slug = data.slug or slugify(data.title)
    _check_details(data, slug, None)
    project = Project(slug=slug, status=data.status)
    _apply_text(project, data)
    _apply_details(project, data, slug)
    db.session.add(project)
    db.session.flush()
    _set_groups(project, data.group_ids)
    _set_help_kinds(project, data.help_kinds)
    audit.record(actor, "project.create", project, group=audit_group(actor, project))
    return project


def update_project(actor: User, project: Project, data: ProjectData) -> list[str]:
    """A site admin changes a project; returns the names of what changed (audit-logged)."""
    slug = data.slug or project.slug
    _check_details(data, slug, project)
    before = _state(project)
    _apply_text(project, data)
    _apply_details(project, data, slug)
    _set_groups(project, data.group_ids)
    kinds_changed = _set_help_kinds(project, data.help_kinds)
    return _record_changes(actor, project, before, kinds_changed)


def update_project_text(actor: User, project: Project, data: ProjectText) -> list[str]:
    """A coordinator changes the goal, description and forms of help (audit-logged)."""
    before = _state(project)
    _apply_text(project, data)
    kinds_changed = _set_help_kinds(project, data.help_kinds)
    return _record_changes(actor, project, before, kinds_changed)


# --- Parts ----------------------------------------------------------------------------------


def _apply_text(project: Project, data: ProjectText) -> None:
    goal = " ".join(data.goal.split())
    if not goal:
        raise ProjectEditError(_l("Say what the project aims at."), "goal")
    if len(goal) > GOAL_MAX:
        raise ProjectEditError(_l("This text is too long."), "goal")
    if len(data.description) > DESCRIPTION_MAX:
        raise ProjectEditError(_l("This text is too long."), "description")
    project.goal = goal
    description = data.description.replace("\x00", "").strip()
    if description != (project.description or "") or project.description_html is None:
        project.description = description
        project.description_html = render_markdown(description).html if description else ""


def _check_details(data: ProjectData, slug: str, project: Project | None) -> None:
    if not " ".join(data.title.split()):
        raise ProjectEditError(_l("Give the project a title."), "title")
    if len(" ".join(data.title.split())) > TITLE_MAX:
        raise ProjectEditError(_l("This text is too long."), "title")
    if not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX:
        raise ProjectEditError(_l("Lower-case letters, digits and hyphens only."), "slug")
    taken = db.session.scalar(select(Project.id).where(Project.slug == slug))
    if taken is not None and (project is None or taken != project.id):
        raise ProjectEditError(_l("Another project has this address already."), "slug")
    if data.status not in {s.value for s in ProjectStatus}:
        raise ProjectEditError(_l("Choose from the list."), "status")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ProjectEditError(_l("The project must end on or after its first day."), "ends_on")
    if not 0 <= data.target_participants <= TARGET_MAX:
        raise ProjectEditError(
            _l("Give a number between 0 and %(max)s.", max=TARGET_MAX), "target_participants"
        )
    if data.news_thread_id is not None and db.session.get(Thread, data.news_thread_id) is None:
        raise ProjectEditError(_l("There is no discussion with this number."), "news_thread")
    if data.group_ids:
        found = set(db.session.scalars(select(Group.id).where(Group.id.in_(data.group_ids))))
        if found != set(data.group_ids):
            raise ProjectEditError(_l("Choose from the list."), "groups")


def _apply_details(project: Project, data: ProjectData, slug: str) -> None:
    project.title = " ".join(data.title.split())
    project.slug = slug
    project.status = data.status
    project.starts_on = data.starts_on
    project.ends_on = data.ends_on
    project.target_participants = data.target_participants
    project.news_thread_id = data.news_thread_id


def _set_groups(project: Project, group_ids: list[int]) -> None:
    wanted = set(group_ids)
    held = set(
        db.session.scalars(
            select(ProjectGroup.group_id).where(ProjectGroup.project_id == project.id)
        )
    )
    if held - wanted:
        db.session.execute(
            delete(ProjectGroup).where(
                ProjectGroup.project_id == project.id,
                ProjectGroup.group_id.in_(sorted(held - wanted)),
            )
        )
    for group_id in sorted(wanted - held):
        db.session.add(ProjectGroup(project_id=project.id, group_id=group_id))
    db.session.flush()
    db.session.expire(project, ["groups"])


def _set_help_kinds(project: Project, rows: list[HelpKindEdit]) -> bool:
    """Rename, retire, bring back or add forms of help; a retired one keeps its pledges.
    Returns True when something changed."""
    existing = {k.id: k for k in project.help_kinds}
    labels: set[str] = set()
    changed = False
    for row in rows:
        label = " ".join(row.label.split())
        if row.id is None and not label:
            continue  # a blank row left as it came
        if row.id is not None and row.id not in existing:
            raise ProjectEditError(
                _l("Choose forms of help from this project's list."), "help_kinds"
            )
        if not label:
            raise ProjectEditError(
                _l("Give each form of help a name (retire it rather than empty it)."),
                "help_kinds",
            )
        if len(label) > LABEL_MAX:
            raise ProjectEditError(_l("A form of help's name is too long."), "help_kinds")
        if label.casefold() in labels:
            raise ProjectEditError(
                _l("Two forms of help have the same name: “%(name)s”.", name=label), "help_kinds"
            )
        labels.add(label.casefold())
        if row.id is None:
            kind = HelpKind(
                key=_new_key(label, existing.values()),
                label=label,
                position=1 + max((k.position for k in existing.values()), default=-1),
            )
            project.help_kinds.append(kind)
            existing[-len(existing) - 1] = kind  # taken into account by the next keys
            changed = True
            continue
        kind = existing[row.id]
        if kind.label != label:
            kind.label = label
            changed = True
        if row.retired != kind.is_retired:
            kind.retired_at = utcnow() if row.retired else None
            changed = True
    if not any(not k.is_retired for k in project.help_kinds):
        raise ProjectEditError(
            _l("A project asks for at least one form of help that is not retired."), "help_kinds"
        )
    db.session.flush()
    return changed


def _new_key(label: str, kinds) -> str:
    taken = {k.key for k in kinds}
    base = slugify(label, KEY_MAX) or "aide"
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[: KEY_MAX - len(suffix)] + suffix
    return key


# What changed, as the audit entry's short codes (its detail holds 40 characters).
AUDITED = {
    "title": "title",
    "slug": "slug",
    "goal": "goal",
    "description": "text",
    "status": "status",
    "starts_on": "dates",
    "ends_on": "dates",
    "target_participants": "target",
    "news_thread_id": "news",
}
DETAIL_MAX = 40


def _state(project: Project) -> dict:
    return {
        **{name: getattr(project, name) for name in AUDITED},
        "groups": sorted(g.id for g in project.groups),
    }


def _record_changes(actor: User, project: Project, before: dict, kinds_changed: bool) -> list[str]:
    after = _state(project)
    changed = [name for name in before if before[name] != after[name]]
    codes = list(dict.fromkeys(AUDITED.get(name, name) for name in changed))
    if kinds_changed:
        changed.append("help_kinds")
        codes.append("kinds")
    if changed:
        detail = ",".join(codes)
        audit.record(
            actor,
            "project.edit",
            project,
            group=audit_group(actor, project),
            detail=detail if len(detail) <= DETAIL_MAX else "many",
        )
    return changed
