"""The weekly digest of `flask reminders`: each keeper learns how many of their groups'
households are overdue, with a link: no pseudonym, no detail. Claimed once per keeper and
ISO week in `reminders_sent` (a unique row) before the mail is queued: never twice."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forum.accounts.models import User
from forum.contactlog.listing import overdue_count
from forum.contactlog.services import PARIS
from forum.db import insert_ignoring_duplicate
from forum.extensions import db
from forum.groups.models import Group, Membership, Role
from forum.mail import queue_mail
from forum.urls import absolute_url

KIND = "contactlog"


def _week_key(now: datetime) -> int:
    year, week, _day = now.astimezone(PARIS).isocalendar()
    return year * 100 + week


def _due(now: datetime) -> bool:
    local = now.astimezone(PARIS)
    weekday = int(current_app.config["CONTACTLOG_DIGEST_WEEKDAY"])
    hour = int(current_app.config["MEETING_REMINDER_HOUR"])
    return local.weekday() > weekday or (local.weekday() == weekday and local.hour >= hour)


def send_contactlog_digests(now: datetime) -> str:
    """Once a week, to each keeper with overdue households: how many, per group."""
    from forum.meetings.models import ReminderSent
    from forum.notifications.delivery import can_receive_mail

    if not _due(now):
        return "not due yet this week"
    rows = db.session.execute(
        select(User, Group)
        .join(Membership, Membership.user_id == User.id)
        .join(Group, Group.id == Membership.group_id)
        .where(
            Membership.role.in_((Role.KEEPER.value, Role.COORDINATOR.value)),
            User.deleted_at.is_(None),
        )
        .order_by(User.id, Group.name)
    ).all()
    groups_of: dict[int, tuple[User, list[Group]]] = {}
    for user, group in rows:
        groups_of.setdefault(user.id, (user, []))[1].append(group)
    counts = overdue_count(
        sorted({g.id for _u, gs in groups_of.values() for g in gs}),
        now.astimezone(PARIS).date(),
        {},
    )
    week = _week_key(now)
    sent = 0
    for user, groups in groups_of.values():
        lines = [(g, counts.get(g.id, 0)) for g in groups if counts.get(g.id, 0)]
        if not lines or not can_receive_mail(user):
            continue
        if not insert_ignoring_duplicate(ReminderSent, kind=KIND, subject_id=week, user_id=user.id):
            continue
        total = sum(n for _g, n in lines)
        queue_mail(
            user.email,
            "contactlog_digest",
            subject=_l("Contact log: %(num)s households overdue", num=total),
            locale=user.locale,
            user=user,
            lines=[
                (g.name, n, absolute_url("contactlog.list_households", slug=g.slug))
                for g, n in lines
            ],
        )
        sent += 1
    return f"{sent} sent"
