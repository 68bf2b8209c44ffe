"""Does it still stand? Every three months (`flask reminders`) a member is asked, in one
mail, whether their pledge still stands; one click on its signed link says yes."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from forum.accounts.models import User
from forum.db import utcnow
from forum.extensions import db
from forum.mail import queue_mail
from forum.projects.models import (
    Pledge,
    PledgeStatus,
)
from forum.projects.services import CHECK_EVERY, revise
from forum.urls import absolute_url

CHECK_LINK_LIFETIME = timedelta(days=45)
CHECK_SALT = "pledge-check"
CHECKS_PER_RUN = 500


def _check_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CHECK_SALT)


def check_token(pledge: Pledge) -> str:
    """The signed token of a "my pledge still stands" link (valid CHECK_LINK_LIFETIME)."""
    return _check_serializer().dumps([pledge.id, pledge.user_id])


def read_check_token(token: str, slug: str) -> Pledge | None:
    """The standing pledge a check link names, or None (forged, expired, withdrawn, or a
    pledge of another project)."""
    try:
        data = _check_serializer().loads(token, max_age=int(CHECK_LINK_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not (
        isinstance(data, list)
        and len(data) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in data)
    ):
        return None
    pledge = db.session.get(Pledge, data[0])
    if (
        pledge is None
        or pledge.user_id != data[1]
        or pledge.project.slug != slug
        or pledge.is_withdrawn
        or pledge.user.is_deleted
    ):
        return None
    return pledge


def confirm_pledge(pledge: Pledge, actor: User | None = None) -> None:
    """The member says their pledge still stands: asked again in three months."""
    now = utcnow()
    pledge.confirmed_at = now
    pledge.next_check_at = now + CHECK_EVERY
    db.session.flush()
    revise(pledge, actor, "confirmed")


def send_pledge_checks(now: datetime) -> str:
    """Ask the members whose pledge is due for a check whether it still stands: one mail
    each. Each pledge is claimed by an UPDATE that moves its next check three months on,
    so a second run, or two at once, sends nothing twice."""
    from forum.notifications.delivery import can_receive_mail

    due = db.session.scalars(
        select(Pledge.id)
        .where(
            Pledge.status.in_([PledgeStatus.PLEDGED.value, PledgeStatus.ACTIVE.value]),
            Pledge.next_check_at <= now,
        )
        .order_by(Pledge.next_check_at, Pledge.id)
        .limit(CHECKS_PER_RUN)
    ).all()
    sent = 0
    for pledge_id in due:
        claimed = db.session.execute(
            update(Pledge)
            .where(Pledge.id == pledge_id, Pledge.next_check_at <= now)
            .values(next_check_at=now + CHECK_EVERY)
            .returning(Pledge.id)
            .execution_options(synchronize_session=False)
        ).first()
        if claimed is None:
            continue
        pledge = db.session.get(Pledge, pledge_id, populate_existing=True)
        user, project = pledge.user, pledge.project
        if not can_receive_mail(user):
            continue
        queue_mail(
            user.email,
            "pledge_check",
            subject=_l("Does your pledge to “%(title)s” still stand?", title=project.title),
            locale=user.locale,
            user=user,
            project=project,
            pledge=pledge,
            confirm_url=absolute_url(
                "projects.confirm_pledge", slug=project.slug, token=check_token(pledge)
            ),
            pledge_url=absolute_url("projects.pledge", slug=project.slug),
        )
        sent += 1
    return f"{sent} sent"
