"""Communes, groups and memberships."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload

from forum.accounts.models import NAME, User
from forum.db import utcnow
from forum.extensions import db
from forum.groups.models import Commune, Group, Membership, Role
from forum.permissions import per_access


class DuplicateError(ValueError):
    """A slug or INSEE code already taken."""


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII, lower-case, hyphenated: "Châtenay-Malabry" -> "chatenay-malabry"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")


def communes_with_groups() -> list[Commune]:
    """Every commune with its groups loaded, by name: one statement (the home page counts
    them)."""
    return list(
        db.session.scalars(
            select(Commune).options(joinedload(Commune.groups)).order_by(Commune.name)
        ).unique()
    )


def territory_groups() -> list[Group]:
    """Groups attached to no single commune."""
    return list(
        db.session.scalars(select(Group).where(Group.commune_id.is_(None)).order_by(Group.name))
    )


def create_commune(*, insee: str, name: str, department: str) -> Commune:
    """Add a commune; its INSEE code must be new."""
    commune = Commune(insee=insee, name=name, department=department)
    _add_unique(commune, DuplicateError(insee))
    return commune


def create_group(
    *, name: str, slug: str | None = None, commune: Commune | None, description: str = ""
) -> Group:
    """Add a local group; its slug must be new."""
    group = Group(name=name, slug=slug or slugify(name), description=description)
    _add_unique(group, DuplicateError(group.slug), commune=commune)
    return group


def update_group(
    actor: User | None, group: Group, *, name: str, commune: Commune | None, description: str
) -> None:
    """Change a group's name, commune and description (its address stays: links live on)."""
    from forum import audit

    group.name = name
    group.commune = commune
    group.description = description
    audit.record(actor, "group.edit", group, group=group)


def set_group_archived(actor: User | None, group: Group, archived: bool) -> None:
    """Archive a group (read-only, still public: permissions.py) or bring it back."""
    from forum import audit

    if group.is_archived == archived:
        return
    group.archived_at = utcnow() if archived else None
    audit.record(actor, "group.archive" if archived else "group.unarchive", group, group=group)


def update_commune(actor: User | None, commune: Commune, *, name: str, department: str) -> None:
    """Change a commune's name and department (its INSEE code is its address)."""
    from forum import audit

    commune.name = name
    commune.department = department
    audit.record(actor, "commune.edit", commune)


def set_commune_archived(actor: User | None, commune: Commune, archived: bool) -> None:
    """Archive a commune (still shown, marked; offered no more for new groups) or not."""
    from forum import audit

    if commune.is_archived == archived:
        return
    commune.archived_at = utcnow() if archived else None
    audit.record(actor, "commune.archive" if archived else "commune.unarchive", commune)


def _add_unique(obj, error: Exception, **relations) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            # Relationships are set once the object is in the session, so that the
            # other side's collection sees it without a cascade warning.
            for name, value in relations.items():
                setattr(obj, name, value)
            db.session.flush()
    except IntegrityError as exc:
        raise error from exc


def group_or_404(slug: str) -> Group:
    """The group a URL names by its slug; 404 when there is none. (Whether the user may see
    it is the caller's rule: `require("group.view", group)` or a stricter one.)"""
    return db.first_or_404(select(Group).where(Group.slug == slug))


def membership(user: User, group: Group) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.group_id == group.id)
    )


def join_group(user: User, group: Group) -> Membership:
    """Make the user a member; joining twice changes nothing."""
    existing = membership(user, group)
    if existing is not None:
        return existing
    member = Membership(role=Role.MEMBER.value)
    try:
        _add_unique(member, DuplicateError("membership"), user=user, group=group)
    except DuplicateError:  # a double click raced us
        existing = membership(user, group)
        assert existing is not None
        return existing
    return member


def leave_group(user: User, group: Group) -> bool:
    """End the user's membership (and any role with it). False if they were not a member."""
    existing = membership(user, group)
    if existing is None:
        return False
    user.memberships.remove(existing)
    db.session.flush()
    return True


