"""Who may see, answer and run meetings, registered into `forum.permissions` at import.

- a public meeting: everyone; a members-only one: the group's members (and site admins);
  to anyone else it does not exist (404);
- creating and managing: the group's coordinators, in a group that is not archived;
- answering: a verified account, before the meeting starts, unless cancelled;
- minutes: the managers, once the meeting has begun; a decision is marked done by its
  owner or the group's coordinators.

The same visibility rule as query criteria, `visible_meetings(user)`, stays in
`forum.permissions` beside the other criteria: its callers import it from there, and
re-exporting it from this module would make `forum.permissions` import a feature (a cycle).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

# forum.groups.models before forum.permissions: importing forum.permissions first is the
# known import cycle (through groups, accounts and audit), and this module is imported
# first when `forum.meetings` is.
from forum.groups.models import Group
from forum.permissions import (
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    Refusal,
    _can_participate,
    _coordinate_group,
    _signed_in,
    _writable,
    is_site_admin,
    register,
    role_in,
)


def _is_member(user: Any, group: Group) -> bool:
    return role_in(user, group) is not None or is_site_admin(user)


def _view_meeting(user: Any, meeting: Any) -> str | None:
    """Public meetings for everyone; members-only ones for the group's members (and site
    admins); to anyone else they do not exist. `visible_meetings()` is the same rule."""
    if meeting.visibility == "public" or _is_member(user, meeting.group):
        return None
    return HIDDEN


def _create_meeting(user: Any, group: Group) -> str | None:
    return _coordinate_group(user, group) or _writable(group)


def _manage_meeting(user: Any, meeting: Any) -> str | None:
    return _view_meeting(user, meeting) or _coordinate_group(user, meeting.group)


def _rsvp(user: Any, meeting: Any) -> str | None:
    """Answering is taking part: a verified account, a meeting still to come."""
    refused = _view_meeting(user, meeting) or _can_participate(user) or _writable(meeting.group)
    if refused:
        return refused
    if meeting.is_cancelled:
        return Refusal(FORBIDDEN, _l("This meeting is cancelled: it takes no more answers."))
    if meeting.has_started():
        return Refusal(FORBIDDEN, _l("This meeting has taken place: it takes no more answers."))
    return None


def _write_minutes(user: Any, meeting: Any) -> str | None:
    refused = _manage_meeting(user, meeting) or _writable(meeting.group)
    if refused:
        return refused
    if meeting.is_cancelled:
        return Refusal(FORBIDDEN, _l("This meeting is cancelled: it has no minutes."))
    if not meeting.has_started():
        return Refusal(FORBIDDEN, _l("The minutes are written once the meeting has begun."))
    return None


def _complete_decision(user: Any, decision: Any) -> str | None:
    """A decision is marked done by the group's coordinators or by the member carrying it."""
    refused = _view_meeting(user, decision.meeting)
    if refused:
        return refused
    if not _signed_in(user):
        return LOGIN
    if decision.owner_id == user.id and not user.is_suspended:
        return None
    return _coordinate_group(user, decision.group)


register(
    {
        "meeting.view": _view_meeting,
        "meeting.create": _create_meeting,
        "meeting.manage": _manage_meeting,
        "meeting.rsvp": _rsvp,
        "meeting.write_minutes": _write_minutes,
        "decision.complete": _complete_decision,
    }
)
