"""Answers to a meeting: yes, maybe, no, and the waiting list past capacity, under the
meeting's row lock; the confirmation mail with the meeting's .ics attached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.mail import Attachment, queue_mail
from forum.meetings.errors import MeetingError
from forum.meetings.models import Answer, Meeting, MeetingAnswer
from forum.permissions import refusal
from forum.urls import absolute_url

ANSWERED = (Answer.YES.value, Answer.MAYBE.value, Answer.WAITING.value)


def answered(meeting: Meeting) -> list[int]:
    """Who said yes, maybe or waits for a seat."""
    return list(
        db.session.scalars(
            select(MeetingAnswer.user_id).where(
                MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.status.in_(ANSWERED)
            )
        )
    )


def _lock(meeting: Meeting) -> None:
    """Take the meeting's row before reading its counters: concurrent answers queue here.

    PostgreSQL: SELECT … FOR UPDATE. SQLite locks the whole database for the first writer
    only: an UPDATE that changes nothing takes the write lock before anything is read."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(Meeting.id).where(Meeting.id == meeting.id).with_for_update()
        ).first()
    else:
        db.session.execute(
            update(Meeting)
            .where(Meeting.id == meeting.id)
            .values(yes_count=Meeting.yes_count)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(meeting)


def _count(meeting: Meeting, status: str | None, delta: int) -> None:
    if status == Answer.YES:
        meeting.yes_count += delta
    elif status == Answer.MAYBE:
        meeting.maybe_count += delta
    elif status == Answer.WAITING:
        meeting.waiting_count += delta


def answer(user: User, meeting: Meeting, status: str) -> MeetingAnswer:
    """Record a member's answer. Past capacity a "yes" waits for a seat; a seat freed goes
    to the first who waits (with a mail). Under the meeting's row lock: the last seat,
    taken by two at the same moment, goes to one."""
    refused = refusal(user, "meeting.rsvp", meeting)
    if refused:
        raise MeetingError(getattr(refused, "message", None) or _l("You cannot answer here."))
    if status not in (Answer.YES, Answer.MAYBE, Answer.NO):
        raise MeetingError(_l("Answer yes, maybe or no."), "status")
    _lock(meeting)
    row = db.session.scalar(
        select(MeetingAnswer).where(
            MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.user_id == user.id
        )
    )
    old = row.status if row is not None else None
    new = status
    if status == Answer.YES and old in (Answer.YES, Answer.WAITING):
        new = old  # answering yes again keeps one's seat, or one's place in the queue
    elif (
        status == Answer.YES
        and meeting.capacity is not None
        and meeting.yes_count >= meeting.capacity
    ):
        new = Answer.WAITING.value
    if row is None:
        row = MeetingAnswer(meeting_id=meeting.id, user_id=user.id, status=new)
        db.session.add(row)
    if old != new:
        _count(meeting, old, -1)
        _count(meeting, new, +1)
        row.status = new
        row.updated_at = utcnow()
        row.waiting_since = utcnow() if new == Answer.WAITING else None
    db.session.flush()
    if old == Answer.YES and new != Answer.YES:
        _promote_waiting(meeting)
    if old != new and new != Answer.NO:
        _mail_answer(user, meeting, new)
    return row


def _promote_waiting(meeting: Meeting) -> list[MeetingAnswer]:
    """Give the free seats to those who wait, first come first served; they get a mail."""
    free = None if meeting.capacity is None else meeting.capacity - meeting.yes_count
    if free is not None and free <= 0:
        return []
    query = (
        select(MeetingAnswer)
        .options(joinedload(MeetingAnswer.user))
        .where(MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.status == Answer.WAITING)
        .order_by(MeetingAnswer.waiting_since, MeetingAnswer.id)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    for row in promoted:
        row.status = Answer.YES.value
        row.waiting_since = None
        row.updated_at = utcnow()
        meeting.yes_count += 1
        meeting.waiting_count -= 1
        _mail_answer(row.user, meeting, "promoted")
    db.session.flush()
    return promoted


def _demote_over_capacity(meeting: Meeting) -> list[MeetingAnswer]:
    """Seats taken away: the last to have taken a seat go back to the head of the waiting
    list, in the order they came (before those already waiting: they had a seat), and are
    told by mail. Under the meeting's row lock (update_meeting takes it)."""
    if meeting.capacity is None or meeting.yes_count <= meeting.capacity:
        return []
    excess = meeting.yes_count - meeting.capacity
    moved = list(
        db.session.scalars(
            select(MeetingAnswer)
            .options(joinedload(MeetingAnswer.user))
            .where(MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.status == Answer.YES)
            .order_by(MeetingAnswer.updated_at.desc(), MeetingAnswer.id.desc())
            .limit(excess)
        )
    )
    head = db.session.scalar(
        select(func.min(MeetingAnswer.waiting_since)).where(
            MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.status == Answer.WAITING
        )
    )
    head = min(head, utcnow()) if head is not None else utcnow()
    # The latest seat moves last in line of those moved: whole seconds before the head.
    for place, row in enumerate(moved, start=1):
        row.status = Answer.WAITING.value
        row.waiting_since = head - timedelta(seconds=place)
        row.updated_at = utcnow()
        meeting.yes_count -= 1
        meeting.waiting_count += 1
        _mail_answer(row.user, meeting, "demoted")
    db.session.flush()
    return moved


def ics_attachment(meeting: Meeting) -> Attachment:
    from forum.meetings.calendar import meeting_calendar

    return Attachment(
        filename=f"reunion-{meeting.id}.ics",
        content_type="text/calendar; charset=utf-8",
        data=meeting_calendar(meeting),
    )


def _mail_answer(user: User, meeting: Meeting, status: str) -> None:
    """Confirm an answer (or a seat freed) by mail, with the meeting's .ics attached."""
    from forum.notifications.delivery import can_receive_mail

    if not can_receive_mail(user):
        return
    subjects = {
        Answer.YES.value: _l("You are coming to “%(title)s”", title=meeting.title),
        Answer.MAYBE.value: _l("You may come to “%(title)s”", title=meeting.title),
        Answer.WAITING.value: _l("You are on the waiting list of “%(title)s”", title=meeting.title),
        "promoted": _l("A seat is yours at “%(title)s”", title=meeting.title),
        "demoted": _l(
            "Fewer seats at “%(title)s”: you are back on the waiting list", title=meeting.title
        ),
    }
    queue_mail(
        user.email,
        "meeting_answer",
        subject=subjects[status],
        locale=user.locale,
        attachments=[ics_attachment(meeting)],
        user=user,
        meeting=meeting,
        status=status,
        url=absolute_url("meetings.show_meeting", meeting_id=meeting.id),
    )


def remove_answers(user: User) -> None:
    """A deleted account's answers go; a seat it held goes to the first who waits."""
    rows = db.session.scalars(select(MeetingAnswer).where(MeetingAnswer.user_id == user.id)).all()
    for row in rows:
        meeting = db.session.get(Meeting, row.meeting_id)
        _lock(meeting)
        _count(meeting, row.status, -1)
        db.session.delete(row)
        db.session.flush()
        if row.status == Answer.YES and not meeting.is_cancelled and not meeting.has_started():
            _promote_waiting(meeting)


def my_answer(user: Any, meeting: Meeting) -> MeetingAnswer | None:
    if user is None:
        return None
    return db.session.scalar(
        select(MeetingAnswer).where(
            MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.user_id == user.id
        )
    )


def answers_of(meeting: Meeting) -> list[MeetingAnswer]:
    """Every answer with its member, for the coordinators: yes, waiting (in order), maybe, no."""
    rows = db.session.scalars(
        select(MeetingAnswer)
        .options(joinedload(MeetingAnswer.user))
        .where(MeetingAnswer.meeting_id == meeting.id)
        .order_by(MeetingAnswer.waiting_since, MeetingAnswer.id)
    ).all()
    order = {Answer.YES: 0, Answer.WAITING: 1, Answer.MAYBE: 2, Answer.NO: 3}
    return sorted(rows, key=lambda a: order[Answer(a.status)])
