"""Reminders sent by `flask reminders`: the day before a meeting to those who said yes or
maybe, and to a decision's owner once it falls due. Each is claimed in `reminders_sent`
(a unique constraint) before its mail is queued: two runs, one after the other or at
once, never send it twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.db import insert_ignoring_duplicate
from forum.extensions import db
from forum.mail import queue_mail
from forum.meetings.models import Answer, Decision, Meeting, MeetingAnswer, ReminderSent
from forum.meetings.services import from_paris, ics_attachment, to_paris
from forum.urls import absolute_url


def _due_hour(now: datetime) -> bool:
    return to_paris(now).hour >= current_app.config["MEETING_REMINDER_HOUR"]


def _claim(kind: str, subject_id: int, user_id: int) -> bool:
    """Take the right to send this reminder; False when it was sent already (or is being
    sent by a run at the same moment: the unique index makes that run wait, then skip)."""
    return bool(
        insert_ignoring_duplicate(ReminderSent, kind=kind, subject_id=subject_id, user_id=user_id)
    )


def send_meeting_reminders(now: datetime) -> str:
    """The day before (Europe/Paris), remind those who said yes or maybe; once."""
    from forum.notifications.delivery import can_receive_mail

    if not _due_hour(now):
        return f"not due before {current_app.config['MEETING_REMINDER_HOUR']:02d}:00 Europe/Paris"
    tomorrow = to_paris(now).date() + timedelta(days=1)
    start = from_paris(datetime.combine(tomorrow, time()))
    end = from_paris(datetime.combine(tomorrow + timedelta(days=1), time()))
    rows = db.session.execute(
        select(MeetingAnswer, Meeting, User)
        .join(Meeting, Meeting.id == MeetingAnswer.meeting_id)
        .join(User, User.id == MeetingAnswer.user_id)
        .options(joinedload(Meeting.group))
        .where(
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.cancelled_at.is_(None),
            MeetingAnswer.status.in_((Answer.YES.value, Answer.MAYBE.value)),
            User.deleted_at.is_(None),
        )
        .order_by(Meeting.id, User.id)
    ).all()
    sent = 0
    for row, meeting, user in rows:
        if not can_receive_mail(user) or not _claim("meeting", meeting.id, user.id):
            continue
        queue_mail(
            user.email,
            "meeting_reminder",
            subject=_l("Tomorrow: “%(title)s”", title=meeting.title),
            locale=user.locale,
            attachments=[ics_attachment(meeting)],
            user=user,
            meeting=meeting,
            status=row.status,
            url=absolute_url("meetings.show_meeting", meeting_id=meeting.id),
        )
        sent += 1
    return f"{sent} sent"


def send_decision_reminders(now: datetime) -> str:
    """Remind each decision's owner once it falls due (Europe/Paris day); once."""
    from forum.notifications.delivery import can_receive_mail

    if not _due_hour(now):
        return f"not due before {current_app.config['MEETING_REMINDER_HOUR']:02d}:00 Europe/Paris"
    today = to_paris(now).date()
    rows = db.session.execute(
        select(Decision, User)
        .join(User, User.id == Decision.owner_id)
        .options(joinedload(Decision.meeting), joinedload(Decision.group))
        .where(Decision.done_at.is_(None), Decision.due_on <= today, User.deleted_at.is_(None))
        .order_by(Decision.id)
    ).all()
    sent = 0
    for decision, user in rows:
        if not can_receive_mail(user) or not _claim("decision", decision.id, user.id):
            continue
        queue_mail(
            user.email,
            "decision_due",
            subject=_l("A decision you carry is due: %(text)s", text=decision.text[:80]),
            locale=user.locale,
            user=user,
            decision=decision,
            url=absolute_url("meetings.show_meeting", meeting_id=decision.meeting_id),
        )
        sent += 1
    return f"{sent} sent"
