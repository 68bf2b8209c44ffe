"""Projects' kinds of notification, registered with the notifications core."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forum.extensions import db
from forum.notifications.kinds import Kind, register_kind, register_subject


def _load_projects(ids: set[int]) -> dict:
    from forum.projects.models import Project

    return {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(ids)))}


def connect() -> None:
    """Register the project subject and the "your condition is met" kind (idempotent)."""
    from forum.projects.services import THRESHOLD_MET

    register_subject("project", _load_projects)
    register_kind(
        Kind(
            name=THRESHOLD_MET,
            subject_type="project",
            line=lambda n, p: _l(
                "Enough people pledged to “%(title)s”: your conditional pledge now counts",
                title=p.title,
            ),
            mail_line=lambda n, p: _l(
                "Good news: enough people pledged to “%(title)s”. Your conditional pledge "
                "now counts, and the coordinators will get in touch.",
                title=p.title,
            ),
            mail_subject=lambda n, p: _l("Your pledge to “%(title)s” now counts", title=p.title),
            target=lambda p: ("projects.show_project", {"slug": p.slug}),
            visible=lambda user, p: True,
            link_label=_l("See the project"),
            once_per_visit=False,
        )
    )