def set_role(
    user: User, group: Group, role: Role | None, *, actor: User | None = None
) -> Membership | None:
    """Give the user `role` in the group (joining them if needed), or remove them with None.

    A change of role is audit-logged (by `actor`; None: the command line) and announced
    (`events.role_changed`); joining as a plain member is neither."""
    from forum import audit, events

    before = membership(user, group)
    old = before.role if before is not None else None
    existing = join_group(user, group) if role is not None else before
    if role is None:
        if existing is not None:
            user.memberships.remove(existing)
            db.session.flush()
    else:
        assert existing is not None
        existing.role = role.value
        db.session.flush()
    new = role.value if role is not None else None
    trusted = {Role.KEEPER.value, Role.COORDINATOR.value}
    if new != old and trusted & {old, new}:
        granted = new is not None and (old is None or Role(new).rank > Role(old).rank)
        audit.record(
            actor,
            "role.grant" if granted else "role.revoke",
            user,
            group=group,
            detail=new if granted else old,
        )
        events.role_changed.send(group, user=user, role=new, actor=actor)
    return existing if role is not None else None


def coordinators(group: Group) -> list[User]:
    """The group's coordinators, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == group.id, Membership.role == Role.COORDINATOR.value)
            .order_by(User.display_name, User.id)
        )
    )


def member_count(group: Group) -> int:
    """How many members the group has."""
    return (
        db.session.scalar(select(func.count(Membership.id)).where(Membership.group_id == group.id))
        or 0
    )


@dataclass
class GroupOverview:
    """A group with the figures its page shows, loaded together."""

    group: Group
    member_count: int
    thread_count: int  # threads everyone may see
    all_thread_count: int | None  # hidden threads included; None unless asked for
    # What other features asked to load in the same statement (`extra` columns), by name.
    extras: dict = field(default_factory=dict)


def group_overview(
    slug: str, viewer: User | None, *, extra=None, values: dict | None = None
) -> GroupOverview | None:
    """The group (with its commune and coordinators), its member and thread counts: one
    statement.

    The counts are subqueries over indexed columns, so the page pays one round trip instead
    of three; a signed-in viewer also gets the count moderators see (hidden threads
    included). `extra(viewer)` gives, by name, scalar subqueries correlated to the group
    that other features want on the page (the docuthèque's latest documents, a member's
    follow state), found again in `extras`; `values` are their bind parameters. The
    statement is built once per kind of access (`permissions.per_access`, which says what
    `extra` may read of the viewer): it cost a third of a millisecond.
    """
    query, names = _overview_statement(viewer, extra, db.session.get_bind().dialect.name)
    # The coordinators come joined (a few rows): no statement of their own.
    row = db.session.execute(query, {"slug": slug, **(values or {})}).unique().first()
    if row is None:
        return None
    return GroupOverview(
        group=row[0],
        member_count=row.members or 0,
        thread_count=row.threads or 0,
        all_thread_count=row.all_threads if viewer is not None else None,
        extras={name: row._mapping[f"extra_{name}"] for name in names},
    )


@per_access()
def _overview_statement(viewer: User | None, extra, dialect: str):
    from forum.discussions.models import Thread

    extra = extra(viewer) if extra else {}

    # count(*), not count(id): the group_id indexes alone answer it (no table rows read),
    # except for the hidden_at test, which no index holds. The counts name the group by its
    # slug, not by the outer row: uncorrelated, they are counted once, where a correlated
    # count ran again for each coordinator row the statement joins (2,500 threads: 0.3 ms).
    named = aliased(Group)
    group_id = select(named.id).where(named.slug == bindparam("slug")).scalar_subquery()

    def threads(*where):
        return (
            select(func.count())
            .select_from(Thread)
            .where(Thread.group_id == group_id, *where)
            .scalar_subquery()
        )

    members = select(func.count()).select_from(Membership).where(Membership.group_id == group_id)
    columns = [
        Group,
        members.scalar_subquery().label("members"),
        threads(Thread.hidden_at.is_(None)).label("threads"),
    ]
    if viewer is not None:
        columns.append(threads().label("all_threads"))
    columns.extend(column.label(f"extra_{name}") for name, column in extra.items())
    # The coordinators (their names only) come through two plain outer joins, which the
    # (group_id, role) index answers. The relationship's own eager join nests them,
    # "LEFT JOIN (memberships JOIN users)", and SQLite then built that join over every
    # membership of every group before keeping the group's (0.4 ms at 10,000 memberships).
    statement = (
        select(*columns)
        .outerjoin(
            Membership,
            and_(Membership.group_id == Group.id, Membership.role == Role.COORDINATOR.value),
        )
        .outerjoin(User, User.id == Membership.user_id)
        .options(
            joinedload(Group.commune),
            contains_eager(Group.coordinator_users).load_only(*NAME),
        )
        .where(Group.slug == bindparam("slug"))
        .order_by(User.display_name, User.id)
    )
    return statement, tuple(extra)
