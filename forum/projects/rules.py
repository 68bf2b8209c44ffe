"""Who may edit a project, registered into `forum.permissions`.

Site admins create and edit everything under /admin/projects (`site.administer`). The
coordinators of a group taking part — the people `project.see_pledges` already trusts
with the pledges — may edit the project's text (goal, description) and its forms of
help, since they are the ones who explain it and learn what help is needed. What decides
who sees the pledgers' personal details (the groups taking part), the project's address,
its status (open to pledges or not), dates, target and news thread stay the admins': a
coordinator adding a group would open the pledges to that group's coordinators.

Unlike `project.see_pledges`, an archived group's coordinators edit nothing (an archived
group is read-only), and a suspended account edits nothing.
"""

from __future__ import annotations

from typing import Any

from forum import permissions
from forum.groups.models import Role
from forum.permissions import HIDDEN, LOGIN, is_site_admin


def _edit_text(user: Any, project: Any) -> str | None:
    """The project's goal, description and forms of help: site admins and the coordinators
    of an open taking-part group; to anyone else the page does not exist."""
    if not permissions._signed_in(user):
        return LOGIN
    if is_site_admin(user):
        return None
    if user.is_suspended:
        return HIDDEN
    coordinated = {
        m.group_id for m in user.memberships if m.role_enum.rank >= Role.COORDINATOR.rank
    }
    if any(g.id in coordinated and g.archived_at is None for g in project.groups):
        return None
    return HIDDEN


permissions.register({"project.edit_text": _edit_text})
