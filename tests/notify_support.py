"""What the notification tests share: an app with a real SMTP sink, people, time in Paris."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from forum import events
from forum.db import utcnow
from forum.discussions import services as discussions
from forum.discussions.models import Flag
from forum.extensions import db as _db
from forum.groups.models import Role
from forum.mail import send_due
from forum.notifications.models import Notification, ThreadSubscription
from tests.factories import add_member, make_group, make_user

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=2)
    with app.app_context():
        yield app


@pytest.fixture
def client(mail_app):
    return mail_app.test_client()


@pytest.fixture
def group(mail_app):
    return make_group("ldh-clamart", name="Section LDH de Clamart")


def person(name: str, **kwargs):
    """A member named `name`, @`name.lower()`, writing in English unless told otherwise."""
    kwargs.setdefault("locale", "en")
    return make_user(f"{name.lower()}@example.org", name=name, username=name.lower(), **kwargs)


def start(author, group, title="A roof for the winter", body="First message"):
    return discussions.create_thread(author, group, title=title, body=body)


def deliver() -> dict:
    """Commit what the services queued, then run the outbox sender once."""
    _db.session.commit()
    return send_due()


def notifications_of(user) -> list[Notification]:
    return list(
        _db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def subscription(user, thread) -> ThreadSubscription | None:
    _db.session.expire_all()
    return _db.session.get(ThreadSubscription, (user.id, thread.id))


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment given in Paris time, as the aware UTC datetime the services take."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def tomorrow_in_paris() -> date:
    return utcnow().astimezone(PARIS).date() + timedelta(days=1)


def unsubscribe_path(msg) -> str:
    header = str(msg["List-Unsubscribe"]).strip()  # a long header is folded onto a new line
    assert header.startswith("<") and header.endswith(">"), header
    return urlsplit(header[1:-1]).path


@contextlib.contextmanager
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)


def links(text: str) -> list[str]:
    return re.findall(r"http://localhost/\S+", text)


def flagged(post, reporter) -> None:
    """Send post_flagged for the reporter's flag, as `moderation.flag_post` does once the
    lead's change lands (the route then sends it too: told once all the same)."""
    _db.session.expire_all()
    flag = _db.session.scalar(
        select(Flag).where(Flag.post_id == post.id, Flag.user_id == reporter.id)
    )
    events.post_flagged.send(flag)
    _db.session.commit()


def kinds_of(user) -> list[str]:
    _db.session.expire_all()
    return [n.kind for n in notifications_of(user)]


@pytest.fixture
def moderated(mail_app, group):
    """Anne writes in a group that Coord and Cora coordinate; Bruno, Carla and Dan read."""
    cast = {name: person(name) for name in ("Anne", "Bruno", "Carla", "Dan", "Coord", "Cora")}
    for name in ("Coord", "Cora"):
        add_member(cast[name], group, Role.COORDINATOR)
    add_member(cast["Carla"], group)
    thread = start(cast["Anne"], group, title="Winter")
    post = discussions.reply(cast["Anne"], thread, body="Something rude")
    deliver()
    return cast, thread, post
