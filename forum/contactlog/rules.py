"""Who may reach the contact log, registered into `forum.permissions` at import.

The families' data: only the group's keepers and coordinators. Everyone else, visitors
and site admins included, is not told that a contact log or a household exists (404).
The role is read from the memberships loaded with the request: a keeper whose role was
withdrawn gets 404 on their next request.

The same rule as query criteria, `readable_households(user)` (and `kept_group_ids`),
stays in `forum.permissions` beside the other criteria: its callers import it from there,
and re-exporting it from this module would make `forum.permissions` import a feature (a
cycle).
"""

from __future__ import annotations

from typing import Any

# forum.groups.models before forum.permissions: importing forum.permissions first is the
# known import cycle (through groups, accounts and audit).
from forum.groups.models import Group, Role
from forum.permissions import FORBIDDEN, HIDDEN, _signed_in, has_role, register


def keeps_contact_log(user: Any, group: Group) -> bool:
    """A keeper or coordinator of the group (site admins are not exempt), not suspended."""
    return _signed_in(user) and not user.is_suspended and has_role(user, group, Role.KEEPER)


def _view_contact_log(user: Any, group: Group) -> str | None:
    return None if keeps_contact_log(user, group) else HIDDEN


def _manage_keepers(user: Any, group: Group) -> str | None:
    """Granting and withdrawing the keeper role from the contact-log pages: the group's
    coordinators only (a site admin uses the admin area)."""
    if not keeps_contact_log(user, group):
        return HIDDEN
    return None if has_role(user, group, Role.COORDINATOR) else FORBIDDEN


def _view_household(user: Any, household: Any) -> str | None:
    """`readable_households()` is the same rule as query criteria."""
    return _view_contact_log(user, household.group)


def _reassign_household(user: Any, household: Any) -> str | None:
    return _manage_keepers(user, household.group)


register(
    {
        "contactlog.view": _view_contact_log,
        "contactlog.add_household": _view_contact_log,
        "contactlog.manage_keepers": _manage_keepers,
        "contactlog.indicators": _manage_keepers,
        "household.view": _view_household,
        "household.log_contact": _view_household,
        "household.edit": _view_household,
        "household.export": _view_household,
        "household.erase": _view_household,
        "household.reassign": _reassign_household,
    }
)
