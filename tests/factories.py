"""Factory functions: plain objects with sensible defaults, flushed, never committed."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.groups import services as groups
from forum.groups.models import Commune, Group, Role

PASSWORD = "correct horse battery staple"
# A cheap hash keeps the suite fast; the scrypt path is tested in test_accounts.
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_seq = itertools.count(1)


def make_user(
    email: str | None = None,
    *,
    name: str | None = None,
    verified: bool = True,
    admin: bool = False,
    locale: str | None = "fr",
    suspended: bool = False,
    username: str | None = None,
    notify: str = "immediate",
) -> User:
    n = next(_seq)
    user = User(
        email=(email or f"user{n}@example.org").lower(),
        display_name=name or f"Membre {n}",
        username=username or f"membre-{n}",
        password_hash=_FAST_HASH,
        locale=locale,
        is_admin=admin,
        email_verified_at=utcnow() if verified else None,
        suspended_at=utcnow() if suspended else None,
        notify_email=notify,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_commune(insee: str = "92023", name: str = "Clamart", department: str = "92") -> Commune:
    existing = db.session.scalar(db.select(Commune).where(Commune.insee == insee))
    return existing or groups.create_commune(insee=insee, name=name, department=department)


def make_group(
    slug: str | None = None, *, name: str | None = None, commune: Commune | None | bool = True
) -> Group:
    n = next(_seq)
    if commune is True:
        commune = make_commune()
    return groups.create_group(
        name=name or f"Groupe {n}",
        slug=slug or f"groupe-{n}",
        commune=commune or None,
        description="Un groupe local.",
    )


def add_member(user: User, group: Group, role: Role | str = Role.MEMBER):
    return groups.set_role(user, group, Role(role))


def make_thread(author: User, group: Group, title: str = "Un fil", body: str = "Bonjour"):
    """A thread with its first post, written straight to the tables (no notifications)."""
    from forum.discussions.models import Thread

    thread = Thread(group=group, author=author, title=title, last_poster=author)
    db.session.add(thread)
    db.session.flush()
    make_post(author, thread, body)
    return thread


def make_post(author: User, thread, body: str = "Une réponse"):
    """A post at the end of the thread, written straight to the tables."""
    from forum.discussions.models import Post

    thread.last_number += 1
    thread.post_count += 1
    post = Post(thread=thread, author=author, number=thread.last_number, body=body, body_html=body)
    db.session.add(post)
    db.session.flush()
    return post


HELP_KINDS = [
    ("shelter", "Hébergement temporaire"),
    ("transport", "Transport"),
    ("translation", "Traduction (roumain, bulgare…)"),
    ("school", "Accompagnement scolaire"),
]


def make_project(
    slug: str | None = None,
    *,
    groups_taking_part=(),
    title: str = "Un toit pour quinze familles",
    target: int = 20,
    status: str = "open",
    news_thread=None,
    help_kinds=None,
):
    """A project with its list of forms of help and the groups taking part."""
    from forum.projects import services as projects
    from forum.projects.models import ProjectStatus

    n = next(_seq)
    return projects.create_project(
        title=title,
        slug=slug or f"projet-{n}",
        goal="reloger 15 familles",
        description="Une **MOUS** pour les familles.",
        groups=list(groups_taking_part),
        help_kinds=HELP_KINDS if help_kinds is None else help_kinds,
        target_participants=target,
        news_thread=news_thread,
        status=ProjectStatus(status),
    )


def make_pledge(
    user: User,
    project,
    *,
    help_kinds=("transport",),
    hours: int = 4,
    commune: str = "92023",
    availability=("evenings",),
    message: str = "",
    show_name: bool = False,
    threshold: int | None = None,
):
    """A pledge through the service (revision, confirmation mail, thresholds settled)."""
    from forum.projects import services as projects

    make_commune(commune, {"92023": "Clamart", "92048": "Meudon"}.get(commune, "Saclay"))
    pledge, _created = projects.save_pledge(
        user,
        project,
        projects.PledgeData(
            help_kinds=list(help_kinds),
            hours_per_month=hours,
            commune=commune,
            availability=list(availability),
            message=message,
            show_name=show_name,
            threshold=threshold,
        ),
    )
    return pledge


def make_meeting(
    group: Group,
    *,
    title: str = "Réunion du groupe",
    days: float = 7,
    hours: float = 2,
    capacity: int | None = None,
    visibility: str = "public",
    location: str = "Salle des fêtes, Clamart",
    author: User | None = None,
):
    """A one-off meeting `days` from now (negative: past), written straight to the table."""
    import secrets
    from datetime import timedelta

    from forum.meetings.models import Meeting

    start = utcnow().replace(microsecond=0) + timedelta(days=days)
    meeting = Meeting(
        group_id=group.id,
        uid=f"{secrets.token_hex(16)}@test",
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        location=location,
        capacity=capacity,
        visibility=visibility,
        created_by_id=author.id if author else None,
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


# --- The contact log ---------------------------------------------------------------------


def make_household(
    group: Group,
    keeper: User,
    *,
    pseudonym: str = "Famille Tournesol",
    adults: int = 2,
    children: int = 3,
    living: str = "camp",
    languages: str = "romani, roumain",
):
    """A household recorded with consent by `keeper` (who must keep the group's log)."""
    from forum.contactlog import services as contactlog

    return contactlog.create_household(
        keeper,
        group,
        contactlog.HouseholdData(
            pseudonym=pseudonym,
            adults=adults,
            children=children,
            languages=languages,
            living=living,
            consent=True,
            consent_on=contactlog.today(),
            consent_how="oral",
        ),
    )


def log_contact(
    household,
    keeper: User,
    *,
    days_ago: int = 0,
    summary: str = "Visite au terrain.",
    outcome: str = "reached",
    needs=(),
    next_in: int | None = None,
    channel: str = "visit",
):
    """A contact (or, with another outcome, a failed attempt) logged through the service."""
    from datetime import timedelta

    from forum.contactlog import casework
    from forum.contactlog import services as contactlog

    day = contactlog.today() - timedelta(days=days_ago)
    return casework.log_contact(
        keeper,
        household,
        casework.ContactData(
            happened_on=day,
            channel=channel,
            outcome=outcome,
            summary=summary,
            needs=list(needs),
            next_contact_on=day + timedelta(days=next_in) if next_in is not None else None,
        ),
    )
