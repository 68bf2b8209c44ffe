"""Following threads and groups: who hears of a thread's replies and a group's new threads."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.db import insert_ignoring_duplicate
from forum.discussions.models import Thread
from forum.extensions import db
from forum.groups.models import Group
from forum.memo import request_memo
from forum.notifications.models import GroupSubscription, ThreadSubscription


def live(user: Any) -> bool:
    """A signed-in, not deleted account: visitors run no notification query."""
    return bool(user is not None and user.is_authenticated and not user.is_deleted)


@functools.cache
def _thread_follow():
    """The statement of the follow button of every member's thread page, built once."""
    return select(ThreadSubscription.active).where(
        ThreadSubscription.user_id == bindparam("user"),
        ThreadSubscription.thread_id == bindparam("thread"),
    )


def thread_following_column(thread_id):
    """Whether the member (bind parameter "user") follows the thread `thread_id`, as a
    column of the statement that loads their thread page (no round trip of its own)."""
    return (
        select(ThreadSubscription.active)
        .where(
            ThreadSubscription.user_id == bindparam("user"),
            ThreadSubscription.thread_id == thread_id,
        )
        .scalar_subquery()
    )


def group_following_column(group_id):
    """Whether the member (bind parameter "viewer") follows the group `group_id`, as a
    column of the group page's statement (groups.services.group_overview's `extra`)."""
    return (
        select(GroupSubscription.user_id)
        .where(
            GroupSubscription.user_id == bindparam("viewer"),
            GroupSubscription.group_id == group_id,
        )
        .exists()
    )


def remember_following(user: Any, subject: Thread | Group, following: bool) -> None:
    """What the page's statement read: the follow button then asks no more."""
    request_memo("following")[(type(subject).__name__, user.id, subject.id)] = bool(following)


def _known(user: Any, subject: Thread | Group) -> bool | None:
    return request_memo("following").get((type(subject).__name__, user.id, subject.id))


def _forget(user_id: int, subject: type, subject_id: int) -> None:
    request_memo("following").pop((subject.__name__, user_id, subject_id), None)


def is_following_thread(user: Any, thread: Thread) -> bool:
    """True when the signed-in user follows the thread; no query for visitors."""
    if not live(user):
        return False
    known = _known(user, thread)
    if known is not None:
        return known
    return bool(db.session.scalar(_thread_follow(), {"user": user.id, "thread": thread.id}))


def is_following_group(user: Any, group: Group) -> bool:
    """True when the signed-in user follows the group's new threads; no query for visitors."""
    if not live(user):
        return False
    known = _known(user, group)
    if known is not None:
        return known
    return (
        db.session.scalar(
            select(GroupSubscription.user_id).where(
                GroupSubscription.user_id == user.id, GroupSubscription.group_id == group.id
            )
        )
        is not None
    )


def follow_thread(user: User, thread: Thread) -> None:
    """Follow a thread (again): its replies notify the user."""
    _set_thread_subscription(user.id, thread.id, active=True)


def unfollow_thread(user: User, thread: Thread) -> None:
    """Stop following a thread. The row stays, inactive: replying later won't re-follow."""
    _set_thread_subscription(user.id, thread.id, active=False)


def follow_group(user: User, group: Group) -> None:
    """Follow a group: each new thread in it notifies the user."""
    _forget(user.id, Group, group.id)
    insert_ignoring_duplicate(GroupSubscription, user_id=user.id, group_id=group.id)


def unfollow_group(user: User, group: Group) -> None:
    """Stop following a group's new threads."""
    _forget(user.id, Group, group.id)
    subscription = db.session.get(GroupSubscription, (user.id, group.id))
    if subscription is not None:
        db.session.delete(subscription)
        db.session.flush()


def _set_thread_subscription(user_id: int, thread_id: int, *, active: bool) -> None:
    _forget(user_id, Thread, thread_id)
    subscription = db.session.get(ThreadSubscription, (user_id, thread_id))
    if subscription is None:
        insert_ignoring_duplicate(
            ThreadSubscription, user_id=user_id, thread_id=thread_id, active=active
        )
        subscription = db.session.get(ThreadSubscription, (user_id, thread_id))
    if subscription is not None and subscription.active != active:
        subscription.active = active
        db.session.flush()


def follow_automatically(user: User, thread: Thread) -> None:
    """Authors and repliers follow the thread, unless they once chose to stop."""
    _forget(user.id, Thread, thread.id)
    if db.session.get(ThreadSubscription, (user.id, thread.id)) is None:
        insert_ignoring_duplicate(ThreadSubscription, user_id=user.id, thread_id=thread.id)


def thread_followers(thread: Thread) -> list[int]:
    """Ids of the members who follow the thread."""
    return list(
        db.session.scalars(
            select(ThreadSubscription.user_id).where(
                ThreadSubscription.thread_id == thread.id, ThreadSubscription.active.is_(True)
            )
        )
    )


def group_followers(group_id: int) -> list[int]:
    """Ids of the members who follow the group's new threads."""
    return list(
        db.session.scalars(
            select(GroupSubscription.user_id).where(GroupSubscription.group_id == group_id)
        )
    )


def stopped_following(user_ids: list[int], thread_id: int) -> set[int]:
    """Those of `user_ids` who chose to stop following the thread: no mail about it."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(ThreadSubscription.user_id).where(
                ThreadSubscription.thread_id == thread_id,
                ThreadSubscription.active.is_(False),
                ThreadSubscription.user_id.in_(user_ids),
            )
        )
    )


FOLLOWED_SHOWN = 200


def followed_threads(user: User) -> list[Thread]:
    """The threads the member follows that they may still see, latest activity first."""
    from forum.permissions import visible_threads

    return list(
        db.session.scalars(
            select(Thread)
            .join(ThreadSubscription, ThreadSubscription.thread_id == Thread.id)
            .options(joinedload(Thread.group))
            .where(
                ThreadSubscription.user_id == user.id,
                ThreadSubscription.active.is_(True),
                *visible_threads(user),
            )
            .order_by(Thread.last_posted_at.desc(), Thread.id.desc())
            .limit(FOLLOWED_SHOWN)
        )
    )


def followed_groups(user: User) -> list[Group]:
    """The groups whose new threads the member follows, by name."""
    return list(
        db.session.scalars(
            select(Group)
            .join(GroupSubscription, GroupSubscription.group_id == Group.id)
            .where(GroupSubscription.user_id == user.id)
            .order_by(Group.name)
        )
    )
