"""The contact log follows the roles: a volunteer who loses the keeper role (from the
contact-log pages, the admin area or `flask grant-role --revoke`) stops being a referent
of the group's households; the coordinators reassign them with a hand-over note."""

from __future__ import annotations

from forum import events
from forum.groups.models import Role


def _on_role_changed(group, *, user, role: str | None, **_) -> None:
    from forum.contactlog.casework import withdraw_keeper_households

    if role is None or Role(role).rank < Role.KEEPER.rank:
        withdraw_keeper_households(group, user)


def connect() -> None:
    events.role_changed.connect(_on_role_changed)
