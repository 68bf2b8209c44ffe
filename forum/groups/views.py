"""Commune and group pages, joining and leaving."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from forum.db import utcnow
from forum.extensions import db
from forum.groups import bp, services
from forum.groups.models import Commune, Group
from forum.groups.services import group_or_404
from forum.permissions import is_moderator, require, role_in, signed_in_user


@bp.route("/communes/<insee>/")
def show_commune(insee: str):
    """A commune: its groups and the summary of its solidarity guide."""
    from forum.guide.forms import KIND_LABELS
    from forum.guide.services import guide_summary

    commune = db.first_or_404(select(Commune).where(Commune.insee == insee))
    return render_template(
        "groups/commune.html",
        commune=commune,
        guide=guide_summary(commune),
        kind_labels=KIND_LABELS,
    )


def _overview_columns(viewer) -> dict:
    """What the group page shows beside the group, loaded in its statement."""
    from forum.documents.listing import latest_documents_column
    from forum.meetings.services import next_meetings_column
    from forum.notifications.following import group_following_column
    from forum.projects.figures import project_cards_column

    columns = {
        "documents": latest_documents_column(viewer),
        "meetings": next_meetings_column(viewer),
        "projects": project_cards_column(),
    }
    if viewer is not None:
        columns["following"] = group_following_column(Group.id)
    return columns


@bp.route("/groups/<slug>/")
def show_group(slug: str):
    """A group: its threads (paginated), coordinators, how to join."""
    from forum.discussions.moderation import open_flag_count
    from forum.discussions.services import group_threads
    from forum.documents.listing import latest_documents
    from forum.meetings.minutes import open_decisions
    from forum.meetings.services import listed_meetings
    from forum.notifications.following import remember_following
    from forum.projects.figures import listed_project_cards

    viewer = signed_in_user()
    # A fixed number of statements whatever the group's size: the group with its counts,
    # one page of threads (plus the viewer's read marks when signed in), the open
    # decisions. The latest documents, the next meetings and the projects ride in the
    # first, and so does a member's follow state (the follow button).
    values = {"now": utcnow()}
    if viewer is not None:
        values["viewer"] = viewer.id
    overview = services.group_overview(slug, viewer, extra=_overview_columns, values=values)
    if overview is None:
        abort(404)
    group = overview.group
    if viewer is not None:
        remember_following(viewer, group, overview.extras["following"])
    require("group.view", group)
    total = overview.thread_count
    moderator = viewer is not None and is_moderator(viewer, group)
    if moderator:
        total = overview.all_thread_count
    return render_template(
        "groups/show.html",
        group=group,
        role=role_in(current_user, group),
        coordinators=group.coordinator_users,
        member_count=overview.member_count,
        threads=group_threads(group, request.args.get("page", 1, type=int), viewer, total=total),
        open_flags=open_flag_count(group) if moderator else None,
        project_cards=listed_project_cards(overview.extras["projects"]),
        next_meetings=listed_meetings(overview.extras["meetings"]),
        open_decisions=open_decisions(group, viewer),
        latest_documents=latest_documents(overview.extras["documents"]),
    )


@bp.route("/groups/<slug>/join", methods=["POST"])
def join(slug: str):
    """Become a member of the group."""
    group = group_or_404(slug)
    require("group.join", group)
    services.join_group(current_user, group)
    db.session.commit()
    flash(_("You are now a member of %(group)s.", group=group.name), "success")
    return redirect(url_for("groups.show_group", slug=group.slug))


@bp.route("/groups/<slug>/leave", methods=["POST"])
def leave(slug: str):
    """Stop being a member of the group."""
    group = group_or_404(slug)
    require("group.leave", group)
    services.leave_group(current_user, group)
    db.session.commit()
    flash(_("You have left %(group)s.", group=group.name), "info")
    return redirect(url_for("groups.show_group", slug=group.slug))
