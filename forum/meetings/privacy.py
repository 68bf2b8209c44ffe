"""What meetings hold about a person: their answers and attendance in the export; on
deletion, the answers and attendance go, decisions they carry keep their text (the owner
then reads "compte supprimé", the deleted account's name)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from forum.accounts.models import User
from forum.extensions import db
from forum.groups.models import Group
from forum.meetings.models import Attendance, Decision, Meeting, MeetingAnswer, ReminderSent


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_section(user: User, **_: Any) -> dict[str, Any]:
    """The user's answers, the meetings they were recorded at, the decisions they carry."""
    answers = db.session.execute(
        select(MeetingAnswer, Meeting, Group.slug)
        .join(Meeting, Meeting.id == MeetingAnswer.meeting_id)
        .join(Group, Group.id == Meeting.group_id)
        .where(MeetingAnswer.user_id == user.id)
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    present = db.session.scalars(
        select(Attendance.meeting_id)
        .where(Attendance.user_id == user.id)
        .order_by(Attendance.meeting_id)
    ).all()
    decisions = db.session.scalars(
        select(Decision).where(Decision.owner_id == user.id).order_by(Decision.id)
    ).all()
    return {
        "meeting_answers": [
            {
                "meeting_id": m.id,
                "group": slug,
                "title": m.title,
                "starts_at": _iso(m.starts_at),
                "answer": a.status,
                "answered_at": _iso(a.updated_at),
            }
            for a, m, slug in answers
        ],
        "meetings_attended": list(present),
        "decisions_carried": [
            {
                "meeting_id": d.meeting_id,
                "text": d.text,
                "due_on": d.due_on.isoformat(),
                "done_at": _iso(d.done_at),
            }
            for d in decisions
        ],
    }


def erase(user: User, **_: Any) -> None:
    """Answers, attendance and reminder marks go; the meetings' counters follow."""
    from forum.meetings.services import remove_answers

    remove_answers(user)
    db.session.execute(delete(Attendance).where(Attendance.user_id == user.id))
    db.session.execute(delete(ReminderSent).where(ReminderSent.user_id == user.id))


def connect() -> None:
    """Listen to the account signals (called by the factory)."""
    from forum import events

    events.account_exporting.connect(export_section)
    events.account_deleted.connect(erase)
