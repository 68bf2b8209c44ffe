"""One-click unsubscribe (RFC 8058): signed links in every notification mail.

A token names a member and a scope: one thread, one group's new threads, or all
notification mail. It never expires: an old mail's link must still work, and all it can do
is send less mail to its owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from forum.accounts.models import User
from forum.discussions.models import Thread
from forum.extensions import db
from forum.groups.models import Group
from forum.notifications.following import unfollow_group, unfollow_thread
from forum.notifications.models import NEVER
from forum.urls import absolute_url

UNSUBSCRIBE_SALT = "unsubscribe"
# Token scopes: stop mail for one thread, for one group's new threads, or all notification mail.
SCOPE_THREAD = "t"
SCOPE_GROUP = "g"
SCOPE_ALL = "a"


def unsubscribe_url(user: User, scope: str, target_id: int = 0) -> str:
    """An absolute link that stops mail for one thread, one group, or all notifications.

    The signed token never expires: an old mail's link must still work, and all it can do
    is send less mail to its owner.
    """
    return absolute_url(
        "notifications.unsubscribe", token=unsubscribe_token(user, scope, target_id)
    )


def unsubscribe_token(user: User, scope: str, target_id: int = 0) -> str:
    """The signed token of an unsubscribe link (short: it goes into a mail header)."""
    return _serializer().dumps([user.id, scope, target_id])


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def list_headers(stop_url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients show an "Unsubscribe" button that POSTs here."""
    return {
        "List-Unsubscribe": f"<{stop_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",  # no vacation auto-replies to the outbox
    }


@dataclass
class Unsubscribe:
    """What a valid unsubscribe token asks for."""

    user: User
    scope: str
    thread: Thread | None = None
    group: Group | None = None


def read_unsubscribe_token(token: str) -> Unsubscribe | None:
    """The request signed in an unsubscribe link, or None when forged or stale."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not (
        isinstance(data, list)
        and len(data) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in (data[0], data[2]))
        and data[1] in (SCOPE_THREAD, SCOPE_GROUP, SCOPE_ALL)
    ):
        return None
    user_id, scope, target_id = data
    user = db.session.get(User, user_id)
    if user is None or user.is_deleted:
        return None
    if scope == SCOPE_THREAD:
        thread = db.session.get(Thread, target_id)
        return Unsubscribe(user, scope, thread=thread) if thread is not None else None
    if scope == SCOPE_GROUP:
        group = db.session.get(Group, target_id)
        return Unsubscribe(user, scope, group=group) if group is not None else None
    return Unsubscribe(user, scope)


def unsubscribe(asked: Unsubscribe) -> None:
    """Do what an unsubscribe link asks; doing it twice changes nothing."""
    if asked.scope == SCOPE_THREAD and asked.thread is not None:
        unfollow_thread(asked.user, asked.thread)
    elif asked.scope == SCOPE_GROUP and asked.group is not None:
        unfollow_group(asked.user, asked.group)
    elif asked.scope == SCOPE_ALL:
        asked.user.notify_email = NEVER
