"""Minutes and decisions: written after the meeting, who came, what was decided, who
carries it and by when; decisions open until done. Each write is audit-logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import contains_eager, joinedload

from forum import audit
from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.groups.models import Group, Membership
from forum.markup import render_markdown
from forum.meetings.models import Attendance, Decision, Meeting, MeetingAnswer
from forum.meetings.services import MeetingError
from forum.permissions import per_access, refusal, visible_meetings


@dataclass
class DecisionData:
    text: str
    due_on: date
    owner_id: int | None = None
    partner: str | None = None


def minutes_people(meeting: Meeting) -> list[User]:
    """Whom the attendance list offers: those who answered, and the group's members."""
    answered_ids = select(MeetingAnswer.user_id).where(MeetingAnswer.meeting_id == meeting.id)
    member_ids = select(Membership.user_id).where(Membership.group_id == meeting.group_id)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.deleted_at.is_(None),
                User.id.in_(answered_ids.union(member_ids).scalar_subquery()),
            )
            .order_by(User.display_name, User.id)
        )
    )


def group_member_ids(group_id: int) -> set[int]:
    return set(
        db.session.scalars(select(Membership.user_id).where(Membership.group_id == group_id))
    )


def attendees(meeting: Meeting) -> set[int]:
    return set(
        db.session.scalars(select(Attendance.user_id).where(Attendance.meeting_id == meeting.id))
    )


def meeting_decisions(meeting: Meeting) -> list[Decision]:
    return list(
        db.session.scalars(
            select(Decision)
            .options(joinedload(Decision.owner))
            .where(Decision.meeting_id == meeting.id)
            .order_by(Decision.id)
        )
    )


def save_minutes(
    actor: User,
    meeting: Meeting,
    *,
    body: str,
    present: set[int],
    decisions: list[DecisionData],
) -> list[Decision]:
    """Write (or rewrite) the minutes and who came; add the new decisions. Audit-logged."""
    refused = refusal(actor, "meeting.write_minutes", meeting)
    if refused:
        raise MeetingError(getattr(refused, "message", None) or _l("You cannot do this."))
    allowed = {u.id for u in minutes_people(meeting)}
    members = group_member_ids(meeting.group_id)
    for item in decisions:
        if item.due_on < meeting.local_day:
            raise MeetingError(_l("A decision is due on the meeting's day or later."), "decisions")
        if item.owner_id is not None and item.owner_id not in members:
            raise MeetingError(_l("Who carries it is a member of the group."), "decisions")
        if item.owner_id is None and not (item.partner or "").strip():
            raise MeetingError(_l("Say who carries each decision."), "decisions")
    body = body.replace("\x00", "")
    meeting.minutes = body
    meeting.minutes_html = render_markdown(body).html
    meeting.minutes_at = utcnow()
    meeting.minutes_by_id = actor.id
    db.session.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
    db.session.add_all(
        Attendance(meeting_id=meeting.id, user_id=uid) for uid in sorted(present & allowed)
    )
    created = []
    for item in decisions:
        decision = Decision(
            meeting_id=meeting.id,
            group_id=meeting.group_id,
            text=item.text.strip(),
            due_on=item.due_on,
            owner_id=item.owner_id,
            partner=(item.partner or "").strip() or None,
            created_by_id=actor.id,
        )
        db.session.add(decision)
        created.append(decision)
    db.session.flush()
    audit.record(actor, "meeting.minutes", meeting, group=meeting.group)
    for decision in created:
        audit.record(actor, "decision.create", decision, group=meeting.group)
    return created


def complete_decision(actor: User, decision: Decision) -> Decision:
    """Mark a decision done (its owner or a coordinator). Audit-logged."""
    if decision.done_at is None:
        decision.done_at = utcnow()
        decision.done_by_id = actor.id
        db.session.flush()
        audit.record(actor, "decision.done", decision, group=decision.group)
    return decision


def open_decisions(group: Group, viewer: Any, limit: int = 20) -> list[Decision]:
    """The group's decisions not done yet, soonest due first, from meetings the viewer may
    see: one statement, built once per kind of access."""
    return list(db.session.scalars(_open_decisions(viewer, limit), {"group": group.id}))


@per_access()
def _open_decisions(viewer: Any, limit: int):
    return (
        select(Decision)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        # The meeting comes with the row: the "done" button's rule reads it.
        .options(joinedload(Decision.owner), contains_eager(Decision.meeting))
        .where(
            Decision.group_id == bindparam("group"),
            Decision.done_at.is_(None),
            *visible_meetings(viewer),
        )
        .order_by(Decision.due_on, Decision.id)
        .limit(limit)
    )
