"""Meetings tell those who answered when a meeting moves, changes place or is cancelled:
kinds of notification registered with the notifications core, mailed at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import events
from forum.extensions import db

MEETING_CHANGED = "meeting_changed"
MEETING_CANCELLED = "meeting_cancelled"


def _load_meetings(ids: set[int]) -> dict:
    from forum.meetings.models import Meeting

    query = select(Meeting).options(joinedload(Meeting.group)).where(Meeting.id.in_(ids))
    return {m.id: m for m in db.session.scalars(query)}


def _visible(user, meeting) -> bool:
    from forum.permissions import can

    return can("meeting.view", meeting, user=user)


def _target(meeting):
    return "meetings.show_meeting", {"meeting_id": meeting.id}


def _when(meeting):
    """The meeting's date, formatted when the line is read (in the reader's language)."""
    from flask_babel import LazyString

    from forum.meetings.views import meeting_when

    return LazyString(lambda: meeting_when(meeting).striptags())


def register_meeting_kinds() -> None:
    """Register the meeting subject and its kinds (idempotent)."""
    from forum.notifications.kinds import Kind, register_kind, register_subject

    register_subject("meeting", _load_meetings)
    register_kind(
        Kind(
            name=MEETING_CHANGED,
            subject_type="meeting",
            line=lambda n, m: _l(
                "The meeting “%(title)s” of %(group)s changed: %(when)s, %(place)s",
                title=m.title,
                group=m.group.name,
                when=_when(m),
                place=m.location or m.online_url,
            ),
            mail_subject=lambda n, m: _l("Meeting changed: “%(title)s”", title=m.title),
            target=_target,
            visible=_visible,
            link_label=_l("See the meeting"),
            once_per_visit=False,
        )
    )
    register_kind(
        Kind(
            name=MEETING_CANCELLED,
            subject_type="meeting",
            line=lambda n, m: _l(
                "The meeting “%(title)s” of %(group)s on %(when)s is cancelled",
                title=m.title,
                group=m.group.name,
                when=_when(m),
            ),
            mail_subject=lambda n, m: _l("Meeting cancelled: “%(title)s”", title=m.title),
            target=_target,
            visible=_visible,
            link_label=_l("See the meeting"),
            once_per_visit=False,
        )
    )


def _on_meeting_changed(meeting, *, actor=None, change: str, recipients, **_) -> None:
    from forum.notifications.delivery import notify

    kind = MEETING_CANCELLED if change == "cancelled" else MEETING_CHANGED
    notify(recipients, kind, meeting, actor=actor)


def connect() -> None:
    register_meeting_kinds()
    events.meeting_changed.connect(_on_meeting_changed)
